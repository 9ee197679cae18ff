import assert from "node:assert/strict";
import { UpstreamError } from "../errors.ts";
import { fakeCatalog } from "./_fake_source.ts";
import { harness, TOOLS } from "./_harness.ts";

const ROS = "ros-mcp-server";

async function answer(res: Response): Promise<[number, Record<string, unknown>]> {
  assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
  return [res.status, await res.json()];
}

Deno.test("createIpcApp() forwards a call and answers its content once (the runtime decodes it)", async () => {
  const h = harness();
  const [status, body] = await answer(await h.call({ server: ROS, tool: "get_pose", arguments: { frame: "base" } }));
  assert.equal(status, 200);
  assert.deepEqual(body, { success: true, content: [{ type: "text", text: '{"ok": true}' }] });
  assert.equal(h.source.calls.length, 1);
  assert.deepEqual(h.source.calls[0]?.args, { frame: "base" });
  assert.ok(h.source.calls[0]?.signal instanceof AbortSignal);
  assert.equal(h.scope.callsMade, 1);
});

Deno.test("createIpcApp() answers structuredContent when present", async () => {
  const h = harness();
  h.source.handler = () => Promise.resolve({ content: [{ type: "text", text: "x: 1" }], structuredContent: { x: 1 } });
  const [status, body] = await answer(await h.call({ server: ROS, tool: "get_pose", arguments: {} }));
  assert.equal(status, 200);
  assert.equal(body.result, undefined);
  assert.deepEqual(body.structuredContent, { x: 1 });
});

Deno.test("createIpcApp() treats missing or null arguments as an empty object", async () => {
  const h = harness();
  assert.equal((await h.call({ server: ROS, tool: "stop" })).status, 200);
  assert.equal((await h.call({ server: ROS, tool: "stop", arguments: null })).status, 200);
  assert.deepEqual(h.source.calls.map((c) => c.args), [{}, {}]);
});

Deno.test("createIpcApp() answers a tool error with isError and the joined text", async () => {
  const h = harness();
  h.source.handler = () =>
    Promise.resolve({
      isError: true,
      content: [{ type: "text", text: "gripper jammed" }, { type: "image", data: "AA==", mimeType: "image/png" }, {
        type: "text",
        text: "retry later",
      }],
    });
  const [status, body] = await answer(await h.call({ server: ROS, tool: "move_to_grasp", arguments: {} }));
  assert.equal(status, 200);
  assert.equal(body.success, false);
  assert.equal(body.isError, true);
  assert.equal(body.error, "gripper jammed\nretry later");
  assert.equal((body.content as unknown[]).length, 3);
});

Deno.test("createIpcApp() answers 400 naming the bad field", async () => {
  const h = harness();
  const cases: [unknown, RegExp][] = [
    ["{not json", /request body is not JSON/],
    ["[1, 2]", /must be a JSON object/],
    [{ tool: "stop" }, /field "server" must be a non-empty string/],
    [{ server: ROS, tool: "" }, /field "tool" must be a non-empty string/],
    [{ server: ROS, tool: "stop", arguments: [1] }, /field "arguments" must be an object/],
    [{ server: ROS, tool: "stop", arguments: "x" }, /field "arguments" must be an object/],
  ];
  for (const [sent, message] of cases) {
    const [status, body] = await answer(await h.call(sent));
    assert.equal(status, 400, String(sent));
    assert.equal(body.success, false);
    assert.match(String(body.error), message);
  }
  assert.equal(h.source.calls.length, 0);
});

Deno.test("createIpcApp() answers 404 with a did-you-mean for a misspelt tool", async () => {
  const h = harness();
  const [status, body] = await answer(await h.call({ server: ROS, tool: "move_to_grsp", arguments: {} }));
  assert.equal(status, 404);
  assert.deepEqual(body, {
    success: false,
    error: "unknown tool ros-mcp-server.move_to_grsp; did you mean move_to_grasp?",
  });
});

Deno.test("createIpcApp() lists some of the server's tools when no tool name is close", async () => {
  const h = harness();
  const [status, body] = await answer(await h.call({ server: ROS, tool: "launch_rocket", arguments: {} }));
  assert.equal(status, 404);
  assert.equal(
    body.error,
    "unknown tool ros-mcp-server.launch_rocket; ros-mcp-server has: move_to_grasp, stop, get_pose, set_velocity",
  );
});

