/**
 * Writes src/assets.ts: every file under templates/ as a string, so the
 * compiled binary carries them; the layer diagram of docs/ARCHITECTURE.md from
 * scripts/layers.ts; the shim's answer contract (src/shim/answers.ts) as
 * docs/ARCHITECTURE.md's table and as tests/python/shim_answers.json for the
 * Python test double. `--check` exits 1 when any is stale.
 * Run: deno run --allow-read --allow-write scripts/gen_assets.ts [--check]
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { DIAGRAM_BEGIN, DIAGRAM_END, renderDiagram } from "./layers.ts";
import { renderAnswerTable, SHIM_ANSWERS } from "../src/shim/answers.ts";

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
/** Replaces the text between `begin` and `end` in `doc` (markers kept), or exits naming them. */
function between(doc: string, begin: string, end: string, text: string): string {
  const i = doc.indexOf(begin);
  const j = doc.indexOf(end);
  if (i < 0 || j < i) {
    console.error(`docs/ARCHITECTURE.md: the markers ${begin} and ${end} are missing`);
    process.exit(1);
  }
  return doc.slice(0, i) + text + doc.slice(j + end.length);
}

const ANSWERS_BEGIN = "<!-- shim answers: generated from src/shim/answers.ts by scripts/gen_assets.ts -->";
const ANSWERS_END = "<!-- /shim answers -->";
const docPath = join(root, "docs", "ARCHITECTURE.md");
const doc = readFileSync(docPath, "utf8");
let newDoc = between(doc, DIAGRAM_BEGIN, DIAGRAM_END, renderDiagram());
newDoc = between(
  newDoc,
  ANSWERS_BEGIN,
  ANSWERS_END,
  [ANSWERS_BEGIN, "", renderAnswerTable(), "", ANSWERS_END].join("\n"),
);
const answersPath = join(root, "tests", "python", "shim_answers.json");
const answersJson = JSON.stringify(SHIM_ANSWERS, null, 2) + "\n";
let currentAnswers = "";
try {
  currentAnswers = readFileSync(answersPath, "utf8");
} catch {
  // Not generated yet.
}
if (process.argv.includes("--check")) {
  const stale = [
    current !== text && "src/assets.ts",
    newDoc !== doc && "docs/ARCHITECTURE.md's generated parts",
    currentAnswers !== answersJson && "tests/python/shim_answers.json",
  ].filter(Boolean);
  if (stale.length > 0) {
    console.error(`${stale.join(" and ")} stale: run deno run --allow-read --allow-write scripts/gen_assets.ts`);
    process.exit(1);
  }
} else {
  if (current !== text) writeFileSync(out, text);
  if (newDoc !== doc) writeFileSync(docPath, newDoc);
  if (currentAnswers !== answersJson) writeFileSync(answersPath, answersJson);
}
