import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { convertResult } from "../shim/result.ts";
import { CallDeniedError, UpstreamAbortedError, UpstreamError } from "../errors.ts";
import { startMcpClient, unreachableUrl } from "../../tests/fixtures/client_ipc_double.ts";
import { FIXTURE_SERVERS, pyServer, tempDir } from "../../tests/e2e/helpers.ts";
import { ClientIpc } from "./client_ipc.ts";
import { resultFromClient } from "./client_ipc_result.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const fidelity = (env: Record<string, string> = {}) => pyServer(join(FIXTURE_SERVERS, "fidelity.py"), undefined, env);

/** A client folder whose mcp_config.json holds `servers`, and the double started from it. */
async function client(servers: Record<string, unknown>, extra: Parameters<typeof startMcpClient>[0] | object = {}) {
  const clientDir = tempDir("orch-client-");
  writeFileSync(join(clientDir, "mcp_config.json"), JSON.stringify({ mcpServers: servers }));
  return await startMcpClient({ clientDir, enableOrchestratorIPC: true, ...extra });
}

Deno.test("ClientIpc lists the client's servers, without its [server] description prefix", opts, async () => {
  const double = await client({ fid: fidelity() });
  const ipc = new ClientIpc({ url: double.ipcUrl! });
  try {
    await ipc.load();
    assert.deepEqual(ipc.serverNames(), ["fid"]);
    const greet = (await ipc.listTools("fid")).find((t) => t.name === "greet")!;
    assert.match(greet.description ?? "", /^Say hello\./);
    assert.deepEqual(greet.inputSchema.required, ["name"]);
  } finally {
    await ipc.close();
    await double.stop();
  }
});

Deno.test(
  "ClientIpc waits while the client answers 200 with no servers, until the expected ones are listed",
  opts,
  async () => {
    const clientDir = tempDir("orch-client-");
    writeFileSync(
      join(clientDir, "mcp_config.json"),
      JSON.stringify({ mcpServers: { a: fidelity(), b: fidelity() } }),
    );
    const { McpClientDouble } = await import("../../tests/fixtures/client_ipc_double.ts");
    const double = new McpClientDouble({ clientDir, enableOrchestratorIPC: true, connectDelayMs: { b: 1500 } });
    const starting = double.start();
    try {
      // The IPC answers while the client still connects its servers one by one.
      while (!double.ipcUrl) await new Promise((r) => setTimeout(r, 20));
      const early = await (await fetch(`${double.ipcUrl}/list_tools`)).json();
      assert.deepEqual(early.servers, {});
      const ipc = new ClientIpc({ url: double.ipcUrl, expected: ["a", "b"], waitMs: 60_000 });
      await ipc.load();
      assert.deepEqual(ipc.serverNames(), ["a", "b"]);
      assert.equal(ipc.listing.complete, true);
      assert.ok(double.listRequests() > 2, `only ${double.listRequests()} listings`);
      await ipc.close();
    } finally {
      await starting.catch(() => {});
      await double.stop();
    }
  },
);

Deno.test(
  "ClientIpc names the servers still missing when its wait is over, and never throws for them",
  opts,
  async () => {
    const double = await client({ a: fidelity() });
    const ipc = new ClientIpc({ url: double.ipcUrl!, expected: ["a", "ghost"], waitMs: 600 });
    try {
      await ipc.load();
      assert.deepEqual(ipc.listing.missing, ["ghost"]);
      assert.equal(ipc.listing.complete, false);
      assert.deepEqual(ipc.serverNames(), ["a", "ghost"]);
      await assert.rejects(ipc.listTools("ghost"), /ghost: the MCP client does not list this server/);
    } finally {
      await ipc.close();
      await double.stop();
    }
  },
);

Deno.test(
  "ClientIpc never offers an orchestrator, a server the client disabled, or one outside orch's config",
  opts,
  async () => {
    const orchLike = join(tempDir(), "orchlike.py");
    writeFileSync(
      orchLike,
      [
        "import sys",
        `sys.path.insert(0, ${JSON.stringify(FIXTURE_SERVERS)})`,
        "import _lite",
        "from mcp_lite import FastMCP",
        "mcp = FastMCP('o')",
        "@mcp.tool()",
        "def execute_composed_code(code: str) -> str:\n    return code",
        "@mcp.tool()",
        "def list_available_tools() -> dict:\n    return {}",
        "@mcp.tool()",
        "def refresh_tools() -> dict:\n    return {}",
        "mcp.run()",
      ].join("\n"),
    );
    const double = await client({
      a: fidelity(),
      other: { command: "python3", args: [orchLike] },
      off: { ...fidelity(), disabled: true },
      extra: fidelity(),
    });
    const ipc = new ClientIpc({ url: double.ipcUrl!, expected: ["a", "off", "other"], disabled: ["off"], waitMs: 500 });
    try {
      // The client lists all of them: the orchestrator-like one and the disabled one included.
      const raw = await (await fetch(`${double.ipcUrl}/list_tools`)).json();
      assert.deepEqual(Object.keys(raw.servers).sort(), ["a", "extra", "off", "other"]);
      await ipc.load();
      assert.deepEqual(ipc.serverNames(), ["a"]);
      assert.equal(ipc.listing.complete, true);
      assert.deepEqual(ipc.listing.skipped.map((s) => s.server).sort(), ["extra", "off", "other"]);
      await assert.rejects(ipc.callTool("off", "greet", { name: "x" }), /off: not offered: disabled/);
    } finally {
      await ipc.close();
      await double.stop();
    }
  },
);

