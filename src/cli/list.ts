/** `orch list`: servers with status and tool count, each tool with its one-line description. */
import type { Config } from "../config/schema.ts";
import { parseArgs } from "node:util";
import type { Catalog, ServerTools } from "../catalog/types.ts";
import { toolCount } from "../catalog/types.ts";
import { unknownServerMessage, UsageError } from "../errors.ts";
import { rt } from "../runtime/mod.ts";
import { CATALOG_OPTIONS, loadCatalog, withContext } from "./context.ts";
import { styleFor } from "./style.ts";

export const LIST_HELP = `Usage: orch list [--config FILE] [--json] [--refresh] [SERVER...]

Shows every configured server, whether it answered, and its tools.

Options:
  -c, --config FILE  config file (default: see "orch help config")
      --json         machine-readable output
      --refresh      ask the servers again instead of using the cache
  -h, --help         this help

Exit status: 0, or 1 when every server failed.`;

function firstLine(text: string | undefined): string {
  const line = (text ?? "").trim().split("\n")[0] ?? "";
  return line.length > 100 ? `${line.slice(0, 97)}...` : line;
}

function originLabel(s: ServerTools): string {
  return s.origin === "cache" ? `cache of ${s.cachedFrom}` : s.origin;
}

/** The human-readable listing. */
export function renderList(catalog: Catalog, configPath: string, skipped: Config["skipped"]): string {
  const st = styleFor(1);
  const out: string[] = [st.dim(`config: ${configPath}`)];
  for (const s of catalog.servers) {
    if (s.status === "ok") {
      const n = s.tools.length;
      out.push(
        `${st.bold(s.server)}  ${st.green("ok")}  ${n} tool${n === 1 ? "" : "s"}  ${st.dim(`(${originLabel(s)})`)}`,
      );
      const width = Math.min(40, Math.max(0, ...s.tools.map((t) => t.name.length)));
      for (const t of s.tools) out.push(`  ${t.name.padEnd(width)}  ${st.dim(firstLine(t.description))}`);
      for (const w of s.warnings ?? []) out.push(`  ${st.yellow("warning:")} ${w}`);
    } else {
      out.push(`${st.bold(s.server)}  ${st.red("failed")}  ${s.error ?? ""}`);
    }
  }
  for (const s of skipped) out.push(`${st.bold(s.name)}  ${st.dim(`skipped: ${s.reason}`)}`);
  const ok = catalog.servers.filter((s) => s.status === "ok").length;
  out.push(st.dim(`${ok}/${catalog.servers.length} servers, ${toolCount(catalog)} tools`));
  return out.join("\n") + "\n";
}

/** Runs `orch list`; returns the exit code. */
export async function listCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...CATALOG_OPTIONS, json: { type: "boolean" } },
  });
  if (values.help) {
    await rt.write(1, LIST_HELP + "\n");
    return 0;
  }
  return await withContext(values.config, async (ctx) => {
    for (const w of ctx.config.warnings) await rt.write(2, `orch: warning: ${w}\n`);
    const servers = positionals.length ? positionals : undefined;
    if (servers) {
      const unknown = servers.filter((s) => !ctx.config.servers.has(s));
      if (unknown.length) {
        throw new UsageError(unknownServerMessage(unknown, [...ctx.config.servers.keys()]));
      }
    }
    const catalog = await loadCatalog(ctx, { refresh: values.refresh, servers });
    if (values.json) {
      const doc = {
        config: ctx.config.path,
        servers: catalog.servers,
        skipped: ctx.config.skipped,
        total_servers: catalog.servers.length,
        total_tools: toolCount(catalog),
      };
      await rt.write(1, JSON.stringify(doc, null, 2) + "\n");
    } else {
      await rt.write(1, renderList(catalog, ctx.config.path, ctx.config.skipped));
    }
    const allFailed = catalog.servers.length > 0 && catalog.servers.every((s) => s.status === "failed");
    return allFailed ? 1 : 0;
  });
}