Deno.test("createIpcApp() answers 404 listing the servers for an unknown server", async () => {
  const h = harness();
  const [status, body] = await answer(await h.call({ server: "gazebo", tool: "spawn", arguments: {} }));
  assert.equal(status, 404);
  assert.equal(body.error, 'unknown server "gazebo" (servers: ros-mcp-server, isaac-sim)');
  const [, near] = await answer(await h.call({ server: "isaac_sim", tool: "reset", arguments: {} }));
  assert.equal(near.error, 'unknown server "isaac_sim"; did you mean "isaac-sim"?');
});

Deno.test("createIpcApp() forwards calls the catalog cannot judge", async () => {
  // No catalog yet, a server whose discovery failed, and a server only the source knows.
  const h = harness({ catalog: undefined });
  assert.equal((await h.call({ server: ROS, tool: "anything", arguments: {} })).status, 200);
  h.setCatalog(fakeCatalog({ "isaac-sim": TOOLS["isaac-sim"]! }, [ROS]));
  assert.equal((await h.call({ server: ROS, tool: "anything", arguments: {} })).status, 200);
  h.setCatalog(fakeCatalog({ "isaac-sim": TOOLS["isaac-sim"]! }));
  assert.equal((await h.call({ server: ROS, tool: "stop", arguments: {} })).status, 200);
  assert.equal(h.source.calls.length, 3);
});

Deno.test("createIpcApp() answers 403 denied for a tool outside the allow list, and deny wins", async () => {
  const h = harness({ scope: { allow: [`${ROS}/*`], deny: [`${ROS}/set_*`] } });
  const [s1, b1] = await answer(await h.call({ server: "isaac-sim", tool: "reset", arguments: {} }));
  assert.equal(s1, 403);
  assert.deepEqual(b1, { success: false, error: "isaac-sim.reset is not in the config's allowed tools", denied: true });
  const [s2, b2] = await answer(await h.call({ server: ROS, tool: "set_velocity", arguments: {} }));
  assert.equal(s2, 403);
  assert.equal(b2.error, "ros-mcp-server.set_velocity is denied in this run");
  assert.equal((await h.call({ server: ROS, tool: "stop", arguments: {} })).status, 200);
  assert.equal(h.source.calls.length, 1);
  assert.equal(h.scope.denied, 2);
});

Deno.test("createIpcApp() answers 403 once the call budget is spent", async () => {
  const h = harness({ scope: { maxCalls: 2 } });
  for (let i = 0; i < 2; i++) assert.equal((await h.call({ server: ROS, tool: "stop", arguments: {} })).status, 200);
  const [status, body] = await answer(await h.call({ server: ROS, tool: "stop", arguments: {} }));
  assert.equal(status, 403);
  assert.equal(body.denied, true);
  assert.equal(body.error, "call budget spent: this run may make 2 tool calls");
  assert.equal(h.source.calls.length, 2);
});

Deno.test("createIpcApp() answers 403 with the guard's limit in words", async () => {
  const guards = {
    [`${ROS}/set_velocity`]: {
      type: "object",
      properties: { linear: { type: "array", items: { type: "number", maximum: 0.5 } } },
    },
  };
  const h = harness({ scope: { guards } });
  const [status, body] = await answer(
    await h.call({ server: ROS, tool: "set_velocity", arguments: { linear: [0.9, 0, 0] } }),
  );
  assert.equal(status, 403);
  assert.deepEqual(body, { success: false, error: "argument linear[0] must be <= 0.5 (got 0.9)", denied: true });
  assert.equal((await h.call({ server: ROS, tool: "set_velocity", arguments: { linear: [0.4] } })).status, 200);
  assert.equal(h.source.calls.length, 1);
});

