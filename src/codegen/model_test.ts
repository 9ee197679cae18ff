import assert from "node:assert/strict";
import { catalogOf, tool } from "./_testing.ts";
import { apiModel, entrySignature, searchEntries } from "./model.ts";
import { functionNames, shortHash } from "./names.ts";
import { renderDocs } from "./docs.ts";

// `ros-arm` and `ros_arm` both sanitise to `ros_arm`: the tool of the server needing no sanitising keeps the name.
const colliding = () =>
  catalogOf({ "ros-arm": [tool("move", { x: { type: "number" } }, ["x"])], "ros_arm": [tool("move")] });

Deno.test("searchEntries() names colliding tools as the generated API does", () => {
  const catalog = colliding();
  const hits = searchEntries(catalog, "move");
  assert.deepEqual(hits.map((h) => `${h.server}/${h.tool.name}`), ["ros_arm/move", "ros-arm/move"]);
  assert.deepEqual(hits.map(entrySignature), [
    "ros_arm__move() -> Any",
    `ros_arm__move_${shortHash("ros-arm\0move")}(x: float) -> Any`,
  ]);
  assert.equal(shortHash("ros-arm\0move"), "90df7c6d");
  const generated = new Set(functionNames(catalog).tools.map((t) => t.pyName));
  for (const h of hits) assert.ok(generated.has(h.pyName), `${h.pyName} is not a generated function`);
});

Deno.test("searchEntries() honours the limit and finds nothing for unrelated words", () => {
  assert.equal(searchEntries(colliding(), "move", 1).length, 1);
  assert.deepEqual(searchEntries(colliding(), "zebra"), []);
});

Deno.test("apiModel() is computed once per catalog object, and the docs use its names", () => {
  const catalog = colliding();
  assert.equal(apiModel(catalog), apiModel(catalog));
  assert.match(renderDocs(catalog), /^def ros_arm__move_90df7c6d\(x: float\) -> Any:$/m);
  assert.match(renderDocs(catalog), /^def ros_arm__move\(\) -> Any:$/m);
});
