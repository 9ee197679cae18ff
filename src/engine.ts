/**
 * One orch process's working set: the config, the tool source, the catalog
 * (refreshable), the generated API folder, the IPC shim and the executor.
 * `orch run` and `orch serve` both drive policies through it.
 */
import { join } from "node:path";
import { CatalogCache } from "./catalog/cache.ts";
import { discover, TIMEOUT_MEMORY_MS } from "./catalog/discover.ts";
import type { Catalog } from "./catalog/types.ts";
import type { Config } from "./config/schema.ts";
import { type ApiDir, materializeApi } from "./codegen/api_dir.ts";
import { sanitizeIdentifier } from "./codegen/names.ts";
import { Executor, type ExecutorDeps, type RunRequest, type RunResult } from "./executor/run.ts";
import { staticHooks } from "./introspect/mod.ts";
import { IpcHost } from "./shim/host.ts";
import { RunBoard } from "./runs/board.ts";
import { prune } from "./runs/retention.ts";
import { DEFAULT_RUNS_TOTAL_MB } from "./executor/limits.ts";
import { policyTitle } from "./executor/run_journal.ts";
import type { ToolSource } from "./sources/types.ts";

export interface EngineOptions {
  config: Config;
  source: ToolSource;
  cacheDir: string;
  /** Keep tool lists in the on-disk cache (default true; hybrid mode asks the client every time). */
  useCache?: boolean;
  /** Says a warning (e.g. the run board cannot be used). */
  warn?: (line: string) => void;
  /** Opens run journals (tests give a full disk). */
  openJournal?: ExecutorDeps["openJournal"];
}

/**
 * Servers a policy does not name, going by its text: neither the server's name nor its Python
 * prefix (`ros_mcp_server__`) occurs in it. A false "named" only costs a discovery; a policy that
 * builds a name at run time still reaches the server, discovered at its first call.
 */
export function unnamedServers(config: Config, policy: string): Set<string> {
  const out = new Set<string>();
  // A policy that asks what exists wants every server's tools.
  if (/\blist_tools\b/.test(policy)) return out;
  for (const server of config.servers.keys()) {
    if (!policy.includes(server) && !policy.includes(`${sanitizeIdentifier(server)}__`)) out.add(server);
  }
  return out;
}

/** Catalog, API and runs for one config. */
export class Engine {
  readonly config: Config;
  readonly source: ToolSource;
  readonly cacheDir: string;
  readonly cache: CatalogCache;
  readonly host: IpcHost;
  /** This process's runs as `orch runs` and `orch stop` see them. */
  readonly board: RunBoard;
  #catalog: Catalog | undefined;
  #api: ApiDir | undefined;
  #loading: Promise<Catalog> | undefined;
  readonly #ensuring = new Map<string, Promise<void>>();
  /** When a call last discovered each server (a server that hangs costs one timeout in 5 minutes, not one a call). */
  readonly #retried = new Map<string, number>();
  readonly #useCache: boolean;
  readonly #openJournal: ExecutorDeps["openJournal"];
  #prunedAt = 0;

  constructor(opts: EngineOptions) {
    this.config = opts.config;
    this.source = opts.source;
    this.cacheDir = opts.cacheDir;
    this.cache = new CatalogCache(join(opts.cacheDir, "catalog"));
    this.#useCache = opts.useCache ?? true;
    this.#openJournal = opts.openJournal;
    this.host = new IpcHost({
      source: this.source,
      catalog: () => this.#catalog,
      ensureServer: (server) => this.#ensureServer(server),
      warn: opts.warn,
    });
    this.board = new RunBoard(opts.warn);
  }

