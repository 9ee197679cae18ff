/**
 * Issue 10 defect 6: nothing orch started outlives orch, even when orch is SIGKILLed: a server
 * that ignores stdin EOF and SIGTERM (started through a `bash -c` wrapper, with a child of its own),
 * and the policy; and the run folders such an orch leaves are swept by the next orch that starts.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { startTimeOf } from "../../src/contain/proc.ts";
import { newTag, processesWithTag, tempDir, writeConfig } from "./helpers.ts";
import { FIXTURES, spawnOrch, until } from "./security_helpers.ts";

const POLICY = 'import os, time\nprint(deaf__move(), flush=True)\nprint("pid: %d" % os.getpid(), flush=True)\n' +
  "time.sleep(600)\n";

function deafConfig(sandbox: string) {
  const dir = tempDir("orch-orphans-");
  const tag = newTag();
  const heartbeat = join(dir, "heartbeat");
  const deaf = {
    command: "bash",
    // Not `exec`: the wrapper stays, and the server (and its helper) are its children.
    args: ["-c", `python3 ${join(FIXTURES, "deaf.py")}; echo server ended`],
    env: { ORCH_TEST_TAG: tag, FIXTURE_HEARTBEAT: heartbeat },
  };
  const path = writeConfig(dir, { mcpServers: { deaf }, orchestrator: { sandbox } });
  const policy = join(dir, "move.py");
  writeFileSync(policy, POLICY);
  return { dir, tag, heartbeat, path, policy };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Runs the moving policy and SIGKILLs orch once the robot moves; returns the policy's pid. */
async function killWhileMoving(cfg: ReturnType<typeof deafConfig>, tmp: string): Promise<number> {
  let orchPid = 0;
  let policyPid = 0;
  await spawnOrch(["run", "-c", cfg.path, cfg.policy], {
    env: { TMPDIR: tmp, XDG_RUNTIME_DIR: undefined },
    timeoutMs: 60_000,
    onStart: (pid) => orchPid = pid,
    onStdout: (text) => {
      const m = /pid: (\d+)/.exec(text);
      if (!m) return;
      policyPid = Number(m[1]);
      process.kill(orchPid, "SIGKILL");
    },
  });
  assert.ok(policyPid > 0, "the policy never started moving");
  return policyPid;
}

Deno.test("orphans: SIGKILL of orch stops a server that ignores EOF and SIGTERM, its wrapper's children and the policy", async () => {
  const cfg = deafConfig("none");
  const tmp = tempDir("orch-orphans-tmp-");
  const policyPid = await killWhileMoving(cfg, tmp);
  assert.ok(existsSync(cfg.heartbeat), "the server never moved");
  // bash, python3 and its sleep helper: all gone (SIGTERM, then SIGKILL 2 s later).
  await until(() => processesWithTag(cfg.tag).length === 0, 20_000, `server processes ${processesWithTag(cfg.tag)}`);
  await until(() => !alive(policyPid), 20_000, `policy ${policyPid} to end`);
  const size = statSync(cfg.heartbeat).size;
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(statSync(cfg.heartbeat).size, size, "the robot still moves");
});

Deno.test("orphans: run folders of killed orch processes are swept by the next orch, live ones are kept", async () => {
  const cfg = deafConfig("auto");
  const tmp = tempDir("orch-orphans-tmp-");
  const runFolders = () => readdirSync(tmp).filter((n) => n.startsWith("orch-run-"));
  for (let i = 0; i < 3; i++) {
    await killWhileMoving(cfg, tmp);
    // Each orch sweeps the folders of the ones killed before it: only the last one's is left.
    assert.equal(runFolders().length, 1, `after kill ${i + 1}: ${readdirSync(tmp)}`);
  }
  await until(() => processesWithTag(cfg.tag).length === 0, 20_000, "server processes to end");
  // A live orch's folder (this test process, which is alive) is never taken for stale.
  const keep = `orch-run-${process.pid}.${startTimeOf(process.pid)}-keepme`;
  mkdirSync(join(tmp, keep));
  const r = await spawnOrch(["run", "-c", cfg.path, "-"], {
    env: { TMPDIR: tmp, XDG_RUNTIME_DIR: undefined },
    stdin: "print('ok')\n",
  });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(runFolders(), [keep]);
  // The killed orch processes' IPC socket folders went too.
  assert.deepEqual(readdirSync(tmp).filter((n) => /^orch-\d+-/.test(n)), []);
});
