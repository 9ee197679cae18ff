/**
 * orch's own MCP tools as an agent sees them in tools/list: names, the words
 * that teach policy writing, and input schemas. Kept short on purpose: this
 * is every token an agent holds for ALL downstream servers together.
 */
import { z } from "zod";
import type { Tool } from "../deps/mcp_sdk.ts";

export const EXECUTE = "execute_composed_code";
export const LIST = "list_available_tools";
export const REFRESH = "refresh_tools";
export const DOCS = "get_api_documentation";
export const SEARCH = "search_tools";
export const GET_RUN = "get_run";
export const CANCEL_RUN = "cancel_run";

const EXECUTE_TEXT =
  `Run a Python policy that calls MCP tools as functions, with loops, ifs and try/except, instead of one tool call per turn.
Each tool is server__tool(...) (non-alphanumerics become _): ros_mcp_server__move_home(). It returns the result (dict, list, str...). Errors: ToolError (tool failed), ToolDenied (not allowed in this run); PolicyAborted ends the run, never catch it.
parallel(lambda: a(), lambda: b()) runs calls at once. print() what you need back.
First search_tools, then get_api_documentation for the few servers you use.
persistent=true + session_id: variables, functions and imports carry to the next call with that id.
Returns {output, error (stderr), returncode, status: success|failed|timeout|aborted|error, summary}, or after wait s {status: running, run_id}: then get_run.`;

/** The tools orch always offers. */
export const ORCH_TOOLS: Tool[] = [
  {
    name: EXECUTE,
    description: EXECUTE_TEXT,
    inputSchema: {
      type: "object",
      properties: {
        code: { type: "string", description: "Python source" },
        timeout: { type: "integer", description: "seconds", default: 3600 },
        allowed_tools: { type: "array", items: { type: "string" }, description: "server/tool globs this run may call" },
        session_id: { type: "string" },
        persistent: { type: "boolean", default: false },
        wait: { type: "integer", description: "seconds" },
      },
      required: ["code"],
    },
    execution: { taskSupport: "optional" },
  },
  {
    name: GET_RUN,
    description: "Waits up to wait_seconds for a run's new output or end; returns them and the summary.",
    inputSchema: {
      type: "object",
      properties: { run_id: { type: "string" }, wait_seconds: { type: "integer" } },
      required: ["run_id"],
    },
  },
  {
    name: CANCEL_RUN,
    description: "Abort a run.",
    inputSchema: { type: "object", properties: { run_id: { type: "string" } }, required: ["run_id"] },
  },
  {
    name: SEARCH,
    description: "Find tools by words. detail: names, signatures (default) or full (with docs).",
    inputSchema: {
      type: "object",
      properties: {
        query: { type: "string" },
        detail: { type: "string", enum: ["names", "signatures", "full"] },
        limit: { type: "integer", default: 20 },
      },
      required: ["query"],
    },
  },
  {
    name: DOCS,
    description: "Python signatures and docstrings of the policy API, for the given servers (default: all).",
    inputSchema: { type: "object", properties: { servers: { type: "array", items: { type: "string" } } } },
  },
  {
    name: LIST,
    description:
      "All tools with signatures: {servers, total_servers, total_tools}; include_descriptions adds docstrings.",
    inputSchema: { type: "object", properties: { include_descriptions: { type: "boolean", default: false } } },
  },
  {
    name: REFRESH,
    description: "Re-discover every server's tools. Returns {status, server_count, tool_count}.",
    inputSchema: { type: "object", properties: {} },
  },
];

/** Arguments of execute_composed_code, as checked at the boundary. */
export const ExecuteArgs = z.object({
  code: z.string(),
  timeout: z.number().optional(),
  allowed_tools: z.array(z.string()).optional(),
  session_id: z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, "use 1-128 letters, digits or _ . : -").optional()
    .or(z.literal("").transform(() => undefined)),
  persistent: z.boolean().default(false),
  wait: z.number().nonnegative().optional(),
});

export const ListArgs = z.object({ include_descriptions: z.boolean().default(false) });

export const GetRunArgs = z.object({
  run_id: z.string().min(1),
  wait_seconds: z.number().nonnegative().optional(),
  offset: z.number().int().nonnegative().optional(),
});

export const CancelRunArgs = z.object({ run_id: z.string().min(1) });

export const SearchArgs = z.object({
  query: z.string(),
  detail: z.enum(["names", "signatures", "full"]).default("signatures"),
  limit: z.number().int().positive().default(20),
});

export const DocsArgs = z.object({
  servers: z.union([z.array(z.string()), z.string().transform((s) => [s])]).optional(),
});

export const NoArgs = z.object({});

/** A zod failure as one line naming the fields, for an MCP error. */
export function describeArgsError(tool: string, error: z.ZodError): string {
  const parts = error.issues.map((i) => `${i.path.join(".") || "arguments"}: ${i.message}`);
  return `Invalid arguments for ${tool}: ${parts.join("; ")}`;
}
