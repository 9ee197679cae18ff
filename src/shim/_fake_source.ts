/** A ToolSource for tests and benchmarks of the shim: canned tools, scripted call results. */
import type { Catalog } from "../catalog/types.ts";
import type { ToolInfo } from "../sources/types.ts";
import type { CallOptions, CallToolResult, ToolSource } from "../sources/types.ts";

export type CallHandler = (
  server: string,
  tool: string,
  args: Record<string, unknown>,
  opts: CallOptions | undefined,
) => Promise<CallToolResult>;

export interface RecordedCall {
  server: string;
  tool: string;
  args: Record<string, unknown>;
  signal: AbortSignal | undefined;
}

/** A tool with a permissive input schema. */
export function fakeTool(name: string, description = `${name} does things`): ToolInfo {
  return { name, description, inputSchema: { type: "object", properties: {} } };
}

/** A catalog with these tools per server; servers named in `failed` failed discovery. */
export function fakeCatalog(tools: Record<string, string[]>, failed: string[] = []): Catalog {
  const servers: Catalog["servers"] = Object.entries(tools).map(([server, names]) => ({
    server,
    status: "ok",
    origin: "mcp",
    tools: names.map((n) => fakeTool(n)),
    durationMs: 0,
  }));
  for (const server of failed) {
    servers.push({ server, status: "failed", origin: "mcp", tools: [], error: "would not start", durationMs: 0 });
  }
  return { servers };
}

const OK: CallToolResult = { content: [{ type: "text", text: '{"ok": true}' }] };

/** Records every call and answers with `handler` (default: one JSON text item). */
export class FakeSource implements ToolSource {
  readonly calls: RecordedCall[] = [];
  handler: CallHandler = () => Promise.resolve(OK);
  /** Set to skip recording, for benchmarks. */
  record = true;

  constructor(readonly tools: Record<string, string[]> = {}) {}

  serverNames(): string[] {
    return Object.keys(this.tools);
  }

  listTools(server: string): Promise<ToolInfo[]> {
    return Promise.resolve((this.tools[server] ?? []).map((n) => fakeTool(n)));
  }

  callTool(
    server: string,
    tool: string,
    args: Record<string, unknown>,
    opts?: CallOptions,
  ): Promise<CallToolResult> {
    if (this.record) this.calls.push({ server, tool, args, signal: opts?.signal ?? opts?.cancel?.signal });
    opts?.cancel?.sent?.();
    return this.handler(server, tool, args, opts);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
