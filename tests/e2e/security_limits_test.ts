/** Resource limits: processes, memory, output, wall time and CPU time, each met by a real attempt. */
import assert from "node:assert/strict";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { survivors, tempDir } from "./helpers.ts";
import { outcomes, policy, securityConfig, skip, spawnOrch, unboundedReason } from "./security_helpers.ts";

for (const sandbox of ["auto", "none"] as const) {
  Deno.test(`limits: a fork bomb is stopped by the process limit and orch keeps answering (sandbox ${sandbox})`, async () => {
    const why = await unboundedReason(sandbox === "auto");
    if (why) return skip(`fork bomb (${sandbox})`, why);
    const cfg = securityConfig({ sandbox });
    const r = await spawnOrch(["run", "-v", "--processes", "32", "-c", cfg.path, policy("fork_bomb.py")]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const m = /forked: (\d+), refused: (\d+)/.exec(r.stdout);
    assert.ok(m, r.stdout);
    assert.ok(Number(m[2]) > 0, `no fork was refused: ${r.stdout}`);
    assert.match(r.stdout, /orch answers: True/);
    assert.match(r.stderr, /process limit by (cgroup|rlimit)/);
    assert.deepEqual(await survivors(cfg.tag), []);
  });
}

Deno.test("limits: a 4 GB allocation fails inside the policy only", async () => {
  const cfg = securityConfig();
  const r = await spawnOrch(["run", "-c", cfg.path, policy("alloc.py"), "--", "4"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(outcomes(r.stdout).alloc, "MemoryError");
  assert.match(r.stdout, /orch answers: True/);
});

Deno.test("limits: 1 GB of output streams through with orch's memory bounded, and the log is capped", async () => {
  const cache = tempDir("orch-cache-");
  const cfg = securityConfig();
  const r = await spawnOrch(["run", "--file-size-mb", "16", "-c", cfg.path, policy("flood.py"), "--", "1024"], {
    env: { ORCH_CACHE_DIR: cache },
    keepStdout: 4096,
    sampleRss: true,
    timeoutMs: 120_000,
  });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdoutBytes > 1024 * 1024 * 1024, `only ${r.stdoutBytes} bytes came through`);
  assert.match(r.stdout, /FLOOD-END\n$/);
  // Deno or Bun itself takes 60-150 MB; 1 GB held in memory would show far above this bound.
  assert.ok(r.maxRss < 400 * 1024 * 1024, `orch grew to ${Math.round(r.maxRss / 1048576)} MB`);
  const runs = join(cache, "runs");
  const [runId] = readdirSync(runs);
  const size = statSync(join(runs, runId!, "output.log")).size;
  assert.ok(size >= 16 * 1024 * 1024 && size < 16 * 1024 * 1024 + 1024, `log is ${size} bytes`);
  assert.match(r.stderr, /the run log was cut at 16 MB/);
});

Deno.test("limits: an infinite loop that swallows SIGINT is killed at the timeout", async () => {
  const cfg = securityConfig();
  // 4 s: a loaded machine may take more than 1 s to start Python and print "spinning".
  const r = await spawnOrch(["run", "-t", "4", "-c", cfg.path, policy("spin.py")]);
  assert.equal(r.code, 124, r.stderr);
  assert.match(r.stdout, /spinning/);
  assert.match(r.stderr, /timed out after 4 s/);
  // 4 s timeout + 2 s grace before SIGKILL, plus start-up; generous for a loaded machine.
  assert.ok(r.durationMs < 20_000, `took ${r.durationMs} ms`);
  assert.deepEqual(await survivors(cfg.tag), []);
});

Deno.test("limits: a busy loop is stopped by its CPU-time limit", async () => {
  const cfg = securityConfig();
  const r = await spawnOrch(["run", "--cpu-seconds", "1", "-c", cfg.path, policy("spin.py")]);
  assert.equal(r.code, 128 + 24, r.stderr);
  assert.match(r.stderr, /the policy used up its CPU time \(1 s\)/);
});
