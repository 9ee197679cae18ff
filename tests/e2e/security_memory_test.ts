/**
 * Issue 10 defect 5: the memory limit bounds all memory a run holds, not only each process's
 * address space (RLIMIT_AS does not count memfd files, shared memory or tmpfs files).
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { probeMemoryCgroup } from "../../src/contain/cgroup.ts";
import process from "node:process";
import {
  NOBODY,
  noSandboxReason,
  outcomes,
  policy,
  securityConfig,
  skip,
  type Spawned,
  type SpawnOptions,
  spawnOrch,
} from "./security_helpers.ts";

/** The last `held: N MB` a hold_memory.py run printed. */
function held(stdout: string): number {
  const all = [...stdout.matchAll(/^held: (\d+) MB$/gm)];
  return Number(all.at(-1)?.[1] ?? 0);
}

/** hold_memory.py under a 256 MB limit, asked for 1024 MB (memfd) or 512 MB (files in /dev/shm or /tmp). */
function hold(config: string, where: string, opts: SpawnOptions & { verbose?: boolean } = {}): Promise<Spawned> {
  const mb = where === "memfd" ? "1024" : "512";
  const v = opts.verbose ? ["-v"] : [];
  return spawnOrch(["run", ...v, "--memory-mb", "256", "-c", config, policy("hold_memory.py"), "--", mb, where], opts);
}

Deno.test("memory: memfd files past the run's memory limit are stopped by its memory cgroup, naming the limit", async () => {
  const support = await probeMemoryCgroup();
  if (!support.available) return skip("memfd under a memory cgroup", support.reason ?? "no memory cgroup");
  for (const sandbox of ["auto", "none"] as const) {
    const cfg = securityConfig({ sandbox });
    const r = await hold(cfg.path, "memfd", { verbose: true });
    // Before: 1024 MB held under a 256 MB limit (16 MB per memfd, each far under RLIMIT_FSIZE).
    assert.ok(held(r.stdout) <= 256, `${sandbox}: held ${held(r.stdout)} MB under a 256 MB limit\n${r.stdout}`);
    assert.notEqual(r.code, 0, r.stderr);
    assert.match(r.stderr, /hit its memory limit \(memoryMb 256 for the whole run, memory cgroup\)/);
    assert.match(r.stderr, /memory limit by cgroup/);
  }
});

Deno.test("memory: several processes together cannot pass the run's memory limit", async () => {
  const support = await probeMemoryCgroup();
  if (!support.available) return skip("processes under a memory cgroup", support.reason ?? "no memory cgroup");
  const cfg = securityConfig({ sandbox: "none" });
  // Four processes of 96 MB each: every one is far under RLIMIT_AS, together they pass 256 MB.
  const code = "import os, sys\nfor i in range(4):\n    if os.fork() == 0:\n        b = bytearray(96 << 20)\n" +
    "        for j in range(0, len(b), 4096): b[j] = 1\n        print('child holds 96 MB', flush=True)\n" +
    "        import time; time.sleep(3); os._exit(0)\nfor i in range(4): print(os.wait(), flush=True)\n";
  const file = `${cfg.dir}/many.py`;
  writeFileSync(file, code);
  const r = await spawnOrch(["run", "--memory-mb", "256", "-c", cfg.path, file]);
  assert.match(r.stderr, /hit its memory limit \(memoryMb 256/, r.stdout + r.stderr);
});

Deno.test("memory: /dev/shm and /tmp in the sandbox hold at most half the memory limit each without a cgroup", async () => {
  const why = await noSandboxReason();
  if (why) return skip("sized tmpfs in the sandbox", why);
  // Unprivileged bubblewrap (orch not root) is where the policy owns its tmpfs mounts: run orch
  // as uid 65534 when the tests run as root.
  const asUid = process.getuid?.() === 0 ? NOBODY : undefined;
  const cfg = securityConfig({ sandbox: "bwrap" }, { open: asUid !== undefined });
  for (const where of ["shm", "tmp"]) {
    const r = await hold(cfg.path, where, { env: { ORCH_NO_CGROUP: "1" }, asUid });
    assert.equal(r.code, 0, r.stderr);
    const line = outcomes(r.stdout)[`hold ${where}`] ?? "";
    const mb = Number(/^(\d+) MB/.exec(line)?.[1]);
    assert.ok(mb <= 128, `${where}: ${line}`);
    assert.doesNotMatch(line, /error none/, `${where}: nothing stopped it: ${line}`);
  }
});
