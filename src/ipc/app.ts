/**
 * The IPC shim: the HTTP face generated policy code calls. It checks the run's scope and forwards
 * to the ToolSource. It never serves itself; the runtime adapter serves `app.fetch`.
 */
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { Catalog } from "../catalog/types.ts";
import {
  CallDeniedError,
  errorText,
  RunAbortedError,
  UnknownServerError,
  UnknownToolError,
  UpstreamAbortedError,
  UpstreamError,
} from "../errors.ts";
import type { ToolSource } from "../sources/types.ts";
import { readBodyText } from "./body.ts";
import { toolResultBody } from "./result.ts";
import type { RunScope, ScopeRegistry } from "./scope.ts";
import { unknownServerMessage, unknownToolMessage } from "./suggest.ts";

export interface IpcAppDeps {
  registry: ScopeRegistry;
  source: ToolSource;
  /** The current catalog; undefined while discovery has not finished. Replaced, never mutated. */
  catalog: () => Catalog | undefined;
  /** Discovers a server the catalog left out (a lazy run) before its first call is checked. */
  ensureServer?: (server: string) => Promise<void>;
  /** Largest request body accepted; default 16 MiB. */
  maxBodyBytes?: number;
  /** Set when served on TCP: Host and Origin must then name localhost (DNS rebinding). */
  tcp?: boolean;
}

/** One tool as `GET /list_tools` lists it. */
export interface ListedTool {
  name: string;
  description: string;
  input_schema: Record<string, unknown>;
}

const DEFAULT_MAX_BODY = 16 * 1024 * 1024;
const JSON_HEADERS = { "content-type": "application/json" };
const LOCAL_HOST = /^(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/i;
const LOCAL_ORIGIN = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/i;
const ROUTES: Record<string, string> = { "/call_tool": "POST", "/list_tools": "GET", "/health": "GET" };

/** Waits for `p` (its failure is the catalog's to report) or for `signal` to abort, whichever comes first. */
function untilAborted(p: Promise<void>, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      signal.removeEventListener("abort", done);
      resolve();
    };
    signal.addEventListener("abort", done, { once: true });
    p.then(done, done);
  });
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: JSON_HEADERS });
}

function fail(status: number, error: string, extra?: Record<string, unknown>): Response {
  return json({ success: false, error, ...extra }, status);
}

/** The servers and tools a catalog names; a failed server maps to null (its tools are unknown). */
type CatalogIndex = Map<string, Set<string> | null>;

