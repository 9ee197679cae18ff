import assert from "node:assert/strict";
import type { ToolInfo } from "../sources/types.ts";
import { catalogOf, checkInPython, fixtureTools, OPTS, python } from "./_testing.ts";
import { generateApi } from "./generate.ts";
import { apiModel } from "./model.ts";
import { renderDocs } from "./docs.ts";

function withOutput(name: string, outputSchema: Record<string, unknown> | undefined): ToolInfo {
  return { name, description: `Tool ${name}`, inputSchema: { type: "object", properties: {} }, outputSchema };
}

function returnsOf(t: ToolInfo, server = "robot") {
  return apiModel(catalogOf({ [server]: [t] })).entries[0]!.returns;
}

Deno.test("a tool without outputSchema returns Any and gets no invented fields", () => {
  const r = returnsOf(withOutput("ping", undefined));
  assert.deepEqual(r, { annotation: "Any", classes: [] });
});

Deno.test("server-everything's structured tool gets a TypedDict of its outputSchema's keys", () => {
  const tools = fixtureTools("everything");
  const structured = tools.find((t) => t.name === "get-structured-content")!;
  const r = returnsOf(structured, "everything");
  assert.equal(r.annotation, "EverythingGetStructuredContentResult");
  assert.equal(r.classes.length, 1);
  assert.match(r.classes[0]!, /^class EverythingGetStructuredContentResult\(TypedDict\):/);
  assert.match(r.classes[0]!, /\n {4}temperature: float {2}# Temperature in celsius\n/);
  assert.match(r.classes[0]!, /\n {4}conditions: str/);
  // Every other tool of the server publishes no outputSchema.
  const model = apiModel(catalogOf({ everything: tools }));
  const anys = model.entries.filter((e) => e.returns.annotation === "Any").map((e) => e.tool.name);
  assert.equal(anys.length, tools.length - 1);
});

Deno.test("nested objects, arrays of objects, enums and optional keys become TypedDicts that run on Python 3.8", () => {
  const t = withOutput("get_state", {
    type: "object",
    required: ["pose", "mode"],
    properties: {
      pose: {
        type: "object",
        required: ["x", "y"],
        properties: { x: { type: "number" }, y: { type: "number" }, frame: { type: "string" } },
      },
      mode: { enum: ["sim", "real"] },
      joints: { type: "array", items: { type: "object", properties: { name: { type: "string" } } } },
      "error-text": { type: ["string", "null"] },
    },
  });
  const r = returnsOf(t);
  assert.equal(r.annotation, "RobotGetStateResult");
  const all = r.classes.join("\n\n");
  // Mixed required and optional keys: required ones in a base class, the others total=False (no NotRequired in 3.8).
  assert.match(all, /class _RobotGetStateResultPoseRequired\(TypedDict\):\n {4}x: float\n {4}y: float/);
  assert.match(all, /class RobotGetStateResultPose\(_RobotGetStateResultPoseRequired, total=False\):\n {4}frame: str/);
  assert.match(all, /class RobotGetStateResultJointsItem\(TypedDict, total=False\):\n {4}name: str/);
  // A key that is no identifier needs the functional form; with mixed keys every key is then optional.
  assert.match(
    all,
    /RobotGetStateResult = TypedDict\('RobotGetStateResult', \{'pose': RobotGetStateResultPose, 'mode': Literal\['sim', 'real'\], 'joints': List\[RobotGetStateResultJointsItem\], 'error-text': Optional\[str\]\}, total=False\)/,
  );
  const { status, output } = checkInPython(catalogOf({ robot: [t] }));
  assert.equal(status, 0, output);
});

Deno.test("$ref definitions become named TypedDicts and a recursive $ref becomes Any", () => {
  const t = withOutput("tree", {
    type: "object",
    required: ["root"],
    properties: { root: { $ref: "#/$defs/Node" }, best: { $ref: "#/$defs/Node" } },
    $defs: {
      Node: {
        type: "object",
        required: ["label"],
        properties: { label: { type: "string" }, children: { type: "array", items: { $ref: "#/$defs/Node" } } },
      },
    },
  });
  const r = returnsOf(t);
  const all = r.classes.join("\n\n");
  assert.match(all, /class _NodeRequired\(TypedDict\):\n {4}label: str/);
  assert.match(all, /class Node\(_NodeRequired, total=False\):\n {4}children: List\[Any\]/);
  assert.match(all, /class _RobotTreeResultRequired\(TypedDict\):\n {4}root: Node\n/);
  assert.match(all, /class RobotTreeResult\(_RobotTreeResultRequired, total=False\):\n {4}best: Node/);
  assert.equal(all.match(/^class Node\(/gm)?.length, 1, "one class per definition");
  const { status, output } = checkInPython(catalogOf({ robot: [t] }));
  assert.equal(status, 0, output);
});

Deno.test("FastMCP's wrapped result returns the wrapped value's type", () => {
  const t = withOutput("count", {
    type: "object",
    properties: { result: { type: "integer" } },
    required: ["result"],
  });
  assert.equal(returnsOf(t).annotation, "int");
});

Deno.test("class names never collide with each other, functions or the module's names", () => {
  const a = withOutput("x", { type: "object", properties: { v: { type: "string" } } });
  const model = apiModel(catalogOf({ "a-b": [a], "a_b": [{ ...a }], "Image": [withOutput("", a.outputSchema)] }));
  const names = model.entries.map((e) => e.returns.annotation);
  assert.equal(new Set(names).size, names.length, names.join(", "));
  assert.ok(!names.includes("Image"));
});

Deno.test("a policy reading a field the TypedDict does not list still runs: types document, they do not gate", () => {
  const t = withOutput("state", { type: "object", properties: { ok: { type: "boolean" } } });
  const api = generateApi(catalogOf({ robot: [t] }), OPTS);
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(`${dir}/unified_api.py`, api.py);
    Deno.writeTextFileSync(
      `${dir}/orch_runtime.py`,
      [
        "class _E(Exception): pass",
        "OrchError = ToolError = ToolDenied = _E",
        "class PolicyAborted(BaseException): pass",
        "Image = Audio = object",
        "def call_tool(server, tool, arguments=None, unwrap=False):",
        "    return {'ok': True, 'extra': 42}",
        "list_tools = parallel = gather = None",
      ].join("\n"),
    );
    const r = python(["-c", "from unified_api import *\nr = robot__state()\nprint(r['ok'], r['extra'])"], dir);
    assert.equal(r.stdout.trim(), "True 42", r.stderr);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("renderDocs() shows each function exactly as the .pyi has it, return type classes included", () => {
  const catalog = catalogOf({ everything: fixtureTools("everything") });
  const { pyi } = generateApi(catalog, OPTS);
  const docs = renderDocs(catalog);
  const model = apiModel(catalog);
  for (const e of model.entries) {
    const start = docs.indexOf(`def ${e.pyName}(`);
    const block = docs.slice(start, docs.indexOf("\n    ...\n", start) + 9);
    assert.ok(pyi.includes(block), `${e.pyName} differs between docs and .pyi`);
    for (const cls of e.returns.classes) assert.ok(docs.includes(cls) && pyi.includes(cls));
  }
  assert.match(docs, /def everything__get_structured_content\([^)]*\) -> EverythingGetStructuredContentResult:/);
});
