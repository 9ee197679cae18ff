/**
 * Hybrid mode's ToolSource: the MCP client that launched orch already holds
 * the server connections and offers them over HTTP (`MCP_CLIENT_IPC_URL`),
 * so orch lists and calls tools through it and never starts a server.
 * Contract: docs/ARCHITECTURE.md section 6 ("The MCP client's IPC").
 */
import type { ToolInfo } from "../catalog/types.ts";
import type { CallToolResult } from "../deps/mcp_sdk.ts";
import { errorText, UnknownToolError, UpstreamAbortedError, UpstreamDeniedError, UpstreamError } from "../errors.ts";
import type { CallOptions, ToolSource } from "./types.ts";

/** The name errors carry when the client's IPC itself fails, not one of its servers. */
export const CLIENT_IPC = "client-ipc";

export interface ClientIpcOptions {
  /** The client's IPC base URL, e.g. `http://localhost:41234`. */
  url: string;
  /** How long the first `GET /list_tools` keeps retrying while the client starts (ms); default 15 000. */
  connectWaitMs?: number;
  /** How long one `GET /list_tools` may take (ms); default 10 000. */
  listTimeoutMs?: number;
  /** How long one tool call may take when the caller sets no timeout (ms); default 300 000. */
  callTimeoutMs?: number;
  /** For tests. */
  fetch?: typeof fetch;
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** A `GET /list_tools` answer that does not follow the contract. */
class BadAnswer extends Error {}

const LIST_FRESH_MS = 1000;

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** The text a successful call becomes, chosen so the shim's conversion gives the policy `result` unchanged. */
function resultText(result: unknown): string {
  if (typeof result === "string") {
    try {
      JSON.parse(result);
    } catch {
      return result;
    }
  }
  return JSON.stringify(result ?? null) ?? "null";
}

/** A ToolSource over the MCP client's IPC. */
export class ClientIpc implements ToolSource {
  readonly origin = "client-ipc";
  readonly url: string;
  readonly #opts: ClientIpcOptions;
  readonly #fetch: typeof fetch;
  readonly #closed = new AbortController();
  #tools = new Map<string, ToolInfo[]>();
  #loaded = false;
  #inFlight: Promise<Map<string, ToolInfo[]>> | undefined;
  #loadedAt = 0;

  constructor(opts: ClientIpcOptions) {
    this.#opts = opts;
    this.url = opts.url.replace(/\/+$/, "");
    this.#fetch = opts.fetch ?? fetch;
  }

  /** Servers from the last `GET /list_tools` that answered; empty before the first. */
  serverNames(): string[] {
    return [...this.#tools.keys()];
  }

  /**
   * Fetches the client's tool lists (again), retrying with backoff while the client is not yet
   * answering: up to `connectWaitMs` the first time, a few seconds later on. Throws UpstreamError.
   */
  load(signal?: AbortSignal): Promise<Map<string, ToolInfo[]>> {
    this.#inFlight ??= this.#loadWithRetry(signal).finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  async #loadWithRetry(signal?: AbortSignal): Promise<Map<string, ToolInfo[]>> {
    const waitMs = this.#loaded ? 3000 : this.#opts.connectWaitMs ?? 15_000;
    const until = Date.now() + waitMs;
    let delay = 100;
    let attempts = 0;
    for (;;) {
      attempts++;
      try {
        const tools = await this.#listOnce(signal);
        this.#tools = tools;
        this.#loaded = true;
        this.#loadedAt = Date.now();
        return tools;
      } catch (err) {
        const stop = signal?.aborted || this.#closed.signal.aborted || Date.now() + delay > until ||
          err instanceof BadAnswer;
        if (stop) {
          const tried = attempts === 1 ? "" : ` (${attempts} attempts over ${Math.round(waitMs / 1000)} s)`;
          throw new UpstreamError(
            CLIENT_IPC,
            `cannot list tools from the MCP client's IPC at ${this.url}: ${errorText(err)}${tried}`,
            { cause: err },
          );
        }
      }
      await sleep(delay, this.#closed.signal);
      delay = Math.min(delay * 2, 2000);
    }
  }

  async #listOnce(signal?: AbortSignal): Promise<Map<string, ToolInfo[]>> {
    const { status, body } = await this.#request(
      "GET",
      "/list_tools",
      undefined,
      this.#opts.listTimeoutMs ?? 10_000,
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
          description: typeof t.description === "string" ? t.description : "",
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
      throw new UpstreamError(server, `${server}: the MCP client does not list this server`);
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
      const known = this.serverNames().join(", ") || "none";
      throw new UnknownToolError(server, tool, `unknown server "${server}" (the MCP client lists: ${known})`);
    }
    let answer: Answer;
    try {
      answer = await this.#request(
        "POST",
        "/call_tool",
        { server, tool, arguments: args },
        opts.timeoutMs ?? this.#opts.callTimeoutMs ?? 300_000,
        opts.signal,
      );
    } catch (err) {
      if (opts.signal?.aborted) throw err;
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
    if (status === 200 && body.success === true) {
      const result = body.result;
      const structured = result !== null && typeof result === "object" && !Array.isArray(result);
      return {
        content: [{ type: "text", text: resultText(result) }],
        ...(structured ? { structuredContent: result as Record<string, unknown> } : {}),
      };
    }
    if (status === 403 || body.blocked === true) {
      throw new UpstreamDeniedError(server, tool, error || `the MCP client blocks ${server}.${tool}`);
    }
    if (status === 429 || body.exhausted === true) {
      throw new UpstreamDeniedError(server, tool, `the MCP client's call budget is spent: ${error || "HTTP 429"}`);
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
