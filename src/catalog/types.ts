/** What orch knows about each server's tools: the one input of codegen, the shim and the MCP face. */
import type { ToolInfo } from "../sources/types.ts";

/** Where a server's tool list came from. */
export type ToolOrigin = "mcp" | "static" | "client-ipc" | "cache";

export interface ServerTools {
  server: string;
  status: "ok" | "failed";
  /** Where the tools came from; for `cache`, `cachedFrom` says the original source. */
  origin: ToolOrigin;
  cachedFrom?: Exclude<ToolOrigin, "cache">;
  tools: ToolInfo[];
  /** Why discovery failed, in words (status `failed`). */
  error?: string;
  /** Last lines the server wrote to stderr, when it failed. */
  stderrTail?: string;
  warnings?: string[];
  /** Milliseconds discovery took (0 from cache). */
  durationMs: number;
}

export interface Catalog {
  /** Servers in config order. */
  servers: ServerTools[];
}

/** Total tools across servers that answered. */
export function toolCount(catalog: Catalog): number {
  return catalog.servers.reduce((n, s) => n + s.tools.length, 0);
}
