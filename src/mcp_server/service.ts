/**
 * What every MCP session of one `orch serve` shares: the Session (catalog,
 * shim, executor), hybrid mode's client IPC, refreshes (asked for, or pushed
 * by a server's tools/list_changed), and shutdown, which aborts runs in flight.
 */
import type { Catalog } from "../catalog/types.ts";
import type { ServerConfig } from "../config/schema.ts";
import { errorText } from "../errors.ts";
import type { RunRequest, RunResult } from "../executor/run.ts";
import { SessionPool } from "../executor/sessions.ts";
import type { Session } from "../session.ts";
import type { ClientIpc } from "../sources/client_ipc.ts";

/** Which tools orch offers: its own (code), every downstream tool as `server__tool` (direct), or both. */
export type Expose = "code" | "direct" | "both";

export interface ServiceOptions {
  /** Hybrid mode: where tools come from; its server list replaces the config's. */
  ipc?: ClientIpc;
  expose: Expose;
  /** One line to orch's log (stderr). */
  log: (line: string) => void;
}

/** Milliseconds to gather a burst of tools/list_changed notifications into one refresh. */
const CHANGE_DEBOUNCE_MS = 300;

/** Shared state of the MCP face. */
export class OrchService {
  readonly session: Session;
  readonly expose: Expose;
  readonly log: (line: string) => void;
  readonly #ipc: ClientIpc | undefined;
  #sessions: SessionPool | undefined;
  readonly #shutdown = new AbortController();
  readonly #listeners = new Set<() => void>();
  readonly #runs = new Set<Promise<unknown>>();
  #ready: Promise<void> | undefined;
  #refreshing: Promise<Catalog> | undefined;
  #changeTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(session: Session, opts: ServiceOptions) {
    this.session = session;
    this.expose = opts.expose;
    this.log = opts.log;
    this.#ipc = opts.ipc;
  }

  /** Persistent sessions of execute_composed_code (made on first use). */
  get sessions(): SessionPool {
    this.#sessions ??= new SessionPool(this.session.config.orchestrator.sessions, this.log);
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

  /** Hybrid mode: the client's server list, loaded once (again after a failure). */
  #ensureReady(): Promise<void> {
    const ipc = this.#ipc;
    if (!ipc) return Promise.resolve();
    this.#ready ??= ipc.load(this.#shutdown.signal).then(() => this.#syncServers());
    this.#ready.catch(() => this.#ready = undefined);
    return this.#ready;
  }

  /** Makes the config's server list the client's, so discovery asks for exactly those. */
  #syncServers(): void {
    const ipc = this.#ipc!;
    const servers = this.session.config.servers;
    const names = new Set(ipc.serverNames());
    for (const name of [...servers.keys()]) if (!names.has(name)) servers.delete(name);
    for (const name of names) {
      if (servers.has(name)) continue;
      const entry: ServerConfig = { type: "http", url: ipc.url, headers: {}, introspect: "mcp" };
      servers.set(name, entry);
    }
  }

  /** The current catalog (discovered on first use). Throws when hybrid mode cannot reach the client. */
  async catalog(): Promise<Catalog> {
    await this.#ensureReady();
    return await this.session.catalog();
  }

  /** Re-discovers every server, bypassing the cache, and tells sessions that list tools directly. */
  refresh(): Promise<Catalog> {
    this.#refreshing ??= (async () => {
      try {
        if (this.#ipc) {
          await this.#ipc.load(this.#shutdown.signal);
          this.#syncServers();
          this.#ready = Promise.resolve();
        }
        const catalog = await this.session.refresh();
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

  /** Runs a policy; shutdown aborts it like a client cancel. Throws when hybrid mode cannot reach the client. */
  async run(req: RunRequest): Promise<RunResult> {
    await this.#ensureReady();
    const signal = req.signal ? AbortSignal.any([req.signal, this.#shutdown.signal]) : this.#shutdown.signal;
    const running = this.session.run({ ...req, signal });
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
    clearTimeout(timer);
    this.#sessions?.close();
    await this.session.close();
  }
}