Deno.test("ClientIpc gives up on an unreachable client within the wait and says where it looked", async () => {
  const url = unreachableUrl();
  const ipc = new ClientIpc({ url, waitMs: 800 });
  await assert.rejects(ipc.load(), (err: Error) => {
    assert.ok(err instanceof UpstreamError);
    assert.match(err.message, new RegExp(`cannot list tools from the MCP client's IPC at ${url}: cannot reach it`));
    assert.match(err.message, /attempts over 1 s/);
    return true;
  });
});

/** What the policy would get for `server.tool` through the client (the shim's conversion of the result). */
async function valueThrough(ipc: ClientIpc, tool: string, args: Record<string, unknown> = {}, server = "fid") {
  const result = await ipc.callTool(server, tool, args);
  return { result, value: convertResult(result) };
}

Deno.test("ClientIpc.callTool undoes the client's flattening where it can", opts, async () => {
  const double = await client({ fid: fidelity(), sdk: fidelity({ MCP_LITE_SDK_COMPAT: "1" }) });
  const ipc = new ClientIpc({ url: double.ipcUrl! });
  try {
    await ipc.load();
    // The client answers ["hello x"]; the policy gets the str.
    assert.deepEqual((await valueThrough(ipc, "greet", { name: "x" })).value, "hello x");
    assert.deepEqual((await valueThrough(ipc, "pose")).value, { x: 1.5, frame: "base" });
    assert.equal((await valueThrough(ipc, "number")).value, 42);
    assert.deepEqual((await valueThrough(ipc, "json_text")).value, { a: [1, 2] });
    assert.equal((await valueThrough(ipc, "lines")).value, "one\ntwo\nthree");
    assert.equal((await valueThrough(ipc, "coloured")).value, "\x1b[31mred\x1b[0m alert");
    // FastMCP's failure text, isError dropped by the client: a tool error again.
    const failed = (await valueThrough(ipc, "fail")).result;
    assert.equal(failed.isError, true);
    assert.deepEqual(failed.content, [{ type: "text", text: "Error executing tool fail: motor fault E42" }]);
    // An image placeholder: an image item without data that says why.
    const snap = (await valueThrough(ipc, "snapshot")).result;
    assert.equal(snap.content.length, 1);
    assert.equal(snap.content[0]!.type, "image");
    assert.match(JSON.stringify(snap.content[0]), /image\/png.*dropped the image data/);
    const cap = (await valueThrough(ipc, "captioned")).result;
    assert.deepEqual(cap.content.map((c) => c.type), ["text", "image"]);
    // The SDK's one text item per list element, joined by the client: split again.
    const items = (await valueThrough(ipc, "items", {}, "sdk")).result;
    assert.deepEqual(items.content.map((c) => c.type === "text" && JSON.parse(c.text)), [
      { grasp_id: 0, gripper_state: "open" },
      { grasp_id: 2, gripper_state: "half" },
    ]);
  } finally {
    await ipc.close();
    await double.stop();
  }
});

Deno.test("ClientIpc turns the client's refusals into denials and aborts", opts, async () => {
  const double = await client({ fid: fidelity() }, { disabledTools: ["fid__number"], maxIpcCalls: 2 });
  const ipc = new ClientIpc({ url: double.ipcUrl! });
  try {
    await ipc.load();
    // A tool the client disabled is not listed at all.
    assert.equal((await ipc.listTools("fid")).some((t) => t.name === "number"), false);
    await assert.rejects(ipc.callTool("fid", "number", {}), (e) => e instanceof CallDeniedError);
    await ipc.callTool("fid", "pose", {});
    await ipc.callTool("fid", "pose", {});
    await assert.rejects(
      ipc.callTool("fid", "pose", {}),
      (e) =>
        e instanceof CallDeniedError &&
        /call budget is spent: Exhausted available IPC call limit \(2\/2\)/.test(e.message),
    );
    double.resetIpcCallCount();
    double.setAbortRequested(true);
    await assert.rejects(
      ipc.callTool("fid", "pose", {}),
      (e) => e instanceof UpstreamAbortedError && /asked to abort/.test(e.message),
    );
    double.setAbortRequested(false);
    double.setAborted(true);
    await assert.rejects(
      ipc.callTool("fid", "pose", {}),
      (e) => e instanceof UpstreamAbortedError && e.reason === "User cancelled operation",
    );
  } finally {
    await ipc.close();
    await double.stop();
  }
});

Deno.test("ClientIpc reports the client's own timeout (a JSON result) as a tool error", opts, async () => {
  const double = await client({ fid: fidelity() }, { mcpTimeout: 1 });
  const ipc = new ClientIpc({ url: double.ipcUrl! });
  try {
    await ipc.load();
    const res = await ipc.callTool("fid", "sleep", { seconds: 3 });
    assert.equal(res.isError, true);
    assert.match(JSON.stringify(res.content), /the MCP client's call timed out \(its mcpTimeout/);
  } finally {
    await ipc.close();
    await double.stop();
  }
});

Deno.test("resultFromClient keeps a one-element list whose string is JSON (the tool really sent a list)", () => {
  assert.deepEqual(convertResult(resultFromClient("s", "t", ["42"])), ["42"]);
  assert.equal(convertResult(resultFromClient("s", "t", "42")), "42");
  assert.equal(resultFromClient("s", "t", ["Error executing tool other: x"]).isError, undefined);
});
