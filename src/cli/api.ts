/** `orch gen`, `orch docs`, `orch search`: the generated Python API for editors, people and agents. */
import { mkdirSync, writeFileSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { ASSETS } from "../assets.ts";
import { entrySignature, generateApi, renderDocs, searchEntries } from "../codegen/mod.ts";
import { unknownServerMessage, UsageError } from "../errors.ts";
import { RUNTIME_FILES } from "../codegen/api_dir.ts";
import { rt } from "../runtime/mod.ts";
import { VERSION } from "../version.ts";
import { CATALOG_OPTIONS, loadCatalog, withContext } from "./context.ts";

export const GEN_HELP = `Usage: orch gen [--config FILE] [-o DIR] [--refresh]

Writes unified_api.py, unified_api.pyi and the Python runtime into DIR
(default: generated/), so editors autocomplete policies and a policy can be
read against the exact functions orch gives it.`;

export const DOCS_HELP = `Usage: orch docs [--config FILE] [--refresh] [SERVER...]

Prints the Python API as documentation: per server, each function's
signature and docstring.`;

export const SEARCH_HELP = `Usage: orch search [--config FILE] [--limit N] [--json] QUERY...

Finds tools by words in their names, parameters and descriptions, and prints
each match as a Python signature with its first description line.`;

/** Runs `orch gen`. */
export async function genCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { ...CATALOG_OPTIONS, out: { type: "string", short: "o" } } });
  if (values.help) return await rt.write(1, GEN_HELP + "\n").then(() => 0);
  const dir = resolve(values.out ?? "generated");
  return await withContext(values.config, async (ctx) => {
    const catalog = await loadCatalog(ctx, { refresh: values.refresh });
    // Paths in the header are relative to where gen ran, so a committed file does not name one machine's folders.
    const rel = relative(process.cwd(), ctx.config.path);
    const shown = rel.startsWith("..") || isAbsolute(rel) ? ctx.config.path : rel;
    const api = generateApi(catalog, {
      version: VERSION,
      configPath: shown,
      regenerateCommand: `orch gen --config ${shown} -o ${values.out ?? "generated"}`,
      guards: ctx.config.orchestrator.guards,
    });
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "unified_api.py"), api.py);
    writeFileSync(join(dir, "unified_api.pyi"), api.pyi);
    writeFileSync(join(dir, "orch_catalog.json"), api.catalogJson);
    for (const f of RUNTIME_FILES) writeFileSync(join(dir, f), ASSETS[f] ?? "");
    for (const w of api.warnings) await rt.write(2, `orch: warning: ${w}\n`);
    for (const s of catalog.servers) {
      if (s.status === "failed") await rt.write(2, `orch: warning: server ${s.server} failed: ${s.error}\n`);
    }
    await rt.write(2, `orch: wrote ${api.names.size} functions to ${join(dir, "unified_api.py")} (+ .pyi)\n`);
    return 0;
  });
}

/** Runs `orch docs`. */
export async function docsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: CATALOG_OPTIONS });
  if (values.help) return await rt.write(1, DOCS_HELP + "\n").then(() => 0);
  return await withContext(values.config, async (ctx) => {
    const unknown = positionals.filter((s) => !ctx.config.servers.has(s));
    if (unknown.length) {
      throw new UsageError(unknownServerMessage(unknown, [...ctx.config.servers.keys()]));
    }
    const catalog = await loadCatalog(ctx, {
      refresh: values.refresh,
      servers: positionals.length ? positionals : undefined,
    });
    await rt.write(1, renderDocs(catalog, positionals.length ? positionals : undefined));
    return 0;
  });
}

/** Runs `orch search`. */
export async function searchCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...CATALOG_OPTIONS, limit: { type: "string", short: "n" }, json: { type: "boolean" } },
  });
  if (values.help) return await rt.write(1, SEARCH_HELP + "\n").then(() => 0);
  const query = positionals.join(" ");
  if (!query.trim()) throw new UsageError(`search needs words to look for; see "orch search --help"`);
  const limit = values.limit === undefined ? 20 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit must be a whole number >= 1`);
  return await withContext(values.config, async (ctx) => {
    const catalog = await loadCatalog(ctx, { refresh: values.refresh });
    const hits = searchEntries(catalog, query, limit);
    if (values.json) {
      const doc = hits.map((h) => ({
        server: h.server,
        tool: h.tool.name,
        signature: entrySignature(h),
        description: h.tool.description ?? "",
      }));
      await rt.write(1, JSON.stringify(doc, null, 2) + "\n");
    } else if (!hits.length) {
      await rt.write(2, `orch: no tool matches "${query}"\n`);
      return 1;
    } else {
      const lines = hits.map((h) => {
        const first = (h.tool.description ?? "").trim().split("\n")[0] ?? "";
        return `${entrySignature(h)}\n    ${first}`;
      });
      await rt.write(1, lines.join("\n") + "\n");
    }
    return 0;
  });
}
