/**
 * `orch serve --http`: MCP Streamable HTTP at `/mcp` inside a Hono app, one SDK transport and Server
 * per session id, plus the old HTTP+SSE transport at `/sse` and `/messages` for clients that speak only
 * it. Every request needs the bearer token (unless `--auth none`, loopback only); Host and Origin must
 * name this machine (DNS rebinding). Idle sessions expire (see http_sessions.ts). A client that drops
 * the stream of a request in flight cancels that request, as `notifications/cancelled` would (some
 * clients, e.g. `@ai-sdk/mcp`, abort by closing the connection only). The app never serves itself:
 * the CLI hands `app.fetch` to the runtime adapter.
 */
import { hostOnly, LOOPBACK, refusedHeader } from "../runtime/host_check.ts";
import { Hono } from "hono";
import {
  isInitializeRequest,
  type JSONRPCMessage,
  type Server,
  WebStandardStreamableHTTPServerTransport,
} from "../deps/mcp_sdk.ts";
import { errorText } from "../errors.ts";
import { readBodyText } from "../shim/body.ts";
import { mountOAuthAnswers, unauthorized } from "./http_auth.ts";
import { SessionTable } from "./http_sessions.ts";
import { createMcpServer } from "./server.ts";
import type { OrchService } from "./service.ts";
import { LegacySseTransport } from "./sse_legacy.ts";

export interface HttpAppOptions {
  service: OrchService;
  /** The bearer token every request must carry; undefined serves without one (`--auth none`). */
  token: string | undefined;
  /** The host orch listens on; it is accepted in Host and Origin besides loopback names. */
  hostname: string;
  /** Largest request body; default 16 MiB (a policy travels in one). */
  maxBodyBytes?: number;
  /** Most sessions open at once; default 64. At the cap the session idle longest is closed. */
  maxSessions?: number;
  /** A session without a request in flight for this long is closed; default 30 minutes. */
  sessionIdleMs?: number;
  /** Milliseconds now (tests inject a clock). */
  now?: () => number;
}

type McpSession = { transport: WebStandardStreamableHTTPServerTransport | LegacySseTransport; server: Server };

/** Idle time after which a session is closed, unless the CLI says otherwise. */
export const DEFAULT_SESSION_IDLE_MS = 30 * 60 * 1000;

const IP_LITERAL = /^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-f:.]+\])$/i;

function rpcError(status: number, code: number, message: string, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id: null }), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** Constant-time string comparison. */
function sameToken(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/** Ids of the requests (not notifications or answers) in a POSTed body. */
function requestIds(body: unknown): (string | number)[] {
  const all = Array.isArray(body) ? body : [body];
  return all.flatMap((m) => {
    const x = m as { id?: unknown; method?: unknown };
    return typeof x?.method === "string" && (typeof x.id === "string" || typeof x.id === "number") ? [x.id] : [];
  });
}

/**
 * The response's event stream, passed through: `ended` is called once it ends either way, and
 * `dropped` first when the client cancelled it (its requests are then cancelled).
 */
function watchStream(res: Response, on: { dropped?: () => void; ended?: () => void }): Response {
  if (!res.body || !(res.headers.get("content-type") ?? "").startsWith("text/event-stream")) {
    on.ended?.();
    return res;
  }
  const reader = res.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (!done) return controller.enqueue(value);
      controller.close();
      on.ended?.();
    },
    cancel(reason) {
      on.dropped?.();
      on.ended?.();
      return reader.cancel(reason);
    },
  });
  return new Response(body, { status: res.status, headers: res.headers });
}

