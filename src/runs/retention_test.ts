import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { boardEntries } from "./board.ts";
import { prune } from "./retention.ts";

function cache(
  runs: { id: string; bytes: number; age: number }[],
  logs: { name: string; bytes: number; age: number }[] = [],
) {
  const dir = mkdtempSync(join(tmpdir(), "orch-retention-"));
  const now = Date.now() / 1000;
  for (const r of runs) {
    const folder = join(dir, "runs", r.id);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, "output.log"), "x".repeat(r.bytes));
    utimesSync(folder, now - r.age, now - r.age);
  }
  mkdirSync(join(dir, "logs"), { recursive: true });
  for (const l of logs) {
    writeFileSync(join(dir, "logs", l.name), "y".repeat(l.bytes));
    utimesSync(join(dir, "logs", l.name), now - l.age, now - l.age);
  }
  return dir;
}

const left = (dir: string, sub: string) => readdirSync(join(dir, sub)).sort();

Deno.test("retention: run folders beyond the count go, oldest first; an active run stays", () => {
  const dir = cache([1, 2, 3, 4, 5].map((n) => ({ id: `r${n}`, bytes: 10, age: n * 100 })));
  const pruned = prune(dir, { keep: 2, maxMb: 100, logsMb: 100 }, new Set(["r5"]));
  assert.deepEqual(left(dir, "runs"), ["r1", "r2", "r5"]);
  assert.deepEqual(pruned.runs.sort(), ["r3", "r4"]);
});

Deno.test("retention: run folders beyond the bytes go, and server logs are bounded too", () => {
  const mb = 1024 * 1024;
  const dir = cache(
    [{ id: "new", bytes: mb, age: 1 }, { id: "mid", bytes: mb, age: 2 }, { id: "old", bytes: mb, age: 3 }],
    [{ name: "a.log", bytes: mb, age: 1 }, { name: "b.log", bytes: mb, age: 5 }],
  );
  prune(dir, { keep: 100, maxMb: 2.5, logsMb: 1.5 }, new Set());
  assert.deepEqual(left(dir, "runs"), ["mid", "new"]);
  assert.deepEqual(left(dir, "logs"), ["a.log"]);
});

Deno.test("retention: board entries of pruned runs are dropped; a live run of another process is kept", () => {
  const dir = cache([{ id: "mine", bytes: 1, age: 1 }, { id: "other", bytes: 1, age: 50 }, {
    id: "gone",
    bytes: 1,
    age: 60,
  }]);
  const board = mkdtempSync(join(tmpdir(), "orch-board-"));
  mkdirSync(join(board, "runs"));
  for (const id of ["other", "gone"]) {
    const entry = {
      run_id: id,
      pid: id === "other" ? process.pid : 2 ** 22 + 7,
      by: "run",
      started: "",
      title: "",
      folder: join(dir, "runs", id),
    };
    writeFileSync(join(board, "runs", `${id}.json`), JSON.stringify(entry));
  }
  prune(dir, { keep: 1, maxMb: 100, logsMb: 100 }, new Set(), board);
  assert.ok(existsSync(join(dir, "runs", "other")), "a run whose process lives and has no end is kept");
  assert.ok(!existsSync(join(dir, "runs", "gone")));
  assert.deepEqual(boardEntries(board).map((e) => e.run_id), ["other"]);
});
