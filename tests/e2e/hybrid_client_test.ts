/**
 * Hybrid mode against a double of the seed's MCP client that starts orch the way the real one does:
 * it reads its mcp_config.json, starts its IPC, connects the robot servers and orch one after another
 * (orch under the name "mcp-tools-orchestrator", the only one that gets MCP_CLIENT_IPC_URL), and
 * passes them only its short list of environment variables. Every policy below is the FIRST call
 * of a fresh client session, so orch's start-up race with the client is part of each test.
 */
import assert from "node:assert/strict";
import { chownSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { type McpClientDouble, startMcpClient } from "../fixtures/client_ipc_double.ts";
import { newTag, orchArgv, processesWithTag, pyServer, PYTHON_SERVERS, ROOT, tempDir } from "./helpers.ts";
import { eventually, structured } from "./serve_helpers.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const SEED_POLICIES = ["simple_grasp", "error_recovery", "assembly_tracking", "success_rate"];

interface Cell {
  client: McpClientDouble;
  tag: string;
  exec: (code: string, timeout?: number) => Promise<Record<string, unknown>>;
  close: () => Promise<void>;
}

/**
 * Writes the client's mcp_config.json into a fresh folder: `build` gets orch's entry (orch reads the
 * same file as its own config) and places it among the servers. Returns the folder.
 */
function clientFolder(build: (orch: Record<string, unknown>) => Record<string, unknown>): string {
  const clientDir = tempDir("orch-client-");
  const [command, ...pre] = orchArgv();
  const configPath = join(clientDir, "mcp_config.json");
  const orch = {
    command,
    args: [...pre, "serve", "--config", configPath],
    env: { ORCH_CACHE_DIR: join(clientDir, "orch-cache") },
  };
  writeFileSync(configPath, JSON.stringify(build(orch), null, 2));
  return clientDir;
}

/** A test body run against a fresh robot cell, stopped afterwards. */
function withCell(fn: (c: Cell) => Promise<void>): () => Promise<void> {
  return async () => {
    const c = await cell();
    try {
      await fn(c);
    } finally {
      await c.close();
    }
  };
}

const FIDELITY = join(ROOT, "tests", "fixtures", "servers", "fidelity.py");

/**
 * A client folder whose mcp_config.json registers the three robot servers, orch (second, so it
 * starts while the simulator is still booting) and a server the user disabled; orch reads the same
 * file as its own config, with a safe stop on abort.
 */
async function cell(extra: { mcpTimeout?: number; orchestrator?: Record<string, unknown> } = {}): Promise<Cell> {
  const tag = newTag();
  const env = { ROBOT_SIM_DIR: tempDir("orch-world-") };
  const clientDir = clientFolder((orch) => ({
    mcpServers: {
      "ros-mcp-server": pyServer(join(PYTHON_SERVERS, "ros_mcp_server.py"), tag, env),
      "mcp-tools-orchestrator": orch,
      "isaac-sim": pyServer(join(PYTHON_SERVERS, "isaac_sim.py"), tag, env),
      "Resources": pyServer(join(PYTHON_SERVERS, "resources.py"), tag, env),
      "old-arm": { ...pyServer(join(PYTHON_SERVERS, "ros_mcp_server.py")), disabled: true },
    },
    orchestrator: {
      onAbort: [{ server: "ros-mcp-server", tool: "stop", arguments: { reason: "orch abort" } }],
      ...extra.orchestrator,
    },
  }));
  const client = await startMcpClient({
    clientDir,
    connectDelayMs: { "isaac-sim": 700, "Resources": 700 },
    mcpTimeout: extra.mcpTimeout ?? 120,
  });
  const exec = async (code: string, timeout?: number) =>
    structured(await client.callAgentTool("mcp-tools-orchestrator", "execute_composed_code", { code, timeout }));
  return { client, tag, exec, close: () => client.stop() };
}

/** The robot's stop count, asked of the ros server directly (as the client itself can). */
async function stopCount(c: Cell): Promise<number> {
  const res = await c.client.callAgentTool("ros-mcp-server", "get_robot_state");
  return (res.structuredContent as { stop_count: number }).stop_count;
}

for (const name of SEED_POLICIES) {
  Deno.test(`hybrid: the seed policy ${name}.py works as the first call of a fresh session`, opts, async () => {
    const c = await cell();
    try {
      const code = readFileSync(join(ROOT, "examples", "policies", `${name}.py`), "utf8");
      const res = await c.exec(code);
      assert.doesNotMatch(String(res.error), /NameError/);
      assert.equal(res.status, "success", JSON.stringify(res));
      const expected: Record<string, RegExp> = {
        simple_grasp: /✓ Grasp successful!/,
        error_recovery: /Saved scene state: scene_\d+[\s\S]*✓ Grasp \d succeeded!/,
        assembly_tracking: /Found \d+ successful grasp configs/,
        success_rate: /Success rate: 1\/5 \(20\.0%\)/,
      };
      assert.match(String(res.output), expected[name]!);
      // One process per robot server, all the client's: orch started none.
      assert.equal(processesWithTag(c.tag).length, 3);
    } finally {
      await c.close();
    }
  });
}

Deno.test(
  "hybrid: a failing tool raises ToolError, a str is a str, and only orch's servers are offered",
  opts,
  withCell(async (c) => {
    const res = await c.exec([
      "x = isaac_sim__save_scene_state()",
      "print(type(x).__name__, x)",
      "try:",
      "    ros_mcp_server__move_to_grasp(object_name='gear', grasp_id=0, mode='real')",
      "    print('no error')",
      "except ToolError as e:",
      "    print('ToolError:', e)",
      "print(sorted(list_tools()))",
    ].join("\n"));
    assert.equal(res.status, "success", JSON.stringify(res));
    const lines = String(res.output).trim().split("\n");
    assert.match(lines[0]!, /^str scene_\d+$/);
    assert.match(
      lines[1]!,
      /^ToolError: ros-mcp-server\.move_to_grasp failed: Error executing tool move_to_grasp: mode='real' refused/,
    );
    // Never orch itself (no recursion), never the server the client's config disables.
    assert.equal(lines[2], "['Resources', 'isaac-sim', 'ros-mcp-server']");
    const listed = structured(await c.client.callAgentTool("mcp-tools-orchestrator", "list_available_tools", {}));
    assert.deepEqual(Object.keys(listed.servers as object).sort(), ["Resources", "isaac-sim", "ros-mcp-server"]);
  }),
);

Deno.test(
  "hybrid: when the client refuses calls after its abort, the result says the stop was not delivered",
  opts,
  withCell(async (c) => {
    const before = await stopCount(c);
    c.client.setAborted(true);
    const res = await c.exec("ros_mcp_server__move_home()\nprint('after')");
    assert.equal(res.status, "aborted", JSON.stringify(res));
    assert.match(
      String(res.reason),
      /onAbort NOT delivered: ros-mcp-server\.stop \(the MCP client refuses every call/,
    );
    assert.match(String(res.error), /onAbort ros-mcp-server\.stop NOT delivered/);
    assert.equal(await stopCount(c), before);
    // The soft abort (Ctrl+A) answers every call with a text instead: the same outcome.
    c.client.setAborted(false);
    c.client.setAbortRequested(true);
    const soft = await c.exec("ros_mcp_server__move_home()\nprint('after')");
    assert.equal(soft.status, "aborted", JSON.stringify(soft));
    assert.doesNotMatch(String(soft.output), /after/);
    assert.match(String(soft.reason), /asked to abort[\s\S]*onAbort NOT delivered: ros-mcp-server\.stop/);
  }),
);

Deno.test(
  "hybrid: the client's killAndRestartServer (SIGTERM, 500 ms, SIGKILL) still gets the stop delivered",
  opts,
  withCell(async (c) => {
    const before = await stopCount(c);
    const orchPid = c.client.pid("mcp-tools-orchestrator")!;
    const running = c.exec("ros_mcp_server__move_home()\nprint('moving', flush=True)\nimport time\ntime.sleep(120)")
      .catch((err) => err);
    assert.ok(await eventually(() => c.client.ipcCalls.some((x) => x.tool === "move_home"), 60_000));
    await new Promise((r) => setTimeout(r, 500));
    await c.client.killAndRestartServer("mcp-tools-orchestrator");
    await running;
    assert.equal(await stopCount(c), before + 1);
    assert.ok(c.client.ipcCalls.some((x) => x.tool === "stop" && x.status === 200));
    // The old orch is gone and a new one answers.
    assert.throws(() => process.kill(orchPid, 0));
    const res = await c.exec("print(ros_mcp_server__get_robot_state()['motion_state'])");
    assert.equal(res.status, "success", JSON.stringify(res));
  }),
);

Deno.test(
  "hybrid: a policy's files in MCP_CLIENT_OUTPUT_DIR reach the client, owned by the folder's owner",
  opts,
  withCell(async (c) => {
    // The client's own user (not orch's, when orch runs under sudo) owns its 0755 folder.
    if (process.getuid?.() === 0) chownSync(c.client.outputsDir, 1234, 1234);
    const res = await c.exec([
      "import os",
      "out = os.environ['MCP_CLIENT_OUTPUT_DIR']",
      "open(os.path.join(out, 'report.txt'), 'w').write('grasp ok')",
      "os.makedirs(os.path.join(out, 'frames'), exist_ok=True)",
      "open(os.path.join(out, 'frames', 'f1.json'), 'w').write('{}')",
      "print(os.getuid())",
    ].join("\n"));
    assert.equal(res.status, "success", JSON.stringify(res));
    const out = c.client.outputsDir;
    assert.equal(readFileSync(join(out, "report.txt"), "utf8"), "grasp ok");
    assert.equal(readFileSync(join(out, "frames", "f1.json"), "utf8"), "{}");
    const owner = statSync(out);
    if (process.getuid?.() === 0) assert.equal(owner.uid, 1234);
    for (const f of ["report.txt", "frames", "frames/f1.json"]) {
      const st = statSync(join(out, f));
      assert.equal(st.uid, owner.uid, f);
      assert.equal(st.gid, owner.gid, f);
    }
    if (process.getuid?.() === 0 && res.sandbox === "bwrap") assert.equal(String(res.output).trim(), "65534");
  }),
);

Deno.test(
  "hybrid: orchestrator.mode hybrid refuses to start its own servers without the client's IPC",
  opts,
  async () => {
    const dir = tempDir();
    const path = join(dir, "mcp_config.json");
    writeFileSync(path, JSON.stringify({ mcpServers: { a: { command: "true" } }, orchestrator: { mode: "hybrid" } }));
    const { runOrch } = await import("./helpers.ts");
    const res = await runOrch(["serve", "--config", path], { env: { MCP_CLIENT_IPC_URL: undefined } });
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /orchestrator\.mode is "hybrid" but MCP_CLIENT_IPC_URL is not set/);
    assert.match(res.stderr, /named exactly "mcp-tools-orchestrator"/);
    const run = await runOrch(["list", "--config", path], { env: { MCP_CLIENT_IPC_URL: undefined } });
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /orchestrator\.mode is "hybrid"/);
  },
);

