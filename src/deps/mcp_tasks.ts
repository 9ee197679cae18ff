/** The MCP SDK's experimental Tasks types (protocol 2025-11-25), imported in one place. */
// @ts-types="@modelcontextprotocol/sdk/experimental/tasks/interfaces.d.ts"
export type { TaskStore } from "@modelcontextprotocol/sdk/experimental/tasks/interfaces.js";
// @ts-types="@modelcontextprotocol/sdk/types.d.ts"
export type { Task } from "@modelcontextprotocol/sdk/types.js";
