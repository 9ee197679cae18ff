/**
 * Abort: Ctrl-C, SIGTERM or the timeout mid-call. The server sees the in-flight call cancelled,
 * then the onAbort safe-stop calls arrive (once, even when the policy had to be killed), and
 * nothing of the run survives. Latency is measured by scripts/bench_abort.ts, not asserted here.
 */
import assert from "node:assert/strict";
import process from "node:process";
import { survivors, tempDir } from "./helpers.ts";
import { policy, robotEvents, securityConfig, slowEvents, spawnOrch, until } from "./security_helpers.ts";

const ON_ABORT = [
  { server: "slow", tool: "sleep", arguments: { seconds: 0 } },
  { server: "ros-mcp-server", tool: "stop", arguments: { reason: "orch abort" } },
];

/** Starts `policyFile` on the slow server and sends `signal` to orch once the long call has reached the server. */
async function abortMidCall(policyFile: string, args: string[], signal: "SIGINT" | "SIGTERM") {
  const cfg = securityConfig({ onAbort: ON_ABORT });
  let pid = 0;
  const run = spawnOrch(["run", "-c", cfg.path, policy(policyFile), "--", ...args], { onStart: (p) => (pid = p) });
  await until(() => slowEvents(cfg.log).some((e) => e.event === "call" && e.tool === "sleep"), 20_000, "the call");
  process.kill(pid, signal);
  const r = await run;
  return { cfg, r, events: slowEvents(cfg.log) };
}

Deno.test("abort: Ctrl-C mid-call cancels the call at the server, then makes the onAbort stop calls", async () => {
  const { cfg, r, events } = await abortMidCall("calls.py", ['slow.sleep:{"seconds": 30}'], "SIGINT");
  assert.equal(r.code, 130, r.stderr);
  const call = events.find((e) => e.event === "call" && e.tool === "sleep")!;
  const cancelled = events.find((e) => e.event === "cancelled" && e.requestId === call.id);
  assert.ok(cancelled, `no notifications/cancelled for request ${call.id}: ${JSON.stringify(events)}`);
  const stops = events.filter((e) => e.event === "call" && e.tool === "sleep" && e !== call);
  assert.equal(stops.length, 1, "the onAbort call ran once");
  assert.ok(stops[0]!.t >= cancelled.t, "the stop came after the cancellation");
  assert.equal(robotEvents(cfg.world).stop_count, 1);
  assert.match(r.stderr, /onAbort slow\.sleep: done/);
  assert.match(r.stderr, /onAbort ros-mcp-server\.stop: done/);
  assert.match(r.stderr, /run aborted: interrupted \(Ctrl-C\)/);
  assert.deepEqual(await survivors(cfg.tag), []);
});

Deno.test("abort: Ctrl-C during the first call of a run with a warm cache (the call starts the server) cancels it at the server", async () => {
  const cfg = securityConfig({ onAbort: ON_ABORT });
  const env = { ORCH_CACHE_DIR: tempDir("orch-cache-") };
  // `orch list` fills the catalog cache: the run then starts no server before its first call.
  const warm = await spawnOrch(["list", "-c", cfg.path], { env });
  assert.equal(warm.code, 0, warm.stderr);
  assert.match(warm.stdout, /slow/);
  assert.deepEqual(slowEvents(cfg.log).filter((e) => e.event === "call"), []);
  let pid = 0;
  const run = spawnOrch(["run", "-c", cfg.path, policy("calls.py"), "--", 'slow.sleep:{"seconds": 30}'], {
    env,
    onStart: (p) => (pid = p),
  });
  await until(() => slowEvents(cfg.log).some((e) => e.event === "call" && e.tool === "sleep"), 20_000, "the call");
  process.kill(pid, "SIGINT");
  const r = await run;
  assert.equal(r.code, 130, r.stderr);
  const events = slowEvents(cfg.log);
  const call = events.find((e) => e.event === "call" && e.tool === "sleep")!;
  const cancelled = events.find((e) => e.event === "cancelled" && e.requestId === call.id);
  assert.ok(cancelled, `no notifications/cancelled for request ${call.id}: ${JSON.stringify(events)}`);
  assert.ok(events.some((e) => e.event === "interrupted" && e.seconds === 30), "the sleep was cut short");
  assert.match(r.stderr, /onAbort slow\.sleep: done/);
  assert.equal(robotEvents(cfg.world).stop_count, 1);
  assert.deepEqual(await survivors(cfg.tag), []);
});

Deno.test("abort: SIGTERM on a policy that swallows the interrupt kills it after the grace period, stop sent once", async () => {
  const { cfg, r, events } = await abortMidCall("stubborn.py", [], "SIGTERM");
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stdout, /swallowed (KeyboardInterrupt|PolicyAborted)/);
  assert.doesNotMatch(r.stdout, /CALL WENT THROUGH/);
  const calls = events.filter((e) => e.event === "call");
  assert.deepEqual(calls.map((e) => [e.tool, e.arguments]), [["sleep", { seconds: 30 }], ["sleep", { seconds: 0 }]]);
  assert.equal(robotEvents(cfg.world).stop_count, 1);
  assert.match(r.stderr, /run aborted: terminated \(SIGTERM\)/);
  assert.deepEqual(await survivors(cfg.tag), []);
});

Deno.test("abort: the timeout mid-call stops the robot through onAbort", async () => {
  const cfg = securityConfig({ onAbort: ON_ABORT });
  // 5 s, not 1: on a loaded machine the policy and the server take more than 1 s to reach the call.
  const r = await spawnOrch(["run", "-t", "5", "-c", cfg.path, policy("calls.py"), "--", 'slow.sleep:{"seconds": 30}']);
  assert.equal(r.code, 124, r.stderr);
  assert.match(r.stderr, /timed out after 5 s/);
  const events = slowEvents(cfg.log);
  assert.ok(events.some((e) => e.event === "cancelled"), JSON.stringify(events));
  assert.equal(robotEvents(cfg.world).stop_count, 1);
  assert.deepEqual(await survivors(cfg.tag), []);
});
