/**
 * The direct `POST /call_tool` route (answered without Request/Response, as Bun serves it) gives the
 * same bytes as the Hono app for the same requests, both behind the shim's HTTP/1.1 connection.
 */
import assert from "node:assert/strict";
import { Http1Connection } from "../runtime/http1.ts";
import { keepRawResult, rawResultOf } from "../sources/raw_result.ts";
import { fakeCatalog, FakeSource } from "./_fake_source.ts";
import { TOOLS } from "./_harness.ts";
import { createIpcShim, type IpcAppDeps } from "./app.ts";
import { ScopeRegistry } from "./scope.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const ROS = "ros-mcp-server";

function shim(deps: Partial<IpcAppDeps> = {}) {
  const source = new FakeSource(TOOLS);
  const registry = new ScopeRegistry();
  const catalog = fakeCatalog(TOOLS);
  const { app, direct } = createIpcShim({ registry, source, catalog: () => catalog, maxBodyBytes: 256, ...deps });
  return { source, registry, app, direct };
}

/** Sends `request` on a fresh connection (with the direct route or without) and returns what came back. */
async function exchange(s: ReturnType<typeof shim>, useDirect: boolean, request: string): Promise<string> {
  let out = "";
  const conn = new Http1Connection(
    s.app.fetch,
    {
      write: (b) => void (out += dec.decode(b)),
      end: () => {},
    },
    undefined,
    undefined,
    useDirect ? s.direct : undefined,
  );
  conn.push(enc.encode(request));
  for (let i = 0; i < 5000 && !out.includes("\r\n\r\n"); i++) await new Promise((r) => setTimeout(r, 1));
  const head = out.slice(0, out.indexOf("\r\n\r\n"));
  const length = Number(/content-length: (\d+)/i.exec(head)?.[1]);
  for (let i = 0; i < 5000 && enc.encode(out).length < enc.encode(head).length + 4 + length; i++) {
    await new Promise((r) => setTimeout(r, 1));
  }
  return out;
}

function post(body: string, headers: Record<string, string>, target = "/call_tool"): string {
  let h = "";
  for (const [k, v] of Object.entries(headers)) h += `${k}: ${v}\r\n`;
  return `POST ${target} HTTP/1.1\r\nHost: localhost\r\n${h}Content-Length: ${enc.encode(body).length}\r\n\r\n${body}`;
}

/** Both answers of one request: identical, with the status expected. */
async function same(s: ReturnType<typeof shim>, request: string, status: number): Promise<string> {
  const viaApp = await exchange(s, false, request);
  const viaDirect = await exchange(s, true, request);
  assert.equal(viaDirect, viaApp);
  assert.match(viaApp, new RegExp(`^HTTP/1\\.1 ${status} `), viaApp);
  return viaApp;
}

Deno.test("createIpcShim() direct route answers every case byte for byte as the Hono app", async () => {
  const s = shim();
  const scope = s.registry.create({ deny: [`${ROS}/stop`] });
  const auth = { authorization: `Bearer ${scope.token}`, "content-type": "application/json" };
  const call = (tool: string, args: unknown = {}) => JSON.stringify({ server: ROS, tool, arguments: args });
  assert.match(await same(s, post(call("get_pose"), auth), 200), /"success":true/);
  s.source.handler = () =>
    Promise.resolve({ content: [{ type: "text", text: "jammed ✋" }], isError: true, structuredContent: { a: 1 } });
  await same(s, post(call("get_pose"), auth), 200);
  s.source.handler = () =>
    Promise.resolve({ content: [{ type: "text", text: "ünïcode" }], structuredContent: { x: 1 } });
  await same(s, post(call("get_pose", { q: "ä" }), { ...auth }, "/call_tool?x=1"), 200);
  await same(s, post(call("get_pose"), {}), 401);
  await same(s, post(call("get_pose"), { authorization: "Bearer nope" }), 401);
  await same(s, post(call("get_pose"), { authorization: `Bearer ${scope.token}`, Authorization: "Bearer x" }), 401);
  assert.match(await same(s, post(call("stop"), auth), 403), /"denied":true/);
  assert.match(await same(s, post(call("get_pse"), auth), 404), /did you mean/i);
  assert.match(await same(s, post(call("get_pose", { pad: "x".repeat(300) }), auth), 413), /larger than 256/);
  assert.match(await same(s, post("{not json", auth), 400), /not JSON/);
  await same(s, post("[1]", auth), 400);
  await same(s, post(JSON.stringify({ server: ROS, tool: "" }), auth), 400);
  s.source.handler = () => Promise.reject(new Error("boom"));
  await same(s, post(call("get_pose"), auth), 500);
  scope.abort("stopped by the test");
  assert.match(await same(s, post(call("get_pose"), auth), 409), /"aborted":true/);
  assert.ok(s.source.calls.length > 0);
});

