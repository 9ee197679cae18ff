/** `orch serve`: orch as an MCP server over stdio (default) or Streamable HTTP, standalone or hybrid. */
import { join } from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { findConfig, loadConfig } from "../config/load.ts";
import { type Config, OrchestratorSchema } from "../config/schema.ts";
import { ConfigNotFoundError, errorText, UsageError } from "../errors.ts";
import { createHttpApp } from "../mcp_server/http.ts";
import { createMcpServer } from "../mcp_server/server.ts";
import { type Expose, OrchService } from "../mcp_server/service.ts";
import { StdioServerTransport } from "../mcp_server/stdio.ts";
import { isErrno, rt } from "../runtime/mod.ts";
import { signalExitCode } from "../runtime/signals.ts";
import { randomToken } from "../runtime/token.ts";
import { Engine } from "../engine.ts";
import type { ToolSource } from "../sources/types.ts";
import { UpstreamPool } from "../sources/upstream_pool.ts";
import { openCacheDir, openConfig } from "./context.ts";
import { hybridSource, resolveMode } from "./hybrid.ts";

export const SERVE_HELP = `Usage: orch serve [options]

Serves orch as an MCP server: tools execute_composed_code, search_tools,
get_api_documentation, list_available_tools and refresh_tools. Register it in
mcp_config.json or Claude Desktop as {"command": "orch", "args": ["serve"]}.
"orch" with no command and stdin not a terminal does the same.

Options:
  -c, --config FILE        config file (default: see "orch help config")
      --http HOST:PORT     serve Streamable HTTP at http://HOST:PORT/mcp instead
                           of stdio (HOST defaults to 127.0.0.1; PORT 0 = any);
                           clients of the old SSE transport use /sse
      --auth token|none    token (default): every HTTP request needs the bearer
                           token; none: no token, on a loopback HOST only
      --session-idle SECS  close an HTTP session idle this long with no event
                           stream open (its client is gone; default 1800);
                           a session with a call in flight is never closed
      --max-sessions N     HTTP sessions open at once (default 64); at the cap
                           the session idle longest is closed for a new client
      --expose MODE        code (default): orch's tools; direct: every server's
                           tools as server__tool; both: the two together
      --refresh            re-discover tools instead of using the cache
  -h, --help               this help

HTTP needs "Authorization: Bearer TOKEN" on every request: TOKEN is
$ORCH_HTTP_TOKEN, or one orch generates and prints to stderr. orch does no
OAuth: a client that tries it is told to send the token.

Under the MCP Inspector, whose own --config would take the option, write
-c FILE (or put orch's options after --).

Hybrid mode: with $MCP_CLIENT_IPC_URL set (by an MCP client that offers its
own server connections), orch starts no server: it lists and calls tools
through the client; the config file is then optional, and when there is one
only its servers are offered (never orch itself, never a server the client
disabled). The seed's client (mcp-client-example) sets MCP_CLIENT_IPC_URL only
for an entry named exactly "mcp-tools-orchestrator" that is not "disabled":
under any other name orch runs standalone and starts its own copy of every
server. orchestrator.mode in the config: auto (default: hybrid when the URL is
set), hybrid (refuse to start without the URL), standalone (always own
servers). orchestrator.clientWait (seconds, default 30; $ORCH_CLIENT_IPC_WAIT
overrides): how long to wait for the client to list every configured server.
Run outputs go to $MCP_CLIENT_OUTPUT_DIR when set. The client's per-call
timeout (mcpTimeout, 60 s; /set-timeout in the client) bounds a whole
execute_composed_code: raise it for long policies.`;

const EXPOSE = ["code", "direct", "both"] as const;

const LOOPBACK_HOST = /^(localhost|127(\.\d{1,3}){3}|::1)$/i;

/** A whole number option at least `min`, or a UsageError naming it. */
function wholeNumber(name: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) {
    throw new UsageError(`${name} wants a whole number of at least ${min}, not "${text}"`);
  }
  return n;
}

/** Parses `HOST:PORT`, `:PORT`, `PORT` or `[v6]:PORT`. */
export function parseHttpAddress(text: string): { hostname: string; port: number } {
  const m = /^(?:(\[[^\]]+\]|[^:]*):)?(\d{1,5})$/.exec(text.trim());
  const port = Number(m?.[2]);
  if (!m || !Number.isInteger(port) || port > 65535) {
    throw new UsageError(`--http wants HOST:PORT (e.g. 127.0.0.1:8765), not "${text}"`);
  }
  const host = (m[1] ?? "").replace(/^\[(.*)\]$/, "$1");
  return { hostname: host || "127.0.0.1", port };
}

/** The config in hybrid mode: the file when there is one (its servers are the whitelist), else defaults. */
function hybridConfig(explicit: string | undefined): Config {
  let base: Config | undefined;
  try {
    base = loadConfig(findConfig({ explicit, env: rt.env, cwd: process.cwd(), platform: process.platform }), {
      env: rt.env,
      selfPath: rt.isCompiled() ? rt.execPath() : undefined,
    });
  } catch (err) {
    if (!(err instanceof ConfigNotFoundError) || explicit || rt.env("ORCH_CONFIG")) throw err;
  }
  return base ?? {
    path: "(no config file: hybrid mode)",
    baseDir: process.cwd(),
    servers: new Map(),
    skipped: [],
    orchestrator: OrchestratorSchema.parse({}),
    warnings: [],
  };
}

function say(line: string): void {
  void rt.write(2, `orch: ${line}\n`).catch(() => {});
}

