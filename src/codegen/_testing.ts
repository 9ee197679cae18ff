/** Test helpers for codegen: catalogs from fixtures, and running the generated Python for real. */
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Catalog } from "../catalog/types.ts";
import type { ToolInfo } from "../sources/types.ts";
import { cleanText } from "./literals.ts";
import { toolParams, wantsUnwrap } from "./params.ts";
import { generateApi, type GeneratedApi } from "./generate.ts";

const root = resolve(import.meta.dirname!, "..", "..");
export const FIXTURES: string = join(root, "tests/fixtures/codegen");
export const RUNTIME_PY: string = join(root, "templates/orch_runtime.py");

export const OPTS = {
  version: "0.1.0",
  configPath: "/etc/orch/mcp_config.json",
  regenerateCommand: "orch gen -o gen/",
};

/** A catalog of healthy servers with the given tools, in the given order. */
export function catalogOf(servers: Record<string, ToolInfo[]> | [string, ToolInfo[]][]): Catalog {
  const entries = Array.isArray(servers) ? servers : Object.entries(servers);
  return {
    servers: entries.map(([server, tools]) => ({ server, status: "ok", origin: "mcp", tools, durationMs: 0 })),
  };
}

/** The tools a real server published (tests/fixtures/codegen/<name>.json, from tests/codegen_dump_fixtures.ts). */
export function fixtureTools(name: "everything" | "memory" | "filesystem"): ToolInfo[] {
  return JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), "utf8")).tools;
}

/** A tool with the given input schema properties (`required` lists the required ones). */
export function tool(name: string, properties: Record<string, unknown> = {}, required: string[] = []): ToolInfo {
  return { name, description: `Tool ${name}`, inputSchema: { type: "object", properties, required } };
}

/** Runs python3 with `args` (and `input` on stdin); its status and output. */
export function python(
  args: string[],
  cwd?: string,
  input?: string,
): { status: number | null; stdout: string; stderr: string } {
  const env = { ...process.env, PYTHONDONTWRITEBYTECODE: "1", PYTHONIOENCODING: "utf-8" };
  const r = spawnSync("python3", args, { cwd, input, encoding: "utf8", env });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function manifest(catalog: Catalog, api: GeneratedApi): unknown {
  const byKey = new Map<string, ToolInfo>();
  for (const s of catalog.servers) {
    for (const t of s.tools) if (!byKey.has(`${s.server}\0${t.name}`)) byKey.set(`${s.server}\0${t.name}`, t);
  }
  return {
    functions: [...api.names].map(([name, { server, tool: toolName }]) => {
      const t = byKey.get(`${server}\0${toolName}`)!;
      const schema = t.inputSchema as Record<string, unknown>;
      const props =
        typeof schema?.properties === "object" && schema.properties !== null && !Array.isArray(schema.properties)
          ? Object.keys(schema.properties)
          : [];
      const required = Array.isArray(schema?.required) ? schema.required.filter((r) => typeof r === "string") : [];
      return {
        name,
        server,
        tool: toolName,
        unwrap: wantsUnwrap(t),
        description: cleanText(t.description) || cleanText(t.title),
        expectedWires: [...new Set([...props, ...required])],
        expectedRequired: [...new Set(required)],
        params: toolParams(t).map((p) => {
          const d = (schema.properties as Record<string, { default?: unknown }> | undefined)?.[p.wireName]?.default;
          const primitive = d !== undefined && d !== null && typeof d !== "object";
          return { py: p.pyName, wire: p.wireName, required: p.required, default: primitive ? d : null };
        }),
      };
    }),
  };
}

/**
 * Generates the API for `catalog` into a temp dir beside a recording runtime stub, then parses, imports and calls
 * every function from Python (tests/fixtures/codegen/check_generated.py). Also checks the .pyi's runtime
 * declarations against templates/orch_runtime.py when it exists.
 */
export function checkInPython(catalog: Catalog): { api: GeneratedApi; status: number | null; output: string } {
  const api = generateApi(catalog, OPTS);
  const dir = mkdtempSync(join(tmpdir(), "orch-codegen-"));
  try {
    writeFileSync(join(dir, "unified_api.py"), api.py);
    writeFileSync(join(dir, "unified_api.pyi"), api.pyi);
    writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest(catalog, api)));
    copyFileSync(join(FIXTURES, "orch_runtime_stub.py"), join(dir, "orch_runtime.py"));
    const args = [join(FIXTURES, "check_generated.py"), dir];
    if (existsSync(RUNTIME_PY)) args.push(RUNTIME_PY);
    const r = python(args);
    return { api, status: r.status, output: r.stdout + r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
