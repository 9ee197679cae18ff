/**
 * `orch serve` over stdio, driven by an SDK Client as the agent, against the
 * simulated robot cell: every tool's exact result shape, and bad input.
 */
import assert from "node:assert/strict";
import { connectStdio, ORCH_TOOLS, robotConfig, structured, textOf } from "./serve_helpers.ts";
import { survivors } from "./helpers.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test("orch serve over stdio offers its tools and answers each with the seed's shapes", opts, async (t) => {
  const cfg = robotConfig();
  const orch = await connectStdio(["serve", "--config", cfg.path]);
  try {
    await t.step("orch serve lists its seven tools and nothing else", async () => {
      const { tools } = await orch.client.listTools();
      assert.deepEqual(tools.map((x) => x.name).sort(), ORCH_TOOLS);
      const exec = tools.find((x) => x.name === "execute_composed_code")!;
      assert.deepEqual(exec.inputSchema.required, ["code"]);
      assert.match(exec.description!, /ToolError/);
      assert.match(exec.description!, /PolicyAborted/);
      assert.match(exec.description!, /parallel\(/);
    });

    await t.step(
      "orch serve answers execute_composed_code with output, error, returncode and status",
      async () => {
        const code = [
          "r = ros_mcp_server__move_home()",
          "print('home', r['success'] if isinstance(r, dict) and 'success' in r else r)",
          "scene = isaac_sim__save_scene_state(label='t')",
          "print('scene', scene)",
          "print('assemblies', type(Resources__list_assemblies()).__name__)",
        ].join("\n");
        const res = structured(await orch.client.callTool({ name: "execute_composed_code", arguments: { code } }));
        assert.equal(res.status, "success", JSON.stringify(res));
        assert.equal(res.returncode, 0);
        assert.equal(typeof res.error, "string");
        assert.match(res.output as string, /^home /m);
        assert.match(res.output as string, /^scene scene_\d+/m);
        assert.match(res.output as string, /^assemblies dict/m);
        assert.equal(res.calls, 3);
        for (const key of ["output", "error", "returncode", "status"]) assert.ok(key in res, key);
      },
    );

    await t.step(
      "execute_composed_code reports a failing policy as status failed (the seed's word) with its traceback",
      async () => {
        const code = "ros_mcp_server__move_home(mode='real')";
        const res = structured(await orch.client.callTool({ name: "execute_composed_code", arguments: { code } }));
        assert.equal(res.status, "failed");
        assert.equal(res.returncode, 1);
        assert.match(res.error as string, /ToolError|ros-mcp-server\.move_home failed/);
      },
    );

    await t.step("list_available_tools answers {servers, total_servers, total_tools} with signatures", async () => {
      const res = structured(await orch.client.callTool({ name: "list_available_tools", arguments: {} }));
      assert.deepEqual(Object.keys(res).sort(), ["servers", "total_servers", "total_tools"]);
      const servers = res.servers as Record<string, { name: string; description: string; signature: string }[]>;
      assert.deepEqual(Object.keys(servers).sort(), ["Resources", "isaac-sim", "ros-mcp-server"]);
      assert.equal(res.total_servers, 3);
      assert.equal(res.total_tools, Object.values(servers).reduce((n, l) => n + l.length, 0));
      const grasp = servers["ros-mcp-server"]!.find((x) => x.name === "move_to_grasp")!;
      assert.match(grasp.signature, /^ros_mcp_server__move_to_grasp\(object_name: str, grasp_id: int/);
      assert.ok(grasp.description.length > 0);
    });

    await t.step("list_available_tools gives the seed's fields per tool, docstrings only when asked", async () => {
      type Entry = Record<string, string>;
      const short = structured(await orch.client.callTool({ name: "list_available_tools", arguments: {} }));
      const grasp = (short.servers as Record<string, Entry[]>)["ros-mcp-server"]!.find((x) =>
        x.name === "move_to_grasp"
      )!;
      assert.equal(grasp.function_name, "ros_mcp_server__move_to_grasp");
      assert.equal(grasp.signature, `${grasp.function_name}(${grasp.parameters}) -> ${grasp.return_type}`);
      assert.match(grasp.parameters!, /^object_name: str, grasp_id: int/);
      assert.equal(grasp.return_type, "Any");
      assert.equal("docstring" in grasp, false);
      const full = structured(
        await orch.client.callTool({ name: "list_available_tools", arguments: { include_descriptions: true } }),
      );
      const withDoc = (full.servers as Record<string, Entry[]>)["ros-mcp-server"]!.find((x) =>
        x.name === "move_to_grasp"
      )!;
      assert.match(withDoc.docstring!, /Args:\n {4}object_name \(str\)/);
      assert.match(withDoc.docstring!, /Server: ros-mcp-server, tool: move_to_grasp/);
      const bad = await orch.client.callTool({ name: "list_available_tools", arguments: { include_descriptions: 1 } });
      assert.equal(bad.isError, true);
      assert.match(textOf(bad), /include_descriptions/);
    });

    await t.step("execute_composed_code runs hyphenated tool names as the generated names", async () => {
      const code = [
        "r = ros-mcp-server__move_home()  # ros-mcp-server__move_home in a comment",
        "s = isaac-sim__save_scene_state(label='pick-and-place')",
        "print(type(r).__name__, 'ros-mcp-server__move_home', f'{str(s)[:6]}-x')",
      ].join("\n");
      const res = structured(await orch.client.callTool({ name: "execute_composed_code", arguments: { code } }));
      assert.equal(res.status, "success", JSON.stringify(res));
      assert.equal(res.output, "dict ros-mcp-server__move_home scene_-x\n");
      assert.equal(res.calls, 2);
    });

    await t.step("refresh_tools answers {status, server_count, tool_count}", async () => {
      const res = structured(await orch.client.callTool({ name: "refresh_tools", arguments: {} }));
      assert.deepEqual(res, { status: "success", server_count: 3, tool_count: res.tool_count });
      assert.ok((res.tool_count as number) >= 20);
    });

    await t.step("get_api_documentation gives stubs for all servers or the ones named", async () => {
      const all = textOf(await orch.client.callTool({ name: "get_api_documentation", arguments: {} }));
      assert.match(all, /def ros_mcp_server__move_home\(/);
      assert.match(all, /def Resources__list_assemblies\(/);
      const one = textOf(
        await orch.client.callTool({ name: "get_api_documentation", arguments: { servers: ["isaac-sim"] } }),
      );
      assert.match(one, /def isaac_sim__save_scene_state\(/);
      assert.doesNotMatch(one, /ros_mcp_server__/);
    });

    await t.step("get_api_documentation names the known servers when asked for an unknown one", async () => {
      const res = await orch.client.callTool({ name: "get_api_documentation", arguments: { servers: ["nope"] } });
      assert.equal(res.isError, true);
      assert.match(textOf(res), /unknown server "nope" \(servers: ros-mcp-server, isaac-sim, Resources\)/);
    });

    await t.step("search_tools answers names, signatures or full docs of the matches only", async () => {
      const names = textOf(
        await orch.client.callTool({ name: "search_tools", arguments: { query: "gripper", detail: "names" } }),
      );
      assert.equal(names.split("\n")[0], "ros_mcp_server__control_gripper");
      assert.doesNotMatch(names, /[(]/);
      const sigs = textOf(await orch.client.callTool({ name: "search_tools", arguments: { query: "scene state" } }));
      assert.match(sigs, /^isaac_sim__save_scene_state\(label: str = ''\) -> Any\n {4}Snapshot /m);
      const full = textOf(
        await orch.client.callTool({
          name: "search_tools",
          arguments: { query: "move_to_grasp", detail: "full", limit: 1 },
        }),
      );
      assert.match(full, /^def ros_mcp_server__move_to_grasp\(/);
      assert.match(full, /Args:/);
      assert.equal(full.match(/^def /gm)?.length, 1);
    });

    await t.step("search_tools says so in words when nothing matches", async () => {
      const res = await orch.client.callTool({ name: "search_tools", arguments: { query: "zzqx teleport" } });
      assert.notEqual(res.isError, true);
      assert.match(textOf(res), /No tool matches "zzqx teleport" \(\d+ tools on servers: ros-mcp-server, isaac-sim/);
    });
  } finally {
    await orch.close();
  }
  assert.deepEqual(await survivors(cfg.tag), []);
});

Deno.test("orch serve refuses bad input to execute_composed_code with clear words", opts, async (t) => {
  const cfg = robotConfig();
  const orch = await connectStdio(["serve", "--config", cfg.path]);
  const exec = async (args: Record<string, unknown>) =>
    await orch.client.callTool({ name: "execute_composed_code", arguments: args });
  try {
    await t.step("empty code is an error result, not a run", async () => {
      const r = await exec({ code: "  \n" });
      assert.equal(r.isError, true);
      const res = structured(r);
      assert.equal(res.status, "error");
      assert.match(res.error as string, /code is empty/);
    });

    await t.step("code that is not Python gives status failed with the SyntaxError", async () => {
      const res = structured(await exec({ code: "for x in range(3)\n    print(x)" }));
      assert.equal(res.status, "failed");
      assert.equal(res.returncode, 1);
      assert.match(res.error as string, /policy\.py:1:\d+: SyntaxError: /);
    });

    await t.step("a timeout of 0 or less falls back to the default and says so", async () => {
      const res = structured(await exec({ code: "print('ok')", timeout: 0 }));
      assert.equal(res.status, "success");
      assert.match(res.error as string, /timeout 0 is not a positive number; using 3600 s/);
    });

    await t.step("an absurd timeout is capped and says so", async () => {
      const res = structured(await exec({ code: "print('ok')", timeout: 10 ** 9 }));
      assert.equal(res.status, "success");
      assert.match(res.error as string, /capped at 86400 s/);
    });

    await t.step("a short timeout ends a sleeping policy with status timeout", async () => {
      const res = structured(
        // 5 s: under load Python may need more than 2 s to print "start".
        await exec({ code: "import time\nprint('start', flush=True)\ntime.sleep(60)", timeout: 5 }),
      );
      assert.equal(res.status, "timeout");
      assert.equal(res.returncode, 124);
      assert.match(res.output as string, /start/);
    });

    await t.step("output over the cap keeps head and tail with a marker naming the full log", async () => {
      const res = structured(await exec({ code: "for i in range(3000):\n    print('line %04d ' % i + 'x' * 200)" }));
      assert.equal(res.status, "success");
      const output = res.output as string;
      assert.match(output, /^line 0000 /);
      assert.match(output, /line 2999 x+\n$/);
      assert.match(output, new RegExp(`bytes cut; full output in ${res.log_path}`));
      assert.ok(output.length < 600_000);
    });

    await t.step("allowed_tools narrows what the run may call (ToolDenied)", async () => {
      const code = [
        "try:",
        "    ros_mcp_server__move_home()",
        "except ToolDenied as e:",
        "    print('denied:', e)",
        "print(isaac_sim__list_scene_states() is not None)",
      ].join("\n");
      const res = structured(await exec({ code, allowed_tools: ["isaac-sim/*"] }));
      assert.equal(res.status, "success", JSON.stringify(res));
      assert.match(res.output as string, /denied: .*not in this run's allowed tools/);
      assert.match(res.output as string, /True/);
    });

    await t.step("wrong argument types are an error result naming the field", async () => {
      const r = await exec({ code: 42 });
      assert.equal(r.isError, true);
      assert.match(structured(r).error as string, /Invalid arguments for execute_composed_code: code/);
    });

    await t.step("an unknown tool is a protocol error", async () => {
      await assert.rejects(
        orch.client.callTool({ name: "no_such_tool", arguments: {} }),
        /Unknown tool "no_such_tool"/,
      );
    });
  } finally {
    await orch.close();
  }
  assert.deepEqual(await survivors(cfg.tag), []);
});
