/**
 * Hybrid mode's ToolSource: the MCP client that launched orch already holds
 * the server connections and offers them over HTTP (`MCP_CLIENT_IPC_URL`),
 * so orch lists and calls tools through it and never starts a server.
 * Contract: docs/ARCHITECTURE.md, "The MCP client's IPC (hybrid mode)".
 */
import type { ToolInfo } from "./types.ts";
import type { CallToolResult } from "../deps/mcp_sdk.ts";
import {
  CallDeniedError,
  errorText,
  UnknownServerError,
  UnknownToolError,
  UpstreamAbortedError,
  UpstreamError,
} from "../errors.ts";
import { isForceStop, resultFromClient } from "./client_ipc_result.ts";
import type { CallOptions, ToolSource } from "./types.ts";
import { delay } from "../runtime/delay.ts";

/** The name errors carry when the client's IPC itself fails, not one of its servers. */
export const CLIENT_IPC = "client-ipc";

export interface ClientIpcOptions {
  /** The client's IPC base URL, e.g. `http://localhost:41234`. */
  url: string;
  /**
   * How long discovery keeps asking `GET /list_tools` (ms) while the client is not answering yet or
   * does not list every expected server yet (it connects servers one after another); default 30 000.
   */
  waitMs?: number;
  /** Servers orch's own config names: only these are exposed, and discovery waits for all of them. */
  expected?: readonly string[];
  /** Servers the client's config disables: never exposed (the client lists them anyway). */
  disabled?: readonly string[];
  /** For tests. */
  fetch?: typeof fetch;
}

/** What one listing found: the servers exposed, and why the others are not. */
export interface ClientListing {
  /** Expected servers the client does not list (yet). */
  missing: string[];
  /** Listed servers left out, with why (orch itself, disabled in the client, not in orch's config). */
  skipped: { server: string; reason: string }[];
  /** False while the listing may still grow (expected servers missing, or nothing listed yet). */
  complete: boolean;
}

/** Tool names of orch (and of the seed it replaces): a server offering these is an orchestrator. */
const ORCHESTRATOR_TOOLS = ["execute_composed_code", "list_available_tools", "refresh_tools"];
/** The entry name the seed's client gives its IPC URL to. */
export const ORCHESTRATOR_ENTRY = "mcp-tools-orchestrator";

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** A `GET /list_tools` answer that does not follow the contract. */
class BadAnswer extends Error {}

const LIST_FRESH_MS = 1000;
/** How long one `GET /list_tools` may take (ms). */
const LIST_TIMEOUT_MS = 10_000;
/** How long one tool call may take when the caller sets no timeout (ms). */
const CALL_TIMEOUT_MS = 300_000;

/** A description without the `[server] ` prefix the client adds (`[server] undefined` when there was none). */
function ownDescription(server: string, text: string): string {
  const prefix = `[${server}] `;
  if (!text.startsWith(prefix)) return text;
  const own = text.slice(prefix.length);
  return own === "undefined" ? "" : own;
}

/** A ToolSource over the MCP client's IPC. */
export class ClientIpc implements ToolSource {
  readonly origin = "client-ipc";
  readonly url: string;
  readonly #opts: ClientIpcOptions;
  readonly #fetch: typeof fetch;
  readonly #closed = new AbortController();
  readonly #expected: readonly string[] | undefined;
  readonly #disabled: ReadonlySet<string>;
  #tools = new Map<string, ToolInfo[]>();
  #listing: ClientListing = { missing: [], skipped: [], complete: false };
  #loaded = false;
  #inFlight: Promise<Map<string, ToolInfo[]>> | undefined;
  #loadedAt = 0;

  constructor(opts: ClientIpcOptions) {
    this.#opts = opts;
    this.url = opts.url.replace(/\/+$/, "");
    this.#fetch = opts.fetch ?? fetch;
    const expected = (opts.expected ?? []).filter((s) => s !== ORCHESTRATOR_ENTRY);
    this.#expected = expected.length ? expected : undefined;
    this.#disabled = new Set(opts.disabled ?? []);
  }

