/**
 * The MCP SDK, imported in one place. Its package.json maps `./*` to
 * `dist/esm/*.d.ts`, which Deno's type checker cannot follow for `.js`
 * subpaths, so each import names its declaration file; Bun ignores the hints.
 */
// @ts-types="@modelcontextprotocol/sdk/client/index.d.ts"
export { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="@modelcontextprotocol/sdk/client/streamableHttp.d.ts"
export { StreamableHTTPClientTransport, StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
// @ts-types="@modelcontextprotocol/sdk/client/stdio.d.ts"
export { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
// @ts-types="@modelcontextprotocol/sdk/client/sse.d.ts"
export { SSEClientTransport, SseError } from "@modelcontextprotocol/sdk/client/sse.js";
// @ts-types="@modelcontextprotocol/sdk/shared/transport.d.ts"
export type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
// @ts-types="@modelcontextprotocol/sdk/server/index.d.ts"
export { Server } from "@modelcontextprotocol/sdk/server/index.js";
// @ts-types="@modelcontextprotocol/sdk/server/webStandardStreamableHttp.d.ts"
export { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
// @ts-types="@modelcontextprotocol/sdk/types.d.ts"
export {
  CallToolRequestSchema,
  type CallToolResult,
  CallToolResultSchema,
  ElicitRequestSchema,
  ErrorCode,
  isInitializeRequest,
  type JSONRPCMessage,
  JSONRPCMessageSchema,
  ListToolsRequestSchema,
  LoggingMessageNotificationSchema,
  McpError,
  type ServerNotification,
  type Tool,
  ToolListChangedNotificationSchema,
  ToolSchema,
} from "@modelcontextprotocol/sdk/types.js";

/**
 * The Streamable HTTP client transport's report (to `onerror`) that a response's event stream broke;
 * it then tries to resume. The SDK gives it neither a class nor a code, so its words are the only
 * mark: tested here, beside the SDK, so an SDK upgrade that rewords it has one place to look.
 */
export function isStreamDisconnect(err: unknown): boolean {
  return err instanceof Error && err.message.includes("SSE stream disconnected");
}