/** The Hono app serving MCP at /mcp (and legacy SSE), and a close() that ends every session. */
export function createHttpApp(opts: HttpAppOptions): { app: Hono; sessions: () => number; close: () => Promise<void> } {
  const bound = hostOnly(
    opts.hostname.includes(":") && !opts.hostname.startsWith("[") ? `[${opts.hostname}]` : opts.hostname,
  );
  const maxBytes = opts.maxBodyBytes ?? 16 * 1024 * 1024;
  const log = opts.service.log;
  const sessions = new SessionTable<McpSession & { close: () => Promise<void> }>({
    maxSessions: opts.maxSessions ?? 64,
    idleMs: opts.sessionIdleMs ?? DEFAULT_SESSION_IDLE_MS,
    now: opts.now ?? Date.now,
    // A run that answered `running` and a persistent session are reached only through their MCP session.
    busy: (id) => opts.service.runs.list().some((r) => r.owner === id && !r.result) || opts.service.sessions.owns(id),
    onExpire: (id, why) =>
      log(`MCP session ${id} closed: ${why === "idle" ? "idle too long" : "oldest idle at the cap"}`),
  });
  const entry = (transport: McpSession["transport"], server: Server) => ({
    transport,
    server,
    close: () => server.close(),
  });

  // Rebinding needs a DNS name, so IP literals are safe as Host; an Origin must be this machine's.
  const hostAllowed = (h: string) => LOOPBACK.test(h) || IP_LITERAL.test(h) || h === bound;
  const originAllowed = (h: string) => LOOPBACK.test(h) || h === bound;

  /** Room for a new session, or the 503 that says every session is busy. */
  const room = async (): Promise<Response | undefined> => {
    if (await sessions.makeRoom()) return undefined;
    return rpcError(503, -32000, `too many sessions (${sessions.opts.maxSessions}), each with a request in flight`);
  };

  /** A session of the old HTTP+SSE transport: one event stream, messages POSTed to /messages beside it. */
  const openLegacySse = async (): Promise<Response> => {
    await sessions.sweep();
    const full = await room();
    if (full) return full;
    const server = createMcpServer(opts.service);
    const transport = new LegacySseTransport("/messages");
    sessions.add(transport.sessionId, entry(transport, server));
    // Its one stream is the session: open until the client goes (then the transport closes).
    sessions.streamOpened(transport.sessionId);
    transport.onclose = () => sessions.delete(transport.sessionId);
    await server.connect(transport);
    sessions.watch(() => transport.sessionId, transport);
    return new Response(transport.stream, {
      headers: { "content-type": "text/event-stream", "cache-control": "no-cache, no-transform" },
    });
  };

  const app = new Hono();
  app.use("*", async (c, next) => {
    const req = c.req.raw;
    const host = req.headers.get("host") ?? new URL(req.url).host;
    const origin = req.headers.get("origin");
    const refused = refusedHeader(host, origin, hostAllowed, originAllowed);
    if (refused === "Host") return rpcError(403, -32000, `Host "${hostOnly(host)}" is not allowed`);
    // An Origin that is not an http(s) URL ("null") is refused too.
    if (refused === "Origin") return rpcError(403, -32000, `Origin "${origin}" is not allowed`);
    await next();
  });
  mountOAuthAnswers(app);
  if (opts.token !== undefined) {
    const token = opts.token;
    app.use("*", async (c, next) => {
      const req = c.req.raw;
      const given = /^bearer\s+(.+)$/i.exec(req.headers.get("authorization") ?? "")?.[1]?.trim();
      if (given === undefined) return unauthorized(req, "missing Authorization: Bearer <token>", false);
      if (!sameToken(given, token)) return unauthorized(req, "invalid bearer token", true);
      await next();
    });
  }

  app.all("/mcp", async (c) => {
    const req = c.req.raw;
    await sessions.sweep();
    const id = req.headers.get("mcp-session-id");
    let body: unknown;
    if (req.method === "POST") {
      const text = await readBodyText(req, maxBytes);
      if (text === undefined) return rpcError(413, -32000, `request body is larger than ${maxBytes} bytes`);
      try {
        body = JSON.parse(text);
      } catch (err) {
        return rpcError(400, -32700, `Parse error: ${errorText(err)}`);
      }
    }
    if (id !== null) {
      const session = sessions.get(id);
      if (!session || !(session.transport instanceof WebStandardStreamableHTTPServerTransport)) {
        return rpcError(404, -32001, "Session not found: initialize a new one");
      }
      const transport = session.transport;
      if (req.method === "GET") {
        // The client's standing event stream: while it is open, the client is there.
        const res = await transport.handleRequest(req);
        return res.status === 200 ? watchStream(res, { ended: sessions.streamOpened(id) }) : res;
      }
      if (req.method !== "POST") return await transport.handleRequest(req);
      const ids = requestIds(body);
      const res = await transport.handleRequest(req, { parsedBody: body });
      if (ids.length === 0) return res;
      return watchStream(res, {
        dropped: () => {
          const open = new Set(sessions.inflight(id));
          for (const requestId of ids.filter((x) => open.has(x))) {
            log(`MCP session ${id}: the client dropped request ${requestId}; cancelling it`);
            transport.onmessage?.({
              jsonrpc: "2.0",
              method: "notifications/cancelled",
              params: { requestId, reason: "the client closed the request's stream" },
            } as JSONRPCMessage);
          }
        },
      });
    }
    // A client of the old SSE transport pointed at /mcp opens its event stream here.
    if (req.method === "GET" && (req.headers.get("accept") ?? "").includes("text/event-stream")) {
      return await openLegacySse();
    }
    if (req.method !== "POST") return rpcError(400, -32000, "Bad Request: no valid session ID provided");
    const initializing = Array.isArray(body) ? body.some(isInitializeRequest) : isInitializeRequest(body);
    if (!initializing) return rpcError(400, -32000, "Bad Request: no valid session ID provided");
    const full = await room();
    if (full) return full;
    const server = createMcpServer(opts.service);
    const transport: WebStandardStreamableHTTPServerTransport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => crypto.randomUUID(),
      onsessioninitialized: (sid): void => sessions.add(sid, entry(transport, server)),
      onsessionclosed: (sid) => sessions.delete(sid),
      maxRequestBodySize: maxBytes,
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    sessions.watch(() => transport.sessionId, transport);
    return await transport.handleRequest(req, { parsedBody: body });
  });

  // The old HTTP+SSE transport: one event stream per session, messages POSTed beside it.
  app.get("/sse", () => openLegacySse());
  app.post("/messages", async (c) => {
    const sid = c.req.query("sessionId") ?? "";
    const session = sessions.get(sid);
    if (!session || !(session.transport instanceof LegacySseTransport)) {
      return rpcError(404, -32001, "Session not found: open a new event stream with GET /sse");
    }
    const text = await readBodyText(c.req.raw, maxBytes);
    if (text === undefined) return rpcError(413, -32000, `request body is larger than ${maxBytes} bytes`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (err) {
      return rpcError(400, -32700, `Parse error: ${errorText(err)}`);
    }
    const refused = session.transport.receive(body);
    if (refused) return rpcError(400, -32600, `Invalid Request: ${refused}`);
    return new Response("Accepted", { status: 202 });
  });

  app.notFound(() => rpcError(404, -32000, "Not found: MCP is served at /mcp (Streamable HTTP), or /sse (old SSE)"));
  app.onError((err) => rpcError(500, -32603, `Internal error: ${errorText(err)}`));

  return { app, sessions: () => sessions.size, close: () => sessions.closeAll() };
}
