/** Where tools come from and where calls go: orch's own connections, or the MCP client's IPC. */
import type { CallToolResult } from "../deps/mcp_sdk.ts";
import type { JsonSchema } from "../rules/json_schema.ts";

export type { CallToolResult };

/** One tool as a server lists it. */
export interface ToolInfo {
  name: string;
  title?: string;
  description?: string;
  inputSchema: JsonSchema;
  outputSchema?: JsonSchema;
  annotations?: Record<string, unknown>;
}

/** A server's tools; `warnings` names tools that were skipped or trimmed because they were malformed. */
export type ListedTools = ToolInfo[] & { warnings?: string[] };

/**
 * One call in flight as its caller sees it: cancelling needs no AbortSignal (no event objects per
 * call). The source sets `oncancel` while it waits; the caller calls it once, on cancel.
 */
export interface CallCancel {
  /** The reason, once the caller has cancelled. */
  readonly cancelled: string | undefined;
  oncancel: ((reason: string) => void) | undefined;
  /** A signal that aborts with the call, for sources that need one (made on first use). */
  readonly signal: AbortSignal;
  /**
   * The source calls it just before the request leaves orch (written to the server's stdin, handed
   * to the SDK or to an HTTP request); a call that ends without it never reached the server, and the
   * run's journal says `not_sent`. Every source must call it: one that cannot tell calls it first.
   */
  sent?(): void;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** Cancellation without a signal (what the run scope hands out); either may be given. */
  cancel?: CallCancel;
  /** Overrides the server's configured per-call timeout. */
  timeoutMs?: number;
  /** Progress notifications from the server for this call. */
  onProgress?: (progress: { progress: number; total?: number; message?: string }) => void;
}

export interface ToolSource {
  /** Where its tool lists come from, as the catalog records it; default `mcp`. */
  readonly origin?: "mcp" | "client-ipc";
  /** Server names this source serves, in config order. */
  serverNames(): string[];
  /** Lists one server's tools, starting or connecting to it if needed. Throws UpstreamError. */
  listTools(server: string, signal?: AbortSignal): Promise<ListedTools>;
  /** Calls one tool. A tool-level error is a result with `isError`; transport failures throw UpstreamError. */
  callTool(server: string, tool: string, args: Record<string, unknown>, opts?: CallOptions): Promise<CallToolResult>;
  /** Called when a server says its tool list changed. */
  onToolsChanged?: (server: string) => void;
  /** Stops every server process this source started. Idempotent. */
  close(): Promise<void>;
}
