import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ExclusiveBusyError, ExclusiveLocks } from "./exclusive.ts";

function locks(): ExclusiveLocks {
  return ExclusiveLocks.for(mkdtempSync(join(tmpdir(), "orch-locks-")));
}

const live = () => new AbortController().signal;

Deno.test("ExclusiveLocks.acquire() is re-entrant for a run and makes a second run wait until release", async () => {
  const l = locks();
  await l.acquire("robot", "run-a", { signal: live(), wait: true });
  await l.acquire("robot", "run-a", { signal: live(), wait: true });
  let waited = 0;
  let got = false;
  // Rendezvous, not a sleep: run-b has found the lock held and chosen to wait.
  const { promise: waiting, resolve: onWait } = Promise.withResolvers<void>();
  const b = l.acquire("robot", "run-b", {
    signal: live(),
    wait: true,
    onWait: () => {
      waited++;
      onWait();
    },
  }).then(() => got = true);
  await waiting;
  assert.equal(got, false);
  assert.equal(l.holder("robot")?.runId, "run-a");
  l.releaseAll("run-a");
  await b;
  assert.equal(waited, 1, "told once, however long it waited");
  assert.equal(l.holder("robot")?.runId, "run-b");
  l.releaseAll("run-b");
  assert.equal(l.holder("robot"), undefined);
});

Deno.test("ExclusiveLocks.acquire() without waiting fails at once naming the holder", async () => {
  const l = locks();
  await l.acquire("robot", "run-a", { signal: live(), wait: true });
  await assert.rejects(
    l.acquire("robot", "run-b", { signal: live(), wait: false }),
    (err) => err instanceof ExclusiveBusyError && /in use by run run-a \(pid \d+, this orch/.test(err.message),
  );
  l.releaseAll("run-a");
});

Deno.test("ExclusiveLocks.acquire() gives up when the run is aborted while waiting", async () => {
  const l = locks();
  await l.acquire("robot", "run-a", { signal: live(), wait: true });
  const ac = new AbortController();
  const b = l.acquire("robot", "run-b", { signal: ac.signal, wait: true });
  ac.abort("run cancelled");
  await assert.rejects(b);
  l.releaseAll("run-a");
  assert.equal(l.holder("robot"), undefined, "the aborted run took nothing");
});

Deno.test("ExclusiveLocks.acquire() breaks a lock whose process is gone", async () => {
  const l = locks();
  writeFileSync(
    l.fileOf("robot"),
    JSON.stringify({ pid: 2 ** 22 + 7, runId: "dead", since: new Date().toISOString() }),
  );
  await l.acquire("robot", "run-a", { signal: live(), wait: false });
  assert.equal(JSON.parse(readFileSync(l.fileOf("robot"), "utf8")).runId, "run-a");
  l.releaseAll("run-a");
});