Deno.test("hybrid: a policy sees the same values as standalone wherever the client's answer allows", opts, async () => {
  const clientDir = clientFolder((orch) => ({
    mcpServers: {
      fid: pyServer(FIDELITY),
      sdk: pyServer(FIDELITY, undefined, { MCP_LITE_SDK_COMPAT: "1" }),
      "mcp-tools-orchestrator": orch,
    },
  }));
  const configPath = join(clientDir, "mcp_config.json");
  const policy = [
    "for f in (fid__greet, fid__pose, fid__number, fid__items, fid__json_text, fid__lines, fid__coloured, sdk__greet,",
    "          sdk__items, sdk__pose):",
    "    v = f('x') if f in (fid__greet, sdk__greet) else f()",
    "    print(f.__name__, type(v).__name__, repr(v))",
    "for f in (fid__fail, sdk__fail):",
    "    try:",
    "        f()",
    "    except ToolError as e:",
    "        print('ToolError', e)",
    "img = fid__snapshot()",
    "print('image', img.mime_type, img.dropped)",
    "cap = fid__captioned()",
    "print('captioned', cap[0], type(cap[1]).__name__.replace('DroppedImage', 'Image'))",
  ].join("\n");
  const client = await startMcpClient({ clientDir });
  try {
    const hybrid = structured(
      await client.callAgentTool("mcp-tools-orchestrator", "execute_composed_code", { code: policy }),
    );
    assert.equal(hybrid.status, "success", JSON.stringify(hybrid));
    const policyPath = join(clientDir, "policy.py");
    writeFileSync(policyPath, policy);
    const { runOrch } = await import("./helpers.ts");
    const standalone = await runOrch(["run", "--config", configPath, policyPath], {
      env: { MCP_CLIENT_IPC_URL: undefined },
    });
    assert.equal(standalone.code, 0, standalone.stderr);
    const h = String(hybrid.output).split("\n");
    const s = standalone.stdout.split("\n");
    // Identical, except that the client drops the image data (and says so).
    assert.deepEqual(h.filter((l) => !l.startsWith("image ")), s.filter((l) => !l.startsWith("image ")));
    assert.ok(h.includes("image image/png True"), String(hybrid.output));
    assert.ok(s.includes("image image/png False"), standalone.stdout);
    assert.match(String(hybrid.output), /^fid__greet str 'hello x'$/m);
    assert.match(String(hybrid.output), /^ToolError fid\.fail failed: Error executing tool fail: motor fault E42$/m);
  } finally {
    await client.stop();
  }
});

