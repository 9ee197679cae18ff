/**
 * Hybrid mode: `orch serve` with MCP_CLIENT_IPC_URL set lists and calls tools
 * through a test double of the MCP client's IPC and starts no server itself.
 */
import assert from "node:assert/strict";
import { chmodSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { startClientIpcDouble, unreachableUrl } from "../fixtures/client_ipc_double.ts";
import { connectStdio, structured, textOf } from "./serve_helpers.ts";
import { tempDir, writeConfig } from "./helpers.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test("orch serve in hybrid mode calls tools through the MCP client's IPC", opts, async (t) => {
  const double = await startClientIpcDouble({ notReadyFor: 2 });
  const cwd = tempDir();
  const outDir = tempDir("orch-client-out-");
  // The client shares this folder with policies, which the sandbox may run as another user.
  chmodSync(outDir, 0o777);
  // A config that would start a server: hybrid mode must not start it.
  writeConfig(cwd, {
    mcpServers: { local: { command: "sh", args: ["-c", `touch ${join(cwd, "STARTED")}; sleep 60`] } },
  });
  const orch = await connectStdio(["serve"], {
    cwd,
    env: { MCP_CLIENT_IPC_URL: double.url, MCP_CLIENT_OUTPUT_DIR: outDir },
  });
  const exec = async (code: string, timeout?: number) =>
    structured(await orch.client.callTool({ name: "execute_composed_code", arguments: { code, timeout } }));
  try {
    await t.step("list_available_tools shows the client's servers, after it finished connecting", async () => {
      const res = structured(await orch.client.callTool({ name: "list_available_tools", arguments: {} }));
      assert.deepEqual(Object.keys(res.servers as object), ["robot", "camera"]);
      assert.equal(res.total_servers, 2);
      assert.equal(res.total_tools, 10);
      assert.ok(double.listRequests() >= 3);
    });

    await t.step("a policy's calls go to POST /call_tool and return the client's result", async () => {
      const res = await exec([
        "print(robot__move(x=3))",
        "print(repr(robot__say(text='hi there')))",
        "print(robot__count() + 1)",
        "print(camera__snap(w=32)['width'])",
      ].join("\n"));
      assert.equal(res.status, "success", JSON.stringify(res));
      assert.equal(res.output, "{'moved': 3, 'success': True}\n'hi there'\n43\n32\n");
      assert.deepEqual(double.calls.slice(0, 2), [
        { server: "robot", tool: "move", arguments: { x: 3 } },
        { server: "robot", tool: "say", arguments: { text: "hi there" } },
      ]);
    });

    await t.step("the client's 403 and 429 reach the policy as ToolDenied, its 500 as ToolError", async () => {
      const res = await exec([
        "for f in (robot__disabled_tool, robot__budget_tool, robot__crash):",
        "    try:",
        "        f()",
        "    except ToolDenied as e:",
        "        print('denied', e)",
        "    except ToolError as e:",
        "        print('failed', e)",
      ].join("\n"));
      assert.equal(res.status, "success", JSON.stringify(res));
      const lines = (res.output as string).trim().split("\n");
      assert.match(lines[0]!, /^denied .*disabled by the user/);
      assert.match(lines[1]!, /^denied .*call budget is spent: Tool call budget exhausted/);
      assert.match(lines[2]!, /^failed robot\.crash failed: ValueError: no grasp/);
    });

    await t.step("an [ABORTED] answer aborts the whole run, even inside except Exception", async () => {
      const before = double.calls.length;
      const res = await exec([
        "print('before', flush=True)",
        "try:",
        "    robot__user_abort()",
        "except Exception as e:",
        "    print('swallowed', e)",
        "robot__move(x=9)",
        "print('after')",
      ].join("\n"));
      assert.equal(res.status, "aborted", JSON.stringify(res));
      assert.equal(res.returncode, 130);
      assert.match(res.output as string, /^before$/m);
      assert.doesNotMatch(res.output as string, /swallowed|after/);
      assert.match(res.reason as string, /the MCP client aborted: User cancelled operation/);
      assert.deepEqual(double.calls.slice(before).map((c) => c.tool), ["user_abort"]);
    });

    await t.step("run outputs go to MCP_CLIENT_OUTPUT_DIR", async () => {
      const res = await exec("import os\nopen(os.path.join(os.environ['ORCH_OUTPUT_DIR'], 'r.txt'), 'w').write('x')");
      assert.equal(res.status, "success", JSON.stringify(res));
      assert.equal(readFileSync(join(outDir, "r.txt"), "utf8"), "x");
    });

    await t.step("a call the client never answers is bounded by the run's timeout", async () => {
      const res = await exec("robot__hang()", 2);
      assert.equal(res.status, "timeout");
    });

    await t.step("refresh_tools asks the client again", async () => {
      const before = double.listRequests();
      const res = structured(await orch.client.callTool({ name: "refresh_tools", arguments: {} }));
      assert.deepEqual(res, { status: "success", server_count: 2, tool_count: 10 });
      assert.ok(double.listRequests() > before);
    });

    await t.step("no server of the config file was started", () => {
      assert.equal(existsSync(join(cwd, "STARTED")), false);
      assert.match(orch.stderr(), /hybrid mode: tools come from the MCP client/);
    });
  } finally {
    await orch.close();
    await double.close();
  }
});

Deno.test("orch serve in hybrid mode says clearly when the client's IPC cannot be reached", opts, async () => {
  const url = unreachableUrl();
  const orch = await connectStdio(["serve"], { env: { MCP_CLIENT_IPC_URL: url, ORCH_CLIENT_IPC_WAIT: "1" } });
  try {
    const list = await orch.client.callTool({ name: "list_available_tools", arguments: {} });
    assert.equal(list.isError, true);
    assert.match(textOf(list), new RegExp(`cannot list tools from the MCP client's IPC at ${url}: cannot reach it`));
    const run = structured(await orch.client.callTool({ name: "execute_composed_code", arguments: { code: "1" } }));
    assert.equal(run.status, "error");
    assert.match(run.error as string, /cannot list tools from the MCP client's IPC/);
    const docs = await orch.client.callTool({ name: "search_tools", arguments: { query: "move" } });
    assert.equal(docs.isError, true);
  } finally {
    await orch.close();
  }
});

Deno.test("orch serve in hybrid mode reports a client IPC that answers garbage", opts, async () => {
  const double = await startClientIpcDouble({ listMode: "html" });
  const orch = await connectStdio(["serve"], { env: { MCP_CLIENT_IPC_URL: double.url } });
  try {
    const list = await orch.client.callTool({ name: "refresh_tools", arguments: {} });
    assert.equal(list.isError, true);
    assert.match(structured(list).error as string, /HTTP 200 with a body that is not JSON: "<html>/);
  } finally {
    await orch.close();
    await double.close();
  }
});
