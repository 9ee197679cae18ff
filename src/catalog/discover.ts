/** Builds the Catalog: every server in parallel, each bounded by a timeout, the cache first. */
import type { Config, ServerConfig } from "../config/schema.ts";
import { ErrorCode, McpError } from "../deps/mcp_sdk.ts";
import { errorText, UpstreamError } from "../errors.ts";
import type { ToolSource } from "../sources/types.ts";
import { cacheKey, type CatalogCache } from "./cache.ts";
import type { Catalog, ServerTools } from "./types.ts";
import type { ToolInfo } from "../sources/types.ts";

/** How a server reached through the MCP client's IPC is discovered: only live, never from source. */
const CLIENT_IPC_ENTRY: ServerConfig = {
  type: "http",
  url: "http://client-ipc.invalid/",
  headers: {},
  introspect: "mcp",
};

/** What static introspection gives back for one server. */
export interface StaticResult {
  tools: ToolInfo[];
  warnings: string[];
}

export interface DiscoverOptions {
  /** Skip the cache (it is still written). */
  refresh?: boolean;
  cache?: CatalogCache;
  /** Only these servers (default: all). */
  servers?: string[];
  /** Reads a Python server's tools from its source; absent when static introspection is unavailable. */
  staticIntrospect?: (server: string, entry: ServerConfig) => Promise<StaticResult>;
  /** Key inputs for a static server without running the introspection (file hashes); undefined = not static. */
  staticKey?: (server: string, entry: ServerConfig) => unknown;
  /**
   * Servers read from the cache only: a miss leaves them out of the catalog instead of starting them
   * (a run discovers a server its policy does not name only when it first calls it).
   */
  cacheOnly?: ReadonlySet<string>;
}

/** How long a server that timed out during discovery is not waited for again. */
export const TIMEOUT_MEMORY_MS = 5 * 60_000;

/** True when discovery failed for want of an answer in time (not a crash or a refusal). */
function isTimeout(err: unknown, aborted: boolean): boolean {
  if (aborted) return true;
  for (let e = err; e instanceof Error; e = e.cause) {
    if (e instanceof McpError && e.code === ErrorCode.RequestTimeout) return true;
  }
  return false;
}

function clock(iso: string): string {
  return iso.slice(11, 19);
}

async function fromServer(
  server: string,
  entry: ServerConfig,
  source: ToolSource,
  config: Config,
  opts: DiscoverOptions,
  key: string,
): Promise<ServerTools> {
  const started = performance.now();
  const mode = entry.introspect ?? "auto";
  const done = (part: Omit<ServerTools, "server" | "durationMs">): ServerTools => ({
    server,
    durationMs: Math.round(performance.now() - started),
    ...part,
  });
  let liveError: unknown;
  const remembered = opts.cache && !opts.refresh ? opts.cache.getFailure(key) : undefined;
  if (remembered && mode !== "static") {
    liveError = new UpstreamError(
      server,
      `${remembered.error} (at ${clock(remembered.savedAt)} UTC; not tried again before ${
        clock(remembered.until)
      } UTC, or now with --refresh)`,
      { stderrTail: remembered.stderrTail },
    );
  } else if (mode !== "static") {
    const timeoutMs = config.orchestrator.discoveryTimeout * 1000;
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), timeoutMs + 1000);
    try {
      const tools = await source.listTools(server, ac.signal);
      const warnings = tools.warnings;
      return done({
        status: "ok",
        origin: source.origin ?? "mcp",
        tools: [...tools],
        ...(warnings ? { warnings } : {}),
      });
    } catch (err) {
      liveError = ac.signal.aborted
        ? new UpstreamError(server, `${server}: no answer within ${timeoutMs / 1000} s`)
        : err;
      if (opts.cache && isTimeout(err, ac.signal.aborted)) {
        const text = errorText(liveError).replace(new RegExp(`^${escapeRe(server)}: `), "");
        const tail = liveError instanceof UpstreamError ? liveError.stderrTail : undefined;
        opts.cache.putFailure({ key, server, error: text, stderrTail: tail }, TIMEOUT_MEMORY_MS);
      }
    } finally {
      clearTimeout(timer);
    }
  }
  if (mode !== "mcp" && opts.staticIntrospect && (mode === "static" || entry.type === "stdio")) {
    try {
      const res = await opts.staticIntrospect(server, entry);
      // A fallback that finds nothing explains less than the live failure does.
      if (liveError && !res.tools.length) throw liveError;
      const warnings = [...res.warnings];
      if (liveError) warnings.unshift(`live tools/list failed (${errorText(liveError)}); tools read from source`);
      return done({ status: "ok", origin: "static", tools: res.tools, warnings });
    } catch (err) {
      // With a live error at hand keep it: it is the one a person can act on; static was the fallback.
      if (!liveError) liveError = err;
    }
  }
  const e = liveError instanceof UpstreamError ? liveError : undefined;
  return done({
    status: "failed",
    origin: "mcp",
    tools: [],
    error: errorText(liveError).replace(new RegExp(`^${escapeRe(server)}: `), ""),
    stderrTail: e?.stderrTail,
  });
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Discovers every configured server's tools; one failure never hides the others. */
export async function discover(config: Config, source: ToolSource, opts: DiscoverOptions = {}): Promise<Catalog> {
  const names = opts.servers ?? source.serverNames();
  const found = await Promise.all(names.map(async (server): Promise<ServerTools | undefined> => {
    // Hybrid mode: the client holds the connection, whatever orch's config says about starting it.
    const entry = source.origin === "client-ipc" ? CLIENT_IPC_ENTRY : config.servers.get(server);
    if (!entry) {
      return { server, status: "failed", origin: "mcp", tools: [], error: "not in the config", durationMs: 0 };
    }
    const extra = entry.type === "stdio" ? opts.staticKey?.(server, entry) ?? null : null;
    const key = cacheKey(server, entry, extra);
    if (opts.cache && !opts.refresh) {
      const hit = opts.cache.get(key);
      if (hit) {
        return {
          server,
          status: "ok",
          origin: "cache",
          cachedFrom: hit.origin,
          tools: hit.tools,
          warnings: hit.warnings,
          durationMs: 0,
        };
      }
    }
    if (opts.cacheOnly?.has(server)) return undefined;
    const result = await fromServer(server, entry, source, config, opts, key);
    if (result.status === "ok" && opts.cache && result.origin !== "cache") {
      opts.cache.put({ key, server, origin: result.origin, tools: result.tools, warnings: result.warnings });
    }
    return result;
  }));
  return { servers: found.filter((s) => s !== undefined) };
}