Deno.test("createIpcShim() direct route answers a call cut short by the run's abort as the Hono app", async () => {
  for (const useDirect of [false, true]) {
    const s = shim();
    const scope = s.registry.create();
    s.source.handler = () => new Promise(() => {});
    const auth = { authorization: `Bearer ${scope.token}` };
    const pending = exchange(s, useDirect, post(JSON.stringify({ server: ROS, tool: "get_pose" }), auth));
    for (let i = 0; i < 5000 && s.source.calls.length === 0; i++) await new Promise((r) => setTimeout(r, 1));
    scope.abort("the user pressed stop");
    const out = await pending;
    assert.match(out, /^HTTP\/1\.1 409 /);
    assert.match(out, /"aborted":true/);
  }
});

Deno.test("createIpcShim() direct route checks Host and Origin on TCP as the Hono app", async () => {
  const s = shim({ tcp: true });
  const scope = s.registry.create();
  const auth = { authorization: `Bearer ${scope.token}` };
  const body = JSON.stringify({ server: ROS, tool: "get_pose" });
  await same(s, post(body, auth), 200);
  await same(s, post(body, { ...auth, Origin: "http://evil.example" }), 403);
  await same(s, post(body, { ...auth, Origin: "http://localhost:8080" }), 200);
  const rebind = post(body, auth).replace("Host: localhost", "Host: evil.example");
  assert.match(await same(s, rebind, 403), /Host evil\.example is not allowed/);
  // HTTP/1.0 may leave Host out: both fall back to the connection's origin.
  const old = post(body, auth).replace("HTTP/1.1\r\nHost: localhost\r\n", "HTTP/1.0\r\n");
  await same(s, old, 200);
});

Deno.test("createIpcShim() sends a result's kept bytes on: the same answer as writing the result out", async () => {
  const line = JSON.stringify({
    jsonrpc: "2.0",
    id: 3,
    result: { content: [{ type: "text", text: 'big ✋ "text"' }], structuredContent: { n: 1 } },
  });
  const fresh = () => {
    const result = JSON.parse(line).result;
    keepRawResult(result, enc.encode(line));
    assert.ok(rawResultOf(result) !== undefined);
    return Promise.resolve(result);
  };
  const s = shim();
  const scope = s.registry.create();
  const auth = { authorization: `Bearer ${scope.token}` };
  const request = post(JSON.stringify({ server: ROS, tool: "get_pose" }), auth);
  s.source.handler = fresh;
  const spliced = await same(s, request, 200);
  s.source.handler = () => Promise.resolve(JSON.parse(line).result);
  const written = await exchange(s, true, request);
  const bodyOf = (out: string) => JSON.parse(out.slice(out.indexOf("\r\n\r\n") + 4));
  assert.deepEqual(bodyOf(spliced), bodyOf(written));
  assert.deepEqual(bodyOf(spliced), { success: true, ...JSON.parse(line).result });
});
