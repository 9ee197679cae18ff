import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DiskWatch, markActive, pruneRuns, usage } from "./disk.ts";
import { sweepStaleRunDirs } from "./leftovers.ts";

const MIB = 1024 * 1024;

function run(runs: string, name: string, bytes: number, ageS: number): string {
  const dir = join(runs, name);
  mkdirSync(dir);
  writeFileSync(join(dir, "output.log"), new Uint8Array(bytes).fill(1));
  const t = Date.now() / 1000 - ageS;
  utimesSync(dir, t, t);
  return dir;
}

Deno.test("usage() counts allocated bytes, not the size a sparse file claims", () => {
  const dir = mkdtempSync(join(tmpdir(), "orch-usage-"));
  writeFileSync(join(dir, "real"), new Uint8Array(MIB).fill(7));
  const sparse = Deno.openSync(join(dir, "sparse"), { create: true, write: true });
  sparse.truncateSync(10 * 1024 * MIB);
  sparse.close();
  const u = usage(dir);
  assert.ok(u.bytes >= MIB && u.bytes < 2 * MIB, `${u.bytes}`);
  assert.equal(usage(dir, 1000).over, true);
});

Deno.test("pruneRuns() removes the oldest finished runs until the rest fit, never a live or kept one", () => {
  const runs = mkdtempSync(join(tmpdir(), "orch-prune-"));
  const live = run(runs, "a-live", MIB, 400);
  markActive(live);
  const old = run(runs, "b-old", MIB, 300);
  const mid = run(runs, "c-mid", MIB, 200);
  const kept = run(runs, "d-kept", MIB, 100);
  const res = pruneRuns(runs, 3.5 * MIB, new Set(["d-kept"]));
  assert.deepEqual(res.removed, ["b-old"]);
  assert.ok(existsSync(live) && existsSync(mid) && existsSync(kept) && !existsSync(old));
});

Deno.test("DiskWatch.check() names the limit and each folder once they hold too much", () => {
  const dir = mkdtempSync(join(tmpdir(), "orch-watch-"));
  const watch = new DiskWatch([{ name: "run folder", path: dir }], 2 * MIB, () => {}, 60_000);
  assert.equal(watch.check(), undefined);
  writeFileSync(join(dir, "big"), new Uint8Array(3 * MIB).fill(1));
  assert.match(watch.check() ?? "", /^the policy hit its disk limit \(diskMb 2 for its files\): run folder /);
  watch.stop();
});

Deno.test("sweepStaleRunDirs() removes folders of orch processes that are gone, keeps live ones", async () => {
  const base = mkdtempSync(join(tmpdir(), "orch-sweep-"));
  const gone = join(base, "orch-run-999999999.12345-abcdef");
  const mine = join(base, `orch-run-${Deno.pid}.0-abcdef`);
  const legacy = join(base, "orch-run-abcdef");
  for (const d of [gone, mine, legacy]) mkdirSync(d);
  writeFileSync(join(gone, "policy.py"), "");
  assert.deepEqual(await sweepStaleRunDirs(base), [gone]);
  assert.ok(existsSync(mine) && existsSync(legacy), "a live owner's folder and a fresh legacy folder stay");
});
