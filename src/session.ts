/**
 * One orch process's working set: the config, the tool source, the catalog
 * (refreshable), the generated API folder, the IPC shim and the executor.
 * `orch run` and `orch serve` both drive policies through it.
 */
import { join } from "node:path";
import { CatalogCache } from "./catalog/cache.ts";
import { discover } from "./catalog/discover.ts";
import type { Catalog } from "./catalog/types.ts";
import type { Config } from "./config/schema.ts";
import { type ApiDir, materializeApi } from "./executor/api_dir.ts";
import { Executor, type RunRequest, type RunResult } from "./executor/run.ts";
import { staticHooks } from "./introspect/mod.ts";
import { IpcHost } from "./ipc/host.ts";
import type { ToolSource } from "./sources/types.ts";

export interface SessionOptions {
  config: Config;
  source: ToolSource;
  cacheDir: string;
  /** Keep tool lists in the on-disk cache (default true; hybrid mode asks the client every time). */
  useCache?: boolean;
}

/** Catalog, API and runs for one config. */
export class Session {
  readonly config: Config;
  readonly source: ToolSource;
  readonly cacheDir: string;
  readonly cache: CatalogCache;
  readonly host: IpcHost;
  #catalog: Catalog | undefined;
  #api: ApiDir | undefined;
  #loading: Promise<Catalog> | undefined;
  readonly #useCache: boolean;

  constructor(opts: SessionOptions) {
    this.config = opts.config;
    this.source = opts.source;
    this.cacheDir = opts.cacheDir;
    this.cache = new CatalogCache(join(opts.cacheDir, "catalog"));
    this.#useCache = opts.useCache ?? true;
    this.host = new IpcHost({ source: this.source, catalog: () => this.#catalog });
  }

  /** The catalog, discovered (or read from the cache) on first use. */
  catalog(opts: { refresh?: boolean; servers?: string[] } = {}): Promise<Catalog> {
    const hooks = staticHooks(this.config, this.cacheDir);
    const cache = this.#useCache ? this.cache : undefined;
    if (opts.servers) {
      return discover(this.config, this.source, { ...hooks, cache, ...opts });
    }
    if (this.#catalog && !opts.refresh) return Promise.resolve(this.#catalog);
    if (this.#loading && !opts.refresh) return this.#loading;
    const loading = discover(this.config, this.source, { ...hooks, cache, refresh: opts.refresh }).then(
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

  /** Re-discovers every server, bypassing the cache, and regenerates the API. */
  async refresh(): Promise<Catalog> {
    const c = await this.catalog({ refresh: true });
    this.api(c);
    return c;
  }

  /** The generated API folder for the current catalog. */
  api(catalog: Catalog): ApiDir {
    if (this.#api && this.#catalog === catalog) return this.#api;
    const api = materializeApi(catalog, join(this.cacheDir, "api"), this.config.path);
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
    });
    return { ...(await executor.run(req)), apiWarnings: api.warnings };
  }

  /** Stops the shim and every server. */
  async close(): Promise<void> {
    await this.host.close();
    await this.source.close();
  }
}