  /**
   * The catalog, discovered (or read from the cache) on first use. With `policy` (its source and
   * arguments), only the servers it names are discovered now; the others come from the cache or
   * are left out until the run first calls them, so a hung server it never uses costs nothing.
   */
  catalog(opts: { refresh?: boolean; servers?: string[]; policy?: string } = {}): Promise<Catalog> {
    const hooks = staticHooks(this.config, this.cacheDir);
    const cache = this.#useCache ? this.cache : undefined;
    if (opts.servers) {
      return discover(this.config, this.source, { ...hooks, cache, refresh: opts.refresh, servers: opts.servers });
    }
    if (this.#catalog && !opts.refresh) return Promise.resolve(this.#catalog);
    if (this.#loading && !opts.refresh) return this.#loading;
    const cacheOnly = opts.policy === undefined || !cache ? undefined : unnamedServers(this.config, opts.policy);
    const loading = discover(this.config, this.source, { ...hooks, cache, refresh: opts.refresh, cacheOnly }).then(
      (c) => {
        // Replaced, never mutated: the shim indexes catalogs by identity.
        this.#catalog = c;
        this.#api = undefined;
        return c;
      },
    );
    this.#loading = loading;
    loading.finally(() => {
      if (this.#loading === loading) this.#loading = undefined;
    }).catch(() => {});
    return loading;
  }

  /**
   * Discovers a server the lazy catalog left out, or whose discovery failed (again at most once in
   * 5 minutes, past the remembered timeout), when a run calls it: the inputSchema check needs its tools.
   */
  #ensureServer(server: string): Promise<void> {
    const current = this.#catalog;
    if (current === undefined || !this.config.servers.has(server)) return Promise.resolve();
    const known = current.servers.find((s) => s.server === server);
    if (known?.status === "ok") return Promise.resolve();
    const tried = this.#retried.get(server);
    if (known !== undefined && tried !== undefined && Date.now() - tried < TIMEOUT_MEMORY_MS) return Promise.resolve();
    let pending = this.#ensuring.get(server);
    if (pending === undefined) {
      const retry = known !== undefined;
      this.#retried.set(server, Date.now());
      pending = this.catalog({ servers: [server], refresh: retry }).then((found) => {
        const now = this.#catalog;
        if (now === undefined) return;
        const was = now.servers.find((s) => s.server === server);
        if (was !== undefined && (was.status === "ok" || found.servers[0]?.status !== "ok")) return;
        const merged = [...now.servers.filter((s) => s !== was), ...found.servers];
        const order = [...this.config.servers.keys()];
        merged.sort((a, b) => order.indexOf(a.server) - order.indexOf(b.server));
        // Replaced, never mutated (the shim indexes catalogs by identity); the run's API stays as generated.
        this.#catalog = { servers: merged };
      }).finally(() => this.#ensuring.delete(server));
      this.#ensuring.set(server, pending);
    }
    return pending;
  }

  /** Re-discovers every server, bypassing the cache, and regenerates the API. */
  async refresh(): Promise<Catalog> {
    const c = await this.catalog({ refresh: true });
    this.api(c);
    return c;
  }

  /** The generated API folder for the current catalog. */
  api(catalog: Catalog): ApiDir {
    if (this.#api && this.#catalog === catalog) return this.#api;
    const api = materializeApi(catalog, join(this.cacheDir, "api"), this.config.path, this.config.orchestrator.guards);
    if (this.#catalog === catalog) this.#api = api;
    return api;
  }

  /** Runs one policy against the current catalog. */
  async run(req: RunRequest): Promise<RunResult & { apiWarnings: string[] }> {
    const catalog = await this.catalog();
    const api = this.api(catalog);
    const executor = new Executor({
      config: this.config,
      source: this.source,
      host: this.host,
      apiDir: api.dir,
      bootstrap: api.bootstrap,
      runsDir: join(this.cacheDir, "runs"),
      openJournal: this.#openJournal,
    });
    // `orch stop` from another shell aborts the run like a client cancel.
    const runId = req.runId ?? crypto.randomUUID();
    const stopper = new AbortController();
    const signal = req.signal ? AbortSignal.any([req.signal, stopper.signal]) : stopper.signal;
    this.#prune();
    const running = executor.run({ ...req, runId, signal });
    const off = this.board.add(
      { run_id: runId, by: req.by ?? "run", title: policyTitle(req.code), folder: join(this.cacheDir, "runs", runId) },
      (why) => {
        stopper.abort(why);
        return running.then((r) => r.status, () => "error");
      },
    );
    try {
      return { ...(await running), apiWarnings: api.warnings };
    } finally {
      off();
    }
  }

  /** Keeps run folders and logs within the config's bounds (at most every 30 s). */
  #prune(): void {
    if (Date.now() - this.#prunedAt < 30_000) return;
    this.#prunedAt = Date.now();
    try {
      const orch = this.config.orchestrator;
      const maxMb = orch.limits.runsTotalMb ?? DEFAULT_RUNS_TOTAL_MB;
      prune(this.cacheDir, { ...orch.runs, maxMb }, this.board.active(), this.board.dir);
    } catch {
      // Retention is housekeeping: a folder that cannot be removed now is tried again later.
    }
  }

  /** Stops the shim and every server. */
  async close(): Promise<void> {
    this.board.close();
    await this.host.close();
    await this.source.close();
  }
}