/** Resolves on the first of SIGINT, SIGTERM or SIGHUP. */
function untilSignal(): { done: Promise<string>; off: () => void } {
  let offs: (() => void)[] = [];
  const done = new Promise<string>((resolve) => {
    offs = (["SIGINT", "SIGTERM", "SIGHUP"] as const).map((s) => rt.onSignal(s, () => resolve(s)));
  });
  return { done, off: () => offs.forEach((off) => off()) };
}

/** The config and, in hybrid mode, the client's IPC URL; throws ConfigError when the mode cannot be met. */
function serveConfig(explicit: string | undefined): { config: Config; ipcUrl?: string } {
  const ipcUrl = rt.env("MCP_CLIENT_IPC_URL") || undefined;
  // The file decides the mode; with the client's IPC at hand it is optional.
  const config = ipcUrl ? hybridConfig(explicit) : openConfig(explicit);
  const hybrid = resolveMode(config, ipcUrl, (w) => say(`warning: ${w}`));
  return hybrid ? { config, ipcUrl } : { config };
}

/** Runs `orch serve`; returns the exit code once the client disconnects or a signal arrives. */
export async function serveCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: "string", short: "c" },
      http: { type: "string" },
      auth: { type: "string" },
      "session-idle": { type: "string" },
      "max-sessions": { type: "string" },
      expose: { type: "string" },
      refresh: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    await rt.write(1, SERVE_HELP + "\n");
    return 0;
  }
  const expose = (values.expose ?? "code") as Expose;
  if (!EXPOSE.includes(expose)) throw new UsageError(`--expose must be code, direct or both, not "${values.expose}"`);
  const http = values.http === undefined ? undefined : parseHttpAddress(values.http);
  const auth = values.auth ?? "token";
  if (auth !== "token" && auth !== "none") throw new UsageError(`--auth must be token or none, not "${auth}"`);
  if (auth === "none" && http && !LOOPBACK_HOST.test(http.hostname)) {
    throw new UsageError(
      `--auth none serves without a token, so only on a loopback address (127.0.0.1, ::1, localhost), not "${http.hostname}"`,
    );
  }
  const idleS = wholeNumber("--session-idle", values["session-idle"], 1800, 1);
  const maxSessions = wholeNumber("--max-sessions", values["max-sessions"], 64, 1);
  if (!http) {
    // stdout is the MCP channel: anything a library logs goes to stderr instead.
    console.log = console.info = console.debug = console.error;
  }

  const { config, ipcUrl } = serveConfig(values.config);
  for (const w of config.warnings) say(`warning: ${w}`);
  const cacheDir = openCacheDir(config);
  const ipc = ipcUrl ? hybridSource(ipcUrl, config, say) : undefined;
  const source: ToolSource = ipc ?? new UpstreamPool(config, { logDir: join(cacheDir, "logs") });
  const engine = new Engine({ config, source, cacheDir, useCache: !ipc });
  const service = new OrchService(engine, { ipc, expose, log: say });
  source.onToolsChanged = (server) => service.toolsChanged(server);

  const signals = untilSignal();
  let stop: Promise<string>;
  let closeFace: () => Promise<void>;
  if (http) {
    const token = auth === "none" ? undefined : rt.env("ORCH_HTTP_TOKEN") || randomToken(24);
    const face = createHttpApp({
      service,
      token,
      hostname: http.hostname,
      maxSessions,
      sessionIdleMs: idleS * 1000,
    });
    const served = await rt.serve({ hostname: http.hostname, port: http.port }, face.app.fetch).catch(async (err) => {
      if (!isErrno(err, "EADDRINUSE", "EACCES", "EADDRNOTAVAIL")) throw err;
      await Promise.allSettled([face.close(), service.close()]);
      const why = isErrno(err, "EADDRINUSE")
        ? "the port is in use (another orch serve?): pick another with --http HOST:PORT"
        : isErrno(err, "EACCES")
        ? "not allowed to listen there (ports below 1024 need root): pick another"
        : "no such address on this machine";
      throw new UsageError(`--http ${http.hostname}:${http.port}: ${why}`);
    });
    if (token === undefined) {
      say("warning: --auth none: any process on this machine, of any user, can run policies through it");
    }
    say(`serving MCP (Streamable HTTP) at ${served.address}/mcp (old SSE clients: ${served.address}/sse)`);
    if (token !== undefined && !rt.env("ORCH_HTTP_TOKEN")) {
      say(`bearer token (set ORCH_HTTP_TOKEN to choose it): ${token}`);
    }
    stop = signals.done;
    closeFace = async () => {
      await face.close();
      await served.close();
    };
  } else {
    const transport = new StdioServerTransport();
    const server = createMcpServer(service);
    server.onerror = (err) => say(`MCP: ${errorText(err)}`);
    const closed = new Promise<string>((resolve) => {
      const previous = server.onclose;
      server.onclose = () => {
        previous?.();
        resolve("stdin closed");
      };
    });
    await server.connect(transport);
    stop = Promise.race([signals.done, closed]);
    closeFace = () => server.close();
  }
  if (ipc) say(`hybrid mode: tools come from the MCP client at ${ipcUrl}`);

  // Warm up: discovery is ready by the time the agent asks. Not in hybrid mode: the client is still
  // connecting its servers now, and lets its agent call orch only once they are all up.
  if (!ipc) {
    const warm = values.refresh ? service.refresh() : service.catalog();
    warm.catch((err) => say(`tool discovery failed: ${errorText(err)}`));
  }

  const why = await stop;
  signals.off();
  await service.close();
  await closeFace().catch(() => {});
  return why.startsWith("SIG") ? signalExitCode(why) : 0;
}