Deno.test(
  "hybrid: a configured server the client never lists is named, and a policy calling it is refused",
  opts,
  async () => {
    const clientDir = clientFolder((orch) => ({
      mcpServers: {
        fid: pyServer(FIDELITY),
        "ros-bridge": pyServer(join(ROOT, "tests", "fixtures", "servers", "exit_at_once.py")),
        "mcp-tools-orchestrator": orch,
      },
      orchestrator: { clientWait: 2 },
    }));
    const client = await startMcpClient({ clientDir });
    try {
      const listed = structured(await client.callAgentTool("mcp-tools-orchestrator", "list_available_tools", {}));
      assert.deepEqual(Object.keys(listed.servers as object), ["fid", "ros-bridge"]);
      assert.match(
        String((listed.errors as Record<string, string>)["ros-bridge"]),
        /the MCP client does not list this server/,
      );
      const found = await client.callAgentTool("mcp-tools-orchestrator", "search_tools", { query: "greet" });
      assert.match(JSON.stringify(found.content), /not searched, no tools from: ros-bridge/);
      const refused = structured(
        await client.callAgentTool("mcp-tools-orchestrator", "execute_composed_code", { code: "ros_bridge__go()" }),
      );
      assert.equal(refused.status, "error");
      assert.match(String(refused.error), /the MCP client does not list "ros-bridge", which this policy calls/);
      const fine = structured(
        await client.callAgentTool("mcp-tools-orchestrator", "execute_composed_code", { code: "print(fid__number())" }),
      );
      assert.equal(fine.output, "42\n", JSON.stringify(fine));
    } finally {
      await client.stop();
    }
  },
);

Deno.test(
  "hybrid: under another entry name the client gives no IPC URL, and orch says why it runs standalone",
  opts,
  async () => {
    const tag = newTag();
    const clientDir = clientFolder((orch) => ({ mcpServers: { fid: pyServer(FIDELITY, tag), orch } }));
    const client = await startMcpClient({ clientDir });
    try {
      assert.equal(client.ipcUrl, undefined);
      const res = structured(
        await client.callAgentTool("orch", "execute_composed_code", { code: "print(fid__number())" }),
      );
      assert.equal(res.output, "42\n", JSON.stringify(res));
      // orch started its own copy of the server: more than the one process hybrid mode has.
      assert.ok(processesWithTag(tag).length >= 2);
      assert.match(client.servers.get("orch")!.stderr, /MCP_CLIENT_OUTPUT_DIR is set but MCP_CLIENT_IPC_URL is not/);
    } finally {
      await client.stop();
    }
  },
);
