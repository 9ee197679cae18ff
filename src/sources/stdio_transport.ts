/**
 * MCP over stdio, on the runtime adapter's spawn. Unlike the SDK's own stdio
 * transport it starts the server in its own process group (so a `bash -c`
 * wrapper's children die with it), keeps the tail of stderr for error
 * messages, and logs lines that are not JSON-RPC instead of failing.
 */
import type { JSONRPCMessage, Transport } from "../deps/mcp_sdk.ts";
import { spawnGuarded } from "../runtime/watchdog.ts";
import { appendServerLog } from "./server_log.ts";
import type { ChildProcess, ExitStatus } from "../runtime/mod.ts";

export interface StdioTransportOptions {
  command: string;
  args: string[];
  cwd?: string;
  env: Record<string, string>;
  /** Server stderr and stray stdout go here (appended). */
  logFile?: string;
  /** Prefix for log lines, usually the server name. */
  label: string;
}

const TAIL_BYTES = 4096;
const enc = new TextEncoder();

/** A Transport that runs one MCP server as a child process. */
export class StdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  #child: ChildProcess | undefined;
  #writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
  #tail = "";
  #exit: ExitStatus | undefined;
  #closing = false;
  /** Settles when the process has ended, or when it could not be started. */
  readonly #ended = Promise.withResolvers<void>();
  #garbageLines = 0;
  #logQueue: Promise<void> = Promise.resolve();

  constructor(readonly opts: StdioTransportOptions) {}

  /** Last stderr output, trimmed, for error messages. */
  get stderrTail(): string {
    return this.#tail.trim();
  }

  /** How the process ended, once it has. */
  get exitStatus(): ExitStatus | undefined {
    return this.#exit;
  }

  /** Resolves when the process has ended (at once when it never started). */
  get exited(): Promise<void> {
    return this.#ended.promise;
  }

  /** Waits up to `ms` for the process to end; true when it has. */
  async waitExit(ms: number): Promise<boolean> {
    if (!this.#child) return false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((r) => timer = setTimeout(r, ms));
    await Promise.race([this.#child.exited, timeout]);
    clearTimeout(timer);
    return this.#exit !== undefined;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  start(): Promise<void> {
    try {
      this.#child = spawnGuarded({
        cmd: this.opts.command,
        args: this.opts.args,
        cwd: this.opts.cwd,
        env: this.opts.env,
        stdin: "pipe",
        stdout: "pipe",
        stderr: "pipe",
        newSession: true,
      });
    } catch (err) {
      const msg = String((err as Error).message ?? err);
      const why = /not ?found|ENOENT|No such file/i.test(msg)
        ? `command not found: "${this.opts.command}"`
        : `cannot start "${this.opts.command}": ${msg}`;
      this.#ended.resolve();
      return Promise.reject(new Error(why));
    }
    const child = this.#child;
    this.#writer = child.stdin!.getWriter();
    this.#writer.closed.catch(() => {});
    void this.#readStdout(child.stdout!);
    void this.#readStderr(child.stderr!);
    void child.exited.then((status) => {
      this.#exit = status;
      this.#ended.resolve();
      this.#writer?.releaseLock();
      this.onclose?.();
    });
    return Promise.resolve();
  }

  async #readStdout(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    // Pieces of a line not yet ended: a big message arrives in many chunks, and searching only the
    // new chunk for its newline keeps reading linear in the message's size.
    let pending: string[] = [];
    try {
      for await (const chunk of stream) {
        let text = decoder.decode(chunk, { stream: true });
        let nl: number;
        while ((nl = text.indexOf("\n")) >= 0) {
          pending.push(text.slice(0, nl));
          text = text.slice(nl + 1);
          const line = pending.length === 1 ? pending[0]! : pending.join("");
          pending = [];
          this.#handleLine(line);
        }
        if (text) pending.push(text);
      }
    } catch {
      // The process went away; onclose reports it.
    }
    const rest = pending.join("");
    if (rest.trim()) this.#handleLine(rest);
  }

  #handleLine(line: string): void {
    const trimmed = line.trim();
    if (!trimmed) return;
    let msg: unknown;
    try {
      msg = JSON.parse(trimmed);
    } catch {
      msg = undefined;
    }
    if (msg === null || typeof msg !== "object" || (msg as { jsonrpc?: unknown }).jsonrpc !== "2.0") {
      this.#garbageLines++;
      this.#log(`[stdout, not JSON-RPC] ${trimmed.slice(0, 2000)}\n`);
      return;
    }
    try {
      this.onmessage?.(msg as JSONRPCMessage);
    } catch (err) {
      this.onerror?.(err as Error);
    }
  }

  async #readStderr(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of stream) {
        const text = decoder.decode(chunk, { stream: true });
        this.#tail = (this.#tail + text).slice(-TAIL_BYTES);
        this.#log(text);
      }
    } catch {
      // The process went away.
    }
  }

  #log(text: string): void {
    const file = this.opts.logFile;
    if (!file) return;
    this.#logQueue = this.#logQueue.then(() => appendServerLog(file, text)).catch(() => {});
  }

  send(message: JSONRPCMessage): Promise<void> {
    if (!this.#writer || this.#exit) return Promise.reject(new Error("server process is not running"));
    return this.#writer.write(enc.encode(JSON.stringify(message) + "\n"));
  }

  /** Stops the server: stdin closed, SIGTERM to its group, SIGKILL after `graceMs`. */
  async close(graceMs = 2000): Promise<void> {
    const child = this.#child;
    if (!child || this.#closing) {
      await child?.exited;
      return;
    }
    this.#closing = true;
    try {
      await this.#writer?.close();
    } catch {
      // Already closed.
    }
    child.kill("SIGTERM", true);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        child.kill("SIGKILL", true);
        resolve();
      }, graceMs);
    });
    await Promise.race([child.exited, killed]);
    clearTimeout(timer);
    // The leader may be gone while others in its group linger.
    child.kill("SIGKILL", true);
    await child.exited;
    await this.#logQueue;
  }
}
