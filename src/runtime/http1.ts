/**
 * A small, strict HTTP/1.1 server connection for the IPC shim, runtime-neutral: it takes the bytes a
 * socket read and gives back the bytes to write. The runtime's socket glue (bun.ts) only moves bytes.
 *
 * What it speaks: origin-form requests with a Content-Length body (or none), keep-alive, pipelining.
 * One request runs at a time per connection, so answers leave in the order the requests came; requests
 * pipelined behind a running one wait in the buffer, unparsed and unexecuted. `Connection: close` (and
 * HTTP/1.0 without keep-alive) ends the connection after the answer. Everything else is refused before
 * it runs: a malformed request gets 400, a head over the limit 431, a body over the limit 413,
 * Transfer-Encoding 411 (send Content-Length), and the connection closes after that answer, since the
 * rest of its bytes can no longer be framed. Answers carry their whole body with a Content-Length (the
 * policy runtime's client reads that framing); streamed bodies are not for this server.
 */
import type { DirectRoute, FetchHandler, PlainAnswer, PlainRequest } from "./types.ts";

export interface Http1Limits {
  /** Request line plus headers, CRLFs included. */
  maxHeaderBytes: number;
  maxBodyBytes: number;
}

export const DEFAULT_HTTP1_LIMITS: Http1Limits = { maxHeaderBytes: 16 * 1024, maxBodyBytes: 16 * 1024 * 1024 };

export interface Http1Head {
  method: string;
  target: string;
  headers: [string, string][];
  contentLength: number;
  /** The connection ends after this request's answer. */
  close: boolean;
}

export type Http1Parse =
  | { kind: "incomplete" }
  | { kind: "request"; head: Http1Head; body: Uint8Array; consumed: number }
  | { kind: "error"; status: number; message: string };

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const DIGITS = /^[0-9]+$/;

/** Index of CRLFCRLF in `buf` before `limit`, or -1. */
function headEnd(buf: Uint8Array, limit: number): number {
  const n = Math.min(buf.length, limit);
  for (let i = 3; i < n; i++) {
    if (buf[i] === 10 && buf[i - 1] === 13 && buf[i - 2] === 10 && buf[i - 3] === 13) return i + 1;
  }
  return -1;
}

function latin1(buf: Uint8Array, end: number): string | undefined {
  let s = "";
  for (let i = 0; i < end; i += 4096) {
    const part = buf.subarray(i, Math.min(end, i + 4096));
    for (const b of part) if (b === 0 || b === 127 || (b < 32 && b !== 9 && b !== 10 && b !== 13)) return undefined;
    s += String.fromCharCode(...part);
  }
  return s;
}

const bad = (message: string): Http1Parse => ({ kind: "error", status: 400, message });

/** Parses one request from the start of `buf`: a request, more bytes needed, or why it is refused. */
export function parseHttp1(buf: Uint8Array, limits: Http1Limits = DEFAULT_HTTP1_LIMITS): Http1Parse {
  const end = headEnd(buf, limits.maxHeaderBytes);
  if (end < 0) {
    if (buf.length >= limits.maxHeaderBytes) {
      return { kind: "error", status: 431, message: `request head is larger than ${limits.maxHeaderBytes} bytes` };
    }
    return { kind: "incomplete" };
  }
  const text = latin1(buf, end - 4);
  if (text === undefined) return bad("request head holds a control character");
  const lines = text.split("\r\n");
  const line = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) (\/[^\s]*) HTTP\/1\.([01])$/.exec(lines[0]!);
  if (line === null) return bad(`malformed request line ${JSON.stringify(lines[0]!.slice(0, 200))}`);
  const [, method, target, minor] = line as unknown as [string, string, string, string];
  const headers: [string, string][] = [];
  let length: string | undefined;
  let connection = "";
  let host = false;
  for (let i = 1; i < lines.length; i++) {
    const h = lines[i]!;
    const colon = h.indexOf(":");
    const name = colon > 0 ? h.slice(0, colon) : "";
    if (!TOKEN.test(name)) return bad(`malformed header line ${JSON.stringify(h.slice(0, 200))}`);
    if (h.includes("\n") || h.includes("\r")) return bad(`bare CR or LF in header ${name}`);
    const value = h.slice(colon + 1).trim();
    const lower = name.toLowerCase();
    if (lower === "content-length") {
      if (!DIGITS.test(value)) return bad(`bad Content-Length ${JSON.stringify(value)}`);
      if (length !== undefined && length !== value) return bad("conflicting Content-Length headers");
      length = value;
    } else if (lower === "transfer-encoding") {
      return {
        kind: "error",
        status: 411,
        message: `Transfer-Encoding ${value} is not supported: send the body with a Content-Length`,
      };
    } else if (lower === "connection") {
      connection += "," + value.toLowerCase();
    } else if (lower === "host") {
      if (host) return bad("more than one Host header");
      host = true;
    }
    headers.push([name, value]);
  }
  if (minor === "1" && !host) return bad("HTTP/1.1 request without a Host header");
  const contentLength = length === undefined ? 0 : Number(length);
  if (contentLength > limits.maxBodyBytes) {
    return { kind: "error", status: 413, message: `request body is larger than ${limits.maxBodyBytes} bytes` };
  }
  if (buf.length < end + contentLength) return { kind: "incomplete" };
  const options = connection.split(",").map((o) => o.trim());
  const close = minor === "0" ? !options.includes("keep-alive") : options.includes("close");
  return {
    kind: "request",
    head: { method, target, headers, contentLength, close },
    body: buf.slice(end, end + contentLength),
    consumed: end + contentLength,
  };
}

