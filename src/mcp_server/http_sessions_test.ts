import assert from "node:assert/strict";
import type { JSONRPCMessage, Transport } from "../deps/mcp_sdk.ts";
import { SessionTable } from "./http_sessions.ts";

function table(maxSessions: number, idleMs = 1000) {
  let clock = 0;
  const closed: string[] = [];
  const t = new SessionTable<{ close: () => Promise<void> }>({ maxSessions, idleMs, now: () => clock });
  const add = (id: string) => t.add(id, { close: () => Promise.resolve(void closed.push(id)) });
  return { t, add, closed, tick: (ms: number) => clock += ms };
}

/** A transport whose messages the test drives: `receive` is the client's side, `send` the server's. */
function fakeTransport(): Transport & { receive: (m: JSONRPCMessage) => void } {
  const transport = {
    start: () => Promise.resolve(),
    close: () => Promise.resolve(),
    send: () => Promise.resolve(),
    onmessage: (_m: JSONRPCMessage) => {},
    receive: (m: JSONRPCMessage) => transport.onmessage(m),
  };
  return transport as unknown as Transport & { receive: (m: JSONRPCMessage) => void };
}

Deno.test("SessionTable at the cap closes an abandoned session before a live one, the idlest first", async () => {
  const { t, add, closed, tick } = table(3, 3_600_000);
  add("live-old");
  t.streamOpened("live-old");
  tick(10);
  add("gone-1");
  tick(10);
  add("gone-2");
  assert.equal(await t.makeRoom(), true);
  assert.deepEqual(closed, ["gone-1"]);
  add("new");
  assert.equal(await t.makeRoom(), true);
  assert.deepEqual(closed, ["gone-1", "gone-2"]);
  t.streamOpened("new");
  tick(10);
  add("new-2");
  t.streamOpened("new-2");
  // Every client live now: the one idle longest goes.
  assert.equal(await t.makeRoom(), true);
  assert.deepEqual(closed, ["gone-1", "gone-2", "live-old"]);
});

Deno.test("SessionTable never closes a session with a request in flight; a cancel or an answer ends it", async () => {
  const { t, add, closed, tick } = table(1);
  add("s");
  const transport = fakeTransport();
  t.watch(() => "s", transport);
  transport.receive({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "x" } });
  tick(10_000);
  await t.sweep();
  assert.equal(await t.makeRoom(), false);
  assert.deepEqual(t.inflight("s"), [1]);
  transport.receive({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 1 } });
  assert.deepEqual(t.inflight("s"), []);
  transport.receive({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "x" } });
  await transport.send({ jsonrpc: "2.0", id: 2, result: {} });
  assert.deepEqual(t.inflight("s"), []);
  assert.deepEqual(closed, []);
  tick(1000);
  await t.sweep();
  assert.deepEqual(closed, ["s"]);
});
