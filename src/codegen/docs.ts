/** Human-readable API documentation: the generated functions as stubs, grouped by server. */
import type { Catalog } from "../catalog/types.ts";
import { OrchError, unknownServerMessage } from "../errors.ts";
import { commentText } from "./literals.ts";
import { apiModel, renderEntry } from "./model.ts";

const PREAMBLE = [
  "# Call these functions from a policy after `from unified_api import *`; each returns the tool's result.",
  "# Optional arguments left at None are not sent, so the server applies its own default.",
  "# Errors: ToolError (the tool failed), ToolDenied (refused by the run's scope), PolicyAborted (the run is over).",
  "# parallel(lambda: f(...), lambda: g(...)) runs calls concurrently; call_tool(server, tool, arguments) calls by name.",
  "# A TypedDict return type comes from the tool's outputSchema (the value is its structuredContent); -> Any: no schema.",
];

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/**
 * API docs for `servers` (all when absent or empty), in catalog order: per server, each function's signature and
 * docstring, as Python stubs. Names match `generateApi()` over the same catalog. Throws an OrchError naming the known
 * servers when a requested one is unknown.
 */
export function renderDocs(catalog: Catalog, servers?: readonly string[]): string {
  const known = catalog.servers.map((s) => s.server);
  const unknown = (servers ?? []).filter((s) => !known.includes(s));
  if (unknown.length) {
    throw new OrchError(unknownServerMessage(unknown, known, { listedAs: "servers" }));
  }
  const wanted = servers?.length ? new Set(servers) : undefined;
  const shown = catalog.servers.filter((s) => !wanted || wanted.has(s.server));
  // Names depend on the whole catalog (collisions), so assign them before filtering.
  const { entries: tools } = apiModel(catalog);

  const toolTotal = shown.reduce((n, s) => n + s.tools.length, 0);
  const out = [`# orch tool API: ${plural(shown.length, "server")}, ${plural(toolTotal, "tool")}`, ...PREAMBLE];
  for (const s of shown) {
    const name = commentText(JSON.stringify(s.server));
    out.push("", "", `# ==== server ${name}: ${plural(s.tools.length, "tool")} ====`);
    if (s.status === "failed") out.push(`# unavailable: ${commentText(s.error ?? "discovery failed")}`);
    for (const t of tools) {
      if (t.server === s.server) out.push("", renderEntry(t, "stub"));
    }
  }
  return out.join("\n") + "\n";
}
