/// <reference types="bun-types" />
import process from "node:process";
import { serveBunListen } from "./bun_listen.ts";
import { serveNodeHttp } from "./node_http.ts";
import { toOsError, unixServeError } from "./os_error.ts";
import type { ChildProcess, FetchHandler, Runtime, Served, ServeOptions, Signal, SpawnOptions } from "./types.ts";

function killQuietly(pid: number, signal: Signal): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone: nothing to do.
  }
}

function spawn(opts: SpawnOptions): ChildProcess {
  try {
    return spawnChild(opts);
  } catch (err) {
    throw toOsError(err);
  }
}

// Not Bun.serve: it leaves pipelined requests unanswered (see node_http.ts). Plain answers (the
// IPC shim's) go through Bun.listen and http1.ts, which cost a fraction of node:http's layer.
async function serve(opts: ServeOptions, fetch: FetchHandler): Promise<Served> {
  try {
    return await (opts.plain ? serveBunListen(opts, fetch) : serveNodeHttp(opts, fetch));
  } catch (err) {
    throw opts.unixPath ? unixServeError(err) : toOsError(err);
  }
}

function spawnChild(opts: SpawnOptions): ChildProcess {
  const child = Bun.spawn([opts.cmd, ...opts.args], {
    cwd: opts.cwd,
    env: opts.env,
    stdin: opts.stdin === "pipe" ? "pipe" : opts.stdin === "inherit" ? "inherit" : "ignore",
    stdout: opts.stdout === "pipe" ? "pipe" : opts.stdout === "inherit" ? "inherit" : "ignore",
    stderr: opts.stderr === "pipe" ? "pipe" : opts.stderr === "inherit" ? "inherit" : "ignore",
    detached: opts.newSession ?? false,
  });
  const exited = child.exited.then((code) => ({
    code: child.signalCode ? null : code,
    signal: child.signalCode ? String(child.signalCode) : null,
  }));
  let stdin: WritableStream<Uint8Array> | null = null;
  if (opts.stdin === "pipe") {
    const sink = child.stdin as Bun.FileSink;
    stdin = new WritableStream<Uint8Array>({
      async write(chunk) {
        sink.write(chunk);
        await sink.flush();
      },
      async close() {
        await sink.end();
      },
      async abort() {
        await sink.end();
      },
    });
  }
  return {
    pid: child.pid,
    stdin,
    stdout: opts.stdout === "pipe" ? child.stdout as ReadableStream<Uint8Array> : null,
    stderr: opts.stderr === "pipe" ? child.stderr as ReadableStream<Uint8Array> : null,
    exited,
    kill(signal: Signal = "SIGTERM", group = false) {
      killQuietly(group ? -child.pid : child.pid, signal);
    },
    unref: () => child.unref(),
  };
}

/** The Bun implementation of the runtime adapter. */
export function bunRuntime(): Runtime {
  // A compiled Bun binary runs its entry from the embedded /$bunfs/ file system.
  const compiled = Bun.main.startsWith("/$bunfs/") || Bun.main.startsWith("B:/~BUN/");
  return {
    name: "bun",
    version: Bun.version,
    args: () => process.argv.slice(2),
    env: (name) => process.env[name],
    envObject: () => {
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(process.env)) if (v !== undefined) out[k] = v;
      return out;
    },
    exit: (code) => process.exit(code),
    spawn,
    serve,
    onSignal(signal, fn) {
      process.on(signal, fn);
      return () => process.off(signal, fn);
    },
    isatty: (fd) => (fd === 0 ? process.stdin.isTTY : fd === 1 ? process.stdout.isTTY : process.stderr.isTTY) ?? false,
    execPath: () => process.execPath,
    isCompiled: () => compiled,
    async write(fd, data) {
      const stream = fd === 1 ? process.stdout : process.stderr;
      await new Promise<void>((resolve, reject) =>
        stream.write(data, (err?: Error | null) => (err ? reject(err) : resolve()))
      );
    },
    stdin: () => Bun.stdin.stream() as ReadableStream<Uint8Array>,
    collectGarbage: () => void Bun.gc(true),
  };
}