/** Builds the shim's Hono app for one ToolSource and the scopes in `deps.registry`. */
export function createIpcApp(deps: IpcAppDeps): Hono {
  const { registry, source } = deps;
  const maxBytes = deps.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const indexes = new WeakMap<Catalog, CatalogIndex>();

  /** The run scope of a request, or the 401/403 answer refusing it. */
  function authorize(req: Request): RunScope | Response {
    if (deps.tcp) {
      const host = req.headers.get("host") ?? new URL(req.url).host;
      if (!LOCAL_HOST.test(host)) return fail(403, `Host ${host} is not allowed: orch IPC answers only localhost`);
      const origin = req.headers.get("origin");
      if (origin !== null && !LOCAL_ORIGIN.test(origin)) {
        return fail(403, `Origin ${origin} is not allowed: orch IPC answers only localhost`);
      }
    }
    const auth = req.headers.get("authorization");
    if (auth === null) return fail(401, "missing Authorization: Bearer <run token>");
    const bearer = auth.length > 7 && auth.slice(0, 7).toLowerCase() === "bearer ";
    return (bearer ? registry.get(auth.slice(7)) : undefined) ?? fail(401, "invalid or expired run token");
  }

  function indexOf(catalog: Catalog): CatalogIndex {
    let index = indexes.get(catalog);
    if (index === undefined) {
      index = new Map();
      for (const s of catalog.servers) {
        index.set(s.server, s.status === "ok" ? new Set(s.tools.map((t) => t.name)) : null);
      }
      indexes.set(catalog, index);
    }
    return index;
  }

  /**
   * True when the catalog does not know the server's tools, so it must be discovered first: a lazy
   * run's catalog has no entry for it, or its discovery failed (the inputSchema check needs them).
   */
  function lazyMissing(server: string): boolean {
    const catalog = deps.catalog();
    return catalog !== undefined && (indexOf(catalog).get(server) ?? null) === null;
  }

  /** The 404 message for a server or tool the catalog does not know; undefined when it may exist. */
  function unknownTool(scope: RunScope, server: string, tool: string): string | undefined {
    const catalog = deps.catalog();
    if (catalog === undefined) return undefined;
    const index = indexOf(catalog);
    const tools = index.get(server);
    if (tools === null || tools?.has(tool)) return undefined;
    if (tools === undefined) {
      const names = source.serverNames();
      if (names.includes(server)) return undefined;
      return unknownServerMessage(server, [...new Set([...index.keys(), ...names])]);
    }
    const allowed = [...tools].filter((t) => scope.allows(server, t));
    return unknownToolMessage(server, tool, allowed);
  }

  async function callTool(req: Request): Promise<Response> {
    const scope = authorize(req);
    if (scope instanceof Response) return scope;
    const text = await readBodyText(req, maxBytes);
    if (text === undefined) return fail(413, `request body is larger than ${maxBytes} bytes`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (err) {
      return fail(400, `request body is not JSON: ${errorText(err)}`);
    }
    if (body === null || typeof body !== "object" || Array.isArray(body)) {
      return fail(400, "request body must be a JSON object with server, tool and arguments");
    }
    const { server, tool, arguments: rawArgs } = body as Record<string, unknown>;
    if (typeof server !== "string" || server === "") return fail(400, `field "server" must be a non-empty string`);
    if (typeof tool !== "string" || tool === "") return fail(400, `field "tool" must be a non-empty string`);
    if (rawArgs !== undefined && rawArgs !== null && (typeof rawArgs !== "object" || Array.isArray(rawArgs))) {
      return fail(400, `field "arguments" must be an object`);
    }
    const args = (rawArgs ?? {}) as Record<string, unknown>;
    if (scope.aborted) return fail(409, `[ABORTED] ${scope.abortReason}`, { aborted: true });
    if (deps.ensureServer && lazyMissing(server)) {
      await untilAborted(deps.ensureServer(server), scope.signal);
      if (scope.aborted) return fail(409, `[ABORTED] ${scope.abortReason}`, { aborted: true });
    }
    const unknown = unknownTool(scope, server, tool);
    if (unknown !== undefined) return fail(404, unknown);
    try {
      const result = await scope.call(
        server,
        tool,
        args,
        (call) => source.callTool(server, tool, args, { cancel: call }),
      );
      return json(toolResultBody(result));
    } catch (err) {
      // The MCP client's user aborted (hybrid mode): the whole run ends, not only this call.
      if (err instanceof UpstreamAbortedError) scope.abort(`the MCP client aborted: ${err.reason}`);
      return callFailure(err, server, tool);
    }
  }

  async function listTools(req: Request): Promise<Response> {
    const scope = authorize(req);
    if (scope instanceof Response) return scope;
    const servers: Record<string, ListedTool[]> = {};
    let total = 0;
    for (const { server, tools } of await currentTools(scope.signal)) {
      const listed: ListedTool[] = [];
      for (const t of tools) {
        if (!scope.allows(server, t.name)) continue;
        listed.push({ name: t.name, description: t.description ?? "", input_schema: t.inputSchema });
      }
      if (listed.length === 0) continue;
      servers[server] = listed;
      total += listed.length;
    }
    return json({ success: true, servers, total_servers: Object.keys(servers).length, total_tools: total });
  }

  /** The catalog's servers, or, before discovery has finished, what the source lists now. */
  async function currentTools(signal: AbortSignal): Promise<Catalog["servers"]> {
    const catalog = deps.catalog();
    if (catalog !== undefined) return catalog.servers;
    const names = source.serverNames();
    const lists = await Promise.allSettled(names.map((name) => source.listTools(name, signal)));
    return names.map((server, i) => {
      const listed = lists[i];
      const tools = listed?.status === "fulfilled" ? listed.value : [];
      return { server, status: "ok", origin: "mcp", tools, durationMs: 0 };
    });
  }

  const app = new Hono();
  app.post("/call_tool", (c) => callTool(c.req.raw));
  app.get("/list_tools", (c) => listTools(c.req.raw));
  app.get("/health", (c) => {
    const scope = authorize(c.req.raw);
    return scope instanceof Response ? scope : json({ status: "ok" });
  });
  app.notFound((c) => {
    const method = ROUTES[c.req.path];
    if (method !== undefined) {
      const body = JSON.stringify({ success: false, error: `${c.req.path} takes ${method}, not ${c.req.method}` });
      return new Response(body, { status: 405, headers: { ...JSON_HEADERS, allow: method } });
    }
    return fail(404, `no route ${c.req.method} ${c.req.path}`);
  });
  app.onError((err) => {
    const status = err instanceof HTTPException ? err.status : 500;
    return fail(status, status === 500 ? `internal error: ${errorText(err)}` : errorText(err));
  });
  // The hot path skips the router: `POST /call_tool` is answered before Hono sees the request.
  const routed = app.fetch;
  app.fetch = (req, env, ctx) => {
    if (req.method !== "POST" || pathOf(req.url) !== "/call_tool") return routed(req, env, ctx);
    return callTool(req).catch((err) => fail(500, `internal error: ${errorText(err)}`));
  };
  return app;
}

/** The path of a request URL (`http://host/path?query`), without parsing the whole URL. */
function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return "/";
  const end = url.indexOf("?", start);
  return end < 0 ? url.slice(start) : url.slice(start, end);
}

/** The answer for a call that did not produce a tool result. */
function callFailure(err: unknown, server: string, tool: string): Response {
  if (err instanceof CallDeniedError) return fail(403, err.reason, { denied: true });
  if (err instanceof UnknownToolError || err instanceof UnknownServerError) return fail(404, err.message);
  if (err instanceof RunAbortedError || err instanceof UpstreamAbortedError) {
    return fail(409, err.message, { aborted: true });
  }
  if (err instanceof UpstreamError) {
    const prefix = `${err.server}: `;
    return fail(502, err.message.startsWith(prefix) ? err.message : prefix + err.message, { upstream: true });
  }
  return fail(500, `internal error calling ${server}.${tool}: ${errorText(err)}`);
}
