/**
 * The layers of src/, lowest first: the one list that the layer test enforces and that
 * docs/ARCHITECTURE.md's diagram is drawn from (scripts/gen_assets.ts writes it, `--check` compares).
 * A file may import from its own layer and the layers below it, never from a layer above.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

export interface Layer {
  /** Folders under src/ (`name/`) and files at src/'s top (`name.ts`). */
  members: string[];
  /** What the layer is for, in a few words. */
  role: string;
}

export const LAYERS: Layer[] = [
  {
    members: ["runtime/", "deps/", "errors.ts", "version.ts", "assets.ts"],
    role: "Deno/Bun adapters, the MCP SDK, error classes, embedded templates",
  },
  { members: ["rules/"], role: "tool patterns, guards, argument checks: pure functions of names and JSON values" },
  { members: ["config/"], role: "config files: schema, lookup, patterns compiled at load" },
  { members: ["contain/"], role: "containment: bubblewrap, cgroups, process groups, interpreter probes" },
  { members: ["sources/"], role: "where tools come from and calls go: servers, the client's IPC" },
  { members: ["catalog/"], role: "discovered tools, the cache, search" },
  { members: ["codegen/"], role: "JSON Schema -> Python: the API folder" },
  { members: ["introspect/"], role: "static reading of FastMCP files" },
  { members: ["shim/"], role: "the shim: the HTTP face a run's policy calls, its scope" },
  { members: ["executor/"], role: "runs a policy: run folder, process, journal, abort" },
  { members: ["runs/", "preflight/"], role: "runs as objects (board, store, retention); the preflight" },
  { members: ["engine.ts"], role: "the Engine: ties catalog, API folder, shim and executor together" },
  { members: ["mcp_server/"], role: "orch's own MCP face" },
  { members: ["cli/", "main.ts"], role: "commands, usage, exit codes" },
];

/** The layer index of a path under src/ (`cli/run.ts`, `main.ts`), or -1. */
export function layerOf(path: string): number {
  const top = path.includes("/") ? path.slice(0, path.indexOf("/") + 1) : path.replace(/_test\.ts$/, ".ts");
  return LAYERS.findIndex((l) => l.members.includes(top));
}

/** Test helpers, benchmarks and tests may reach anywhere; the layer order binds what ships. */
export function isProduction(path: string): boolean {
  const name = path.slice(path.lastIndexOf("/") + 1);
  return !name.startsWith("_") && !/_(test|bench|smoke)\.ts$/.test(name);
}

export interface Violation {
  file: string;
  imports: string;
  why: string;
}

/** Relative import specifiers of TypeScript source (static imports, re-exports, dynamic imports). */
export function importsOf(text: string): string[] {
  const out: string[] = [];
  const re =
    /(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s*["'](\.{1,2}\/[^"']+)["']|\bimport\s*\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)|(?:^|\n)\s*import\s*["'](\.{1,2}\/[^"']+)["']/g;
  for (const m of text.matchAll(re)) out.push((m[1] ?? m[2] ?? m[3])!);
  return out;
}

/** Checks files given as (path under src/, text): every import goes to its own layer or below. */
export function checkLayers(files: Map<string, string>): Violation[] {
  const bad: Violation[] = [];
  for (const [file, text] of files) {
    const from = layerOf(file);
    if (from < 0) {
      bad.push({ file, imports: "", why: "is in no layer: add its folder to LAYERS in scripts/layers.ts" });
      continue;
    }
    if (!isProduction(file)) continue;
    for (const spec of importsOf(text)) {
      const target = relative("/src", resolve("/src", dirname(file), spec));
      if (target.startsWith("..")) {
        bad.push({ file, imports: spec, why: "reaches outside src/" });
        continue;
      }
      const to = layerOf(target);
      if (to < 0) bad.push({ file, imports: spec, why: `${target} is in no layer` });
      else if (to > from) {
        bad.push({
          file,
          imports: spec,
          why: `imports upward: ${LAYERS[from]!.members[0]} (layer ${from + 1}) -> ${LAYERS[to]!.members[0]} (layer ${
            to + 1
          })`,
        });
      }
    }
  }
  return bad;
}

/** Every .ts file under `srcDir`, by path relative to it. */
export function readSources(srcDir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith(".ts")) files.set(relative(srcDir, path), readFileSync(path, "utf8"));
    }
  };
  walk(srcDir);
  return files;
}

export const DIAGRAM_BEGIN = "<!-- layers: generated from scripts/layers.ts by scripts/gen_assets.ts -->";
export const DIAGRAM_END = "<!-- /layers -->";

/** The diagram of docs/ARCHITECTURE.md: the layers top first, each importing only from those below. */
export function renderDiagram(): string {
  const rows = [...LAYERS].reverse().map((l, i) => {
    const n = LAYERS.length - i;
    return `${String(n).padStart(2)}  ${l.members.join(" ").padEnd(36)} ${l.role}`;
  });
  return [DIAGRAM_BEGIN, "", "```", ...rows, "```", "", DIAGRAM_END].join("\n");
}
