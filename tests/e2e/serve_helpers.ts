/**
 * For the `orch serve` tests: an SDK Client acting as the agent, connected to
 * orch over stdio (orch started from orchArgv(), so ORCH_BIN runs the binary)
 * or over Streamable HTTP, and a config of the simulated robot cell.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import process from "node:process";
import {
  type CallToolResult,
  CallToolResultSchema,
  Client,
  StdioClientTransport,
  StreamableHTTPClientTransport,
} from "../../src/deps/mcp_sdk.ts";
import { newTag, orchArgv, orchEnv, pyServer, PYTHON_SERVERS, ROOT, tempDir, writeConfig } from "./helpers.ts";

export { orchEnv, ROOT };

/** A config with the three simulated robot servers, a private world, and `extra` merged in. */
export function robotConfig(extra: Record<string, unknown> = {}, tag = newTag()) {
  const dir = tempDir();
  const env = { ROBOT_SIM_DIR: join(dir, "world") };
  const servers = {
    "ros-mcp-server": pyServer(join(PYTHON_SERVERS, "ros_mcp_server.py"), tag, env),
    "isaac-sim": pyServer(join(PYTHON_SERVERS, "isaac_sim.py"), tag, env),
    "Resources": pyServer(join(PYTHON_SERVERS, "resources.py"), tag, env),
  };
  const { mcpServers, ...rest } = extra as { mcpServers?: Record<string, unknown> };
  const path = writeConfig(dir, { mcpServers: { ...servers, ...mcpServers }, ...rest });
  return { dir, path, tag };
}

export interface StdioOrch {
  client: Client;
  transport: StdioClientTransport;
  /** Everything orch wrote to stderr so far. */
  stderr: () => string;
  close: () => Promise<void>;
}

/** Starts `orch <args>` as an MCP server over stdio and connects a Client to it. */
export async function connectStdio(
  args: string[],
  opts: { env?: Record<string, string | undefined>; cwd?: string } = {},
): Promise<StdioOrch> {
  const [command, ...pre] = orchArgv();
  const transport = new StdioClientTransport({
    command: command!,
    args: [...pre, ...args],
    env: orchEnv(opts.env),
    cwd: opts.cwd ?? tempDir(),
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (d: Uint8Array) => stderr += new TextDecoder().decode(d));
  const client = new Client({ name: "orch-test-agent", version: "1.0.0" });
  await client.connect(transport, { timeout: 60_000 });
  return { client, transport, stderr: () => stderr, close: () => client.close() };
}

export interface HttpOrch {
  url: URL;
  token: string;
  stderr: () => string;
  pid: number;
  /** Connects a new Client (a new MCP session). */
  connect: (headers?: Record<string, string>) => Promise<Client>;
  /** SIGTERM; resolves with the exit code, or the signal's name when it killed orch. */
  stop: () => Promise<number | string | null>;
}

/** Starts `orch serve --http 127.0.0.1:0 <args>` and waits until it prints its address. */
export function startHttp(
  args: string[],
  opts: { env?: Record<string, string | undefined> } = {},
): Promise<HttpOrch> {
  const noToken = args.join(" ").includes("--auth none");
  const [command, ...pre] = orchArgv();
  const child = spawn(command!, [...pre, "serve", "--http", "127.0.0.1:0", ...args], {
    env: orchEnv(opts.env),
    cwd: tempDir(),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  const exited = new Promise<number | string | null>((resolve) =>
    child.on("close", (code, signal) => resolve(code ?? signal))
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`orch serve --http did not start:\n${stderr}`)), 60_000);
    child.stderr.on("data", (d: Uint8Array) => {
      stderr += new TextDecoder().decode(d);
      const at = /serving MCP \(Streamable HTTP\) at (\S+)/.exec(stderr);
      const token = noToken ? "" : opts.env?.ORCH_HTTP_TOKEN ?? /bearer token[^:]*: (\S+)/.exec(stderr)?.[1];
      if (!at || token === undefined) return;
      clearTimeout(timer);
      const url = new URL(at[1]!);
      resolve({
        url,
        token,
        pid: child.pid!,
        stderr: () => stderr,
        connect: async (headers = {}) => {
          const transport = new StreamableHTTPClientTransport(url, {
            requestInit: { headers: { authorization: `Bearer ${token}`, ...headers } },
          });
          const client = new Client({ name: "orch-test-agent", version: "1.0.0" });
          await client.connect(transport, { timeout: 60_000 });
          return client;
        },
        stop: () => {
          // Not child.kill(): Deno's node:child_process then reports the signal even when orch handled it.
          process.kill(child.pid!, "SIGTERM");
          return exited;
        },
      });
    });
    child.on("error", reject);
    child.on("close", (code) => reject(new Error(`orch exited with ${code}:\n${stderr}`)));
  });
}

/** The structuredContent of a result, after checking the text item holds the same JSON. */
export function structured(result: unknown): Record<string, unknown> {
  const r = result as CallToolResult;
  const text = r.content?.[0]?.type === "text" ? r.content[0].text : undefined;
  if (text === undefined || r.structuredContent === undefined) {
    throw new Error(`expected structuredContent and a JSON text item, got ${JSON.stringify(r).slice(0, 500)}`);
  }
  const fromText = JSON.parse(text);
  if (JSON.stringify(fromText) !== JSON.stringify(r.structuredContent)) {
    throw new Error("the text item and structuredContent differ");
  }
  return r.structuredContent as Record<string, unknown>;
}

/** The text of a result's first item. */
export function textOf(result: unknown): string {
  const item = (result as CallToolResult).content?.[0];
  return item?.type === "text" ? item.text : "";
}

/** Waits until `check()` is true, up to `ms`; returns its last value. */
export async function eventually(check: () => boolean, ms = 10_000): Promise<boolean> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/** A raw JSON-RPC POST into MCP session `sid`, as a client without the SDK sends it. */
export function postToSession(
  url: URL,
  sid: string,
  message: unknown,
  init: { headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<Response> {
  return fetch(url, {
    method: "POST",
    signal: init.signal,
    headers: {
      ...init.headers,
      "mcp-session-id": sid,
      "mcp-protocol-version": "2025-06-18",
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
    },
    body: JSON.stringify(message),
  });
}

/** The tools `orch serve` lists, sorted. */
export const ORCH_TOOLS = [
  "cancel_run",
  "execute_composed_code",
  "get_api_documentation",
  "get_run",
  "list_available_tools",
  "refresh_tools",
  "search_tools",
];

/**
 * Calls `execute_composed_code` and cancels it from the client once the policy prints `run <id>`
 * (as progress); `onRun` sees the id first. Resolves with the id once the call has been rejected.
 */
export async function callCancelledAtRun(
  client: Client,
  args: Record<string, unknown>,
  onRun: (runId: string) => void = () => {},
): Promise<string> {
  const ac = new AbortController();
  let runId = "";
  const call = client.callTool({ name: "execute_composed_code", arguments: args }, CallToolResultSchema, {
    signal: ac.signal,
    timeout: 60_000,
    onprogress: (p) => {
      const m = /^run (\S+)$/.exec(p.message ?? "");
      if (!m) return;
      runId = m[1]!;
      onRun(runId);
      ac.abort("the user pressed stop");
    },
  });
  await assert.rejects(call);
  assert.ok(runId, "the policy never printed its run id");
  return runId;
}
