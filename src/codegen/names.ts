/** Python names for tools and parameters: sanitised, never a keyword, never colliding. */
import type { Catalog } from "../catalog/types.ts";
import type { ToolInfo } from "../sources/types.ts";

/** Python 3 keywords (hard ones; soft keywords like `match` and `type` are valid names). */
export const PYTHON_KEYWORDS: ReadonlySet<string> = new Set([
  "False",
  "None",
  "True",
  "and",
  "as",
  "assert",
  "async",
  "await",
  "break",
  "class",
  "continue",
  "def",
  "del",
  "elif",
  "else",
  "except",
  "finally",
  "for",
  "from",
  "global",
  "if",
  "import",
  "in",
  "is",
  "lambda",
  "nonlocal",
  "not",
  "or",
  "pass",
  "raise",
  "return",
  "try",
  "while",
  "with",
  "yield",
]);

// Names a parameter must not take: `__debug__` cannot be bound at all, and the generated body uses the other two.
const RESERVED_PARAMS: ReadonlySet<string> = new Set(["__debug__", "_args", "_call_tool"]);

/** `s` with every character outside `[A-Za-z0-9_]` replaced by `_`, and `_` before a leading digit. */
export function sanitizeIdentifier(s: string): string {
  const out = s.replace(/[^A-Za-z0-9_]/gu, "_");
  return /^[0-9]/.test(out) ? "_" + out : out;
}

/** The Python function name of a tool before collisions are resolved: `<server>__<tool>`, sanitised. */
export function functionBaseName(server: string, tool: string): string {
  const name = sanitizeIdentifier(`${server}__${tool}`);
  // A dunder such as `__all__` or `__name__` would clobber the module's own attributes.
  return /^__.*__$/.test(name) ? name + "_" : name;
}

/** A generated function: its Python name and the tool it calls. */
export interface NamedTool {
  pyName: string;
  server: string;
  tool: ToolInfo;
}

/** 32-bit FNV-1a of `s` as 8 hex digits: a short, stable suffix that does not depend on which other tools exist. */
export function shortHash(s: string): string {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(s)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, "0");
}

function label(server: string, tool: string): string {
  return `${JSON.stringify(server)}.${JSON.stringify(tool)}`;
}

/** The Python function name of every tool of one catalog. */
export interface FunctionNames {
  /** Every generated function, in catalog order. */
  readonly tools: readonly NamedTool[];
  /** Name collisions and duplicate tools, in words. */
  readonly warnings: readonly string[];
}

// Catalogs are replaced, never mutated (engine.ts), so names computed once per catalog object stay true.
const memo = new WeakMap<Catalog, FunctionNames>();

/**
 * Python names for every tool of `catalog`, the one place they are decided: the generated API, the docs, search
 * results, `list_available_tools` and `--expose direct` all read them from here. Tools whose names collide after
 * sanitising get `<name>_<hash of server and tool>`, except one whose server and tool names needed no sanitising: it
 * keeps the plain name. A server listing the same tool twice keeps the first. Each collision yields a warning.
 * Computed once per catalog object.
 */
export function functionNames(catalog: Catalog): FunctionNames {
  let names = memo.get(catalog);
  if (names === undefined) memo.set(catalog, names = assignFunctionNames(catalog));
  return names;
}

function assignFunctionNames(catalog: Catalog): { tools: NamedTool[]; warnings: string[] } {
  const warnings: string[] = [];
  const entries: { base: string; server: string; tool: ToolInfo; natural: boolean }[] = [];
  const seen = new Set<string>();
  for (const s of catalog.servers) {
    for (const tool of s.tools) {
      const key = `${s.server}\0${tool.name}`;
      if (seen.has(key)) {
        warnings.push(
          `Server ${JSON.stringify(s.server)} lists tool ${JSON.stringify(tool.name)} twice; kept the first`,
        );
        continue;
      }
      seen.add(key);
      const base = functionBaseName(s.server, tool.name);
      entries.push({ base, server: s.server, tool, natural: base === `${s.server}__${tool.name}` });
    }
  }

  const groups = new Map<string, number[]>();
  entries.forEach((e, i) => {
    const group = groups.get(e.base);
    if (group) group.push(i);
    else groups.set(e.base, [i]);
  });

  const names: string[] = entries.map((e) => e.base);
  const hashed = new Set<number>();
  const clashes: { base: string; members: number[] }[] = [];
  for (const [base, members] of groups) {
    if (members.length === 1) continue;
    const naturals = members.filter((i) => entries[i]!.natural);
    const keeper = naturals.length === 1 ? naturals[0] : undefined;
    for (const i of members) if (i !== keeper) hashed.add(i);
    clashes.push({ base, members });
  }

  // Hashed names avoid every plain name and each other; order by wire names so the outcome is deterministic.
  const taken = new Set(names.filter((_, i) => !hashed.has(i)));
  const byWire = (a: number, b: number) => {
    const x = entries[a]!, y = entries[b]!;
    return x.server < y.server ? -1 : x.server > y.server ? 1 : x.tool.name < y.tool.name ? -1 : 1;
  };
  for (const i of [...hashed].sort(byWire)) {
    const e = entries[i]!;
    const stem = `${e.base}_${shortHash(`${e.server}\0${e.tool.name}`)}`;
    let name = stem;
    for (let n = 2; taken.has(name); n++) name = `${stem}_${n}`;
    taken.add(name);
    names[i] = name;
  }
  for (const { base, members } of clashes) {
    const list = members.map((i) => `${label(entries[i]!.server, entries[i]!.tool.name)} as ${names[i]}`).join(", ");
    warnings.push(`Tools mapping to the same Python name ${base} were named apart: ${list}`);
  }

  return { tools: entries.map((e, i) => ({ pyName: names[i]!, server: e.server, tool: e.tool })), warnings };
}

function paramBase(wire: string): string {
  const s = sanitizeIdentifier(wire) || "_";
  return PYTHON_KEYWORDS.has(s) || RESERVED_PARAMS.has(s) ? s + "_" : s;
}

/**
 * Python parameter names for the wire names `wires` (distinct), index for index. Valid names that are not keywords
 * keep their spelling; others are sanitised (`from` -> `from_`, `max-speed` -> `max_speed`) and numbered on
 * collision (`from_2`).
 */
export function assignParamNames(wires: readonly string[]): string[] {
  const out: (string | undefined)[] = wires.map((w) => paramBase(w) === w ? w : undefined);
  const taken = new Set(out.filter((n): n is string => n !== undefined));
  return wires.map((w, i) => {
    const kept = out[i];
    if (kept !== undefined) return kept;
    const base = paramBase(w);
    let name = base;
    for (let n = 2; taken.has(name); n++) name = base.endsWith("_") ? `${base}${n}` : `${base}_${n}`;
    taken.add(name);
    return name;
  });
}