Deno.test("createIpcApp() asks for approval and answers 403 with the refusal reason", async () => {
  const asked: string[] = [];
  const h = harness({
    scope: {
      confirmTools: [`${ROS}/move_*`],
      confirm: (server, tool, args) => {
        asked.push(`${server}.${tool}`);
        return Promise.resolve(args.ok === true ? true : args.ok === false ? false : "operator said no");
      },
    },
  });
  const approved = await h.call({ server: ROS, tool: "move_to_grasp", arguments: { ok: true } });
  assert.equal(approved.status, 200);
  const [s1, b1] = await answer(await h.call({ server: ROS, tool: "move_to_grasp", arguments: {} }));
  assert.deepEqual([s1, b1], [403, { success: false, error: "operator said no", denied: true }]);
  const [, b2] = await answer(await h.call({ server: ROS, tool: "move_to_grasp", arguments: { ok: false } }));
  assert.equal(b2.error, "ros-mcp-server.move_to_grasp was not approved");
  assert.equal((await h.call({ server: ROS, tool: "stop", arguments: {} })).status, 200);
  assert.deepEqual(asked, Array(3).fill(`${ROS}.move_to_grasp`));
  assert.equal(h.scope.callsMade, 2, "refused approvals give their budget back");
});

Deno.test("createIpcApp() answers 409 once the run is aborted", async () => {
  const h = harness();
  h.scope.abort("user pressed Ctrl-C");
  const [status, body] = await answer(await h.call({ server: ROS, tool: "stop", arguments: {} }));
  assert.equal(status, 409);
  assert.deepEqual(body, { success: false, error: "[ABORTED] user pressed Ctrl-C", aborted: true });
  assert.equal(h.source.calls.length, 0);
});

Deno.test("createIpcApp() cancels an in-flight call on abort and answers 409", async () => {
  const h = harness();
  const started = Promise.withResolvers<void>();
  h.source.handler = (_s, _t, _a, opts) =>
    new Promise((_resolve, reject) => {
      started.resolve();
      (opts?.signal ?? opts?.cancel?.signal)?.addEventListener("abort", () => reject(new Error("cancelled by signal")));
    });
  const pending = h.call({ server: ROS, tool: "move_to_grasp", arguments: {} });
  await started.promise;
  assert.equal(h.scope.inFlight, 1);
  h.scope.abort("timeout after 30 s");
  const [status, body] = await answer(await pending);
  assert.equal(status, 409);
  assert.deepEqual(body, { success: false, error: "[ABORTED] timeout after 30 s", aborted: true });
  assert.equal(h.source.calls[0]?.signal?.aborted, true);
  assert.equal(h.source.calls[0]?.signal?.reason, "timeout after 30 s");
  assert.equal(h.scope.inFlight, 0);
});

Deno.test("createIpcApp() answers 409 on abort even when the source ignores the signal", async () => {
  const h = harness();
  const started = Promise.withResolvers<void>();
  h.source.handler = () => {
    started.resolve();
    return new Promise(() => {});
  };
  const pending = h.call({ server: ROS, tool: "move_to_grasp", arguments: {} });
  await started.promise;
  h.scope.abort("user cancelled");
  assert.equal((await pending).status, 409);
});

Deno.test("createIpcApp() answers 502 upstream for an UpstreamError, naming the server once", async () => {
  const h = harness();
  h.source.handler = (server) => Promise.reject(new UpstreamError(server, "server exited with code 1"));
  const [status, body] = await answer(await h.call({ server: ROS, tool: "stop", arguments: {} }));
  assert.equal(status, 502);
  assert.deepEqual(body, { success: false, error: "ros-mcp-server: server exited with code 1", upstream: true });
  h.source.handler = (server) => Promise.reject(new UpstreamError(server, `${server}: timed out after 30 s`));
  const [, again] = await answer(await h.call({ server: ROS, tool: "stop", arguments: {} }));
  assert.equal(again.error, "ros-mcp-server: timed out after 30 s");
});

Deno.test("createIpcApp() answers 500 JSON for any other failure", async () => {
  const h = harness();
  h.source.handler = () => Promise.reject(new TypeError("boom"));
  const [status, body] = await answer(await h.call({ server: ROS, tool: "stop", arguments: {} }));
  assert.equal(status, 500);
  assert.deepEqual(body, { success: false, error: "internal error calling ros-mcp-server.stop: boom" });
});

