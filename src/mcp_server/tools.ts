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

/** Arguments of execute_composed_code, as checked at the boundary. */
export const ExecuteArgs = z.object({
  code: z.string().describe("Python source"),
  // No zod default: an absent timeout means the config's limits.timeout (3600 s when it sets none).
  timeout: z.number().meta({ description: "seconds", default: 3600 }).optional(),
  allowed_tools: z.array(z.string()).describe("server/tool globs this run may call").optional(),
  // "" means no session; the wire shows a plain string (the pattern's words come back when one is refused).
  session_id: z.string().transform((s) => s === "" ? undefined : s)
    .pipe(z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, "use 1-128 letters, digits or _ . : -").optional())
    .optional(),
  persistent: z.boolean().default(false),
  wait: z.number().nonnegative().describe("seconds").optional(),
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

// The wire shows a list; one server name as a string is taken too.
export const DocsArgs = z.object({
  servers: z.preprocess((v) => typeof v === "string" ? [v] : v, z.array(z.string())).optional(),
});

export const NoArgs = z.object({});

// Bounds cost tokens on every tools/list and teach an agent little: the handler refuses a value out of bounds
// with the field named (describeArgsError), so the wire shows types, defaults and descriptions only.
const BOUNDS = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength"] as const;

/**
 * The JSON Schema tools/list shows for `args`, generated from the handler's zod schema (its input side, so
 * defaults are shown and not required), without `$schema` and without bounds.
 */
export function inputSchemaOf(args: z.ZodObject): Tool["inputSchema"] {
  const schema: Record<string, unknown> = z.toJSONSchema(args, {
    io: "input",
    override: ({ jsonSchema }) => {
      for (const k of BOUNDS) delete jsonSchema[k];
    },
  });
  delete schema.$schema;
  return schema as Tool["inputSchema"];
}

/** The tools orch always offers. */
export const ORCH_TOOLS: Tool[] = [
  {
    name: EXECUTE,
    description: EXECUTE_TEXT,
    inputSchema: inputSchemaOf(ExecuteArgs),
    execution: { taskSupport: "optional" },
  },
  {
    name: GET_RUN,
    description: "Waits up to wait_seconds for a run's new output or end; returns them and the summary.",
    inputSchema: inputSchemaOf(GetRunArgs),
  },
  { name: CANCEL_RUN, description: "Abort a run.", inputSchema: inputSchemaOf(CancelRunArgs) },
  {
    name: SEARCH,
    description: "Find tools by words. detail: names, signatures or full (with docs).",
    inputSchema: inputSchemaOf(SearchArgs),
  },
  {
    name: DOCS,
    description: "Python signatures and docstrings of the policy API, for the given servers (default: all).",
    inputSchema: inputSchemaOf(DocsArgs),
  },
  {
    name: LIST,
    description:
      "All tools with signatures: {servers, total_servers, total_tools}; include_descriptions adds docstrings.",
    inputSchema: inputSchemaOf(ListArgs),
  },
  {
    name: REFRESH,
    description: "Re-discover every server's tools. Returns {status, server_count, tool_count}.",
    inputSchema: inputSchemaOf(NoArgs),
  },
];

/** A zod failure as one line naming the fields, for an MCP error. */
export function describeArgsError(tool: string, error: z.ZodError): string {
  const parts = error.issues.map((i) => `${i.path.join(".") || "arguments"}: ${i.message}`);
  return `Invalid arguments for ${tool}: ${parts.join("; ")}`;
}
