/** The on-disk catalog cache: one JSON file per server entry, keyed by everything that can change its tools. */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ServerConfig } from "../config/schema.ts";
import { VERSION } from "../version.ts";
import type { ToolInfo, ToolOrigin } from "./types.ts";

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
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      const full: CacheEntry = { ...entry, version: VERSION, savedAt: new Date().toISOString() };
      const tmp = `${this.#file(entry.key)}.${crypto.randomUUID()}.tmp`;
      writeFileSync(tmp, JSON.stringify(full));
      renameSync(tmp, this.#file(entry.key));
    } catch {
      // Read-only home or full disk: orch still works, only slower to start.
    }
  }
}
