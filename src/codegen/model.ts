/**
 * The one model every face renders: each tool's Python name, signature and return type, computed over the whole
 * catalog (names and class names depend on all tools). `unified_api.py`, `get_api_documentation`, `search_tools`,
 * `list_available_tools` and `orch search` all read it, so what an agent reads is what runs.
 */
import { searchTools } from "../catalog/search.ts";
import type { Catalog } from "../catalog/types.ts";
import type { ToolInfo } from "../sources/types.ts";
import { type FunctionKind, pythonSignature, renderFunction } from "./function.ts";
import { functionNames } from "./names.ts";
import { assignReturnTypes, type ReturnType } from "./return_types.ts";

/** One generated function. */
export interface ApiEntry {
  pyName: string;
  server: string;
  tool: ToolInfo;
  returns: ReturnType;
}

/** Every generated function of a catalog, in catalog order. */
export interface ApiModel {
  readonly entries: readonly ApiEntry[];
  /** Name collisions and duplicate tools, in words. */
  readonly warnings: readonly string[];
  /** The entry of `server`'s `tool`. */
  lookup(server: string, tool: string): ApiEntry | undefined;
}

// Like the names, one model per catalog object: every tools/call of search_tools or list_available_tools reads it.
const memo = new WeakMap<Catalog, ApiModel>();

/** The model of `catalog`, with the names of `functionNames(catalog)`; computed once per catalog object. */
export function apiModel(catalog: Catalog): ApiModel {
  let model = memo.get(catalog);
  if (model === undefined) memo.set(catalog, model = buildModel(catalog));
  return model;
}

function buildModel(catalog: Catalog): ApiModel {
  const { tools, warnings } = functionNames(catalog);
  const returns = assignReturnTypes(tools);
  const entries = tools.map((t) => ({ ...t, returns: returns.get(t.pyName)! }));
  const index = new Map(entries.map((e) => [`${e.server}\0${e.tool.name}`, e]));
  return { entries, warnings, lookup: (server, tool) => index.get(`${server}\0${tool}`) };
}

/** The function as Python (body or stub), preceded by the TypedDicts of its return type when `withTypes`. */
export function renderEntry(e: ApiEntry, kind: FunctionKind, withTypes = true): string {
  const fn = renderFunction(e.server, e.tool, e.pyName, kind, e.returns.annotation).trimEnd();
  return withTypes && e.returns.classes.length ? [...e.returns.classes, fn].join("\n\n\n") : fn;
}

/** One line: `name(params) -> Return`. */
export function entrySignature(e: ApiEntry): string {
  return pythonSignature(e.tool, e.pyName, e.returns.annotation);
}

/** The entries of the tools matching `query`, best first (ranked by catalog/search.ts), at most `limit`. */
export function searchEntries(catalog: Catalog, query: string, limit?: number): ApiEntry[] {
  const model = apiModel(catalog);
  // Every tool of the catalog has an entry (a tool listed twice has its first), so the lookup always finds one.
  return searchTools(catalog, query, limit).map((h) => model.lookup(h.server, h.tool.name)!);
}
