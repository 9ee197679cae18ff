/**
 * Issue 10 defect 10: disk has bounds. Per run: its run and output folders together (`diskMb`,
 * the run is stopped past it, naming the limit) and its output.log (`logMb`); in total: the runs
 * folder (`runsTotalMb`, the oldest finished runs go first); per server: its stderr log is
 * rotated (`serverLogMb`, two older files kept).
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { usage } from "../../src/executor/disk.ts";
import { tempDir, writeConfig } from "./helpers.ts";
import { FIXTURES, policy, securityConfig, spawnOrch } from "./security_helpers.ts";

const MIB = 1024 * 1024;

/** The last `written: N MB` a disk_fill.py run printed. */
function written(stdout: string): number {
  return Number([...stdout.matchAll(/^written: (\d+) MB$/gm)].at(-1)?.[1] ?? 0);
}

for (const folder of ["tmp", "out"]) {
  Deno.test(`disk: a policy filling its ${folder === "tmp" ? "run" : "output"} folder past diskMb is stopped, naming the limit`, async () => {
    const cfg = securityConfig({ limits: { diskMb: 32 } });
    const r = await spawnOrch(["run", "-c", cfg.path, policy("disk_fill.py"), "--", "512", folder], {
      timeoutMs: 120_000,
    });
    // Before: all 512 MB were written (no bound but RLIMIT_FSIZE per file).
    assert.ok(written(r.stdout) < 512, `wrote ${written(r.stdout)} MB under a 32 MB limit`);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /the policy hit its disk limit \(diskMb 32 for its files\)/);
  });
}

Deno.test("disk: output.log stops at logMb (default 64 MB), the output still streams", async () => {
  const cache = tempDir("orch-cache-");
  const cfg = securityConfig();
  const r = await spawnOrch(["run", "-c", cfg.path, policy("flood.py"), "--", "100"], {
    env: { ORCH_CACHE_DIR: cache },
    keepStdout: 4096,
    timeoutMs: 120_000,
  });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdoutBytes > 100 * MIB, `only ${r.stdoutBytes} bytes came through`);
  const [runId] = readdirSync(join(cache, "runs"));
  const size = statSync(join(cache, "runs", runId!, "output.log")).size;
  // Before: the log kept all 100 MB (its cap was fileSizeMb, 1024).
  assert.ok(size >= 64 * MIB && size < 64 * MIB + 1024, `output.log is ${size} bytes`);
  assert.match(r.stderr, /the run log was cut at 64 MB/);
});

Deno.test("disk: the runs folder is kept within runsTotalMb, oldest runs first", async () => {
  const cache = tempDir("orch-cache-");
  const cfg = securityConfig({ limits: { runsTotalMb: 10 } });
  const runs = join(cache, "runs");
  const order: string[] = [];
  for (let i = 0; i < 4; i++) {
    const r = await spawnOrch(["run", "-c", cfg.path, policy("disk_fill.py"), "--", "4", "out"], {
      env: { ORCH_CACHE_DIR: cache },
    });
    assert.equal(r.code, 0, r.stderr);
    const fresh = readdirSync(runs).find((n) => !order.includes(n));
    if (fresh) order.push(fresh);
  }
  // Before: 4 runs of 4 MB each, 16 MB kept.
  assert.ok(usage(runs).bytes <= 10 * MIB, `runs folder holds ${usage(runs).bytes} bytes`);
  assert.ok(existsSync(join(runs, order.at(-1)!)), "the newest run was removed");
  assert.ok(!existsSync(join(runs, order[0]!)), "the oldest run was kept");
});

Deno.test("disk: a server's stderr log is rotated at serverLogMb, two older files kept", async () => {
  const cache = tempDir("orch-cache-");
  const dir = tempDir("orch-serverlog-");
  const deaf = { command: "python3", args: [join(FIXTURES, "deaf.py")] };
  const path = writeConfig(dir, { mcpServers: { deaf }, orchestrator: { limits: { serverLogMb: 1 } } });
  const calls = Array.from({ length: 6 }, () => 'deaf.noise:{"kb": 512}');
  const r = await spawnOrch(["run", "-c", path, policy("calls.py"), "--", ...calls], {
    env: { ORCH_CACHE_DIR: cache },
  });
  assert.equal(r.code, 0, r.stderr);
  const logs = join(cache, "logs");
  const files = readdirSync(logs).filter((n) => n.startsWith("deaf.log")).sort();
  // Before: one deaf.log of 3 MB, growing for as long as orch serve ran.
  assert.deepEqual(files, ["deaf.log", "deaf.log.1", "deaf.log.2"]);
  for (const f of files) {
    assert.ok(statSync(join(logs, f)).size <= MIB, `${f} is ${statSync(join(logs, f)).size} bytes`);
  }
});
