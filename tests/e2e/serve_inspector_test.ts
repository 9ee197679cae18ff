/**
 * A real third-party client: the MCP Inspector's CLI (a devDependency, run with
 * the Node 22 of the npm package `node`) starts `orch serve` over stdio.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { orchArgv, ROOT, survivors, tempDir } from "./helpers.ts";
import { ORCH_TOOLS, robotConfig, startHttp } from "./serve_helpers.ts";

const NODE = join(ROOT, "node_modules", ".bin", "node");
const INSPECTOR = join(
  ROOT,
  "node_modules",
  "@modelcontextprotocol",
  "inspector",
  "clients",
  "launcher",
  "build",
  "index.js",
);

/**
 * Runs `inspector --cli <orch> serve <cliArgs>` (or, with `target`, `inspector --cli <target...>`);
 * resolves with its stdout (JSON) once it exits 0.
 */
function inspector(cliArgs: string[], env: Record<string, string>, target?: string[]): Promise<unknown> {
  const serverEnv = Object.entries(env).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
  const args = [INSPECTOR, "--cli", ...(target ?? [...serverEnv, ...orchArgv(), "serve", ...cliArgs])];
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, args, {
      cwd: tempDir(),
      env: { PATH: `${join(ROOT, "node_modules", ".bin")}:${Deno.env.get("PATH")}`, HOME: Deno.env.get("HOME") ?? "/" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => out += d);
    child.stderr.on("data", (d) => err += d);
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`inspector exited ${code}\nstdout: ${out}\nstderr: ${err}`));
      try {
        resolve(JSON.parse(out));
      } catch {
        reject(new Error(`inspector printed no JSON:\n${out}\n${err}`));
      }
    });
  });
}

Deno.test({
  name: "the MCP Inspector CLI lists orch's tools and runs execute_composed_code over stdio",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const cfg = robotConfig();
    const env = { ORCH_CONFIG: cfg.path, ORCH_CACHE_DIR: tempDir("orch-cache-") };
    const listed = await inspector(["--method", "tools/list"], env) as { tools: { name: string }[] };
    assert.deepEqual(listed.tools.map((t) => t.name).sort(), ORCH_TOOLS);
    const code = "s = ros_mcp_server__get_robot_state()\nprint('state keys', len(s) > 0)";
    const called = await inspector(
      ["--method", "tools/call", "--tool-name", "execute_composed_code", "--tool-arg", `code=${code}`],
      env,
    ) as { structuredContent: Record<string, unknown>; content: { text: string }[] };
    assert.equal(called.structuredContent.status, "success", JSON.stringify(called));
    assert.equal(called.structuredContent.output, "state keys True\n");
    assert.equal(called.structuredContent.returncode, 0);
    assert.deepEqual(JSON.parse(called.content[0]!.text), called.structuredContent);
    assert.deepEqual(await survivors(cfg.tag), []);
  },
});

Deno.test({
  name: "the MCP Inspector CLI passes orch serve -c FILE through (its own --config would take the long form)",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const cfg = robotConfig();
    const env = { ORCH_CACHE_DIR: tempDir("orch-cache-") };
    const listed = await inspector(["-c", cfg.path, "--method", "tools/list"], env) as { tools: unknown[] };
    assert.equal(listed.tools.length, 7);
    const code = "print(len(ros_mcp_server__get_robot_state()) > 0)";
    const called = await inspector(
      ["-c", cfg.path, "--method", "tools/call", "--tool-name", "execute_composed_code", "--tool-arg", `code=${code}`],
      env,
    ) as { structuredContent: Record<string, unknown> };
    assert.equal(called.structuredContent.output, "True\n", JSON.stringify(called));
    assert.deepEqual(await survivors(cfg.tag), []);
  },
});

Deno.test({
  name: "the MCP Inspector CLI reaches orch serve --http over Streamable HTTP and over the old SSE transport",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const cfg = robotConfig();
    const orch = await startHttp(["--config", cfg.path]);
    try {
      const header = ["--header", `Authorization: Bearer ${orch.token}`, "--method", "tools/list"];
      for (const [path, transport] of [["/mcp", "http"], ["/sse", "sse"]] as const) {
        const url = new URL(path, orch.url).href;
        const listed = await inspector([], {}, [url, "--transport", transport, ...header]) as { tools: unknown[] };
        assert.equal(listed.tools.length, 7, transport);
      }
    } finally {
      await orch.stop();
    }
    assert.deepEqual(await survivors(cfg.tag), []);
  },
});
