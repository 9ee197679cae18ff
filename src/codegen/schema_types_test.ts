import assert from "node:assert/strict";
import { pythonType, resolveRef } from "./schema_types.ts";

Deno.test("pythonType() maps JSON Schema primitives to Python types", () => {
  assert.equal(pythonType({ type: "string" }), "str");
  assert.equal(pythonType({ type: "integer" }), "int");
  assert.equal(pythonType({ type: "number" }), "float");
  assert.equal(pythonType({ type: "boolean" }), "bool");
  assert.equal(pythonType({ type: "null" }), "None");
});

Deno.test("pythonType() uses typing spellings for arrays and objects (Python 3.8)", () => {
  assert.equal(pythonType({ type: "array", items: { type: "integer" } }), "List[int]");
  assert.equal(pythonType({ type: "array" }), "List[Any]");
  assert.equal(pythonType({ type: "array", items: [{ type: "number" }, { type: "string" }] }), "List[Any]");
  assert.equal(pythonType({ type: "object", properties: { a: { type: "string" } } }), "Dict[str, Any]");
  assert.equal(pythonType({ type: "object", additionalProperties: { type: "number" } }), "Dict[str, float]");
  assert.equal(pythonType({ items: { type: "string" } }), "List[str]");
});

Deno.test("pythonType() turns enum and const into Literal", () => {
  assert.equal(pythonType({ type: "string", enum: ["a", "it's"] }), `Literal['a', "it's"]`);
  assert.equal(pythonType({ enum: [1, true, "x"] }), "Literal[1, True, 'x']");
  assert.equal(pythonType({ enum: ["a", null] }), "Optional[Literal['a']]");
  assert.equal(pythonType({ const: "fixed" }), "Literal['fixed']");
  assert.equal(pythonType({ const: null }), "None");
});

Deno.test("pythonType() falls back to the base type for enums Literal cannot hold", () => {
  assert.equal(pythonType({ type: "number", enum: [0.5, 1.5] }), "float");
  assert.equal(pythonType({ enum: [{ a: 1 }] }), "Any");
  assert.equal(pythonType({ type: "string", enum: [] }), "str");
});

Deno.test("pythonType() turns anyOf, oneOf and type lists into Union and Optional", () => {
  assert.equal(pythonType({ anyOf: [{ type: "string" }, { type: "null" }] }), "Optional[str]");
  assert.equal(pythonType({ oneOf: [{ type: "string" }, { type: "integer" }] }), "Union[str, int]");
  assert.equal(pythonType({ type: ["string", "integer", "null"] }), "Optional[Union[str, int]]");
  assert.equal(pythonType({ anyOf: [{ type: "string" }, {}] }), "Any");
  assert.equal(pythonType({ anyOf: [{ type: "string" }, { type: "string" }] }), "str");
  assert.equal(pythonType({ type: "string", nullable: true }), "Optional[str]");
});

Deno.test("pythonType() takes the first meaningful allOf member", () => {
  assert.equal(pythonType({ allOf: [{ description: "x" }, { type: "integer" }] }), "int");
  assert.equal(pythonType({ allOf: [{}] }), "Any");
});

Deno.test("pythonType() resolves $ref against $defs and definitions", () => {
  const root = {
    $defs: { Pose: { type: "object" }, Mode: { enum: ["fast", "slow"] } },
    definitions: { Old: { type: "integer" } },
  };
  assert.equal(pythonType({ $ref: "#/$defs/Pose" }, root), "Dict[str, Any]");
  assert.equal(pythonType({ type: "array", items: { $ref: "#/$defs/Mode" } }, root), "List[Literal['fast', 'slow']]");
  assert.equal(pythonType({ $ref: "#/definitions/Old" }, root), "int");
  assert.equal(pythonType({ $ref: "#/$defs/Missing" }, root), "Any");
  assert.equal(pythonType({ $ref: "https://example.com/schema" }, root), "Any");
});

Deno.test("pythonType() turns a recursive $ref into Any", () => {
  const root = { $defs: { Tree: { type: "array", items: { $ref: "#/$defs/Tree" } } } };
  assert.equal(pythonType({ $ref: "#/$defs/Tree" }, root), "List[Any]");
  const loop = { $defs: { A: { $ref: "#/$defs/B" }, B: { $ref: "#/$defs/A" } } };
  assert.equal(pythonType({ $ref: "#/$defs/A" }, loop), "Any");
});

Deno.test("pythonType() gives Any for a missing, empty or boolean schema", () => {
  assert.equal(pythonType(undefined), "Any");
  assert.equal(pythonType({}), "Any");
  assert.equal(pythonType(true), "Any");
  assert.equal(pythonType({ type: "bogus" }), "Any");
});

Deno.test("pythonType() stays fast on schemas whose refs fan out exponentially", () => {
  const defs: Record<string, unknown> = { D0: { type: "string" } };
  for (let i = 1; i < 40; i++) {
    defs[`D${i}`] = { anyOf: [{ $ref: `#/$defs/D${i - 1}` }, { $ref: `#/$defs/D${i - 1}` }] };
  }
  const start = performance.now();
  assert.equal(pythonType({ $ref: "#/$defs/D39" }, { $defs: defs }), "Any");
  assert.ok(performance.now() - start < 200);
});

Deno.test("resolveRef() follows JSON pointers with escapes", () => {
  const root = { $defs: { "a/b": { x: 1 }, "c~d": { y: 2 }, "e f": { z: 3 } } };
  assert.deepEqual(resolveRef(root, "#/$defs/a~1b"), { x: 1 });
  assert.deepEqual(resolveRef(root, "#/$defs/c~0d"), { y: 2 });
  assert.deepEqual(resolveRef(root, "#/$defs/e%20f"), { z: 3 });
  assert.equal(resolveRef(root, "#"), root);
  assert.equal(resolveRef(root, "#/$defs/toString"), undefined);
});
