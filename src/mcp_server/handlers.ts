/** orch's own tools: what each does with the service, and the exact result shapes the seed promised. */
import { type Catalog, toolCount } from "../catalog/types.ts";
import { docstringText, parameterList } from "../codegen/function.ts";
import { apiModel, entrySignature, renderDocs, renderEntry, searchEntries } from "../codegen/mod.ts";
import { toolParams } from "../codegen/params.ts";
import type { CallToolResult, ServerNotification } from "../deps/mcp_sdk.ts";
import { errorText } from "../errors.ts";
import type { SessionWorker } from "../executor/sessions.ts";
import type { RunResult } from "../executor/types.ts";
import type { ConfirmHook } from "../shim/scope.ts";
import { refusedAnswer, runAnswer } from "./answer.ts";
import type { SessionReport } from "../executor/sessions.ts";
import type { RunRequest } from "../executor/types.ts";
import { startTask } from "./tasks.ts";
import { executeLive } from "./tasks_poll.ts";
import type { OrchService } from "./service.ts";
import { describeArgsError, DocsArgs, ExecuteArgs, ListArgs, NoArgs, SearchArgs } from "./tools.ts";

/** What the SDK hands a tools/call handler, as far as orch uses it. */
export interface CallExtra {
  signal: AbortSignal;
  _meta?: { progressToken?: string | number };
  sendNotification: (notification: ServerNotification) => Promise<void>;
  /** Asks the client's person to approve a `confirm` tool (set by the session's server). */
  confirm?: ConfirmHook;
  /** The MCP session (Streamable HTTP); persistent sessions of two clients never mix. */
  sessionId?: string;
  /** Who reads a run's output (one MCP session): get_run's cursor is kept per reader. */
  reader?: string;
  /** Set when the call is task-augmented (MCP Tasks). */
  task?: { ttl?: number };
  /** A log notification to this session's client (logging capability). */
  log?: (level: "info" | "warning" | "error", logger: string, data: string) => void;
}

/** A result as structuredContent and as the same JSON in a text item. */
export function jsonResult(value: Record<string, unknown>, isError = false): CallToolResult {
  return {
    content: [{ type: "text", text: JSON.stringify(value) }],
    structuredContent: value,
    ...(isError ? { isError: true } : {}),
  };
}

/** A plain-text result. */
export function textResult(text: string, isError = false): CallToolResult {
  return { content: [{ type: "text", text }], ...(isError ? { isError: true } : {}) };
}

function firstLine(text: string | undefined): string {
  const line = (text ?? "").trim().split("\n")[0] ?? "";
  return line.length > 200 ? line.slice(0, 197) + "..." : line;
}

/**
 * The timeout an agent may ask for: never past the config's `limits.timeout` when the config sets
 * one (an agent must not outrun the person's limit); otherwise the executor's own clamp applies.
 */
export function agentTimeout(requested: number | undefined, configured: number | undefined): number | undefined {
  if (requested === undefined || configured === undefined || !(requested > 0)) return requested ?? configured;
  return Math.min(requested, configured);
}

/** execute_composed_code: one policy run, answered within the wait bound (get_run follows a longer one), or a task. */
export async function executeCode(service: OrchService, raw: unknown, extra: CallExtra): Promise<CallToolResult> {
  const parsed = ExecuteArgs.safeParse(raw ?? {});
  const refuse = (error: string) => jsonResult(refusedAnswer(error), true);
  if (!parsed.success) return refuse(describeArgsError("execute_composed_code", parsed.error));
  const { code, timeout, allowed_tools, session_id, persistent, wait } = parsed.data;
  if (code.trim() === "") return refuse("code is empty: pass the Python policy to run as `code`");
  let session: { worker: SessionWorker; note?: string } | undefined;
  if (persistent) {
    if (!session_id) return refuse('persistent=true needs a session_id (e.g. "pick_and_place")');
    if (extra.task) return refuse("persistent sessions do not run as tasks: call without task, or without persistent");
    try {
      session = service.sessions.acquire(session_id, extra.sessionId);
    } catch (err) {
      return refuse(errorText(err));
    }
  }
  const req: RunRequest = {
    code,
    timeoutSec: agentTimeout(timeout, service.config.orchestrator.limits.timeout),
    allow: allowed_tools,
    confirm: extra.confirm,
    by: "serve",
    worker: session?.worker,
  };
  // A session is given back when its run ends, whether the answer came within the wait bound or later.
  let report: SessionReport | undefined;
  let released = false;
  const release = (r: RunResult | undefined) => {
    if (!session || released) return;
    released = true;
    report = service.sessions.release(session.worker, r, session.note);
  };
  try {
    if (extra.task) return startTask(service, req, extra) as unknown as CallToolResult;
    return await executeLive(service, req, extra, wait, { onEnd: release, report: () => report });
  } catch (err) {
    release(undefined);
    return jsonResult(refusedAnswer(`orch: ${errorText(err)}`, 1, report), true);
  }
}

/**
 * A run's end as a tool result (the seed's answer, plus the call summary): only success is a plain
 * result; a failed, timed-out or aborted run is a tool error (`isError`), its structured content kept.
 * `slice` replaces the output with what a get_run reader has not seen yet.
 */
