import assert from "node:assert/strict";
import type { RunRequest, RunResult } from "../executor/types.ts";
import { RunBook } from "./live.ts";

const enc = new TextEncoder();

/** A run the test drives by hand: its output hooks and its end. */
function manual() {
  let hooks: Partial<RunRequest> = {};
  let end: (r: RunResult) => void = () => {};
  const start = (req: Partial<RunRequest>) => {
    hooks = req;
    return new Promise<RunResult>((resolve) => end = resolve);
  };
  return {
    start,
    out: (s: string) => hooks.onStdout?.(enc.encode(s)),
    err: (s: string) => hooks.onStderr?.(enc.encode(s)),
    end: (r: Partial<RunResult>) =>
      end({ status: "success", summary: { tools: {}, failed: [], cancelled: [], last: [] }, ...r } as RunResult),
    hooks: () => hooks,
  };
}

Deno.test("live runs: each reader follows the output at its own offset; stdout and stderr apart", async () => {
  const book = new RunBook({ keepSeconds: 60 });
  const m = manual();
  const run = book.start("t", false, m.start);
  m.out("a\n");
  m.err("e\n");
  m.out("b\n");
  assert.deepEqual(run.slice(0), { output: "a\nb\n", error: "e\n", next_offset: 6 });
  assert.deepEqual(run.slice(4), { output: "b\n", error: "", next_offset: 6 });
  // A waiter wakes on new output (after the short linger), not before.
  let woke = false;
  const waiting = run.wait(6, 60_000, undefined, 0).then(() => woke = true);
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(woke, false);
  m.out("c\n");
  await waiting;
  assert.equal(run.slice(6).output, "c\n");
  // The end wakes a waiter at once.
  const ended = run.wait(8, 60_000);
  m.end({});
  await ended;
  assert.equal(run.status, "success");
});

Deno.test("live runs: a cancelled wait returns; ended runs are forgotten after their keep time", async () => {
  const book = new RunBook({ keepSeconds: 1 });
  const m = manual();
  const run = book.start("t", false, m.start);
  const ac = new AbortController();
  const w = run.wait(0, 60_000, ac.signal);
  ac.abort();
  await w;
  m.end({});
  await run.done;
  assert.equal(book.get(run.id), run);
  book.sweep(Date.now() + 5_000);
  assert.equal(book.list().length, 0);
});

Deno.test("live runs: abort reaches the run's signal", () => {
  const book = new RunBook({ keepSeconds: 1 });
  const m = manual();
  const run = book.start("t", false, m.start);
  run.abort("stop");
  assert.equal(m.hooks().signal?.aborted, true);
  assert.equal(m.hooks().signal?.reason, "stop");
});
