/** What every command needs: the config, where orch keeps its files, and the tool source. */
import { accessSync, constants, mkdirSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { discover } from "../catalog/discover.ts";
import { CatalogCache } from "../catalog/cache.ts";
import type { Catalog } from "../catalog/types.ts";
import { findConfig, loadConfig } from "../config/load.ts";
import type { Config } from "../config/schema.ts";
import { staticHooks } from "../introspect/mod.ts";
import { CacheDirError } from "../errors.ts";
import { errnoOf, rt } from "../runtime/mod.ts";
import { signalExitCode } from "../runtime/signals.ts";
import type { ToolSource } from "../sources/types.ts";
import { UpstreamPool } from "../sources/upstream_pool.ts";
import { setServerLogCap } from "../sources/server_log.ts";
import { DEFAULT_SERVER_LOG_MB } from "../executor/limits.ts";
import { refuseOwnServers } from "./hybrid.ts";

export interface Context {
  config: Config;
  cacheDir: string;
  source: ToolSource;
  cache: CatalogCache;
}

/** The options of every command that reads the catalog: `-c FILE`, `--refresh`, `-h`. */
export const CATALOG_OPTIONS = {
  config: { type: "string", short: "c" },
  refresh: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** orch's cache folder: $ORCH_CACHE_DIR, the config's cacheDir, $XDG_CACHE_HOME/orch or ~/.cache/orch. */
export function cacheDirFor(config: Config | undefined): string {
  const explicit = rt.env("ORCH_CACHE_DIR") || config?.orchestrator.cacheDir;
  if (explicit) return explicit;
  const xdg = rt.env("XDG_CACHE_HOME");
  if (xdg) return join(xdg, "orch");
  const home = rt.env("HOME");
  return home ? join(home, ".cache", "orch") : join(process.cwd(), ".orch-cache");
}

/** cacheDirFor(config), created if need be; throws CacheDirError, naming it, when orch cannot write there. */
export function openCacheDir(config: Config | undefined): string {
  const dir = cacheDirFor(config);
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw new CacheDirError(dir, errnoOf(err), { cause: err });
  }
  return dir;
}

/** Finds and loads the config (`--config` first); throws ConfigError. */
export function openConfig(explicit: string | undefined): Config {
  const path = findConfig({ explicit, env: rt.env, cwd: process.cwd(), platform: process.platform });
  const config = loadConfig(path, { env: rt.env, selfPath: rt.isCompiled() ? rt.execPath() : undefined });
  setServerLogCap((config.orchestrator.limits.serverLogMb ?? DEFAULT_SERVER_LOG_MB) * 1024 * 1024);
  return config;
}

/** Loads the config and builds the tool source; the caller must `close()` the source. */
export function openContext(explicit: string | undefined): Context {
  const config = openConfig(explicit);
  refuseOwnServers(config, "this command");
  const cacheDir = openCacheDir(config);
  const source = new UpstreamPool(config, { logDir: join(cacheDir, "logs") });
  return { config, cacheDir, source, cache: new CatalogCache(join(cacheDir, "catalog")) };
}

/** Discovers the catalog for a context. */
export function loadCatalog(ctx: Context, opts: { refresh?: boolean; servers?: string[] } = {}): Promise<Catalog> {
  return discover(ctx.config, ctx.source, {
    ...staticHooks(ctx.config, ctx.cacheDir),
    cache: ctx.cache,
    refresh: opts.refresh,
    servers: opts.servers,
  });
}

/**
 * Runs `fn`, then closes the source even on error. Unless `ownSignals`
 * (the command handles them itself), SIGINT/SIGTERM/SIGHUP stop every server and exit.
 */
export async function withContext<T>(
  explicit: string | undefined,
  fn: (ctx: Context) => Promise<T>,
  opts: { ownSignals?: boolean } = {},
): Promise<T> {
  const ctx = openContext(explicit);
  const stop = (code: number) => () => {
    void ctx.source.close().finally(() => rt.exit(code));
  };
  const offs = opts.ownSignals
    ? []
    : (["SIGINT", "SIGTERM", "SIGHUP"] as const).map((s) => rt.onSignal(s, stop(signalExitCode(s))));
  try {
    return await fn(ctx);
  } finally {
    for (const off of offs) off();
    await ctx.source.close();
  }
}
