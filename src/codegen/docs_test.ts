import assert from "node:assert/strict";
import type { Catalog } from "../catalog/types.ts";
import { OrchError } from "../errors.ts";
import { fuzzCatalog } from "./_fuzz.ts";
import { catalogOf, fixtureTools, OPTS, python, tool } from "./_testing.ts";
import { renderDocs } from "./docs.ts";
import { pythonSignature } from "./function.ts";
import { generateApi } from "./generate.ts";

function fixtureCatalog(): Catalog {
  return catalogOf({ everything: fixtureTools("everything"), memory: fixtureTools("memory") });
}

Deno.test("renderDocs() shows each server's functions with signature and docstring", () => {
  const docs = renderDocs(fixtureCatalog());
  assert.match(docs, /^# orch tool API: 2 servers, 22 tools$/m);
  assert.match(docs, /^# ==== server "everything": 13 tools ====$/m);
  assert.match(docs, /^# ==== server "memory": 9 tools ====$/m);
  assert.ok(docs.includes('\ndef everything__echo(message: str) -> Any:\n    """Echoes back the input string\n'));
  assert.ok(docs.includes("\n    Server: memory, tool: read_graph\n"));
});

Deno.test("renderDocs() limits the docs to the servers asked for, in catalog order", () => {
  const docs = renderDocs(fixtureCatalog(), ["memory"]);
  assert.match(docs, /^# orch tool API: 1 server, 9 tools$/m);
  assert.doesNotMatch(docs, /everything__/);
  assert.match(docs, /def memory__create_entities/);
  assert.equal(renderDocs(fixtureCatalog(), []), renderDocs(fixtureCatalog()));
});

Deno.test("renderDocs() rejects an unknown server and lists the known ones", () => {
  assert.throws(
    () => renderDocs(fixtureCatalog(), ["memory", "nope"]),
    (e) => e instanceof OrchError && e.message === 'unknown server "nope" (servers: everything, memory)',
  );
});

Deno.test("renderDocs() says why a failed server has no tools", () => {
  const catalog: Catalog = {
    servers: [{ server: "ros", status: "failed", origin: "mcp", tools: [], error: "spawn bash ENOENT", durationMs: 3 }],
  };
  assert.match(renderDocs(catalog), /^# ==== server "ros": 0 tools ====\n# unavailable: spawn bash ENOENT$/m);
});

Deno.test("renderDocs() uses the same names as generateApi(), collisions included", () => {
  const catalog = catalogOf({ "a-b": [tool("x")], "a.b": [tool("x")] });
  const docs = renderDocs(catalog, ["a.b"]);
  const [, second] = [...generateApi(catalog, OPTS).names.keys()];
  assert.match(docs, new RegExp(`^def ${second}\\(`, "m"));
});

Deno.test("renderDocs() output is valid Python, hostile names and descriptions included", () => {
  for (const catalog of [fixtureCatalog(), fuzzCatalog(7, 6, 30)]) {
    const r = python(
      ["-c", "import ast, sys; ast.parse(sys.stdin.read()); print('ok')"],
      undefined,
      renderDocs(catalog),
    );
    assert.equal(r.stdout.trim(), "ok", r.stderr);
  }
});

Deno.test("pythonSignature() gives a one-line signature for search results", () => {
  const t = tool("move", { x: { type: "number" }, frame: { type: "string", default: "map" }, "max-speed": {} }, ["x"]);
  assert.equal(
    pythonSignature(t, "ros_mcp__move"),
    "ros_mcp__move(x: float, frame: str = 'map', max_speed: Any = None) -> Any",
  );
  assert.equal(
    pythonSignature(t, "renamed", "MoveResult"),
    "renamed(x: float, frame: str = 'map', max_speed: Any = None) -> MoveResult",
  );
});
