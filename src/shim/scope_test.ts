import assert from "node:assert/strict";
import type { CallToolResult } from "../deps/mcp_sdk.ts";
import { CallDeniedError, RunAbortedError } from "../errors.ts";
import { RunScope, ScopeRegistry } from "./scope.ts";

const OK: CallToolResult = { content: [{ type: "text", text: "ok" }] };
const ok = () => Promise.resolve(OK);

Deno.test("RunScope() makes an unguessable base64url token of 32 bytes", () => {
  const tokens = new Set(Array.from({ length: 100 }, () => new RunScope().token));
  assert.equal(tokens.size, 100);
  for (const t of tokens) assert.match(t, /^[A-Za-z0-9_-]{43}$/);
});

Deno.test("RunScope() rejects a bad budget, pattern or guard", () => {
  assert.throws(() => new RunScope({ maxCalls: -1 }), /Invalid call budget -1/);
  assert.throws(() => new RunScope({ maxCalls: 1.5 }), /Invalid call budget 1.5/);
  assert.throws(() => new RunScope({ allow: ["ros/"] }), /Invalid tool pattern "ros\/"/);
  assert.throws(() => new RunScope({ guards: { "*": { type: "nope" } } }), /Invalid guard "\*"/);
  assert.equal(new RunScope({ maxCalls: null }).maxCalls, null);
});

Deno.test("RunScope.allows() applies allow and deny, deny winning", () => {
  const scope = new RunScope({ allow: ["ros/*", "sim/reset"], deny: ["ros/arm_*"] });
  assert.equal(scope.allows("ros", "stop"), true);
  assert.equal(scope.allows("ros", "arm_move"), false);
  assert.equal(scope.allows("sim", "reset"), true);
  assert.equal(scope.allows("sim", "step"), false);
  assert.equal(new RunScope().allows("any", "thing"), true, "everything is allowed by default");
  assert.equal(new RunScope({ allow: [] }).allows("any", "thing"), false);
});

Deno.test("RunScope.allows() keeps names with slashes apart in its decision cache", () => {
  const scope = new RunScope({ allow: ["a/*"] });
  assert.equal(scope.allows("a", "b/c"), true);
  assert.equal(scope.allows("a/b", "c"), false);
});

Deno.test("RunScope.call() counts admitted calls against the budget, and denials", async () => {
  const scope = new RunScope({ runId: "r1", maxCalls: 3, deny: ["ros/stop"] });
  await scope.call("ros", "pose", {}, ok);
  await scope.call("ros", "pose", {}, () => Promise.resolve({ ...OK, isError: true }));
  await assert.rejects(scope.call("ros", "stop", {}, ok), CallDeniedError);
  await assert.rejects(scope.call("ros", "pose", {}, () => Promise.reject(new Error("x"))), /x/);
  await assert.rejects(scope.call("ros", "pose", {}, ok), /call budget spent/);
  assert.equal(scope.runId, "r1");
  assert.equal(scope.callsMade, 3);
  assert.equal(scope.maxCalls, 3);
  assert.equal(scope.denied, 2);
  assert.equal(scope.aborted, false);
});

Deno.test("RunScope.call() hands each call its own signal, linked to the run's", async () => {
  const scope = new RunScope();
  const signals: AbortSignal[] = [];
  await scope.call("a", "b", {}, (call) => (signals.push(call.signal), ok()));
  await scope.call("a", "b", {}, (call) => (signals.push(call.signal), ok()));
  assert.notEqual(signals[0], signals[1]);
  assert.notEqual(signals[0], scope.signal);
  scope.abort("stop");
  assert.equal(signals[0]?.aborted, false, "a finished call's signal is unlinked from the run");
});

Deno.test("RunScope.abort() is idempotent, keeps the first reason and refuses later calls", async () => {
  const scope = new RunScope();
  scope.abort("first");
  scope.abort("second");
  assert.equal(scope.abortReason, "first");
  assert.equal(scope.signal.aborted, true);
  const err = await scope.call("a", "b", {}, ok).catch((e) => e);
  assert.ok(err instanceof RunAbortedError);
  assert.equal(err.message, "[ABORTED] first");
  assert.equal(scope.abortReason, "first");
});

