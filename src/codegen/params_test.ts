import assert from "node:assert/strict";
import type { ToolInfo } from "../sources/types.ts";
import { fixtureTools, tool } from "./_testing.ts";
import { toolParams, wantsUnwrap } from "./params.ts";

const summary = (t: ToolInfo) => toolParams(t).map((p) => [p.pyName, p.type, p.defaultLiteral ?? "required"]);

Deno.test("toolParams() puts required parameters first, in schema order, then undescribed required ones", () => {
  const t = tool("t", { speed: { type: "number" }, x: { type: "number" }, name: { type: "string" } }, [
    "name",
    "x",
    "ghost",
  ]);
  assert.deepEqual(summary(t), [
    ["x", "float", "required"],
    ["name", "str", "required"],
    ["ghost", "Any", "required"],
    ["speed", "Optional[float]", "None"],
  ]);
});

Deno.test("toolParams() renders schema defaults as Python literals", () => {
  const t = tool("t", {
    s: { type: "string", default: 'it\'s "x"\n' },
    n: { type: "number", default: 0.5 },
    i: { type: "integer", default: -3 },
    b: { type: "boolean", default: true },
    z: { type: "string", default: null },
  });
  assert.deepEqual(summary(t), [
    ["s", "str", `'it\\'s "x"\\n'`],
    ["n", "float", "0.5"],
    ["i", "int", "-3"],
    ["b", "bool", "True"],
    ["z", "Optional[str]", "None"],
  ]);
});

Deno.test("toolParams() leaves list and dict defaults to the server and documents them", () => {
  const [list, dict] = toolParams(tool("t", {
    tags: { type: "array", items: { type: "string" }, default: ["a"] },
    opts: { type: "object", default: { k: [1] } },
  }));
  assert.equal(list!.defaultLiteral, "None");
  assert.equal(list!.type, "Optional[List[str]]");
  assert.deepEqual(list!.notes, ["Default: ['a'] (applied by the server when omitted)."]);
  assert.equal(dict!.defaultLiteral, "None");
  assert.equal(dict!.type, "Optional[Dict[str, Any]]");
  assert.deepEqual(dict!.notes, ["Default: {'k': [1]} (applied by the server when omitted)."]);
});

Deno.test("toolParams() keeps the wire name of a renamed parameter", () => {
  const [p] = toolParams(tool("t", { "from": { type: "string" } }, ["from"]));
  assert.equal(p!.pyName, "from_");
  assert.equal(p!.wireName, "from");
});

Deno.test("toolParams() describes bounds, formats, enums and constants in words", () => {
  const [count, name, tags, speed] = toolParams(tool("t", {
    count: { type: "integer", minimum: 1, maximum: 10, description: "How many" },
    name: { type: "string", minLength: 1, pattern: "^[a-z]+$", format: "hostname" },
    tags: { type: "array", maxItems: 3 },
    speed: { type: "number", enum: [0.5, 1.5], exclusiveMinimum: 0 },
  }));
  assert.deepEqual(count!.notes, ["At least 1, at most 10."]);
  assert.deepEqual(name!.notes, ["At least 1 character.", "Must match the pattern ^[a-z]+$", "Format: hostname."]);
  assert.deepEqual(tags!.notes, ["At most 3 items."]);
  assert.deepEqual(speed!.notes, ["One of: 0.5, 1.5.", "Greater than 0."]);
});

Deno.test("toolParams() takes descriptions and constraints through $ref", () => {
  const t: ToolInfo = {
    name: "t",
    inputSchema: {
      type: "object",
      properties: { pose: { $ref: "#/$defs/Pose" } },
      $defs: { Pose: { type: "object", description: "Where to go", properties: { x: { type: "number" } } } },
    },
  };
  const [p] = toolParams(t);
  assert.equal(p!.description, "Where to go");
  assert.deepEqual(p!.shape, ["Keys:", "'x' (float, optional)"]);
});

Deno.test("toolParams() lists the keys of each item of a list of dicts", () => {
  const edit = fixtureTools("filesystem").find((t) => t.name === "edit_file")!;
  const edits = toolParams(edit).find((p) => p.wireName === "edits")!;
  assert.deepEqual(edits.shape, [
    "Each item has the keys:",
    "'oldText' (str): Text to search for - must match exactly",
    "'newText' (str): Text to replace with",
  ]);
});

Deno.test("toolParams() gives no parameters for a schema without properties", () => {
  assert.deepEqual(toolParams({ name: "t", inputSchema: {} }), []);
  assert.deepEqual(toolParams({ name: "t", inputSchema: { type: "object", properties: [] } as never }), []);
});

Deno.test("wantsUnwrap() recognises FastMCP's wrapped output schema only", () => {
  const withOutput = (outputSchema: Record<string, unknown>): ToolInfo => ({ ...tool("t"), outputSchema });
  assert.equal(wantsUnwrap(withOutput({ type: "object", properties: { result: {} }, required: ["result"] })), true);
  assert.equal(
    wantsUnwrap(withOutput({ type: "object", properties: { result: {} }, "x-fastmcp-wrap-result": true })),
    true,
  );
  assert.equal(wantsUnwrap(withOutput({ type: "object", properties: { result: {} } })), false);
  assert.equal(
    wantsUnwrap(withOutput({ type: "object", properties: { result: {}, x: {} }, required: ["result"] })),
    false,
  );
  assert.equal(wantsUnwrap(withOutput({ type: "array", properties: { result: {} }, required: ["result"] })), false);
  assert.equal(wantsUnwrap(tool("t")), false);
});
