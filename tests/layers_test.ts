/**
 * The layer order of src/ (scripts/layers.ts) holds: no file that ships imports from a layer above
 * its own, every folder is in a layer, and docs/ARCHITECTURE.md draws the same list.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { checkLayers, LAYERS, readSources, renderDiagram } from "../scripts/layers.ts";

const root = join(import.meta.dirname!, "..");

Deno.test("no file in src/ imports from a layer above its own", () => {
  const bad = checkLayers(readSources(join(root, "src")));
  assert.deepEqual(bad.map((v) => `src/${v.file}: ${v.imports} ${v.why}`), []);
});

Deno.test("the checker names an upward import, a re-export and a dynamic import", () => {
  const files = new Map([
    ["config/load.ts", 'import { Executor } from "../executor/run.ts";\n'],
    ["sources/types.ts", 'export type { Catalog } from "../catalog/types.ts";\n'],
    ["rules/glob.ts", 'const m = await import("../cli/main.ts");\n'],
    ["cli/main.ts", 'import { rt } from "../runtime/mod.ts";\nimport "./style.ts";\n'],
    ["shim/app_test.ts", 'import { main } from "../cli/main.ts";\n'],
  ]);
  const bad = checkLayers(files);
  assert.deepEqual(bad.map((v) => v.file), ["config/load.ts", "sources/types.ts", "rules/glob.ts"]);
  assert.match(bad[0]!.why, /imports upward: config\/ \(layer 3\) -> executor\/ \(layer 10\)/);
});

Deno.test("every folder and top-level file of src/ is in exactly one layer", () => {
  const members = LAYERS.flatMap((l) => l.members);
  assert.deepEqual(new Set(members).size, members.length);
  for (const name of readdirSync(join(root, "src"))) {
    const member = statSync(join(root, "src", name)).isDirectory() ? `${name}/` : name;
    if (member.endsWith("_test.ts")) continue;
    assert.ok(members.includes(member), `src/${member} is in no layer of scripts/layers.ts`);
  }
  for (const m of members) {
    assert.ok(readdirSync(join(root, "src")).includes(m.replace(/\/$/, "")), `scripts/layers.ts names src/${m}, gone`);
  }
});

Deno.test("docs/ARCHITECTURE.md draws the layers from the same list, and its table names every folder", () => {
  const doc = readFileSync(join(root, "docs", "ARCHITECTURE.md"), "utf8");
  assert.ok(doc.includes(renderDiagram()), "stale diagram: run deno run -A scripts/gen_assets.ts");
  for (const m of LAYERS.flatMap((l) => l.members)) assert.ok(doc.includes(`| \`${m}`), `the table names no ${m}`);
});
