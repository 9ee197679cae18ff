import assert from "node:assert/strict";
import { DEFAULT_LIMITS, resolveLimits, rlimitSpec } from "./limits.ts";

Deno.test("resolveLimits() takes the run's value over the config's over the default", () => {
  const { limits, notes } = resolveLimits({ memoryMb: 512, processes: 64 }, { memoryMb: 256, timeoutSec: 5 });
  assert.equal(limits.memoryMb, 256);
  assert.equal(limits.processes, 64);
  assert.equal(limits.cpuSeconds, DEFAULT_LIMITS.cpuSeconds);
  assert.equal(limits.timeoutSec, 5);
  assert.deepEqual(notes, []);
});

Deno.test("resolveLimits() ignores a bad per-run value and caps the timeout, saying so", () => {
  const { limits, notes } = resolveLimits({}, { openFiles: -3, timeoutSec: 10 ** 9 });
  assert.equal(limits.openFiles, DEFAULT_LIMITS.openFiles);
  assert.equal(limits.timeoutSec, 86400);
  assert.equal(notes.length, 2);
});

Deno.test("rlimitSpec() gives the bootstrap bytes, a CPU grace and nproc only when known", () => {
  const { limits } = resolveLimits({ memoryMb: 1, fileSizeMb: 2, cpuSeconds: 3, openFiles: 4 });
  assert.equal(rlimitSpec(limits, undefined), "as=1048576,cpu=3:8,fsize=2097152,nofile=4,core=0");
  assert.match(rlimitSpec(limits, 300), /,nproc=300$/);
});
