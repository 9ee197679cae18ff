/** `orch introspect server.py`: a Python FastMCP server's tools, read from its source without running it. */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import type { Catalog } from "../catalog/types.ts";
import { pythonSignature } from "../codegen/mod.ts";
import { UsageError } from "../errors.ts";
import { introspectFile } from "../introspect/mod.ts";
import { rt } from "../runtime/mod.ts";
import { openCacheDir } from "./context.ts";

export const INTROSPECT_HELP = `Usage: orch introspect [--json] [--python PY] [--server-name NAME] SERVER.py

Reads the tools of a Python FastMCP server from its source (with Python's
ast module): the server is never imported or started, so it works where its
dependencies (ROS, Isaac Sim) are missing. --json prints the tools in the
shape of MCP tools/list.`;

/** Runs `orch introspect`. */
export async function introspectCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: "boolean" },
      python: { type: "string" },
      "server-name": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return await rt.write(1, INTROSPECT_HELP + "\n").then(() => 0);
  if (positionals.length !== 1) throw new UsageError(`introspect needs one server file; see "orch introspect --help"`);
  const script = resolve(positionals[0]!);
  const res = await introspectFile(script, {
    python: values.python,
    cacheDir: openCacheDir(undefined),
    serverName: values["server-name"],
  });
  for (const w of res.warnings) await rt.write(2, `orch: warning: ${w}\n`);
  if (values.json) {
    await rt.write(1, JSON.stringify({ tools: res.tools, warnings: res.warnings, files: res.files }, null, 2) + "\n");
    return 0;
  }
  const name = positionals[0]!;
  const catalog: Catalog = {
    servers: [{ server: "server", status: "ok", origin: "static", tools: res.tools, durationMs: 0 }],
  };
  const lines = [`${name}: ${res.tools.length} tool${res.tools.length === 1 ? "" : "s"}`];
  for (const t of catalog.servers[0]!.tools) {
    const first = (t.description ?? "").trim().split("\n")[0] ?? "";
    lines.push(`  ${pythonSignature(t, t.name)}`, `      ${first}`);
  }
  await rt.write(1, lines.join("\n") + "\n");
  return 0;
}
