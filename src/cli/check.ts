/** `orch check policy.py`: the preflight alone, against the current tools; nothing of the policy runs. */
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { UsageError } from "../errors.ts";
import { materializeApi } from "../codegen/api_dir.ts";
import { checkPolicy, type PreflightProblem } from "../preflight/check.ts";
import { rt } from "../runtime/mod.ts";
import { join } from "node:path";
import { CATALOG_OPTIONS, loadCatalog, withContext } from "./context.ts";

export const CHECK_HELP = `Usage: orch check [--config FILE] [--refresh] [--json] POLICY.py...

Checks policies against the tools of the configured servers without running
them (the same check "orch run" and execute_composed_code make before a
policy starts): every call of a generated function, and every
call_tool("server", "tool", {...}) with literal names, is checked for
  - a function, server or tool that does not exist (with "did you mean"),
    hyphenated names included (ros-mcp-server__x: write ros_mcp_server__x);
  - keywords the tool does not have, missing required arguments, too many
    positional arguments, an argument given twice;
  - literal values against the parameter's JSON Schema (type, enum, bounds,
    lengths, pattern, items, keys) and the config's guards.
Not checked (never reported): values that are not literals, calls through
*args/**kwargs or aliases, names the policy binds itself, and whether the
run's allow-list admits a tool. Exit status: 0 when every policy passes,
1 when any has a problem, 2 on bad usage.

Options:
  -c, --config FILE  config file (default: see "orch help config")
      --json         {"ok": bool, "problems": [{file, line, col, call, message, kind}]}
      --refresh      re-discover tools instead of using the cache
  -h, --help         this help`;

/** Runs `orch check`. */
export async function checkCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...CATALOG_OPTIONS, json: { type: "boolean" } },
  });
  if (values.help) return await rt.write(1, CHECK_HELP + "\n").then(() => 0);
  if (!positionals.length) throw new UsageError(`check needs a policy file; see "orch check --help"`);
  for (const f of positionals) {
    if (!existsSync(f)) throw new UsageError(`cannot read policy "${f}": no such file`);
  }
  return await withContext(values.config, async (ctx) => {
    const catalog = await loadCatalog(ctx, { refresh: values.refresh });
    const orch = ctx.config.orchestrator;
    const api = materializeApi(catalog, join(ctx.cacheDir, "api"), ctx.config.path, orch.guards);
    const problems: PreflightProblem[] = [];
    for (const f of positionals) {
      problems.push(
        ...await checkPolicy(f, { python: orch.python, apiDir: api.dir, sandbox: orch.sandbox, hide: [ctx.cacheDir] }),
      );
    }
    if (values.json) {
      await rt.write(1, JSON.stringify({ ok: problems.length === 0, problems }, null, 2) + "\n");
    } else {
      for (const s of catalog.servers) {
        if (s.status === "failed") await rt.write(2, `orch: warning: server ${s.server} failed: ${s.error}\n`);
      }
      const lines = problems.map((p) => `${p.file}:${p.line}:${p.col}: ${p.call ? p.call + ": " : ""}${p.message}\n`);
      await rt.write(1, lines.join(""));
      const n = problems.length;
      const what = positionals.length === 1 ? positionals[0] : `${positionals.length} policies`;
      await rt.write(2, n ? `orch: ${n} problem${n === 1 ? "" : "s"} in ${what}\n` : `orch: ${what}: no problems\n`);
    }
    return problems.length ? 1 : 0;
  });
}
