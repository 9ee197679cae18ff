import assert from "node:assert/strict";
import { delay } from "./delay.ts";

Deno.test("delay() resolves early, without rejecting, when its signal aborts", async () => {
  const ac = new AbortController();
  const started = Date.now();
  const waiting = delay(60_000, ac.signal);
  ac.abort(new Error("stop"));
  await waiting;
  assert.ok(Date.now() - started < 1000);
  await delay(60_000, ac.signal); // already aborted: at once
});

Deno.test("delay() waits its time without a signal", async () => {
  const started = Date.now();
  await delay(20);
  assert.ok(Date.now() - started >= 15);
});