Deno.test("RunScope.call() aborts while waiting for approval", async () => {
  const asked = Promise.withResolvers<void>();
  const scope = new RunScope({
    confirmTools: ["*"],
    confirm: () => (asked.resolve(), new Promise(() => {})),
  });
  const pending = scope.call("a", "b", {}, ok);
  await asked.promise;
  scope.abort("operator left");
  await assert.rejects(pending, /\[ABORTED\] operator left/);
});

Deno.test("RunScope.call() refuses a tool needing approval when no one can approve", async () => {
  const scope = new RunScope({ confirmTools: ["a/*"] });
  await assert.rejects(scope.call("a", "b", {}, ok), /a\.b needs approval and no one can approve it here/);
  const failing = new RunScope({ confirmTools: ["*"], confirm: () => Promise.reject(new Error("tty closed")) });
  await assert.rejects(failing.call("a", "b", {}, ok), /approval of a\.b failed: tty closed/);
});

Deno.test("RunScope.call() runs beforeCall first and its release after the call", async () => {
  const events: string[] = [];
  const scope = new RunScope({
    beforeCall: (server) => {
      events.push(`lock ${server}`);
      return Promise.resolve(() => events.push(`unlock ${server}`));
    },
  });
  await scope.call("arm", "move", {}, () => (events.push("call"), ok()));
  await assert.rejects(scope.call("arm", "move", {}, () => (events.push("call"), Promise.reject(new Error("x")))));
  assert.deepEqual(events, ["lock arm", "call", "unlock arm", "lock arm", "call", "unlock arm"]);
});

Deno.test("RunScope.call() still releases what beforeCall acquires after an abort", async () => {
  const lock = Promise.withResolvers<() => void>();
  let released = false;
  const asked = Promise.withResolvers<void>();
  const scope = new RunScope({ beforeCall: () => (asked.resolve(), lock.promise) });
  const pending = scope.call("arm", "move", {}, ok);
  await asked.promise;
  scope.abort("stop");
  await assert.rejects(pending, /\[ABORTED\] stop/);
  lock.resolve(() => (released = true));
  await lock.promise;
  await Promise.resolve();
  assert.equal(released, true);
});

Deno.test("ScopeRegistry finds scopes by token and run id, and removes them", () => {
  const registry = new ScopeRegistry();
  const a = registry.create({ runId: "a" });
  const b = registry.create();
  assert.equal(registry.size, 2);
  assert.equal(registry.get(a.token), a);
  assert.equal(registry.byRunId(b.runId), b);
  assert.equal(registry.get("guess"), undefined);
  assert.throws(() => registry.create({ runId: "a" }), /Run a already has a scope/);
  assert.equal(registry.remove("a"), a);
  assert.equal(registry.get(a.token), undefined);
  assert.equal(registry.remove("a"), undefined);
  assert.equal(a.aborted, false, "a scope with nothing in flight is not marked aborted");
});

Deno.test("ScopeRegistry.remove() aborts calls still in flight", async () => {
  const registry = new ScopeRegistry();
  const scope = registry.create({ runId: "r" });
  const started = Promise.withResolvers<void>();
  const pending = scope.call("a", "b", {}, () => (started.resolve(), new Promise(() => {})));
  await started.promise;
  registry.remove("r");
  await assert.rejects(pending, /\[ABORTED\] run ended/);
});

Deno.test("RunScope.call() refuses a guarded call to a server whose tool schemas are unknown; forwards the rest", async () => {
  const asked: [string, boolean][] = [];
  const scope = new RunScope({
    guards: { "down/drive": { properties: { speed: { maximum: 0.5 } } } },
    inputSchema: () => undefined,
    schemaUnknown: (server, tool, guarded) => {
      asked.push([`${server}/${tool}`, guarded]);
      return server === "down" ? "its discovery failed: boom" : undefined;
    },
  });
  await assert.rejects(
    scope.call("down", "drive", { speed: 0.1 }, ok),
    (err: unknown) =>
      err instanceof CallDeniedError &&
      /down\.drive is guarded, but down's tool schemas are unknown \(its discovery failed: boom\), so the guard cannot be enforced reliably/
        .test(err.message),
  );
  assert.deepEqual(await scope.call("down", "ping", {}, ok), OK);
  assert.deepEqual(await scope.call("up", "drive", {}, ok), OK);
  assert.deepEqual(asked, [["down/drive", true], ["down/ping", false], ["up/drive", false]]);
});
