/// <reference types="bun-types" />
/**
 * The IPC shim served with Bun.listen and the HTTP/1.1 connection of http1.ts: this file only moves
 * bytes between Bun's sockets and that connection (with write backpressure). Not Bun.serve: Bun.serve
 * 1.4 leaves pipelined requests unanswered once a handler awaits anything; not node:http either: its
 * compatibility layer under Bun costs about as much per call as the call itself.
 */
import { Http1Connection } from "./http1.ts";
import type { FetchHandler, Served, ServeOptions } from "./types.ts";

interface Conn {
  http: Http1Connection;
  /** Bytes the kernel did not take yet. */
  pending: Uint8Array[];
  ending: boolean;
}

function flush(socket: Bun.Socket<Conn>): void {
  const conn = socket.data;
  while (conn.pending.length > 0) {
    const chunk = conn.pending[0]!;
    const n = socket.write(chunk);
    if (n < 0) return;
    if (n < chunk.length) {
      conn.pending[0] = chunk.subarray(n);
      return;
    }
    conn.pending.shift();
  }
  if (conn.ending) socket.end();
}

/**
 * Serves `fetch` (and `opts.direct`'s route without Request/Response) on a Unix socket or on TCP with
 * Bun.listen; pipelined requests are answered in order.
 */
export function serveBunListen(opts: ServeOptions, fetch: FetchHandler): Promise<Served> {
  const handlers = {
    open(socket: Bun.Socket<Conn>) {
      const conn: Conn = { pending: [], ending: false, http: undefined as unknown as Http1Connection };
      const sink = {
        write(bytes: Uint8Array) {
          conn.pending.push(bytes);
          if (conn.pending.length === 1) flush(socket);
        },
        end() {
          conn.ending = true;
          if (conn.pending.length === 0) socket.end();
        },
      };
      conn.http = new Http1Connection(fetch, sink, undefined, undefined, opts.direct);
      socket.data = conn;
    },
    data(socket: Bun.Socket<Conn>, chunk: Uint8Array) {
      socket.data.http.push(chunk);
    },
    drain(socket: Bun.Socket<Conn>) {
      flush(socket);
    },
    close(socket: Bun.Socket<Conn>) {
      socket.data?.http.peerClosed();
    },
    error(socket: Bun.Socket<Conn>) {
      socket.data?.http.peerClosed();
    },
  };
  if (opts.unixPath) {
    const listener = Bun.listen<Conn>({ unix: opts.unixPath, socket: handlers });
    return Promise.resolve({ address: `unix:${opts.unixPath}`, close: () => Promise.resolve(listener.stop(true)) });
  }
  const hostname = opts.hostname ?? "127.0.0.1";
  const listener = Bun.listen<Conn>({ hostname, port: opts.port ?? 0, socket: handlers });
  return Promise.resolve({
    address: `http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${listener.port}`,
    port: listener.port,
    close: () => Promise.resolve(listener.stop(true)),
  });
}
