/**
 * Writes src/assets.ts: every file under templates/ as a string, so the
 * compiled binary carries them. `--check` exits 1 when the file is stale.
 * Run: deno run --allow-read --allow-write scripts/gen_assets.ts [--check]
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";

const root = join(import.meta.dirname ?? ".", "..");
const dir = join(root, "templates");
const out = join(root, "src", "assets.ts");

const names = readdirSync(dir).filter((n) => !n.startsWith(".") && !n.endsWith(".pyc") && n !== "__pycache__").sort();
const lines = [
  "// DO NOT EDIT: generated from templates/ by scripts/gen_assets.ts.",
  "// Regenerate with: deno run --allow-read --allow-write scripts/gen_assets.ts",
  "",
  "/** Every file under templates/, by file name, embedded so the compiled binary needs no files beside it. */",
  "export const ASSETS: Readonly<Record<string, string>> = {",
  ...names.map((n) => `  ${JSON.stringify(n)}: ${JSON.stringify(readFileSync(join(dir, n), "utf8"))},`),
  "};",
  "",
];
const text = lines.join("\n");
let current = "";
try {
  current = readFileSync(out, "utf8");
} catch {
  // Not generated yet.
}
if (process.argv.includes("--check")) {
  if (current !== text) {
    console.error("src/assets.ts is stale: run deno run --allow-read --allow-write scripts/gen_assets.ts");
    process.exit(1);
  }
} else if (current !== text) {
  writeFileSync(out, text);
}
