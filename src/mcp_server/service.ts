/**
 * What every MCP session of one `orch serve` shares: the Engine (catalog,
 * shim, executor), hybrid mode's client IPC, refreshes (asked for, or pushed
 * by a server's tools/list_changed), and shutdown, which aborts runs in flight.
 */
import type { Catalog } from "../catalog/types.ts";
import { errorText, PolicyError } from "../errors.ts";
import type { RunRequest, RunResult } from "../executor/run.ts";
import { SessionPool } from "../executor/sessions.ts";
import type { Engine } from "../engine.ts";
import type { ClientIpc } from "../sources/client_ipc.ts";
import { RunBook } from "../runs/live.ts";
import { type Config, type RunsConfig, RunsSchema } from "../config/schema.ts";
import type { CallOptions, CallToolResult } from "../sources/types.ts";

/** Which tools orch offers: its own (code), every downstream tool as `server__tool` (direct), or both. */
export type Expose = "code" | "direct" | "both";

export interface ServiceOptions {
  /** Hybrid mode: where tools come from (discovery asks it which servers there are). */
  ipc?: ClientIpc;
  expose: Expose;
  /** One line to orch's log (stderr). */
  log: (line: string) => void;
}

/** Hybrid mode: how long a later use waits for servers the first listing missed (ms). */
const RELIST_WAIT_MS = 2000;

/** Milliseconds to gather a burst of tools/list_changed notifications into one refresh. */
const CHANGE_DEBOUNCE_MS = 300;

/** Shared state of the MCP face. */
export class OrchService {
  readonly #engine: Engine;
  readonly expose: Expose;
  readonly log: (line: string) => void;
  readonly #ipc: ClientIpc | undefined;
  #sessions: SessionPool | undefined;
  readonly #shutdown = new AbortController();
  readonly #listeners = new Set<() => void>();
  readonly #logTaps = new Set<(line: string) => void>();
  readonly #runs = new Set<Promise<unknown>>();
  #ready: Promise<void> | undefined;
  #refreshing: Promise<Catalog> | undefined;
  #changeTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(engine: Engine, opts: ServiceOptions) {
    this.#engine = engine;
    this.expose = opts.expose;
    this.log = (line) => {
      opts.log(line);
      for (const tap of this.#logTaps) tap(line);
    };
    this.#ipc = opts.ipc;
  }

  /** The loaded config (read-only). */
  get config(): Config {
    return this.#engine.config;
  }

  /** orch's cache folder (run journals live under it). */
  get cacheDir(): string {
    return this.#engine.cacheDir;
  }

  /** One tool call straight to the source, outside any run (`--expose direct`). */
  callTool(server: string, tool: string, args: Record<string, unknown>, opts: CallOptions): Promise<CallToolResult> {
    return this.#engine.source.callTool(server, tool, args, opts);
  }

  #runBook: RunBook | undefined;

  /** Runs by id, live and recently ended (get_run, cancel_run, MCP Tasks). */
  get runs(): RunBook {
    return this.#runBook ??= new RunBook({ keepSeconds: this.runsConfig.keepSeconds });
  }

  /** The config's `orchestrator.runs`, or its defaults (a config built by hand may leave it out). */
  get runsConfig(): RunsConfig {
    return this.#engine.config.orchestrator?.runs ?? RunsSchema.parse({});
  }

  /** Persistent sessions of execute_composed_code (made on first use). */
  get sessions(): SessionPool {
    this.#sessions ??= new SessionPool(this.#engine.config.orchestrator.sessions, this.log);
    return this.#sessions;
  }

  /** Aborted when orch shuts down. */
  get shutdownSignal(): AbortSignal {
    return this.#shutdown.signal;
  }

  /** True in hybrid mode. */
  get hybrid(): boolean {
    return this.#ipc !== undefined;
  }

