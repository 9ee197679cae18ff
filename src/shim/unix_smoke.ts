/**
 * Serves the shim for real on a Unix socket through the runtime adapter and talks raw HTTP/1.1 to
 * it, the way the generated Python runtime does (one kept-alive connection, chunked uploads).
 * Runtime-neutral: `deno run -A src/shim/unix_smoke.ts` or `bun run src/shim/unix_smoke.ts`.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { rt } from "../runtime/mod.ts";
import { harness } from "./_harness.ts";
import { createSocketDir, removeSocketDir } from "./socket_dir.ts";

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const CRLF = "\r\n";

/** A tiny HTTP/1.1 client on one Unix socket connection: requests go out one at a time. */
class RawHttp {
  #buffer = Buffer.alloc(0);
  #wake: (() => void) | undefined;
  #ended = false;

  private constructor(readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#wake?.();
    });
    socket.on("end", () => {
      this.#ended = true;
      this.#wake?.();
    });
  }

  static open(path: string): Promise<RawHttp> {
    return new Promise((resolve, reject) => {
      const socket = connect(path, () => resolve(new RawHttp(socket)));
      socket.once("error", reject);
    });
  }

  /** Sends one request; `body` as an array is sent chunked. */
  async request(method: string, path: string, headers: Record<string, string>, body?: string | string[]) {
    let head = `${method} ${path} HTTP/1.1${CRLF}host: localhost${CRLF}`;
    for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}${CRLF}`;
    if (Array.isArray(body)) {
      head += `transfer-encoding: chunked${CRLF}${CRLF}`;
      for (const part of body) head += `${Buffer.byteLength(part).toString(16)}${CRLF}${part}${CRLF}`;
      head += `0${CRLF}${CRLF}`;
    } else if (body !== undefined) {
      head += `content-length: ${Buffer.byteLength(body)}${CRLF}${CRLF}${body}`;
    } else {
      head += CRLF;
    }
    this.socket.write(head);
    return await this.#readResponse();
  }

  close(): void {
    this.socket.destroy();
  }

  async #bytes(predicate: () => boolean): Promise<void> {
    while (!predicate()) {
      if (this.#ended) throw new Error("connection closed before the response was complete");
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  async #readResponse(): Promise<RawResponse> {
    await this.#bytes(() => this.#buffer.indexOf("\r\n\r\n") >= 0);
    const end = this.#buffer.indexOf("\r\n\r\n");
    const [statusLine = "", ...lines] = this.#buffer.subarray(0, end).toString("latin1").split(CRLF);
    this.#buffer = this.#buffer.subarray(end + 4);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(":");
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const status = Number(statusLine.split(" ")[1]);
    let body: Buffer;
    if (headers["transfer-encoding"]?.includes("chunked")) {
      const parts: Buffer[] = [];
      for (;;) {
        await this.#bytes(() => this.#buffer.indexOf(CRLF) >= 0);
        const lineEnd = this.#buffer.indexOf(CRLF);
        const size = parseInt(this.#buffer.subarray(0, lineEnd).toString("latin1"), 16);
        await this.#bytes(() => this.#buffer.length >= lineEnd + 2 + size + 2);
        parts.push(this.#buffer.subarray(lineEnd + 2, lineEnd + 2 + size));
        this.#buffer = this.#buffer.subarray(lineEnd + 2 + size + 2);
        if (size === 0) break;
      }
      body = Buffer.concat(parts);
    } else {
      const length = Number(headers["content-length"] ?? 0);
      await this.#bytes(() => this.#buffer.length >= length);
      body = this.#buffer.subarray(0, length);
      this.#buffer = this.#buffer.subarray(length);
    }
    return { status, headers, body: body.toString("utf8") };
  }
}

/** Serves a shim on a fresh socket dir and checks it end to end; throws on the first mismatch. */
export async function runUnixSocketSmoke(): Promise<void> {
  const { dir, socketPath } = createSocketDir({ base: tmpdir() });
  const h = harness({ deps: { maxBodyBytes: 1024 } });
  const served = await rt.serve({ unixPath: socketPath, plain: true }, h.app.fetch);
  const auth = { authorization: `Bearer ${h.scope.token}` };
  const call = JSON.stringify({ server: "ros-mcp-server", tool: "get_pose", arguments: { frame: "base" } });
  try {
    const conn = await RawHttp.open(socketPath);
    const health = await conn.request("GET", "/health", auth);
    assert.equal(health.status, 200);
    assert.deepEqual(JSON.parse(health.body), { status: "ok" });
    // The same connection again: the Python runtime keeps one open per thread.
    const ok = await conn.request("POST", "/call_tool", { ...auth, "content-type": "application/json" }, call);
    assert.equal(ok.status, 200);
    assert.deepEqual(JSON.parse(ok.body).content, [{ type: "text", text: '{"ok": true}' }]);
    assert.match(ok.headers["content-type"] ?? "", /^application\/json/);
    const chunked = await conn.request("POST", "/call_tool", auth, [call.slice(0, 10), call.slice(10)]);
    assert.equal(chunked.status, 200);
    const unauthorized = await conn.request("GET", "/list_tools", { authorization: "Bearer wrong" });
    assert.equal(unauthorized.status, 401);
    assert.equal(JSON.parse(unauthorized.body).success, false);
    const listed = await conn.request("GET", "/list_tools", auth);
    assert.equal(JSON.parse(listed.body).total_tools, 6);

    // Abort while the downstream call is in flight.
    const started = Promise.withResolvers<void>();
    h.source.handler = (_s, _t, _a, opts) =>
      new Promise((_resolve, reject) => {
        started.resolve();
        (opts?.signal ?? opts?.cancel?.signal)?.addEventListener("abort", () => reject(new Error("cancelled")));
      });
    const pending = conn.request("POST", "/call_tool", auth, call);
    await started.promise;
    h.scope.abort("smoke test abort");
    const aborted = await pending;
    assert.equal(aborted.status, 409);
    assert.deepEqual(JSON.parse(aborted.body), { success: false, error: "[ABORTED] smoke test abort", aborted: true });
    conn.close();

    const big = `{"pad": "${"x".repeat(2000)}"}`;
    const chunkedBig = await RawHttp.open(socketPath);
    const tooBig = await chunkedBig.request("POST", "/call_tool", auth, [big.slice(0, 1000), big.slice(1000)]);
    assert.equal(tooBig.status, 413);
    assert.equal(JSON.parse(tooBig.body).success, false);
    chunkedBig.close();
    const declaredBig = await RawHttp.open(socketPath);
    const tooLong = await declaredBig.request("POST", "/call_tool", auth, big);
    assert.equal(tooLong.status, 413);
    declaredBig.close();
  } finally {
    await served.close();
    removeSocketDir(dir);
  }
}

if (import.meta.main) {
  await runUnixSocketSmoke();
  console.log(`unix socket smoke ok (${rt.name} ${rt.version})`);
}