/** Where a connection's bytes go. `end` closes the connection once what was written has gone out. */
export interface Http1Sink {
  write(bytes: Uint8Array): void;
  end(): void;
}

const REASONS: Record<number, string> = {
  200: "OK",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  411: "Length Required",
  413: "Content Too Large",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  502: "Bad Gateway",
};

const encoder = new TextEncoder();
const SKIP = new Set(["content-length", "transfer-encoding", "connection", "keep-alive"]);

/**
 * The bytes of one answer: status line, headers, Content-Length, body. A large body stays its own
 * chunk (no copy of a 10 MiB result into a joined buffer).
 */
export function encodeHttp1Response(status: number, headers: Headers, body: Uint8Array, close: boolean): Uint8Array[] {
  let fields = "";
  headers.forEach((value, name) => {
    if (!SKIP.has(name)) fields += `${name}: ${value}\r\n`;
  });
  return encodeAnswer(status, fields, [body], close);
}

/**
 * The bytes of one answer from its header lines (`name: value\r\n` each) and body chunks: small
 * chunks are joined with the head into one write, large ones stay their own.
 */
function encodeAnswer(status: number, fields: string, body: Uint8Array[], close: boolean): Uint8Array[] {
  let length = 0;
  for (const chunk of body) length += chunk.length;
  const head = `HTTP/1.1 ${status} ${REASONS[status] ?? "Status"}\r\n${fields}content-length: ${length}\r\n${
    close ? "connection: close\r\n" : ""
  }\r\n`;
  if (length > 65536) return [encoder.encode(head), ...body];
  const out = new Uint8Array(head.length * 3 + length);
  let { written } = encoder.encodeInto(head, out);
  for (const chunk of body) {
    out.set(chunk, written);
    written += chunk.length;
  }
  return [out.subarray(0, written)];
}

/** The path of a request target, without its query. */
function pathOf(target: string): string {
  const q = target.indexOf("?");
  return q < 0 ? target : target.slice(0, q);
}

/** A parsed request as a DirectRoute takes it: header look-up as `Headers.get` answers it. */
function plainRequest(head: Http1Head, url: string, body: Uint8Array): PlainRequest {
  return {
    method: head.method,
    url,
    body,
    header(name) {
      const lower = name.toLowerCase();
      let value: string | null = null;
      for (const [n, v] of head.headers) {
        if (n.length !== lower.length || n.toLowerCase() !== lower) continue;
        value = value === null ? v : `${value}, ${v}`;
      }
      return value;
    },
  };
}

function errorAnswer(status: number, message: string): Uint8Array[] {
  const body = encoder.encode(JSON.stringify({ success: false, error: message }));
  return encodeHttp1Response(status, new Headers({ "content-type": "application/json" }), body, true);
}

/**
 * One server connection: feed it what the socket read (`push`), tell it when the peer is gone
 * (`peerClosed`); it runs each request through `fetch` in turn and writes the answers to `sink`.
 */
