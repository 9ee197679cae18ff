import assert from "node:assert/strict";
import { convertResult } from "../ipc/result.ts";
import { createIpcApp } from "../ipc/app.ts";
import { ScopeRegistry } from "../ipc/scope.ts";
import { UpstreamAbortedError, UpstreamDeniedError, UpstreamError } from "../errors.ts";
import { startClientIpcDouble, unreachableUrl } from "../../tests/fixtures/client_ipc_double.ts";
import { ClientIpc } from "./client_ipc.ts";

Deno.test("ClientIpc lists the client's servers and their tools", async () => {
  const double = await startClientIpcDouble();
  const ipc = new ClientIpc({ url: double.url });
  try {
    await ipc.load();
    assert.deepEqual(ipc.serverNames(), ["robot", "camera"]);
    const tools = await ipc.listTools("robot");
    const move = tools.find((t) => t.name === "move")!;
    assert.equal(move.description, "Move the arm to x.");
    assert.deepEqual(move.inputSchema.required, ["x"]);
    assert.equal(ipc.origin, "client-ipc");
  } finally {
    await ipc.close();
    await double.close();
  }
});

Deno.test("ClientIpc.listTools for every server at once makes one GET /list_tools", async () => {
  const double = await startClientIpcDouble();
  const ipc = new ClientIpc({ url: double.url });
  try {
    await Promise.all([ipc.load(), ipc.listTools("robot"), ipc.listTools("camera")]);
    assert.equal(double.listRequests(), 1);
  } finally {
    await ipc.close();
    await double.close();
  }
});

Deno.test("ClientIpc retries GET /list_tools while the client is still connecting", async () => {
  const double = await startClientIpcDouble({ notReadyFor: 3 });
  const ipc = new ClientIpc({ url: double.url, connectWaitMs: 10_000 });
  try {
    await ipc.load();
    assert.equal(double.listRequests(), 4);
    assert.equal(ipc.serverNames().length, 2);
  } finally {
    await ipc.close();
    await double.close();
  }
});

Deno.test("ClientIpc gives up on an unreachable client within the wait and says where it looked", async () => {
  const url = unreachableUrl();
  const ipc = new ClientIpc({ url, connectWaitMs: 800 });
  const started = Date.now();
  await assert.rejects(ipc.load(), (err: Error) => {
    assert.ok(err instanceof UpstreamError);
    assert.match(err.message, new RegExp(`cannot list tools from the MCP client's IPC at ${url}: cannot reach it`));
    assert.match(err.message, /attempts over 1 s/);
    return true;
  });
  assert.ok(Date.now() - started < 10_000);
});

Deno.test("ClientIpc stops at once on a list_tools answer that is not JSON", async () => {
  const double = await startClientIpcDouble({ listMode: "html" });
  const ipc = new ClientIpc({ url: double.url, connectWaitMs: 30_000 });
  try {
    await assert.rejects(ipc.load(), /HTTP 200 with a body that is not JSON: "<html>/);
    assert.equal(double.listRequests(), 1);
  } finally {
    await ipc.close();
    await double.close();
  }
});

Deno.test("ClientIpc.callTool results reach the policy as the client's result, unchanged", async () => {
  const double = await startClientIpcDouble();
  const ipc = new ClientIpc({ url: double.url });
  try {
    await ipc.load();
    const move = await ipc.callTool("robot", "move", { x: 3 });
    assert.deepEqual(convertResult(move), { moved: 3, success: true });
    assert.deepEqual(move.structuredContent, { moved: 3, success: true });
    assert.equal(convertResult(await ipc.callTool("robot", "say", { text: "hello" })), "hello");
    assert.equal(convertResult(await ipc.callTool("robot", "say", { text: "42" })), "42");
    assert.equal(convertResult(await ipc.callTool("robot", "count", {})), 42);
    assert.deepEqual(double.calls[0], { server: "robot", tool: "move", arguments: { x: 3 } });
  } finally {
    await ipc.close();
    await double.close();
  }
});

Deno.test("ClientIpc.callTool maps blocked, exhausted, failed and aborted answers", async () => {
  const double = await startClientIpcDouble();
  const ipc = new ClientIpc({ url: double.url });
  try {
    await assert.rejects(ipc.callTool("robot", "disabled_tool", {}), (e: Error) => {
      assert.ok(e instanceof UpstreamDeniedError);
      assert.match(e.message, /disabled by the user/);
      return true;
    });
    await assert.rejects(ipc.callTool("robot", "budget_tool", {}), (e: Error) => {
      assert.ok(e instanceof UpstreamDeniedError);
      assert.match(e.message, /the MCP client's call budget is spent: Tool call budget exhausted \(5\/5\)/);
      return true;
    });
    const crash = await ipc.callTool("robot", "crash", {});
    assert.equal(crash.isError, true);
    assert.deepEqual(crash.content, [{ type: "text", text: "ValueError: no grasp for object 'gear'" }]);
    await assert.rejects(ipc.callTool("robot", "user_abort", {}), (e: Error) => {
      assert.ok(e instanceof UpstreamAbortedError);
      assert.equal(e.message, "[ABORTED] User cancelled operation");
      return true;
    });
  } finally {
    await ipc.close();
    await double.close();
  }
});

Deno.test("the shim answers a client abort with 409 and aborts the whole run's scope", async () => {
  const double = await startClientIpcDouble();
  const ipc = new ClientIpc({ url: double.url });
  const registry = new ScopeRegistry();
  const scope = registry.create();
  const app = createIpcApp({ registry, source: ipc, catalog: () => undefined });
  const call = (tool: string) =>
    app.request("/call_tool", {
      method: "POST",
      headers: { authorization: `Bearer ${scope.token}`, "content-type": "application/json" },
      body: JSON.stringify({ server: "robot", tool, arguments: {} }),
    });
  try {
    await ipc.load();
    const denied = await call("disabled_tool");
    assert.equal(denied.status, 403);
    assert.equal((await denied.json()).denied, true);
    const aborted = await call("user_abort");
    assert.equal(aborted.status, 409);
    assert.deepEqual(await aborted.json(), {
      success: false,
      error: "[ABORTED] User cancelled operation",
      aborted: true,
    });
    assert.equal(scope.aborted, true);
    assert.match(scope.abortReason!, /the MCP client aborted: User cancelled operation/);
    const after = await call("move");
    assert.equal(after.status, 409);
    assert.equal(double.calls.filter((c) => c.tool === "move").length, 0);
  } finally {
    await ipc.close();
    await double.close();
  }
});
