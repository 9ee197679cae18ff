/**
 * Issue 10 defect 9: the process limit is per run. Runs that share a uid share its RLIMIT_NPROC,
 * so one run's fork bomb used to make every subprocess of a concurrent run fail; a run's own pids
 * cgroup (or, without one, a uid of its own) keeps them apart, and the run that hit its limit is
 * told which limit it was.
 */
import assert from "node:assert/strict";
import { chmodSync, copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { probePidsCgroup } from "../../src/contain/cgroup.ts";
import { probeSandbox } from "../../src/contain/sandbox.ts";
import { tempDir } from "./helpers.ts";
import { outcomes, policy, securityConfig, skip, spawnOrch, until } from "./security_helpers.ts";

/** Why the case cannot be tested here, or undefined. */
async function unsupported(cgroup: boolean): Promise<string | undefined> {
  if (cgroup) return (await probePidsCgroup()).available ? undefined : "no pids cgroup here";
  if (process.getuid?.() !== 0) return undefined; // unprivileged bubblewrap: RLIMIT_NPROC per user namespace
  const s = await probeSandbox();
  return s.available && s.dropTo ? undefined : "orch is root without a sandbox that changes uid";
}

for (const cgroup of [true, false]) {
  const how = cgroup ? "its pids cgroup" : "a uid of its own (no cgroup)";
  Deno.test(`concurrency: one run's fork bomb leaves a concurrent run's subprocesses alone (${how})`, async () => {
    const why = await unsupported(cgroup);
    if (why) return skip(`concurrent runs (${how})`, why);
    const cfg = securityConfig({ sandbox: "auto" });
    // Sandboxed runs share no writable folder (a client's output folder reaches each run as a private
    // copy): the policies wait for files the test makes in their own folder, which both may read.
    const shared = tempDir("orch-shared-");
    chmodSync(shared, 0o755);
    for (const name of ["spawn_some.py", "fork_hold.py"]) copyFileSync(policy(name), join(shared, name));
    const env = cgroup ? {} : { ORCH_NO_CGROUP: "1" };
    const args = ["run", "-v", "--processes", "16", "-c", cfg.path];
    let waiting = false;
    const quiet = spawnOrch([...args, join(shared, "spawn_some.py"), "--", shared, "5"], {
      env,
      onStdout: (t) => {
        waiting ||= t.includes("waiting");
        if (t.includes("spawned:")) writeFileSync(join(shared, "done"), "");
      },
    });
    await until(() => waiting, 30_000, "the quiet run to start");
    const bomb = await spawnOrch([...args, join(shared, "fork_hold.py"), "--", shared], {
      env,
      onStdout: (t) => t.includes("forked:") && writeFileSync(join(shared, "saturated"), ""),
    });
    const calm = await quiet;
    assert.match(bomb.stdout, /refused: 1/, bomb.stdout + bomb.stderr);
    // Before: "spawned: 0 of 5, [Errno 11] Resource temporarily unavailable".
    assert.equal(outcomes(calm.stdout).spawned, "5 of 5", calm.stdout + calm.stderr);
    assert.match(bomb.stderr, /process limit \(processes 16, (pids cgroup|RLIMIT_NPROC)/, bomb.stderr);
    if (!cgroup && process.getuid?.() === 0) {
      const uids = [bomb.stderr, calm.stderr].map((e) => /sandbox bwrap as uid (\d+)/.exec(e)?.[1]);
      assert.notEqual(uids[0], uids[1], `both runs ran as uid ${uids[0]}`);
    }
  });
}
