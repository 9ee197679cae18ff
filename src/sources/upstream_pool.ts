/**
 * orch's own connections to downstream MCP servers (standalone mode). A
 * server is started when first needed, restarted with backoff after a crash,
 * and stopped, with its whole process group, on close().
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Config, ServerConfig } from "../config/schema.ts";
import {
  type CallToolResult,
  Client,
  ErrorCode,
  isStreamDisconnect,
  McpError,
  SSEClientTransport,
  StreamableHTTPClientTransport,
  StreamableHTTPError,
  ToolListChangedNotificationSchema,
  type Transport,
} from "../deps/mcp_sdk.ts";
import { errorText, UnknownServerError, UpstreamError } from "../errors.ts";
import { rt } from "../runtime/mod.ts";
import { VERSION } from "../version.ts";
import { DEFAULT_MAX_MESSAGE_BYTES, INVALID_RESPONSE_CODE, StdioTransport } from "./stdio_transport.ts";
import {
  CallCancelledError,
  CallGoneError,
  CallTimeoutError,
  InvalidResponseError,
  NotSentError,
} from "./stdio_calls.ts";
import { cancelFromSignal, resultBytes, untilCancelled } from "./call_cancel.ts";
import { type HttpLoss, httpLoss } from "./http_loss.ts";
import { LenientToolListSchema, parseToolList } from "./tool_list.ts";
import type { CallCancel, CallOptions, ListedTools, ToolSource } from "./types.ts";

/** How long a remote server may take to answer the ping after one of its event streams broke. */
const PROBE_TIMEOUT_MS = 5000;

/** Default seconds one tool call may take when the server sets no `timeout`. */
export const DEFAULT_CALL_TIMEOUT_S = 300;

interface Connection {
  client: Client;
  transport: Transport;
  stdio?: StdioTransport;
  closed: boolean;
  /** The promise it came from, as ServerState.conn holds it. */
  opened?: Promise<Connection>;
}

interface ServerState {
  conn?: Promise<Connection>;
  /** `conn` once it has opened and while it is up: calls take it without awaiting. */
  ready?: Connection;
  failures: number;
  lastFailure: number;
}

export interface UpstreamPoolOptions {
  /** Folder for per-server logs (stderr, stray stdout). */
  logDir?: string;
}

/** Describes how a stdio server ended, for messages. */
function describeExit(stdio: StdioTransport | undefined): string {
  const status = stdio?.exitStatus;
  if (!status) return "";
  const how = status.signal ? `was killed by ${status.signal}` : `exited with code ${status.code}`;
  const tail = stdio!.stderrTail;
  return ` (the process ${how}${tail ? `; stderr: ${tail.split("\n").slice(-5).join("\n")}` : ""})`;
}

/** True for the SDK's own request timeout, not for a server's error text that mentions one. */
function isTimeout(err: unknown): boolean {
  return err instanceof McpError && err.code === ErrorCode.RequestTimeout;
}

/** Waits for `p`, but rejects as soon as `signal` aborts (the work behind `p` goes on for others). */
function untilAborted<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(signal.reason ?? new Error("aborted"));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason ?? new Error("aborted"));
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** The largest message a server may send, in bytes. */
function maxMessageBytes(entry: ServerConfig): number {
  return entry.maxMessageMb !== undefined ? Math.floor(entry.maxMessageMb * 2 ** 20) : DEFAULT_MAX_MESSAGE_BYTES;
}

/** The ToolSource that starts and talks to servers itself. */
export class UpstreamPool implements ToolSource {
  onToolsChanged?: (server: string) => void;
  readonly #servers = new Map<string, ServerState>();
  /** Every stdio process started, connected or still starting, so close() never waits for a slow start. */
  readonly #processes = new Set<StdioTransport>();
  #closed = false;

  constructor(readonly config: Config, readonly opts: UpstreamPoolOptions = {}) {
    for (const name of config.servers.keys()) this.#servers.set(name, { failures: 0, lastFailure: 0 });
    if (opts.logDir) mkdirSync(opts.logDir, { recursive: true });
  }

  serverNames(): string[] {
    return [...this.config.servers.keys()];
  }

