/** `orch serve --http`: Streamable HTTP sessions, the bearer token, and Host/Origin checks. */
import assert from "node:assert/strict";
import { request } from "node:http";
import { CallToolResultSchema } from "../../src/deps/mcp_sdk.ts";
import { robotConfig, startHttp, structured } from "./serve_helpers.ts";
import { survivors } from "./helpers.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

const INIT = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
});

/** A raw POST to /mcp with exactly these headers (node:http lets a test set Host). */
function rawPost(url: URL, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url.href, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "content-length": String(INIT.length),
        ...headers,
      },
    }, (res) => {
      let body = "";
      res.on("data", (d) => body += d);
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end(INIT);
  });
}

Deno.test("orch serve --http serves MCP sessions behind a bearer token on 127.0.0.1", opts, async (t) => {
  const cfg = robotConfig();
  const orch = await startHttp(["--config", cfg.path], { env: { ORCH_HTTP_TOKEN: undefined } });
  try {
    await t.step("it binds 127.0.0.1 and prints a generated token to stderr", () => {
      assert.equal(orch.url.hostname, "127.0.0.1");
      assert.equal(orch.url.pathname, "/mcp");
      assert.ok(orch.token.length >= 24);
    });

    await t.step("orch serve --http answers execute_composed_code with the seed's shape", async () => {
      const client = await orch.connect();
      try {
        const { tools } = await client.listTools();
        assert.equal(tools.length, 7);
        const lines: string[] = [];
        const r = await client.callTool(
          {
            name: "execute_composed_code",
            arguments: { code: "print('hello', ros_mcp_server__list_objects() is not None)" },
          },
          CallToolResultSchema,
          { onprogress: (p) => lines.push(p.message ?? ""), timeout: 60_000 },
        );
        const res = structured(r);
        assert.equal(res.status, "success", JSON.stringify(res));
        assert.equal(res.output, "hello True\n");
        // Each tool call is a progress message too (issue 11), besides the output lines.
        assert.equal(lines.length, 2, JSON.stringify(lines));
        assert.match(lines[0]!, /^ros-mcp-server\.list_objects ok \d+\.\d s$/);
        assert.equal(lines[1], "hello True");
      } finally {
        await client.close();
      }
    });

    await t.step("two sessions work at once, and DELETE ends one", async () => {
      const a = await orch.connect();
      const b = await orch.connect();
      const [ra, rb] = await Promise.all([
        a.callTool({ name: "refresh_tools", arguments: {} }),
        b.callTool({ name: "list_available_tools", arguments: {} }),
      ]);
      assert.equal(structured(ra).status, "success");
      assert.equal(structured(rb).total_servers, 3);
      const transport = a.transport as unknown as { sessionId?: string; terminateSession: () => Promise<void> };
      const sid = transport.sessionId!;
      await transport.terminateSession();
      const after = await fetch(orch.url, {
        method: "POST",
        headers: {
          authorization: `Bearer ${orch.token}`,
          "mcp-session-id": sid,
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
        },
        body: JSON.stringify({ jsonrpc: "2.0", id: 9, method: "tools/list" }),
      });
      assert.equal(after.status, 404);
      await after.body?.cancel();
      await a.close();
      await b.close();
    });

    await t.step("a request without the token gets 401, with a wrong one too", async () => {
      const none = await rawPost(orch.url, {});
      assert.equal(none.status, 401);
      assert.match(none.body, /missing Authorization: Bearer/);
      const wrong = await rawPost(orch.url, { authorization: "Bearer nope" });
      assert.equal(wrong.status, 401);
      assert.match(wrong.body, /invalid bearer token/);
    });

    await t.step("a Host or Origin that is not this machine gets 403 (DNS rebinding)", async () => {
      const auth = { authorization: `Bearer ${orch.token}` };
      const host = await rawPost(orch.url, { ...auth, host: `evil.example:${orch.url.port}` });
      assert.equal(host.status, 403);
      assert.equal(JSON.parse(host.body).error.message, 'Host "evil.example" is not allowed');
      const origin = await rawPost(orch.url, { ...auth, origin: "http://evil.example" });
      assert.equal(origin.status, 403);
      assert.equal(JSON.parse(origin.body).error.message, 'Origin "http://evil.example" is not allowed');
      const ok = await rawPost(orch.url, { ...auth, origin: `http://localhost:${orch.url.port}` });
      assert.equal(ok.status, 200);
    });

    await t.step("a request that is not initialize and has no session gets 400", async () => {
      const r = await fetch(orch.url, {
        method: "POST",
        headers: { authorization: `Bearer ${orch.token}`, "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }),
      });
      assert.equal(r.status, 400);
      await r.body?.cancel();
    });
  } finally {
    const code = await orch.stop();
    assert.equal(code, 143, orch.stderr());
  }
  assert.deepEqual(await survivors(cfg.tag), []);
});

Deno.test("orch serve --http takes its token from ORCH_HTTP_TOKEN and does not print it", opts, async () => {
  const cfg = robotConfig();
  const orch = await startHttp(["--config", cfg.path], { env: { ORCH_HTTP_TOKEN: "test-token-0123456789" } });
  try {
    assert.doesNotMatch(orch.stderr(), /test-token-0123456789/);
    const client = await orch.connect();
    const r = await client.callTool({ name: "execute_composed_code", arguments: { code: "print(6 * 7)" } });
    assert.equal(structured(r).output, "42\n");
    await client.close();
  } finally {
    await orch.stop();
  }
  assert.deepEqual(await survivors(cfg.tag), []);
});
