/** One policy subprocess: started in its own session, its output pumped live, its whole group killable. */
import type { ChildProcess, ExitStatus } from "../runtime/mod.ts";
import { spawnGuarded } from "../runtime/watchdog.ts";
import { commOf, descendants, signalAll } from "../contain/proc.ts";

export interface PolicyProcessOptions {
  /** Full argv: interpreter (or sandbox wrapper) first. */
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  /**
   * Started through bubblewrap: the policy runs in a session of its own inside the sandbox, so
   * SIGINT goes to the sandbox's processes one by one (bwrap forwards no signals); SIGKILL to
   * bwrap's group is enough, as the sandbox dies with bwrap.
   */
  sandboxed?: boolean;
  /** Give the process a stdin pipe (session workers read their calls from it); default /dev/null. */
  stdin?: boolean;
  /** Output sinks; a returned promise holds back further reading until it settles (backpressure). */
  onStdout: (chunk: Uint8Array) => void | Promise<void>;
  onStderr: (chunk: Uint8Array) => void | Promise<void>;
}

/** Reads a stream into `sink`; `stop()` cancels it (a daemon that escaped the group may hold the pipe open). */
function pump(stream: ReadableStream<Uint8Array> | null, sink: (chunk: Uint8Array) => void | Promise<void>) {
  if (!stream) return { done: Promise.resolve(), stop: () => {} };
  const reader = stream.getReader();
  const done = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        const pending = sink(value);
        if (pending) await pending;
      }
    } catch {
      // The pipe broke because the process died; its exit status says how.
    }
  })();
  return { done, stop: () => void reader.cancel().catch(() => {}) };
}

/** Milliseconds to drain output after the policy exits before the pipes are cut. */
const DRAIN_MS = 1000;

/** A started policy process. */
export class PolicyProcess {
  readonly #child: ChildProcess;
  readonly #sandboxed: boolean;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array> | undefined;
  /** Resolves once the process has exited AND its output pipes are drained. */
  readonly done: Promise<ExitStatus>;

  constructor(opts: PolicyProcessOptions) {
    const [cmd, ...args] = opts.argv;
    this.#sandboxed = opts.sandboxed ?? false;
    this.#child = spawnGuarded({
      cmd: cmd!,
      args,
      cwd: opts.cwd,
      env: opts.env,
      stdin: opts.stdin ? "pipe" : "null",
      stdout: "pipe",
      stderr: "pipe",
      newSession: true,
    });
    this.#stdin = this.#child.stdin?.getWriter();
    const out = pump(this.#child.stdout, opts.onStdout);
    const err = pump(this.#child.stderr, opts.onStderr);
    this.done = this.#child.exited.then(async (status) => {
      // A grandchild holding the pipes open must not keep the run alive: kill the group, then drain.
      this.#child.kill("SIGKILL", true);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const cut = new Promise<void>((r) => timer = setTimeout(r, DRAIN_MS));
      await Promise.race([Promise.all([out.done, err.done]), cut]);
      clearTimeout(timer);
      out.stop();
      err.stop();
      return status;
    });
  }

  get pid(): number {
    return this.#child.pid;
  }

  /** Writes to the process's stdin (started with `stdin: true`); rejects when it is gone. */
  async write(data: Uint8Array): Promise<void> {
    if (!this.#stdin) throw new Error("the process has no stdin pipe");
    await this.#stdin.write(data);
  }

  /** Sends SIGINT to the policy's processes (the policy sees KeyboardInterrupt). */
  interrupt(): void {
    if (!this.#sandboxed) {
      this.#child.kill("SIGINT", true);
      return;
    }
    signalAll(descendants(this.#child.pid).filter((pid) => commOf(pid) !== "bwrap"), "SIGINT");
  }

  /** SIGKILL to the whole process group. */
  kill(): void {
    this.#child.kill("SIGKILL", true);
  }
}