export class Http1Connection {
  #buf = new Uint8Array(0);
  #busy = false;
  #done = false;
  #inflight: AbortController | undefined;
  readonly #fetch: FetchHandler;
  readonly #sink: Http1Sink;
  readonly #limits: Http1Limits;
  readonly #origin: string;
  readonly #direct: DirectRoute | undefined;

  /** `direct`, when given, answers its one route without a Request or Response (see ServeOptions). */
  constructor(
    fetch: FetchHandler,
    sink: Http1Sink,
    origin = "http://localhost",
    limits = DEFAULT_HTTP1_LIMITS,
    direct?: DirectRoute,
  ) {
    this.#fetch = fetch;
    this.#sink = sink;
    this.#origin = origin;
    this.#limits = limits;
    this.#direct = direct;
  }

  /** Bytes read from the socket (copied: the caller may reuse its buffer). */
  push(chunk: Uint8Array): void {
    if (this.#done) return;
    if (this.#buf.length === 0) this.#buf = chunk.slice();
    else {
      const joined = new Uint8Array(this.#buf.length + chunk.length);
      joined.set(this.#buf);
      joined.set(chunk, this.#buf.length);
      this.#buf = joined;
    }
    // Requests queued behind a running one wait here; past what one request may take, it is a flood.
    if (this.#busy && this.#buf.length > this.#limits.maxHeaderBytes + this.#limits.maxBodyBytes) {
      this.#finish();
      return;
    }
    if (!this.#busy) void this.#drain();
  }

  /** The peer closed or the socket failed: abort the running request, drop the rest. */
  peerClosed(): void {
    this.#done = true;
    this.#inflight?.abort(new Error("the client closed the connection"));
  }

  #finish(): void {
    this.#done = true;
    this.#buf = new Uint8Array(0);
    this.#sink.end();
  }

  async #drain(): Promise<void> {
    this.#busy = true;
    try {
      while (!this.#done && this.#buf.length > 0) {
        const parsed = parseHttp1(this.#buf, this.#limits);
        if (parsed.kind === "incomplete") return;
        if (parsed.kind === "error") {
          for (const chunk of errorAnswer(parsed.status, parsed.message)) this.#sink.write(chunk);
          this.#finish();
          return;
        }
        this.#buf = this.#buf.subarray(parsed.consumed);
        const answer = await this.#answer(parsed.head, parsed.body);
        if (this.#done) return;
        for (const chunk of answer) this.#sink.write(chunk);
        if (parsed.head.close) this.#finish();
      }
    } finally {
      this.#busy = false;
    }
  }

  async #answer(head: Http1Head, body: Uint8Array): Promise<Uint8Array[]> {
    const direct = this.#direct;
    if (direct !== undefined && head.method === direct.method && pathOf(head.target) === direct.path) {
      return this.#answerDirect(direct, head, body);
    }
    const aborted = new AbortController();
    this.#inflight = aborted;
    try {
      const hasBody = head.method !== "GET" && head.method !== "HEAD";
      const req = new Request(this.#origin + head.target, {
        method: head.method,
        headers: head.headers,
        body: hasBody ? body as Uint8Array<ArrayBuffer> : undefined,
        signal: aborted.signal,
      });
      const res = await this.#fetch(req);
      const bytes = new Uint8Array(await res.arrayBuffer());
      return encodeHttp1Response(
        res.status,
        res.headers,
        head.method === "HEAD" ? new Uint8Array(0) : bytes,
        head.close,
      );
    } catch (err) {
      const message = `Internal error: ${err instanceof Error ? err.message : String(err)}`;
      const bytes = encoder.encode(JSON.stringify({ success: false, error: message }));
      return encodeHttp1Response(500, new Headers({ "content-type": "application/json" }), bytes, head.close);
    } finally {
      this.#inflight = undefined;
    }
  }

  async #answerDirect(direct: DirectRoute, head: Http1Head, body: Uint8Array): Promise<Uint8Array[]> {
    let answer: PlainAnswer;
    try {
      answer = await direct.handle(plainRequest(head, this.#origin + head.target, body));
    } catch (err) {
      const message = `Internal error: ${err instanceof Error ? err.message : String(err)}`;
      answer = {
        status: 500,
        contentType: "application/json",
        body: [encoder.encode(JSON.stringify({ success: false, error: message }))],
      };
    }
    return encodeAnswer(answer.status, `content-type: ${answer.contentType}\r\n`, answer.body, head.close);
  }
}
