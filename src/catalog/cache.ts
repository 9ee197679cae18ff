/** The on-disk catalog cache: one JSON file per server entry, keyed by everything that can change its tools. */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ServerConfig } from "../config/schema.ts";
import { VERSION } from "../version.ts";
import type { ToolInfo } from "../sources/types.ts";
import type { ToolOrigin } from "./types.ts";

export interface CacheEntry {
  version: string;
  key: string;
  server: string;
  origin: Exclude<ToolOrigin, "cache">;
  tools: ToolInfo[];
  warnings?: string[];
  savedAt: string;
}

/** A stable JSON text: object keys sorted, so equal configs hash equally. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value).sort();
    return `{${
      keys.map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`).join(",")
    }}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** The cache key of one server: orch's version, its config entry, and extra inputs (static file hashes). */
export function cacheKey(server: string, entry: ServerConfig, extra: unknown = null): string {
  return createHash("sha256").update(stableJson({ v: VERSION, server, entry, extra })).digest("hex").slice(0, 32);
}

/** A server that timed out during discovery, remembered until `until` so cold runs stop waiting for it. */
export interface FailureEntry {
  version: string;
  key: string;
  server: string;
  error: string;
  stderrTail?: string;
  /** ISO times: when it failed, and when discovery may try it again. */
  savedAt: string;
  until: string;
}

/** Reads and writes cache files under one folder; every failure reads as a miss. */
export class CatalogCache {
  constructor(readonly dir: string) {}

  #file(key: string): string {
    return join(this.dir, `${key}.json`);
  }

  /** The cached tools for `key`, or undefined when missing, corrupt or from another version. */
  get(key: string): CacheEntry | undefined {
    try {
      const entry = JSON.parse(readFileSync(this.#file(key), "utf8")) as CacheEntry;
      if (entry.version !== VERSION || entry.key !== key || !Array.isArray(entry.tools)) return undefined;
      return entry;
    } catch {
      return undefined;
    }
  }

  /** Saves atomically (write then rename); a cache that cannot be written is not an error. */
  put(entry: Omit<CacheEntry, "version" | "savedAt">): void {
    const full: CacheEntry = { ...entry, version: VERSION, savedAt: new Date().toISOString() };
    this.#write(this.#file(entry.key), full);
    try {
      rmSync(this.#failureFile(entry.key), { force: true });
    } catch {
      // Same as a write that fails.
    }
  }

  #failureFile(key: string): string {
    return join(this.dir, `${key}.timeout.json`);
  }

  /** The remembered timeout for `key` while it is still in force (keyed like the tools), or undefined. */
  getFailure(key: string, now = Date.now()): FailureEntry | undefined {
    try {
      const entry = JSON.parse(readFileSync(this.#failureFile(key), "utf8")) as FailureEntry;
      if (entry.version !== VERSION || entry.key !== key) return undefined;
      const until = Date.parse(entry.until);
      return Number.isFinite(until) && until > now ? entry : undefined;
    } catch {
      return undefined;
    }
  }

  /** Remembers that `key`'s server timed out, for `ttlMs`. */
  putFailure(entry: { key: string; server: string; error: string; stderrTail?: string }, ttlMs: number): void {
    const now = Date.now();
    const full: FailureEntry = {
      ...entry,
      version: VERSION,
      savedAt: new Date(now).toISOString(),
      until: new Date(now + ttlMs).toISOString(),
    };
    this.#write(this.#failureFile(entry.key), full);
  }

  #write(file: string, value: unknown): void {
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      const tmp = `${file}.${crypto.randomUUID()}.tmp`;
      writeFileSync(tmp, JSON.stringify(value));
      renameSync(tmp, file);
    } catch {
      // Read-only home or full disk: orch still works, only slower to start.
    }
  }
}
