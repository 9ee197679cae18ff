import { toOsError, unixServeError } from "./os_error.ts";
import type { ChildProcess, Runtime, Served, Signal, SpawnOptions } from "./types.ts";

const enc = new TextEncoder();

function killQuietly(pid: number, signal: Signal): void {
  try {
    Deno.kill(pid, signal);
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

function spawnChild(opts: SpawnOptions): ChildProcess {
  const child = new Deno.Command(opts.cmd, {
    args: opts.args,
    cwd: opts.cwd,
    env: opts.env,
    clearEnv: true,
    stdin: opts.stdin === "pipe" ? "piped" : opts.stdin ?? "null",
    stdout: opts.stdout === "pipe" ? "piped" : opts.stdout ?? "null",
    stderr: opts.stderr === "pipe" ? "piped" : opts.stderr ?? "null",
    detached: opts.newSession ?? false,
  }).spawn();
  const exited = child.status.then((s) => ({ code: s.signal ? null : s.code, signal: s.signal }));
  return {
    pid: child.pid,
    stdin: opts.stdin === "pipe" ? child.stdin : null,
    stdout: opts.stdout === "pipe" ? child.stdout : null,
    stderr: opts.stderr === "pipe" ? child.stderr : null,
    exited,
    kill(signal: Signal = "SIGTERM", group = false) {
      killQuietly(group ? -child.pid : child.pid, signal);
    },
    unref: () => child.unref(),
  };
}

async function serve(
  opts: { unixPath?: string; hostname?: string; port?: number },
  fetch: (req: Request) => Response | Promise<Response>,
): Promise<Served> {
  try {
    return await serveOn(opts, fetch);
  } catch (err) {
    throw opts.unixPath ? unixServeError(err) : toOsError(err);
  }
}

async function serveOn(
  opts: { unixPath?: string; hostname?: string; port?: number },
  fetch: (req: Request) => Response | Promise<Response>,
): Promise<Served> {
  const ready = Promise.withResolvers<void>();
  const common = { onListen: () => ready.resolve(), handler: fetch };
  if (opts.unixPath) {
    const server = Deno.serve({ ...common, path: opts.unixPath });
    await ready.promise;
    return { address: `unix:${opts.unixPath}`, close: () => server.shutdown() };
  }
  const hostname = opts.hostname ?? "127.0.0.1";
  const server = Deno.serve({ ...common, hostname, port: opts.port ?? 0 });
  await ready.promise;
  const port = server.addr.port;
  return {
    address: `http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`,
    port,
    close: () => server.shutdown(),
  };
}

/** The Deno implementation of the runtime adapter. */
export function denoRuntime(): Runtime {
  const compiled = Deno.build.standalone ?? false;
  return {
    name: "deno",
    version: Deno.version.deno,
    args: () => [...Deno.args],
    env: (name) => Deno.env.get(name),
    envObject: () => Deno.env.toObject(),
    exit: (code) => Deno.exit(code),
    spawn,
    serve,
    onSignal(signal, fn) {
      Deno.addSignalListener(signal, fn);
      return () => Deno.removeSignalListener(signal, fn);
    },
    isatty: (fd) => fd === 0 ? Deno.stdin.isTerminal() : fd === 1 ? Deno.stdout.isTerminal() : Deno.stderr.isTerminal(),
    execPath: () => Deno.execPath(),
    isCompiled: () => compiled,
    async write(fd, data) {
      const bytes = typeof data === "string" ? enc.encode(data) : data;
      const file = fd === 1 ? Deno.stdout : Deno.stderr;
      let off = 0;
      while (off < bytes.length) off += await file.write(bytes.subarray(off));
    },
    stdin: () => Deno.stdin.readable,
    collectGarbage: () => {},
  };
}
