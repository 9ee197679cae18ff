/**
 * `orch_catalog.json`, written beside `unified_api.py`: what `templates/orch_preflight.py` checks a policy against.
 * Per generated function: the tool, its parameters (Python and wire names, required, positional order), its input
 * schema, and the config's guards that apply to it; per server, tool -> function; servers that failed discovery.
 */
import type { Catalog } from "../catalog/types.ts";
import { compileGlob } from "../rules/glob.ts";
import type { ApiEntry } from "./model.ts";
import { paramNames } from "./params.ts";

/** The preflight catalog of `entries` (from `apiModel(catalog)`) as JSON text. */
export function preflightCatalog(
  catalog: Catalog,
  entries: readonly ApiEntry[],
  guards: Readonly<Record<string, unknown>>,
): string {
  const matchers = Object.entries(guards).map(([pattern, schema]) => ({
    pattern,
    schema,
    matches: compileGlob(pattern),
  }));
  const functions: Record<string, unknown> = {};
  const servers: Record<string, Record<string, string>> = {};
  for (const e of entries) {
    functions[e.pyName] = {
      server: e.server,
      tool: e.tool.name,
      params: paramNames(e.tool),
      input: e.tool.inputSchema,
      guards: matchers.filter((m) => m.matches(e.server, e.tool.name)).map(({ pattern, schema }) => ({
        pattern,
        schema,
      })),
    };
    (servers[e.server] ??= {})[e.tool.name] = e.pyName;
  }
  const unavailable: Record<string, string> = {};
  for (const s of catalog.servers) {
    // A failed server's tools are unknown, not absent: calls to it are left to run time.
    if (s.status === "failed") unavailable[s.server] = s.error ?? "discovery failed";
    else servers[s.server] ??= {};
  }
  return JSON.stringify({ version: 1, functions, servers, unavailable }) + "\n";
}
