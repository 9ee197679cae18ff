/**
 * MCP over stdio, on the runtime adapter's spawn. Unlike the SDK's own stdio
 * transport it starts the server in its own process group (so a `bash -c`
 * wrapper's children die with it), keeps the tail of stderr for error
 * messages, logs lines that are not JSON-RPC instead of failing, caps the
 * size of one message (the rest of an over-long line is discarded, so memory
 * stays bounded and the next line is read in sync), fails a request whose
 * answer is malformed at once, and carries the lean tools/call path
 * (`calls`, see stdio_calls.ts).
 */
import type { JSONRPCMessage, Transport } from "../deps/mcp_sdk.ts";
import { rt } from "../runtime/mod.ts";
import { spawnGuarded } from "../runtime/watchdog.ts";
import { appendServerLog } from "./server_log.ts";
import { type ChildProcess, errnoOf, type ExitStatus } from "../runtime/mod.ts";
import { errorText } from "../errors.ts";
import { callResultProblem, responseProblem } from "./call_check.ts";
import { InvalidResponseError, StdioCalls } from "./stdio_calls.ts";

export interface StdioTransportOptions {
  command: string;
  args: string[];
  cwd?: string;
  env: Record<string, string>;
  /** Server stderr and stray stdout go here (appended). */
  logFile?: string;
  /** Prefix for log lines, usually the server name. */
  label: string;
  /** Largest message the server may send, in bytes; default DEFAULT_MAX_MESSAGE_BYTES. */
  maxMessageBytes?: number;
}

/** 64 MiB: far above any tool result a policy should hold, far below what would endanger orch. */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
const TAIL_BYTES = 4096;
/** Bytes kept of each end of an over-long line, to find its request id. */
const EDGE_BYTES = 512;
/** JSON-RPC error code of the answers this transport makes up for the SDK (bad or over-long answers). */
export const INVALID_RESPONSE_CODE = -32099;
const enc = new TextEncoder();
const MIB = 1024 * 1024;
/** Answers from this size on are checked for valid UTF-8 so their result's bytes can be sent on as they came. */
const RAW_MIN = 64 * 1024;
/** A line growing past this size has garbage collected first (rt.collectGarbage). */
const GC_AT = 2 * MIB;
/**
 * At most one such collection per this many ms, across all servers: a full collection stops the event
 * loop (~30 ms here), so a server streaming large frames must not stall every run's timers with it.
 */
const GC_EVERY_MS = 200;
let lastGc = -Infinity;

function collectBeforeLargeLine(): void {
  const now = performance.now();
  if (now - lastGc < GC_EVERY_MS) return;
  lastGc = now;
  rt.collectGarbage();
}

