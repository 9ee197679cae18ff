/** Exclusive servers: two runs never use one at once; the second waits (and says so) or, with --no-wait, fails. */
import assert from "node:assert/strict";
import { tempDir } from "./helpers.ts";
import { outcomes, policy, securityConfig, slowEvents, spawnOrch, until } from "./security_helpers.ts";

/**
 * Starts run A (takes the lock with its first call, then keeps the server busy) and resolves once it holds it.
 * A holds it for a generous `seconds`: run B must start and reach its call meanwhile, on a loaded machine too.
 */
async function holder(path: string, cache: string, seconds = 8) {
  let seen = "";
  const hold = ["slow.count:{}", `slow.sleep:{"seconds": ${seconds}}`];
  const a = spawnOrch(["run", "-c", path, policy("calls.py"), "--", ...hold], {
    env: { ORCH_CACHE_DIR: cache },
    onStdout: (t) => (seen += t),
  });
  await until(() => seen.includes("slow.count: ok"), 20_000, "run A's first call");
  return { done: a };
}

Deno.test("exclusive: a second run waits for the server, says so, and goes on after the first run ends", async () => {
  const cache = tempDir("orch-cache-");
  const cfg = securityConfig({}, { exclusive: true });
  const runA = (await holder(cfg.path, cache)).done;
  const b = await spawnOrch(["run", "-c", cfg.path, policy("calls.py"), "--", "slow.count:{}"], {
    env: { ORCH_CACHE_DIR: cache },
  });
  const ra = await runA;
  assert.equal(ra.code, 0, ra.stderr);
  assert.equal(b.code, 0, b.stderr);
  assert.match(b.stderr, /orch: waiting for exclusive server slow: in use by run [0-9a-f]{8} \(pid \d+/);
  assert.match(outcomes(b.stdout)["slow.count"] ?? "", /^ok /);
  const events = slowEvents(cfg.log);
  const finishedA = events.find((e) => e.event === "finished")!;
  const callB = events.filter((e) => e.event === "call").at(-1)!;
  assert.equal(callB.tool, "count");
  assert.ok(callB.t >= finishedA.t, `B called at ${callB.t}, before A finished at ${finishedA.t}`);
});

Deno.test("exclusive: with --no-wait a call to a server in use fails at once", async () => {
  const cache = tempDir("orch-cache-");
  const cfg = securityConfig({}, { exclusive: true });
  const runA = (await holder(cfg.path, cache)).done;
  const b = await spawnOrch(["run", "--no-wait", "-c", cfg.path, policy("calls.py"), "--", "slow.count:{}"], {
    env: { ORCH_CACHE_DIR: cache },
  });
  assert.equal(b.code, 0, b.stderr);
  assert.match(outcomes(b.stdout)["slow.count"] ?? "", /^denied slow is exclusive and in use by run .*\(not waiting\)/);
  assert.equal((await runA).code, 0);
  assert.equal(slowEvents(cfg.log).filter((e) => e.event === "call").length, 2, "only run A's two calls");
});

Deno.test("exclusive: a run that times out while waiting sends no onAbort stop to the server another run holds", async () => {
  const cache = tempDir("orch-cache-");
  const cfg = securityConfig({ onAbort: [{ server: "slow", tool: "sleep", arguments: { seconds: 0 } }] }, {
    exclusive: true,
  });
  const runA = (await holder(cfg.path, cache)).done;
  const b = await spawnOrch(["run", "-t", "1", "-c", cfg.path, policy("calls.py"), "--", "slow.count:{}"], {
    env: { ORCH_CACHE_DIR: cache },
  });
  assert.equal(b.code, 124, b.stderr);
  assert.match(b.stderr, /onAbort slow\.sleep: skipped \(exclusive server this run did not use\)/);
  assert.equal((await runA).code, 0);
  const calls = slowEvents(cfg.log).filter((e) => e.event === "call").map((e) => [e.tool, e.arguments]);
  assert.deepEqual(calls, [["count", {}], ["sleep", { seconds: 8 }]], "run A was never stopped");
});
