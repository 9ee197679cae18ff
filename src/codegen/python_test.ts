import assert from "node:assert/strict";
import { fuzzCatalog } from "./_fuzz.ts";
import { catalogOf, checkInPython, fixtureTools, tool } from "./_testing.ts";

Deno.test("generateApi() output parses, imports and calls correctly in Python for real servers' tools", () => {
  const catalog = catalogOf({
    "server-everything": fixtureTools("everything"),
    "memory": fixtureTools("memory"),
    "filesystem": fixtureTools("filesystem"),
  });
  const { status, output, api } = checkInPython(catalog);
  assert.equal(status, 0, output);
  assert.equal(output.trim(), `ok ${api.names.size}`);
  assert.equal(api.names.size, 36);
});

Deno.test("generateApi() output is valid, importable Python for hostile names, descriptions, schemas and defaults", () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const catalog = fuzzCatalog(seed, 8, 40);
    const { status, output, api } = checkInPython(catalog);
    assert.equal(status, 0, `seed ${seed}: ${output}`);
    assert.equal(output.trim(), `ok ${api.names.size}`);
  }
});

Deno.test("generateApi() output survives dunder, digit, keyword, reserved and colliding names in Python", () => {
  const catalog = catalogOf([
    ["", [tool("all__"), tool("name__"), tool("")]],
    ["3d-printer", [tool("home")]],
    ["ros-mcp-server", [tool("move_to_grasp", { object_id: { type: "string" } }, ["object_id"])]],
    ["ros_mcp_server", [tool("move_to_grasp")]],
    ["kw", [
      tool("t", { from: {}, from_: {}, _args: {}, _call_tool: {}, __debug__: {}, "": {}, "9": {} }, ["from", "_args"]),
    ]],
  ]);
  const { status, output, api } = checkInPython(catalog);
  assert.equal(status, 0, output);
  assert.equal(api.names.size, 7);
  assert.equal(api.warnings.length, 1);
});