// Where a response's id sits: first (Python SDK, `{"jsonrpc":"2.0","id":5,...`) or last (TypeScript
// SDK, `{"result":...,"jsonrpc":"2.0","id":5}`).
const ID_FIRST = /^\s*\{\s*(?:"jsonrpc"\s*:\s*"2\.0"\s*,\s*)?"id"\s*:\s*(-?\d+|"[^"\\]*")/;
const ID_LAST = /"id"\s*:\s*(-?\d+|"[^"\\]*")\s*(?:,\s*"jsonrpc"\s*:\s*"2\.0"\s*)?\}\s*$/;

function mib(bytes: number): string {
  return `${(bytes / MIB).toFixed(1).replace(/\.0$/, "")} MiB`;
}

/** An over-long line being discarded: its size so far and its two ends. */
interface Overlong {
  bytes: number;
  head: Uint8Array;
  tail: Uint8Array;
  reported: boolean;
}

function concat(pieces: Uint8Array[], total: number): Uint8Array {
  const all = new Uint8Array(total);
  let offset = 0;
  for (const p of pieces) {
    all.set(p, offset);
    offset += p.byteLength;
  }
  return all;
}

function lastBytes(a: Uint8Array, b: Uint8Array, n: number): Uint8Array {
  if (b.byteLength >= n) return b.slice(b.byteLength - n);
  const keep = Math.min(a.byteLength, n - b.byteLength);
  return concat([a.subarray(a.byteLength - keep), b], keep + b.byteLength);
}

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
  readonly #decoder = new TextDecoder();
  readonly #strict = new TextDecoder("utf-8", { fatal: true });
  readonly #maxMessage: number;
  /** The SDK's requests awaiting an answer: id -> method. */
  readonly #sdkPending = new Map<unknown, string>();
  /** The lean tools/call path. */
  readonly calls: StdioCalls;

  constructor(readonly opts: StdioTransportOptions) {
    this.#maxMessage = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.calls = new StdioCalls(opts.label, (line) => this.#write(line));
  }

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
      const why = errnoOf(err) === "ENOENT"
        ? `command not found: "${this.opts.command}"`
        : `cannot start "${this.opts.command}": ${errorText(err)}`;
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
      this.calls.end("the server went away during the call");
      this.#sdkPending.clear();
      this.#ended.resolve();
      this.#writer?.releaseLock();
      this.onclose?.();
    });
    return Promise.resolve();
  }

  async #readStdout(stream: ReadableStream<Uint8Array>): Promise<void> {
    const cap = this.#maxMessage;
    // Pieces of a line not yet ended, as bytes: a line is decoded once, when it is whole, and
    // searching only each new chunk for its newline keeps reading linear in the message's size.
    let pieces: Uint8Array[] = [];
    let held = 0;
    let over: Overlong | undefined;
    try {
      for await (const chunk of stream) {
        let start = 0;
        let nl: number;
        while ((nl = chunk.indexOf(10, start)) >= 0) {
          const part = chunk.subarray(start, nl);
          start = nl + 1;
          if (over === undefined && held + part.byteLength > cap) over = this.#beginOverlong(pieces, part, held);
          else if (over !== undefined) this.#growOverlong(over, part);
          if (over !== undefined) {
            this.#endOverlong(over);
            over = undefined;
          } else if (pieces.length === 0) {
            this.#handleLine(part);
          } else {
            pieces.push(part);
            this.#handleLine(concat(pieces, held + part.byteLength));
          }
          pieces = [];
          held = 0;
        }
        if (start >= chunk.byteLength) continue;
        const rest = start === 0 ? chunk : chunk.subarray(start);
        if (over !== undefined) this.#growOverlong(over, rest);
        else if (held + rest.byteLength > cap) {
          over = this.#beginOverlong(pieces, rest, held);
          pieces = [];
          held = 0;
        } else {
          // A large line has begun: what the last one left behind goes before this one's copies come.
          if (held < GC_AT && held + rest.byteLength >= GC_AT) collectBeforeLargeLine();
          pieces.push(rest);
          held += rest.byteLength;
        }
      }
    } catch {
      // The process went away; onclose reports it.
    }
    if (over !== undefined) this.#endOverlong(over);
    else if (held > 0) this.#handleLine(concat(pieces, held));
  }

  /** Starts discarding a line that outgrew the cap; fails its request at once when it can tell which. */
  #beginOverlong(pieces: Uint8Array[], part: Uint8Array, held: number): Overlong {
    const first = pieces.length > 0 ? pieces[0]! : part;
    const over: Overlong = {
      bytes: held + part.byteLength,
      head: first.slice(0, EDGE_BYTES),
      tail: lastBytes(pieces.at(-1) ?? new Uint8Array(0), part, EDGE_BYTES),
      reported: false,
    };
    const id = this.#idIn(over.head, ID_FIRST) ?? this.#onlyRequest();
    if (id !== undefined) {
      over.reported = true;
      this.#failRequest(id, (tool) => `${this.#answerTo(tool)} is larger than the ${this.#limitWords()}`);
    }
    return over;
  }

  #growOverlong(over: Overlong, part: Uint8Array): void {
    over.bytes += part.byteLength;
    over.tail = lastBytes(over.tail, part, EDGE_BYTES);
  }

  #endOverlong(over: Overlong): void {
    if (!over.reported) {
      const id = this.#idIn(over.tail, ID_LAST);
      if (id !== undefined) {
        this.#failRequest(
          id,
          (tool) => `${this.#answerTo(tool)} is ${mib(over.bytes)}, over the ${this.#limitWords()}`,
        );
      }
    }
    this.#log(`[stdout] a message of ${over.bytes} bytes was discarded (over the ${this.#limitWords()})\n`);
  }

  #limitWords(): string {
    const label = this.opts.label;
    return `${mib(this.#maxMessage)} limit for one message (mcpServers.${label}.maxMessageMb raises it)`;
  }

  #answerTo(tool: string | undefined): string {
    return `${this.opts.label}: the answer${tool ? ` of ${tool}` : ""}`;
  }

  #idIn(bytes: Uint8Array, pattern: RegExp): unknown {
    const m = pattern.exec(this.#decoder.decode(bytes));
    if (!m) return undefined;
    try {
      return JSON.parse(m[1]!);
    } catch {
      return undefined;
    }
  }

  /** The id of the one request awaiting an answer, when exactly one is. */
  #onlyRequest(): unknown {
    if (this.calls.size + this.#sdkPending.size !== 1) return undefined;
    return this.#sdkPending.size === 1 ? this.#sdkPending.keys().next().value : this.calls.onlyId();
  }

  /** Fails request `id` with a message, on the lean path or by answering the SDK an error in its name. */
  #failRequest(id: unknown, message: (tool: string | undefined) => string): void {
    const tool = this.calls.toolOf(id);
    if (tool !== undefined) {
      this.calls.fail(id, new InvalidResponseError(message(tool)));
      return;
    }
    const method = this.#sdkPending.get(id);
    if (method === undefined) return;
    this.#sdkPending.delete(id);
    const error = { code: INVALID_RESPONSE_CODE, message: message(undefined) };
    this.#deliver({ jsonrpc: "2.0", id, error } as JSONRPCMessage);
  }

  #handleLine(bytes: Uint8Array): void {
    // A large answer's bytes may be sent on as they came (raw_result.ts): only when they are valid UTF-8.
    let raw: Uint8Array | undefined;
    let line: string;
    if (bytes.length < RAW_MIN) line = this.#decoder.decode(bytes);
    else {
      try {
        line = this.#strict.decode(bytes);
        raw = bytes;
      } catch {
        line = this.#decoder.decode(bytes);
      }
    }
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      msg = undefined;
    }
    if (msg === null || typeof msg !== "object" || (msg as { jsonrpc?: unknown }).jsonrpc !== "2.0") {
      const trimmed = line.trim();
      if (!trimmed) return;
      this.#garbageLines++;
      this.#log(`[stdout, not JSON-RPC] ${trimmed.slice(0, 2000)}\n`);
      return;
    }
    const m = msg as Record<string, unknown>;
    if (m.method === undefined && "id" in m) {
      if (this.calls.take(m, raw)) return;
      const method = this.#sdkPending.get(m.id);
      if (method !== undefined) {
        this.#sdkPending.delete(m.id);
        const problem = responseProblem(m) ??
          (method === "tools/call" && "result" in m
            ? callResultProblem(m.result as Record<string, unknown>)
            : undefined);
        if (problem !== undefined) {
          const error = {
            code: INVALID_RESPONSE_CODE,
            message: `invalid response from ${this.opts.label} to ${method}: ${problem}`,
          };
          this.#deliver({ jsonrpc: "2.0", id: m.id, error } as JSONRPCMessage);
          return;
        }
      }
    }
    this.#deliver(m as JSONRPCMessage);
  }

  #deliver(msg: JSONRPCMessage): void {
    try {
      this.onmessage?.(msg);
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

  /** The SDK's messages; its requests are remembered so a bad or over-long answer fails them at once. */
  send(message: JSONRPCMessage): Promise<void> {
    const m = message as { id?: unknown; method?: unknown };
    if (typeof m.method === "string" && m.id !== undefined) this.#sdkPending.set(m.id, m.method);
    try {
      return this.#write(JSON.stringify(message) + "\n");
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Writes one line; throws when the process is not running. */
  #write(line: string): Promise<void> {
    if (!this.#writer || this.#exit) throw new Error("server process is not running");
    return this.#writer.write(enc.encode(line));
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