Deno.test("createIpcApp() answers 413 for a body over the limit, with Content-Length", async () => {
  const h = harness({ deps: { maxBodyBytes: 64 } });
  const big = JSON.stringify({ server: ROS, tool: "stop", arguments: { pad: "x".repeat(100) } });
  const [status, body] = await answer(await h.call(big, { "content-length": String(big.length) }));
  assert.equal(status, 413);
  assert.deepEqual(body, { success: false, error: "request body is larger than 64 bytes" });
  const small = JSON.stringify({ server: ROS, tool: "stop" });
  assert.equal((await h.call(small, { "content-length": String(small.length) })).status, 200);
});

Deno.test("createIpcApp() answers 413 for a chunked body over the limit and stops reading it", async () => {
  const h = harness({ deps: { maxBodyBytes: 1024 } });
  let pulled = 0;
  const chunk = new TextEncoder().encode(" ".repeat(256));
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled++;
      if (pulled > 1000) controller.close();
      else controller.enqueue(chunk);
    },
  });
  const res = await h.app.request("/call_tool", {
    method: "POST",
    headers: { authorization: `Bearer ${h.scope.token}` },
    body: stream,
  });
  const [status, body] = await answer(res);
  assert.equal(status, 413);
  assert.equal(body.success, false);
  assert.ok(pulled < 10, `read ${pulled} chunks`);
});

Deno.test("createIpcApp() reads a chunked body under the limit", async () => {
  const h = harness();
  const parts = ['{"server": "ros-mcp-', 'server", "tool": "st', 'op", "arguments": {"é": 1}}'];
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const p of parts) controller.enqueue(new TextEncoder().encode(p));
      controller.close();
    },
  });
  const res = await h.app.request("/call_tool", {
    method: "POST",
    headers: { authorization: `Bearer ${h.scope.token}` },
    body: stream,
  });
  assert.equal(res.status, 200);
  assert.deepEqual(h.source.calls[0]?.args, { "é": 1 });
});

Deno.test("createIpcApp() answers arguments that do not match the inputSchema as a tool error, never sent", async () => {
  const schema = { type: "object", properties: { linear: { type: "array", items: { type: "number" } } } };
  const h = harness({ scope: { inputSchema: (s, t) => s === ROS && t === "set_velocity" ? schema : undefined } });
  const [status, body] = await answer(
    await h.call({ server: ROS, tool: "set_velocity", arguments: { linear: ["0.9", 0, 0] } }),
  );
  assert.equal(status, 200);
  assert.equal(body.success, false);
  assert.match(
    JSON.stringify(body),
    /invalid arguments for ros-mcp-server\.set_velocity: argument linear\[0\] must be number/,
  );
  assert.equal(h.source.calls.length, 0);
  assert.equal(h.scope.callsMade, 0);
});

Deno.test("createIpcApp() discovers a server a lazy catalog left out before checking its first call", async () => {
  const lazy = { servers: fakeCatalog(TOOLS).servers.filter((s) => s.server !== "isaac-sim") };
  const asked: string[] = [];
  const h = harness({
    catalog: lazy,
    deps: {
      ensureServer: (server) => {
        asked.push(server);
        h.setCatalog(fakeCatalog(TOOLS));
        return Promise.resolve();
      },
    },
  });
  assert.equal((await h.call({ server: "isaac-sim", tool: "step" })).status, 200);
  assert.equal((await h.call({ server: "isaac-sim", tool: "nope" })).status, 404);
  assert.equal((await h.call({ server: ROS, tool: "stop" })).status, 200);
  assert.deepEqual(asked, ["isaac-sim"]);
});

Deno.test("createIpcApp() discovers a server whose discovery failed again before checking a call to it", async () => {
  const failed = {
    servers: fakeCatalog(TOOLS).servers.map((s) =>
      s.server === "isaac-sim" ? { ...s, status: "failed" as const, tools: [], error: "boom" } : s
    ),
  };
  const asked: string[] = [];
  const h = harness({
    catalog: failed,
    deps: {
      ensureServer: (server) => {
        asked.push(server);
        h.setCatalog(fakeCatalog(TOOLS));
        return Promise.resolve();
      },
    },
  });
  assert.equal((await h.call({ server: "isaac-sim", tool: "nope" })).status, 404);
  assert.equal((await h.call({ server: "isaac-sim", tool: "step" })).status, 200);
  assert.deepEqual(asked, ["isaac-sim"]);
});