  /**
   * Hybrid mode: the client's server list, loaded on first use with the full wait (again after a
   * failure); while it misses servers, each later use asks the client again briefly and rebuilds
   * the catalog when the list grew.
   */
  async #ensureReady(): Promise<void> {
    const ipc = this.#ipc;
    if (!ipc) return;
    if (!this.#ready) {
      const ready = ipc.load(this.#shutdown.signal).then(() => this.#sayListing(ipc));
      this.#ready = ready;
      ready.catch(() => {
        if (this.#ready === ready) this.#ready = undefined;
      });
      return await ready;
    }
    await this.#ready;
    if (ipc.listing.complete) return;
    const before = ipc.serverNames().join("\0") + "|" + JSON.stringify(ipc.listing.missing);
    await ipc.load(this.#shutdown.signal, RELIST_WAIT_MS);
    if (ipc.serverNames().join("\0") + "|" + JSON.stringify(ipc.listing.missing) !== before) {
      this.#sayListing(ipc);
      await this.#engine.refresh();
    }
  }

  #sayListing(ipc: ClientIpc): void {
    const { missing, skipped } = ipc.listing;
    const listed = ipc.serverNames().filter((s) => !missing.includes(s));
    let line = `hybrid mode: the MCP client offers ${listed.length} server(s)` +
      (listed.length ? ` (${listed.join(", ")})` : "");
    if (skipped.length) line += `; left out: ${skipped.map((s) => `${s.server} (${s.reason})`).join(", ")}`;
    if (missing.length) line += `; still missing: ${missing.join(", ")}`;
    this.log(line);
  }

  /** The current catalog (discovered on first use). Throws when hybrid mode cannot reach the client. */
  async catalog(): Promise<Catalog> {
    await this.#ensureReady();
    return await this.#engine.catalog();
  }

  /** Re-discovers every server, bypassing the cache, and tells sessions that list tools directly. */
  refresh(): Promise<Catalog> {
    this.#refreshing ??= (async () => {
      try {
        if (this.#ipc) {
          await this.#ipc.load(this.#shutdown.signal);
          this.#sayListing(this.#ipc);
          this.#ready = Promise.resolve();
        }
        const catalog = await this.#engine.refresh();
        if (this.expose !== "code") { for (const fn of this.#listeners) fn(); }
        return catalog;
      } finally {
        this.#refreshing = undefined;
      }
    })();
    return this.#refreshing;
  }

  /** A downstream server said its tools changed: refresh once the burst is over. */
  toolsChanged(server: string): void {
    clearTimeout(this.#changeTimer);
    this.#changeTimer = setTimeout(() => {
      this.refresh().then(
        (c) => this.log(`tools changed on ${server}; catalog refreshed (${c.servers.length} servers)`),
        (err) => this.log(`tools changed on ${server}; refresh failed: ${errorText(err)}`),
      );
    }, CHANGE_DEBOUNCE_MS);
  }

  /** Calls `fn` whenever the tool list an MCP session sees may have changed; returns the unsubscribe. */
  onListChanged(fn: () => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Hears each line of orch's log (sessions send them as log notifications); returns the unsubscribe. */
  onLog(fn: (line: string) => void): () => void {
    this.#logTaps.add(fn);
    return () => this.#logTaps.delete(fn);
  }

  /** Runs a policy; shutdown aborts it like a client cancel. Throws when hybrid mode cannot reach the client. */
  async run(req: RunRequest): Promise<RunResult> {
    await this.#ensureReady();
    if (this.#ipc) refuseMissing(req.code, this.#ipc.listing.missing);
    const signal = req.signal ? AbortSignal.any([req.signal, this.#shutdown.signal]) : this.#shutdown.signal;
    const running = this.#engine.run({ ...req, signal });
    this.#runs.add(running);
    try {
      const result = await running;
      const why = result.reason && result.status !== "success" ? `: ${result.reason}` : "";
      this.log(`run ${result.runId} ${result.status}${why} (${result.calls} calls, ${result.durationMs} ms)`);
      return result;
    } finally {
      this.#runs.delete(running);
    }
  }

  /** Aborts runs in flight, waits for them (bounded), then stops the shim and every server. */
  async close(): Promise<void> {
    if (this.#shutdown.signal.aborted) return;
    this.#shutdown.abort("orch is shutting down");
    clearTimeout(this.#changeTimer);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const bound = new Promise((r) => timer = setTimeout(r, 5000));
    await Promise.race([Promise.allSettled([...this.#runs]), bound]);
    // Sessions' output folders are handed over once their processes are gone (bounded the same way).
    await Promise.race([this.#sessions?.close(), bound]);
    clearTimeout(timer);
    await this.#engine.close();
  }
}

/**
 * Hybrid mode: a policy that calls a server the MCP client does not list (yet) would die on a
 * NameError; it is refused before it starts, naming the servers.
 */
function refuseMissing(code: string, missing: readonly string[]): void {
  const used = missing.filter((server) => {
    const py = server.replace(/[^A-Za-z0-9_]/g, "_");
    return code.includes(`${py}__`) || code.includes(`${server}__`);
  });
  if (!used.length) return;
  throw new PolicyError(
    `the MCP client does not list ${used.map((s) => `"${s}"`).join(", ")}, which this policy calls: ` +
      `not connected yet, failed to start, or every tool of it disabled in the client. ` +
      `Check the client's server log, then call refresh_tools`,
  );
}
