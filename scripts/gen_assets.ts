/**
 * Writes src/assets.ts: every file under templates/ as a string, so the
 * compiled binary carries them; and the layer diagram of docs/ARCHITECTURE.md
 * from scripts/layers.ts. `--check` exits 1 when either is stale.
 * Run: deno run --allow-read --allow-write scripts/gen_assets.ts [--check]
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { DIAGRAM_BEGIN, DIAGRAM_END, renderDiagram } from "./layers.ts";

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
const docPath = join(root, "docs", "ARCHITECTURE.md");
const doc = readFileSync(docPath, "utf8");
const begin = doc.indexOf(DIAGRAM_BEGIN);
const end = doc.indexOf(DIAGRAM_END);
if (begin < 0 || end < begin) {
  console.error(`docs/ARCHITECTURE.md: the markers ${DIAGRAM_BEGIN} and ${DIAGRAM_END} are missing`);
  process.exit(1);
}
const newDoc = doc.slice(0, begin) + renderDiagram() + doc.slice(end + DIAGRAM_END.length);
if (process.argv.includes("--check")) {
  const stale = [current !== text && "src/assets.ts", newDoc !== doc && "docs/ARCHITECTURE.md's layer diagram"];
  if (stale.some(Boolean)) {
    console.error(
      `${stale.filter(Boolean).join(" and ")} stale: run deno run --allow-read --allow-write scripts/gen_assets.ts`,
    );
    process.exit(1);
  }
} else {
  if (current !== text) writeFileSync(out, text);
  if (newDoc !== doc) writeFileSync(docPath, newDoc);
}
