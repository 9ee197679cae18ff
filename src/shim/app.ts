/**
 * The IPC shim: the HTTP face generated policy code calls. It checks the run's scope and forwards
 * to the ToolSource. It never serves itself; the runtime adapter serves `app.fetch`.
 */
import { Hono } from "hono";
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
import type { DirectRoute, PlainAnswer, PlainRequest } from "../runtime/mod.ts";
import { refusedHeader } from "../runtime/host_check.ts";
import { rawResultOf } from "../sources/raw_result.ts";
import type { CallToolResult, ToolSource } from "../sources/types.ts";
import { failureBody, SHIM_ANSWERS, type ShimAnswerKind } from "./answers.ts";
import { readBodyText } from "./body.ts";
import { toolResultBody } from "./result.ts";
import { RunScope, type ScopeRegistry } from "./scope.ts";
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
/** The names the shim answers to on TCP: it listens on 127.0.0.1 only. */
const SHIM_HOST = /^(localhost|127\.0\.0\.1|\[::1\])$/i;
const shimHost = (host: string) => SHIM_HOST.test(host);
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

/** An answer of the shim before it becomes a Response (Hono) or bytes (the direct route). */
interface Answer {
  status: number;
  /** JSON text, or its UTF-8 bytes as chunks in order. */
  body: string | Uint8Array[];
}

