import assert from "node:assert/strict";
import { harness } from "./_harness.ts";

async function answer(res: Response): Promise<[number, Record<string, unknown>]> {
  assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
  return [res.status, await res.json()];
}

Deno.test("createIpcApp() answers 401 without a token", async () => {
  const h = harness();
  for (const path of ["/health", "/list_tools"]) {
    const [status, body] = await answer(await h.app.request(path));
    assert.equal(status, 401);
    assert.deepEqual(body, { success: false, error: "missing Authorization: Bearer <run token>" });
  }
  const res = await h.app.request("/call_tool", { method: "POST", body: "{}" });
  assert.equal(res.status, 401);
  assert.equal(h.source.calls.length, 0);
});

Deno.test("createIpcApp() answers 401 for a wrong, malformed or removed token", async () => {
  const h = harness();
  for (const authorization of ["Bearer nope", `Basic ${h.scope.token}`, "Bearer", h.scope.token]) {
    const [status, body] = await answer(await h.app.request("/health", { headers: { authorization } }));
    assert.equal(status, 401, authorization);
    assert.equal(body.error, "invalid or expired run token");
  }
  assert.equal((await h.get("/health")).status, 200);
  h.registry.remove(h.scope.runId);
  assert.equal((await h.get("/health")).status, 401);
});

Deno.test("createIpcApp() answers /health with status ok and accepts a lower-case scheme", async () => {
  const h = harness();
  const [status, body] = await answer(await h.get("/health"));
  assert.deepEqual([status, body], [200, { status: "ok" }]);
  const res = await h.app.request("/health", { headers: { authorization: `bearer ${h.scope.token}` } });
  assert.equal(res.status, 200);
});

Deno.test("createIpcApp() on TCP refuses a Host or Origin that is not localhost", async () => {
  const h = harness({ deps: { tcp: true } });
  for (const host of ["localhost", "localhost:8080", "127.0.0.1:41234", "[::1]:9", "LOCALHOST"]) {
    assert.equal((await h.get("/health", { host })).status, 200, host);
  }
  for (const host of ["evil.example", "localhost.evil.example", "127.0.0.2", "localhost:80:80"]) {
    const [status, body] = await answer(await h.get("/health", { host }));
    assert.equal(status, 403, host);
    assert.equal(body.error, `Host ${host} is not allowed: orch IPC answers only localhost`);
  }
  assert.equal((await h.get("/health", { host: "localhost", origin: "http://localhost:3000" })).status, 200);
  for (const origin of ["https://evil.example", "null", "http://localhost.evil.example"]) {
    const [status, body] = await answer(await h.get("/health", { host: "localhost", origin }));
    assert.equal(status, 403, origin);
    assert.equal(body.error, `Origin ${origin} is not allowed: orch IPC answers only localhost`);
  }
  const res = await h.call({ server: "isaac-sim", tool: "reset" }, { host: "attacker.example" });
  assert.equal(res.status, 403);
  assert.equal(h.source.calls.length, 0);
});

Deno.test("createIpcApp() on a Unix socket does not check Host", async () => {
  const h = harness();
  assert.equal((await h.get("/health", { host: "anything.example", origin: "https://x.example" })).status, 200);
});

Deno.test("createIpcApp() lists only the tools the scope allows", async () => {
  const h = harness({ scope: { allow: ["ros-mcp-server/*", "isaac-sim/step"], deny: ["*/stop"] } });
  const [status, body] = await answer(await h.get("/list_tools"));
  assert.equal(status, 200);
  assert.equal(body.success, true);
  const servers = body.servers as Record<string, { name: string; description: string; input_schema: unknown }[]>;
  assert.deepEqual(Object.keys(servers), ["ros-mcp-server", "isaac-sim"]);
  assert.deepEqual(servers["ros-mcp-server"]?.map((t) => t.name), ["move_to_grasp", "get_pose", "set_velocity"]);
  assert.deepEqual(servers["isaac-sim"], [
    { name: "step", description: "step does things", input_schema: { type: "object", properties: {} } },
  ]);
  assert.equal(body.total_servers, 2);
  assert.equal(body.total_tools, 4);
});

Deno.test("createIpcApp() leaves out servers with no allowed tool", async () => {
  const h = harness({ scope: { allow: ["isaac-sim"] } });
  const [, body] = await answer(await h.get("/list_tools"));
  assert.deepEqual(Object.keys(body.servers as object), ["isaac-sim"]);
  assert.equal(body.total_tools, 2);
});

Deno.test("createIpcApp() lists tools from the source before the catalog exists", async () => {
  const h = harness({ catalog: undefined });
  const [status, body] = await answer(await h.get("/list_tools"));
  assert.equal(status, 200);
  assert.equal(body.total_servers, 2);
  assert.equal(body.total_tools, 6);
});

Deno.test("createIpcApp() answers unknown routes and wrong methods with JSON", async () => {
  const h = harness();
  const [s1, b1] = await answer(await h.get("/nope"));
  assert.deepEqual([s1, b1], [404, { success: false, error: "no route GET /nope" }]);
  const res = await h.get("/call_tool");
  const [s2, b2] = await answer(res);
  assert.deepEqual([s2, b2], [405, { success: false, error: "/call_tool takes POST, not GET" }]);
  assert.equal(res.headers.get("allow"), "POST");
});

Deno.test("createIpcApp() answers an unexpected throw with a JSON 500", async () => {
  const h = harness();
  h.setCatalog({
    get servers(): never {
      throw new RangeError("catalog exploded");
    },
  });
  const [status, body] = await answer(await h.call({ server: "isaac-sim", tool: "reset" }));
  assert.deepEqual([status, body], [500, { success: false, error: "internal error: catalog exploded" }]);
});