  /**
   * The servers to discover: those orch's config names (listed or still missing, so discovery
   * reports the missing ones), else those the last `GET /list_tools` exposed.
   */
  serverNames(): string[] {
    if (!this.#expected) return [...this.#tools.keys()];
    const skipped = new Set(this.#listing.skipped.map((s) => s.server));
    return this.#expected.filter((s) => !skipped.has(s));
  }

  /** What the last listing left out or still misses. */
  get listing(): ClientListing {
    return this.#listing;
  }

  /** The servers orch's config names, when it has one. */
  get expected(): readonly string[] | undefined {
    return this.#expected;
  }

  /**
   * Fetches the client's tool lists (again). While the client does not answer, or does not list
   * every expected server yet (it connects them one by one and answers 200 with what it has), it
   * asks again with backoff, up to `waitMs` (default `opts.waitMs`). A listing still incomplete
   * then is kept (see `listing`); only a client that never answered throws UpstreamError.
   */
  load(signal?: AbortSignal, waitMs?: number): Promise<Map<string, ToolInfo[]>> {
    this.#inFlight ??= this.#loadWithRetry(signal, waitMs ?? this.#opts.waitMs ?? 30_000).finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  async #loadWithRetry(signal: AbortSignal | undefined, waitMs: number): Promise<Map<string, ToolInfo[]>> {
    const until = Date.now() + waitMs;
    let pauseMs = 100;
    let attempts = 0;
    let previous: string | undefined;
    for (;;) {
      attempts++;
      let lastError: unknown;
      try {
        const listed = await this.#listOnce(signal);
        const { tools, listing } = this.#select(listed);
        // Without a config naming the servers, "complete" is a non-empty listing that stayed the same
        // between two asks (the client lists its servers' tools one server after another).
        const shape = JSON.stringify([...tools].map(([name, list]) => [name, list.length]));
        if (!this.#expected) listing.complete = tools.size > 0 && shape === previous;
        previous = shape;
        this.#tools = tools;
        this.#listing = listing;
        this.#loaded = true;
        this.#loadedAt = Date.now();
        if (listing.complete) return tools;
      } catch (err) {
        if (err instanceof BadAnswer) throw this.#listError(err, attempts, waitMs);
        lastError = err;
      }
      const stop = signal?.aborted || this.#closed.signal.aborted || Date.now() + pauseMs > until;
      if (stop) {
        if (lastError !== undefined && !this.#loaded) throw this.#listError(lastError, attempts, waitMs);
        if (!this.#expected && this.#tools.size > 0) this.#listing.complete = true;
        return this.#tools;
      }
      await delay(pauseMs, signal ? AbortSignal.any([signal, this.#closed.signal]) : this.#closed.signal);
      pauseMs = Math.min(pauseMs * 2, 2000);
    }
  }

  #listError(err: unknown, attempts: number, waitMs: number): UpstreamError {
    const tried = attempts === 1 ? "" : ` (${attempts} attempts over ${Math.round(waitMs / 1000)} s)`;
    return new UpstreamError(
      CLIENT_IPC,
      `cannot list tools from the MCP client's IPC at ${this.url}: ${errorText(err)}${tried}`,
      { cause: err },
    );
  }

  /** The whitelist: orch's config's servers only, never orch itself, never a server the client disabled. */
  #select(listed: Map<string, ToolInfo[]>): { tools: Map<string, ToolInfo[]>; listing: ClientListing } {
    const skipped: { server: string; reason: string }[] = [];
    const keep = new Map<string, ToolInfo[]>();
    for (const [server, tools] of listed) {
      const names = new Set(tools.map((t) => t.name));
      if (server === ORCHESTRATOR_ENTRY || ORCHESTRATOR_TOOLS.every((n) => names.has(n))) {
        skipped.push({ server, reason: "it is an orchestrator (orch itself or the seed): no recursion" });
      } else if (this.#disabled.has(server)) {
        skipped.push({ server, reason: "disabled in the MCP client's config" });
      } else if (this.#expected && !this.#expected.includes(server)) {
        skipped.push({ server, reason: "not in orch's config" });
      } else {
        keep.set(server, tools);
      }
    }
    if (!this.#expected) return { tools: keep, listing: { missing: [], skipped, complete: keep.size > 0 } };
    const tools = new Map<string, ToolInfo[]>();
    const missing: string[] = [];
    for (const server of this.#expected) {
      const list = keep.get(server);
      if (list) tools.set(server, list);
      else if (!skipped.some((s) => s.server === server)) missing.push(server);
    }
    return { tools, listing: { missing, skipped, complete: missing.length === 0 } };
  }

  async #listOnce(signal?: AbortSignal): Promise<Map<string, ToolInfo[]>> {
    const { status, body } = await this.#request(
      "GET",
      "/list_tools",
      undefined,
      LIST_TIMEOUT_MS,
      signal,
    );
    if (status >= 500) throw new Error(`HTTP ${status}: ${String(body.error ?? "server error")}`);
    if (status !== 200 || body.success !== true) {
      throw new BadAnswer(`HTTP ${status}: ${String(body.error ?? "success is not true")}`);
    }
    const servers = body.servers;
    if (servers === null || typeof servers !== "object" || Array.isArray(servers)) {
      throw new BadAnswer(`"servers" must be an object mapping server names to tool lists`);
    }
    const out = new Map<string, ToolInfo[]>();
    for (const [server, list] of Object.entries(servers as Record<string, unknown>)) {
      if (!Array.isArray(list)) throw new BadAnswer(`servers.${server} must be a list of tools`);
      const tools: ToolInfo[] = [];
      for (const raw of list) {
        const t = raw as Record<string, unknown> | null;
        if (t === null || typeof t !== "object" || typeof t.name !== "string") {
          throw new BadAnswer(`servers.${server} holds a tool without a name`);
        }
        const schema = t.input_schema ?? t.inputSchema;
        tools.push({
          name: t.name,
          description: typeof t.description === "string" ? ownDescription(server, t.description) : "",
          inputSchema: schema !== null && typeof schema === "object" && !Array.isArray(schema)
            ? schema as Record<string, unknown>
            : { type: "object", properties: {} },
        });
      }
      out.set(server, tools);
    }
    return out;
  }

  async listTools(server: string, signal?: AbortSignal): Promise<ToolInfo[]> {
    // Discovery asks for every server at once: one fresh GET answers them all.
    const tools = this.#inFlight ??
      (this.#loaded && Date.now() - this.#loadedAt < LIST_FRESH_MS ? this.#tools : this.load(signal));
    const list = (await tools).get(server);
    if (list === undefined) {
      const skip = this.#listing.skipped.find((s) => s.server === server);
      const why = skip
        ? `left out: ${skip.reason}`
        : `the MCP client does not list this server (it connects servers one by one; not connected yet, ` +
          `failed to start, or every tool of it disabled)`;
      throw new UpstreamError(server, `${server}: ${why}`);
    }
    return list;
  }

  async callTool(
    server: string,
    tool: string,
    args: Record<string, unknown>,
    opts: CallOptions = {},
  ): Promise<CallToolResult> {
    if (this.#loaded && !this.#tools.has(server)) {
      const skip = this.#listing.skipped.find((s) => s.server === server);
      if (skip) throw new UnknownToolError(server, tool, `${server}: not offered: ${skip.reason}`);
      throw new UnknownServerError(server, this.serverNames(), { listedAs: "the MCP client lists" });
    }
    let answer: Answer;
    const signal = opts.signal ?? opts.cancel?.signal;
    try {
      // Once the request is under way the client may have made the call.
      opts.cancel?.sent?.();
      answer = await this.#request(
        "POST",
        "/call_tool",
        { server, tool, arguments: args },
        opts.timeoutMs ?? CALL_TIMEOUT_MS,
        signal,
      );
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new UpstreamError(server, `${server}.${tool} failed: ${errorText(err)}`, { cause: err });
    }
    const { status, body } = answer;
    const error = typeof body.error === "string"
      ? body.error
      : body.error === undefined
      ? ""
      : JSON.stringify(body.error);
    if (body.aborted === true || body.status === "aborted" || error.startsWith("[ABORTED]")) {
      throw new UpstreamAbortedError(server, error || "the MCP client aborted the run");
    }
    if (status === 200 && body.success === true) return resultFromClient(server, tool, body.result);
    if (status === 403 || body.blocked === true) {
      throw new CallDeniedError(server, tool, error || `the MCP client blocks ${server}.${tool}`);
    }
    if (status === 429 || body.exhausted === true) {
      throw new CallDeniedError(server, tool, `the MCP client's call budget is spent: ${error || "HTTP 429"}`);
    }
    if (status === 500 && isForceStop(error)) {
      throw new UpstreamAbortedError(server, `the MCP client's user force-stopped the call: ${error}`);
    }
    if (status === 200 || status === 500) {
      // The tool (or its server) failed on the client's side: the policy gets a ToolError.
      return { content: [{ type: "text", text: error || `HTTP ${status} without an error message` }], isError: true };
    }
    throw new UpstreamError(server, `${server}.${tool}: the MCP client's IPC answered HTTP ${status}: ${error}`);
  }

  /** A JSON exchange with the client, bounded by `timeoutMs`, the caller's signal and close(). */
  async #request(
    method: "GET" | "POST",
    path: string,
    body: unknown,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<Answer> {
    const signals = [AbortSignal.timeout(timeoutMs), this.#closed.signal];
    if (signal) signals.push(signal);
    let res: Response;
    try {
      res = await this.#fetch(this.url + path, {
        method,
        headers: body === undefined ? {} : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.any(signals),
      });
    } catch (err) {
      if (signal?.aborted) throw signal.reason ?? err;
      if ((err as Error)?.name === "TimeoutError") throw new Error(`no answer within ${timeoutMs / 1000} s`);
      throw new Error(`cannot reach it (${errorText(err)})`);
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new BadAnswer(`HTTP ${res.status} with a body that is not JSON: ${JSON.stringify(text.slice(0, 200))}`);
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
      throw new BadAnswer(`HTTP ${res.status} with a body that is not a JSON object`);
    }
    return { status: res.status, body: parsed as Record<string, unknown> };
  }

  /** Cancels requests in flight; orch started no server, so there is nothing else to stop. */
  close(): Promise<void> {
    this.#closed.abort(new Error("orch is shutting down"));
    return Promise.resolve();
  }
}
