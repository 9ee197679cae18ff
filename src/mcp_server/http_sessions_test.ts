import assert from "node:assert/strict";
import type { JSONRPCMessage, Transport } from "../deps/mcp_sdk.ts";
import { SessionPool } from "../executor/sessions.ts";
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

Deno.test("SessionTable never closes a session that owns a persistent session's process, idle or at the cap", async () => {
  let clock = 0;
  const closed: string[] = [];
  const pool = new SessionPool({ max: 4, idleSeconds: 3600, memoryMb: 1024 }, () => {});
  const t = new SessionTable<{ close: () => Promise<void> }>({
    maxSessions: 1,
    idleMs: 1000,
    now: () => clock,
    busy: (id) => pool.owns(id),
  });
  t.add("mcp-a", { close: () => Promise.resolve(void closed.push("mcp-a")) });
  const { worker } = pool.acquire("cell", "mcp-a");
  assert.equal(pool.owns("mcp-a"), true);
  assert.equal(pool.owns("mcp-b"), false);
  clock += 10_000;
  await t.sweep();
  assert.equal(await t.makeRoom(), false);
  assert.deepEqual(closed, []);
  // The session ended (idle, memory, an abort): the MCP session is idle like any other.
  worker.end("test over");
  await worker.finished;
  assert.equal(pool.owns("mcp-a"), false);
  await t.sweep();
  assert.deepEqual(closed, ["mcp-a"]);
});
