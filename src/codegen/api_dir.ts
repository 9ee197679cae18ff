/**
 * The folder a policy imports from: unified_api.py (+ .pyi) generated from
 * the catalog, beside orch_runtime.py and orch_bootstrap.py. Written once per
 * distinct catalog under the cache folder and reused by every run after.
 */
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ASSETS } from "../assets.ts";
import type { Catalog } from "../catalog/types.ts";
import { generateApi } from "./mod.ts";
import { VERSION } from "../version.ts";

/** Files of the Python runtime copied beside every generated API. */
export const RUNTIME_FILES = [
  "orch_runtime.py",
  "orch_http.py",
  "orch_bootstrap.py",
  "orch_hyphen.py",
  "orch_session.py",
  "orch_preflight.py",
] as const;

export interface ApiDir {
  dir: string;
  bootstrap: string;
  warnings: string[];
}

/** The tools that define the API, without timings or origins, so equal catalogs hash equally. */
function apiInputs(catalog: Catalog): unknown {
  return catalog.servers.map((s) => ({ server: s.server, tools: s.tools }));
}

/** Writes (or reuses) the API folder for `catalog` under `root`; `guards` go into the preflight catalog. */
export function materializeApi(
  catalog: Catalog,
  root: string,
  configPath: string,
  guards: Readonly<Record<string, unknown>> = {},
): ApiDir {
  const hash = createHash("sha256");
  hash.update(VERSION);
  hash.update(configPath);
  hash.update(JSON.stringify(apiInputs(catalog)));
  hash.update(JSON.stringify(guards));
  hash.update(JSON.stringify(catalog.servers.map((s) => s.status === "failed" ? s.error ?? "" : null)));
  for (const f of RUNTIME_FILES) hash.update(ASSETS[f] ?? "");
  const dir = join(root, hash.digest("hex").slice(0, 24));
  const bootstrap = join(dir, "orch_bootstrap.py");
  if (existsSync(join(dir, ".complete"))) return { dir, bootstrap, warnings: [] };
  // World-readable (nothing in it is secret): a root orch runs sandboxed policies as uid 65534.
  const gen = generateApi(catalog, {
    version: VERSION,
    configPath,
    regenerateCommand: `orch gen --config ${configPath}`,
    guards,
  });
  const tmp = `${dir}.${crypto.randomUUID()}.tmp`;
  mkdirSync(tmp, { recursive: true, mode: 0o755 });
  chmodSync(tmp, 0o755);
  const mode = 0o644;
  writeFileSync(join(tmp, "unified_api.py"), gen.py, { mode });
  writeFileSync(join(tmp, "unified_api.pyi"), gen.pyi, { mode });
  writeFileSync(join(tmp, "orch_catalog.json"), gen.catalogJson, { mode });
  for (const f of RUNTIME_FILES) writeFileSync(join(tmp, f), ASSETS[f] ?? "", { mode });
  writeFileSync(join(tmp, ".complete"), "");
  try {
    renameSync(tmp, dir);
  } catch {
    // Another orch wrote the same folder first: theirs is identical.
    rmSync(tmp, { recursive: true, force: true });
  }
  return { dir, bootstrap, warnings: gen.warnings };
}
