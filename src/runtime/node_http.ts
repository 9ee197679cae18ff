/**
 * A fetch handler served with node:http. Bun uses it instead of Bun.serve: Bun.serve (1.4) leaves
 * pipelined requests unanswered once a handler awaits anything (the first request runs, neither answer
 * is ever written), so a tool call could move the robot while its caller waits forever. node:http
 * answers pipelined requests in order.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { FetchHandler, Served, ServeOptions } from "./types.ts";

function toRequest(req: IncomingMessage, signal: AbortSignal): Request {
  const headers = new Headers();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
  const method = req.method ?? "GET";
  const body = method === "GET" || method === "HEAD" ? undefined : new ReadableStream<Uint8Array>({
    start(controller) {
      req.on("data", (d: Uint8Array) => controller.enqueue(new Uint8Array(d)));
      req.on("end", () => controller.close());
      req.on("error", (err) => controller.error(err));
    },
    cancel() {
      req.destroy();
    },
  });
  const host = /^[A-Za-z0-9.\-:[\]]+$/.test(req.headers.host ?? "") ? req.headers.host : "localhost";
  return new Request(
    `http://${host}${req.url ?? "/"}`,
    { method, headers, body, signal, duplex: "half" } as RequestInit,
  );
}

async function writeResponse(r: Response, res: ServerResponse): Promise<void> {
  res.statusCode = r.status;
  r.headers.forEach((value, name) => res.setHeader(name, value));
  // Event streams go out as they come; every other body whole, with its Content-Length (the policy
  // runtime's small HTTP client reads Content-Length framing).
  if (!r.body || !(r.headers.get("content-type") ?? "").startsWith("text/event-stream")) {
    const bytes = r.body ? new Uint8Array(await r.arrayBuffer()) : new Uint8Array(0);
    res.setHeader("content-length", String(bytes.length));
    res.end(bytes);
    return;
  }
  res.flushHeaders();
  const reader = r.body.getReader();
  const gone = () => reader.cancel().catch(() => {});
  res.on("close", gone);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) await new Promise<void>((resolve) => res.once("drain", resolve).once("close", resolve));
    }
  } finally {
    res.off("close", gone);
    res.end();
  }
}

async function handle(fetch: FetchHandler, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const aborted = new AbortController();
  res.on("close", () => {
    if (!res.writableFinished) aborted.abort(new Error("the client closed the connection"));
  });
  let r: Response;
  try {
    r = await fetch(toRequest(req, aborted.signal));
  } catch (err) {
    const message = `Internal error: ${err instanceof Error ? err.message : String(err)}`;
    r = new Response(JSON.stringify({ success: false, error: message }), {
      status: 500,
      headers: { "content-type": "application/json" },
    });
  }
  await writeResponse(r, res).catch(() => res.destroy());
}

/** Serves `fetch` on a Unix socket or TCP with node:http; pipelined requests are answered in order. */
export async function serveNodeHttp(opts: ServeOptions, fetch: FetchHandler): Promise<Served> {
  const server = createServer((req, res) => void handle(fetch, req, res));
  // Long tool calls and idle persistent connections are normal here: no timeouts.
  server.keepAliveTimeout = 0;
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  server.timeout = 0;
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections?.();
    });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    if (opts.unixPath) server.listen(opts.unixPath, resolve);
    else server.listen(opts.port ?? 0, opts.hostname ?? "127.0.0.1", resolve);
  });
  if (opts.unixPath) return { address: `unix:${opts.unixPath}`, close };
  const hostname = opts.hostname ?? "127.0.0.1";
  const port = (server.address() as AddressInfo).port;
  return { address: `http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`, port, close };
}