export function runToolResult(
  r: RunResult,
  session?: SessionReport,
  slice?: { output: string; error: string },
): CallToolResult {
  const answer = runAnswer(r, session);
  if (slice) {
    answer.output = slice.output;
    answer.error = slice.error;
  }
  answer.summary = r.summary;
  return jsonResult(answer, r.status !== "success");
}

/** list_available_tools: every server's tools with the seed's fields (docstrings when asked). */
export async function listAvailable(service: OrchService, raw: unknown): Promise<CallToolResult> {
  const parsed = ListArgs.safeParse(raw ?? {});
  if (!parsed.success) return textResult(describeArgsError("list_available_tools", parsed.error), true);
  const withDocs = parsed.data.include_descriptions;
  let catalog: Catalog;
  try {
    catalog = await service.catalog();
  } catch (err) {
    return jsonResult({ servers: {}, total_servers: 0, total_tools: 0, error: errorText(err) }, true);
  }
  const model = apiModel(catalog);
  const servers: Record<string, Record<string, string>[]> = {};
  const errors: Record<string, string> = {};
  for (const s of catalog.servers) {
    servers[s.server] = s.tools.map((t) => {
      const entry = model.lookup(s.server, t.name)!;
      const params = toolParams(t);
      return {
        function_name: entry.pyName,
        name: t.name,
        description: firstLine(t.description),
        signature: entrySignature(entry),
        parameters: parameterList(params),
        return_type: entry.returns.annotation,
        ...(withDocs ? { docstring: docstringText(s.server, t, params) } : {}),
      };
    });
    if (s.status === "failed") errors[s.server] = s.error ?? "discovery failed";
  }
  return jsonResult({
    servers,
    total_servers: catalog.servers.length,
    total_tools: toolCount(catalog),
    ...(Object.keys(errors).length ? { errors } : {}),
  });
}

/** refresh_tools: re-discovery that bypasses the cache and regenerates the API. */
export async function refreshTools(service: OrchService, raw: unknown): Promise<CallToolResult> {
  const parsed = NoArgs.safeParse(raw ?? {});
  if (!parsed.success) return textResult(describeArgsError("refresh_tools", parsed.error), true);
  try {
    const catalog = await service.refresh();
    const errors: Record<string, string> = {};
    for (const s of catalog.servers) if (s.status === "failed") errors[s.server] = s.error ?? "discovery failed";
    const failed = Object.keys(errors);
    if (failed.length === 0) {
      return jsonResult({ status: "success", server_count: catalog.servers.length, tool_count: toolCount(catalog) });
    }
    // A failed server is a failure, never "success" with fewer tools.
    const all = failed.length === catalog.servers.length;
    const list = failed.map((name) => `${name}: ${errors[name]}`).join("; ");
    return jsonResult({
      status: all ? "error" : "partial",
      server_count: catalog.servers.length,
      tool_count: toolCount(catalog),
      error: `${failed.length} of ${catalog.servers.length} servers failed to list their tools: ${list}`,
      errors,
    }, true);
  } catch (err) {
    return jsonResult({ status: "error", server_count: 0, tool_count: 0, error: errorText(err) }, true);
  }
}

/** get_api_documentation: Python stubs for some servers or all. */
export async function apiDocs(service: OrchService, raw: unknown): Promise<CallToolResult> {
  const parsed = DocsArgs.safeParse(raw ?? {});
  if (!parsed.success) return textResult(describeArgsError("get_api_documentation", parsed.error), true);
  try {
    return textResult(renderDocs(await service.catalog(), parsed.data.servers));
  } catch (err) {
    return textResult(errorText(err), true);
  }
}

/** search_tools: only the matching tools, at the detail asked for. */
export async function search(service: OrchService, raw: unknown): Promise<CallToolResult> {
  const parsed = SearchArgs.safeParse(raw ?? {});
  if (!parsed.success) return textResult(describeArgsError("search_tools", parsed.error), true);
  const { query, detail, limit } = parsed.data;
  if (query.trim() === "") return textResult('query is empty: pass words to look for, e.g. "move arm"', true);
  let catalog: Catalog;
  try {
    catalog = await service.catalog();
  } catch (err) {
    return textResult(errorText(err), true);
  }
  const hits = searchEntries(catalog, query, limit);
  if (hits.length === 0) {
    const servers = catalog.servers.map((s) => s.server).join(", ") || "none";
    return textResult(
      `No tool matches "${query}" (${toolCount(catalog)} tools on servers: ${servers}). ` +
        `Try other words, or list_available_tools.` + unavailableNote(catalog),
    );
  }
  const blocks = hits.map((entry) => {
    if (detail === "names") return entry.pyName;
    if (detail === "full") return renderEntry(entry, "stub");
    return `${entrySignature(entry)}\n    ${firstLine(entry.tool.description)}`;
  });
  return textResult(blocks.join(detail === "full" ? "\n\n" : "\n") + unavailableNote(catalog));
}

/** Servers whose tools a search could not see (failed discovery, or not listed by the MCP client), in one line. */
function unavailableNote(catalog: Catalog): string {
  const failed = catalog.servers.filter((s) => s.status === "failed");
  if (!failed.length) return "";
  return `\n(not searched, no tools from: ${
    failed.map((s) => `${s.server}: ${s.error ?? "discovery failed"}`).join("; ")
  })`;
}
