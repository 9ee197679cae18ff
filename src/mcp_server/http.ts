/**
 * `orch serve --http`: MCP Streamable HTTP at `/mcp` inside a Hono app, one
 * SDK transport and Server per session id. Every request needs the bearer
 * token; Host and Origin must name this machine (DNS rebinding). The app
 * never serves itself: the CLI hands `app.fetch` to the runtime adapter.
 */
import { Hono } from "hono";
import { isInitializeRequest, type Server, WebStandardStreamableHTTPServerTransport } from "../deps/mcp_sdk.ts";
import { errorText } from "../errors.ts";
import { readBodyText } from "../ipc/body.ts";
import { createMcpServer } from "./server.ts";
import type { OrchService } from "./service.ts";

export interface HttpAppOptions {
  service: OrchService;
  /** The bearer token every request must carry. */
  token: string;
  /** The host orch listens on; it is accepted in Host and Origin besides loopback names. */
  hostname: string;
  /** Largest request body; default 16 MiB (a policy travels in one). */
  maxBodyBytes?: number;
  /** Most sessions open at once; default 64. */
  maxSessions?: number;
}

interface McpSession {
  transport: WebStandardStreamableHTTPServerTransport;
  server: Server;
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;
const IP_LITERAL = /^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-f:.]+\])$/i;

function rpcError(status: number, code: number, message: string, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id: null }), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** `host[:port]` without the port; IPv6 literals keep their brackets. */
function hostOnly(host: string): string {
  const m = /^(\[[^\]]*\]|[^:]*)(:\d+)?$/.exec(host);
  return (m?.[1] ?? host).toLowerCase();
}

/** Constant-time string comparison. */
function sameToken(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/** The Hono app serving MCP at /mcp, and a close() that ends every session. */
export function createHttpApp(opts: HttpAppOptions): { app: Hono; sessions: () => number; close: () => Promise<void> } {
  const sessions = new Map<string, McpSession>();
  const bound = hostOnly(
    opts.hostname.includes(":") && !opts.hostname.startsWith("[") ? `[${opts.hostname}]` : opts.hostname,
  );
  const maxBytes = opts.maxBodyBytes ?? 16 * 1024 * 1024;
  const maxSessions = opts.maxSessions ?? 64;

  // Rebinding needs a DNS name, so IP literals are safe as Host; an Origin must be this machine's.
  const hostAllowed = (h: string) => LOOPBACK.test(h) || IP_LITERAL.test(h) || h === bound;
  const originAllowed = (h: string) => LOOPBACK.test(h) || h === bound;

  const app = new Hono();
  app.use("*", async (c, next) => {
    const req = c.req.raw;
    const host = hostOnly(req.headers.get("host") ?? new URL(req.url).host);
    if (!hostAllowed(host)) return rpcError(403, -32000, `Host "${host}" is not allowed`);
    const origin = req.headers.get("origin");
    if (origin !== null) {
      let originHost = "";
      try {
        originHost = hostOnly(new URL(origin).host);
      } catch {
        // An Origin that is not a URL ("null") is refused below.
      }
      if (!originAllowed(originHost)) return rpcError(403, -32000, `Origin "${origin}" is not allowed`);
    }
    const auth = req.headers.get("authorization") ?? "";
    const given = /^bearer\s+(.+)$/i.exec(auth)?.[1]?.trim();
    if (given === undefined || !sameToken(given, opts.token)) {
      const why = given === undefined ? "missing Authorization: Bearer <token>" : "invalid bearer token";
      return rpcError(401, -32001, why, { "www-authenticate": 'Bearer realm="orch"' });
    }
    await next();
  });

  app.all("/mcp", async (c) => {
    const req = c.req.raw;
    const id = req.headers.get("mcp-session-id");
    if (id !== null) {
      const session = sessions.get(id);
      if (!session) return rpcError(404, -32001, "Session not found: initialize a new one");
      return await session.transport.handleRequest(req);
    }
    if (req.method !== "POST") return rpcError(400, -32000, "Bad Request: no valid session ID provided");
    const text = await readBodyText(req, maxBytes);
    if (text === undefined) return rpcError(413, -32000, `request body is larger than ${maxBytes} bytes`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (err) {
      return rpcError(400, -32700, `Parse error: ${errorText(err)}`);
    }
    const initializing = Array.isArray(body) ? body.some(isInitializeRequest) : isInitializeRequest(body);
    if (!initializing) return rpcError(400, -32000, "Bad Request: no valid session ID provided");
    if (sessions.size >= maxSessions) return rpcError(503, -32000, `too many sessions (${maxSessions}); end one first`);
    const server = createMcpServer(opts.service);
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => crypto.randomUUID(),
      onsessioninitialized: (sid) => {
        sessions.set(sid, { transport, server });
      },
      onsessionclosed: (sid) => {
        sessions.delete(sid);
      },
      maxRequestBodySize: maxBytes,
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    return await transport.handleRequest(req, { parsedBody: body });
  });

  app.notFound(() => rpcError(404, -32000, "Not found: MCP is served at /mcp"));
  app.onError((err) => rpcError(500, -32603, `Internal error: ${errorText(err)}`));

  const close = async () => {
    const all = [...sessions.values()];
    sessions.clear();
    await Promise.allSettled(all.map((s) => s.server.close()));
  };
  return { app, sessions: () => sessions.size, close };
}