/** What the shim reads of a request, whichever way it came. */
interface ShimRequest {
  url: string;
  header(name: string): string | null;
  /** The body as text; undefined when it is longer than `maxBytes`. */
  text(maxBytes: number): Promise<string | undefined>;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

function json(body: unknown, status = 200): Answer {
  return { status, body: JSON.stringify(body) };
}

/** A refusal of one kind of the answer contract (answers.ts): its status, `error` and flag. */
function fail(kind: ShimAnswerKind, error: string): Answer {
  return { status: SHIM_ANSWERS[kind].status, body: failureBody(kind, error) };
}

function toResponse(answer: Answer): Response {
  const body = typeof answer.body === "string" ? answer.body : new Blob(answer.body as Uint8Array<ArrayBuffer>[]);
  return new Response(body, { status: answer.status, headers: JSON_HEADERS });
}

function toPlain(answer: Answer): PlainAnswer {
  const body = typeof answer.body === "string" ? [encoder.encode(answer.body)] : answer.body;
  return { status: answer.status, contentType: JSON_HEADERS["content-type"], body };
}

function fromRequest(req: Request): ShimRequest {
  return { url: req.url, header: (name) => req.headers.get(name), text: (max) => readBodyText(req, max) };
}

function fromPlain(req: PlainRequest): ShimRequest {
  return {
    url: req.url,
    header: req.header,
    // The server framed the body by its Content-Length, so its length is the declared one.
    text: (max) => Promise.resolve(req.body.length > max ? undefined : decoder.decode(req.body)),
  };
}

/** The servers and tools a catalog names; a failed server maps to null (its tools are unknown). */
type CatalogIndex = Map<string, Set<string> | null>;

/** The shim: its Hono app, and `POST /call_tool` as a route a runtime may answer without Request/Response. */
export interface IpcShim {
  app: Hono;
  direct: DirectRoute;
}

/** Builds the shim's Hono app for one ToolSource and the scopes in `deps.registry`. */
export function createIpcApp(deps: IpcAppDeps): Hono {
  return createIpcShim(deps).app;
}

/** Builds the shim; `direct` answers `POST /call_tool` exactly as `app.fetch` does. */
export function createIpcShim(deps: IpcAppDeps): IpcShim {
  const { registry, source } = deps;
  const maxBytes = deps.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const indexes = new WeakMap<Catalog, CatalogIndex>();

  /** The run scope of a request, or the 401/403 answer refusing it. */
  function authorize(req: Pick<ShimRequest, "url" | "header">): RunScope | Answer {
    if (deps.tcp) {
      const host = req.header("host") ?? new URL(req.url).host;
      const origin = req.header("origin");
      const refused = refusedHeader(host, origin, shimHost, shimHost);
      if (refused !== undefined) {
        const value = refused === "Host" ? host : origin;
        return fail("forbidden", `${refused} ${value} is not allowed: orch IPC answers only localhost`);
      }
    }
    const auth = req.header("authorization");
    if (auth === null) return fail("unauthorized", "missing Authorization: Bearer <run token>");
    const bearer = auth.length > 7 && auth.slice(0, 7).toLowerCase() === "bearer ";
    return (bearer ? registry.get(auth.slice(7)) : undefined) ?? fail("unauthorized", "invalid or expired run token");
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

  async function callTool(req: ShimRequest): Promise<Answer> {
    const scope = authorize(req);
    if (!(scope instanceof RunScope)) return scope;
    const text = await req.text(maxBytes);
    if (text === undefined) return fail("tooLarge", `request body is larger than ${maxBytes} bytes`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (err) {
      return fail("badRequest", `request body is not JSON: ${errorText(err)}`);
    }
    if (body === null || typeof body !== "object" || Array.isArray(body)) {
      return fail("badRequest", "request body must be a JSON object with server, tool and arguments");
    }
    const { server, tool, arguments: rawArgs } = body as Record<string, unknown>;
    if (typeof server !== "string" || server === "") {
      return fail("badRequest", `field "server" must be a non-empty string`);
    }
    if (typeof tool !== "string" || tool === "") return fail("badRequest", `field "tool" must be a non-empty string`);
    if (rawArgs !== undefined && rawArgs !== null && (typeof rawArgs !== "object" || Array.isArray(rawArgs))) {
      return fail("badRequest", `field "arguments" must be an object`);
    }
    const args = (rawArgs ?? {}) as Record<string, unknown>;
    if (scope.aborted) return fail("aborted", `[ABORTED] ${scope.abortReason}`);
    if (deps.ensureServer && lazyMissing(server)) {
      await untilAborted(deps.ensureServer(server), scope.signal);
      if (scope.aborted) return fail("aborted", `[ABORTED] ${scope.abortReason}`);
    }
    const unknown = unknownTool(scope, server, tool);
    if (unknown !== undefined) return fail("unknown", unknown);
    try {
      const result = await scope.call(
        server,
        tool,
        args,
        (call) => source.callTool(server, tool, args, { cancel: call }),
      );
      return resultAnswer(result);
    } catch (err) {
      // The MCP client's user aborted (hybrid mode): the whole run ends, not only this call.
      if (err instanceof UpstreamAbortedError) scope.abort(`the MCP client aborted: ${err.reason}`);
      return callFailure(err, server, tool);
    }
  }

  async function listTools(req: Request): Promise<Answer> {
    const scope = authorize(fromRequest(req));
    if (!(scope instanceof RunScope)) return scope;
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
  const callGuarded = (req: ShimRequest) =>
    callTool(req).catch((err) => fail("internal", `internal error: ${errorText(err)}`));
  app.post("/call_tool", async (c) => toResponse(await callTool(fromRequest(c.req.raw))));
  app.get("/list_tools", async (c) => toResponse(await listTools(c.req.raw)));
  app.get("/health", (c) => {
    const scope = authorize(fromRequest(c.req.raw));
    return toResponse(scope instanceof RunScope ? json({ status: "ok" }) : scope);
  });
  app.notFound((c) => {
    const method = ROUTES[c.req.path];
    if (method !== undefined) {
      const body = failureBody("wrongMethod", `${c.req.path} takes ${method}, not ${c.req.method}`);
      return new Response(body, {
        status: SHIM_ANSWERS.wrongMethod.status,
        headers: { ...JSON_HEADERS, allow: method },
      });
    }
    return toResponse(fail("unknown", `no route ${c.req.method} ${c.req.path}`));
  });
  app.onError((err) => toResponse(fail("internal", `internal error: ${errorText(err)}`)));
  // The hot path skips the router: `POST /call_tool` is answered before Hono sees the request.
  const routed = app.fetch;
  app.fetch = async (req, env, ctx) => {
    if (req.method !== "POST" || pathOf(req.url) !== "/call_tool") return routed(req, env, ctx);
    return toResponse(await callGuarded(fromRequest(req)));
  };
  const direct: DirectRoute = {
    method: "POST",
    path: "/call_tool",
    handle: async (req) => toPlain(await callGuarded(fromPlain(req))),
  };
  return { app, direct };
}

/** The path of a request URL (`http://host/path?query`), without parsing the whole URL. */
function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return "/";
  const end = url.indexOf("?", start);
  return end < 0 ? url.slice(start) : url.slice(start, end);
}

const SUCCESS_OPEN = encoder.encode('{"success":true,');

/**
 * The 200 answer for a tool result. When the source kept the bytes the result came as (a large
 * result, checked: raw_result.ts), they are sent on as chunks behind `{"success":true,` instead of
 * being written out again: the same members (content, structuredContent) as toolResultBody's.
 */
function resultAnswer(result: CallToolResult): Answer {
  const raw = result.isError === true ? undefined : rawResultOf(result);
  if (raw !== undefined) return { status: 200, body: [SUCCESS_OPEN, raw.subarray(1)] };
  return json(toolResultBody(result));
}

/** The answer for a call that did not produce a tool result. */
function callFailure(err: unknown, server: string, tool: string): Answer {
  if (err instanceof CallDeniedError) return fail("denied", err.reason);
  if (err instanceof UnknownToolError || err instanceof UnknownServerError) return fail("unknown", err.message);
  if (err instanceof RunAbortedError || err instanceof UpstreamAbortedError) {
    return fail("aborted", err.message);
  }
  if (err instanceof UpstreamError) {
    const prefix = `${err.server}: `;
    return fail("upstream", err.message.startsWith(prefix) ? err.message : prefix + err.message);
  }
  return fail("internal", `internal error calling ${server}.${tool}: ${errorText(err)}`);
}