  #entry(server: string): ServerConfig {
    const entry = this.config.servers.get(server);
    if (!entry) {
      throw new UnknownServerError(server, this.serverNames());
    }
    return entry;
  }

  /** Path of a server's log file, when logging is on. */
  logFile(server: string): string | undefined {
    return this.opts.logDir ? join(this.opts.logDir, `${server.replace(/[^A-Za-z0-9_.-]/g, "_")}.log`) : undefined;
  }

  /** True when the server's process (or session) is up. */
  isConnected(server: string): boolean {
    return this.#servers.get(server)?.conn !== undefined;
  }

  /**
   * The server's connection, shared by every caller. It is opened without any caller's signal
   * (one run's abort must not kill a start others wait for); each caller stops waiting on its own.
   */
  #connect(server: string, timeoutMs: number, signal?: AbortSignal, cancel?: CallCancel): Promise<Connection> {
    const state = this.#servers.get(server)!;
    state.conn ??= this.#track(state, this.#open(server, this.#entry(server), timeoutMs));
    return untilCancelled(untilAborted(state.conn, signal), cancel);
  }

  /** Stops sending to a connection that refused a write (its process is ending); the next call starts a new one. */
  #retire(server: string, conn: Connection): void {
    const state = this.#servers.get(server)!;
    conn.closed = true;
    if (state.ready === conn) {
      state.ready = undefined;
      state.conn = undefined;
    }
    if (conn.stdio && conn.stdio.calls.size === 0) void conn.stdio.close(500).catch(() => {});
  }

  #track(state: ServerState, conn: Promise<Connection>): Promise<Connection> {
    conn.then(
      (c) => {
        c.opened = conn;
        if (state.conn === conn && !c.closed) state.ready = c;
        const sdkOnClose = c.transport.onclose;
        c.transport.onclose = () => {
          sdkOnClose?.();
          c.closed = true;
          if (state.ready === c) state.ready = undefined;
          if (state.conn === conn) state.conn = undefined;
          if (!this.#closed) {
            state.failures++;
            state.lastFailure = Date.now();
          }
        };
        if (!c.stdio) this.#watchStreams(state, c);
      },
      () => {
        if (state.conn === conn) state.conn = undefined;
        state.failures++;
        state.lastFailure = Date.now();
      },
    );
    return conn;
  }

  async #open(server: string, entry: ServerConfig, timeoutMs: number): Promise<Connection> {
    if (this.#closed) throw new UpstreamError(server, `${server}: orch is shutting down`);
    const state = this.#servers.get(server)!;
    // Back off after crashes: 0.25 s, 0.5 s, ... up to 10 s since the last one.
    if (state.failures > 0) {
      const wait = Math.min(10_000, 250 * 2 ** (state.failures - 1)) - (Date.now() - state.lastFailure);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    const client = new Client({ name: "orch", version: VERSION }, { capabilities: {} });
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      this.onToolsChanged?.(server);
    });
    if (entry.type === "stdio") {
      const stdio = new StdioTransport({
        command: entry.command,
        args: entry.args,
        cwd: entry.cwd ?? this.config.baseDir,
        env: { ...rt.envObject(), ...entry.env },
        logFile: this.logFile(server),
        label: server,
        maxMessageBytes: maxMessageBytes(entry),
      });
      this.#processes.add(stdio);
      void stdio.exited.then(() => this.#processes.delete(stdio));
      try {
        await client.connect(stdio, { timeout: timeoutMs });
      } catch (err) {
        const text = errorText(err);
        const timedOut = isTimeout(err);
        // A write may fail (EPIPE) a moment before the exit is seen: give the exit a chance to land.
        const exited = !timedOut && await stdio.waitExit(500);
        await stdio.close(200).catch(() => {});
        const reason = timedOut
          ? `did not answer initialize within ${timeoutMs / 1000} s`
          : exited
          ? "exited before answering initialize"
          : text;
        const exit = exited ? describeExit(stdio) : "";
        throw new UpstreamError(server, `${server}: ${reason}${exit}`, {
          cause: err,
          stderrTail: stdio.stderrTail,
        });
      }
      return { client, transport: stdio, stdio, closed: false };
    }
    const url = new URL(entry.url);
    const requestInit = { headers: entry.headers };
    const attempts: Transport[] = entry.type === "sse"
      ? [new SSEClientTransport(url, { requestInit })]
      : [new StreamableHTTPClientTransport(url, { requestInit })];
    try {
      await client.connect(attempts[0]!, { timeout: timeoutMs });
      return { client, transport: attempts[0]!, closed: false };
    } catch (err) {
      // A server that only speaks the old HTTP+SSE transport answers 4xx to a Streamable HTTP POST.
      if (entry.type === "http" && err instanceof StreamableHTTPError && [400, 404, 405].includes(err.code ?? 0)) {
        const sse = new SSEClientTransport(url, { requestInit });
        const fallback = new Client({ name: "orch", version: VERSION }, { capabilities: {} });
        try {
          await fallback.connect(sse, { timeout: timeoutMs });
          return { client: fallback, transport: sse, closed: false };
        } catch {
          // Report the first error: it is the one for the transport the config asked for.
        }
      }
      throw new UpstreamError(server, `${server}: cannot connect to ${entry.url}: ${errorText(err)}`, { cause: err });
    }
  }

  async listTools(server: string, signal?: AbortSignal, retry = true): Promise<ListedTools> {
    const timeoutMs = this.config.orchestrator.discoveryTimeout * 1000;
    const conn = await this.#connect(server, timeoutMs, signal);
    const tools: ListedTools = [];
    const warnings: string[] = [];
    const seen = new Set<string>();
    let cursor: string | undefined;
    try {
      do {
        // Lenient on purpose: the SDK's listTools drops the whole list when one tool is malformed.
        const page = await conn.client.request(
          { method: "tools/list", ...(cursor ? { params: { cursor } } : {}) },
          LenientToolListSchema,
          { timeout: timeoutMs, signal },
        );
        const parsed = parseToolList(page.tools, seen);
        tools.push(...parsed.tools);
        warnings.push(...parsed.warnings);
        cursor = page.nextCursor;
      } while (cursor);
    } catch (err) {
      if (!conn.stdio && this.#dropLostSession(server, conn, err) === "unsent" && retry && !signal?.aborted) {
        return this.listTools(server, signal, false);
      }
      throw new UpstreamError(server, `${server}: tools/list failed: ${errorText(err)}${describeExit(conn.stdio)}`, {
        cause: err,
      });
    }
    // What the SDK's own listTools would have done: output schemas checked on calls.
    (conn.client as unknown as { cacheToolMetadata?: (t: unknown[]) => void }).cacheToolMetadata?.(tools);
    if (warnings.length) tools.warnings = warnings;
    return tools;
  }

  async callTool(
    server: string,
    tool: string,
    args: Record<string, unknown>,
    opts: CallOptions = {},
    retry = true,
  ): Promise<CallToolResult> {
    const entry = this.#entry(server);
    const timeoutMs = opts.timeoutMs ?? (entry.timeout ?? DEFAULT_CALL_TIMEOUT_S) * 1000;
    const state = this.#servers.get(server)!;
    for (let attempt = 1;; attempt++) {
      const ready = state.ready;
      const conn = ready !== undefined && !ready.closed && ready.opened === state.conn
        ? ready
        : await this.#connect(server, this.config.orchestrator.discoveryTimeout * 1000, opts.signal, opts.cancel);
      try {
        // Progress needs the SDK's bookkeeping; everything else on stdio takes the lean path.
        const result = conn.stdio && !opts.onProgress
          ? await this.#callStdio(conn.stdio, tool, args, timeoutMs, opts)
          : await this.#callSdk(conn, server, tool, args, timeoutMs, opts);
        state.failures = 0;
        return result;
      } catch (err) {
        // A call that never reached the server goes to its next process (a write refused by one that is ending).
        if (err instanceof NotSentError && attempt < 3 && !this.#closed) {
          this.#retire(server, conn);
          continue;
        }
        const cancelled = opts.signal?.aborted || opts.cancel?.cancelled !== undefined;
        if (!conn.stdio && !cancelled) {
          // A remote server that restarted forgot our session: open a new one (with backoff) and send again.
          const loss = this.#dropLostSession(server, conn, err);
          if (loss === "unsent" && retry) {
            retry = false;
            continue;
          }
          if (loss !== undefined) {
            const why = loss === "unsent" ? "did not accept the call" : "lost the connection during the call";
            throw new UpstreamError(
              server,
              `${server}: ${why} (${errorText(err)}); the next call opens a new session`,
              {
                cause: err,
              },
            );
          }
        }
        const failure = await this.#callError(err, conn, server, tool, timeoutMs, opts);
        if (failure instanceof Error) throw failure;
        return failure;
      }
    }
  }

  #callStdio(
    stdio: StdioTransport,
    tool: string,
    args: Record<string, unknown>,
    timeoutMs: number,
    opts: CallOptions,
  ): Promise<CallToolResult> {
    if (opts.cancel !== undefined || opts.signal === undefined) {
      return stdio.calls.call(tool, args, timeoutMs, opts.cancel);
    }
    const { cancel, done } = cancelFromSignal(opts.signal);
    return stdio.calls.call(tool, args, timeoutMs, cancel).finally(done);
  }

  async #callSdk(
    conn: Connection,
    server: string,
    tool: string,
    args: Record<string, unknown>,
    timeoutMs: number,
    opts: CallOptions,
  ): Promise<CallToolResult> {
    const own = opts.cancel?.signal;
    const signal = opts.signal && own ? AbortSignal.any([opts.signal, own]) : opts.signal ?? own;
    const onprogress = opts.onProgress;
    try {
      // The SDK writes the request at once (it cannot tell us when): from here it may have run.
      opts.cancel?.sent?.();
      const result = await conn.client.callTool({ name: tool, arguments: args }, undefined, {
        signal,
        timeout: timeoutMs,
        ...(onprogress ? { onprogress, resetTimeoutOnProgress: true } : {}),
      }) as CallToolResult;
      // Remote transports read a whole answer before orch sees it: the cap still keeps it from the policy.
      const max = maxMessageBytes(this.#entry(server));
      const size = conn.stdio ? 0 : resultBytes(result);
      if (size > max) {
        throw new InvalidResponseError(
          `${server}: the answer of ${tool} is about ${(size / 2 ** 20).toFixed(1)} MiB, over the ` +
            `${max / 2 ** 20} MiB limit for one message (mcpServers.${server}.maxMessageMb raises it)`,
        );
      }
      return result;
    } catch (err) {
      if (signal?.aborted) throw new CallCancelledError(String(signal.reason));
      throw err;
    }
  }

  /** The error a failed call reports, in words; a JSON-RPC error from the server is a tool error result instead. */
  async #callError(
    err: unknown,
    conn: Connection,
    server: string,
    tool: string,
    timeoutMs: number,
    opts: CallOptions,
  ): Promise<Error | CallToolResult> {
    if (err instanceof CallCancelledError || opts.signal?.aborted || opts.cancel?.cancelled !== undefined) {
      return err instanceof Error ? err : new CallCancelledError(errorText(err));
    }
    if (err instanceof InvalidResponseError) return new UpstreamError(server, err.message, { cause: err });
    if (err instanceof McpError && err.code === INVALID_RESPONSE_CODE) {
      return new UpstreamError(server, err.message.replace(/^MCP error -?\d+: /, ""), { cause: err });
    }
    if (err instanceof CallTimeoutError || (isTimeout(err) && !conn.closed)) {
      return new UpstreamError(server, `${server}.${tool} timed out after ${timeoutMs / 1000} s`, { cause: err });
    }
    const text = errorText(err);
    // A JSON-RPC error (unknown tool, invalid params) is the server's answer: report it as a tool error.
    if (!conn.closed && !(err instanceof CallGoneError) && err instanceof McpError) {
      return { content: [{ type: "text", text }], isError: true } satisfies CallToolResult;
    }
    if (conn.stdio) await conn.stdio.waitExit(300);
    const why = err instanceof NotSentError
      ? `cannot send the call: ${text}`
      : conn.closed || conn.stdio?.exitStatus
      ? "the server went away during the call"
      : text;
    return new UpstreamError(server, `${server}: ${why}${describeExit(conn.stdio)}`, { cause: err });
  }

  /**
   * A remote server that dies mid-answer only breaks the answer's event stream, and the SDK then
   * waits for the request's full timeout. A ping tells a blip (the SDK resumes the stream) from a
   * server that is gone or restarted: then the connection is dropped, which fails the calls in
   * flight at once ("went away during the call") and lets the next call open a new session.
   */
  #watchStreams(state: ServerState, c: Connection): void {
    const sdkOnError = c.transport.onerror;
    let probing = false;
    c.transport.onerror = (err) => {
      sdkOnError?.(err);
      if (probing || c.closed || this.#closed || !isStreamDisconnect(err)) return;
      probing = true;
      c.client.ping({ timeout: PROBE_TIMEOUT_MS }).then(
        () => probing = false,
        () => {
          probing = false;
          if (c.closed) return;
          c.closed = true;
          if (state.conn === c.opened) state.conn = undefined;
          void c.client.close().catch(() => {});
        },
      );
    };
  }

  /**
   * When a remote request failed because the session or the server is gone, forgets the connection
   * (the next request opens a new session, after the usual backoff) and says whether the request ran.
   */
  #dropLostSession(server: string, conn: Connection, err: unknown): HttpLoss | undefined {
    const loss = httpLoss(err);
    if (loss === undefined) return undefined;
    const state = this.#servers.get(server)!;
    if (!conn.closed) {
      conn.closed = true;
      // Another caller may have opened the next session already: only forget this one.
      if (state.conn === conn.opened) state.conn = undefined;
      // The old session is gone on the server side; closing ends our transport (and counts a failure).
      void conn.client.close().catch(() => {});
    }
    return loss;
  }

  /** Stops every server this pool started; waits until their processes are gone. */
  async close(): Promise<void> {
    this.#closed = true;
    const closing: Promise<unknown>[] = [...this.#processes].map((p) => p.close().catch(() => {}));
    for (const state of this.#servers.values()) {
      const conn = state.conn;
      state.conn = undefined;
      if (!conn) continue;
      closing.push(
        // A remote session still connecting holds no process: give it a moment, not its whole timeout.
        Promise.race([
          conn.then(async (c) => {
            if (!c.stdio) await c.client.close();
          }),
          new Promise((r) => setTimeout(r, 1000)),
        ]).catch(() => {}),
      );
    }
    await Promise.all(closing);
  }
}
