import assert from "node:assert/strict";
import { catalogOf, tool } from "./_testing.ts";
import { assignParamNames, functionBaseName, functionNames, sanitizeIdentifier, shortHash } from "./names.ts";

Deno.test("functionBaseName() joins server and tool with __ and replaces every other character with _", () => {
  assert.equal(functionBaseName("ros-mcp-server", "move_to_grasp"), "ros_mcp_server__move_to_grasp");
  assert.equal(functionBaseName("isaac.sim", "Resources"), "isaac_sim__Resources");
  assert.equal(functionBaseName("a b", "c/d:e"), "a_b__c_d_e");
  assert.equal(functionBaseName("srv", "😀"), "srv___");
});

Deno.test("functionBaseName() prefixes a leading digit with _", () => {
  assert.equal(functionBaseName("3d-printer", "home"), "_3d_printer__home");
});

Deno.test("functionBaseName() never yields a dunder that would clobber module attributes", () => {
  assert.equal(functionBaseName("", "all__"), "__all___");
  assert.equal(functionBaseName("", "name__"), "__name___");
  assert.equal(functionBaseName("", ""), "__");
});

Deno.test("sanitizeIdentifier() always yields a Python identifier", () => {
  for (const s of ["", "9", "a-b", "名前", "x\ny", "\ud800"]) {
    assert.match(sanitizeIdentifier(s), /^([A-Za-z_][A-Za-z0-9_]*)?$/);
  }
});

Deno.test("functionNames() gives colliding tools distinct hashed names and warns", () => {
  const catalog = catalogOf({ "a-b": [tool("x")], "a.b": [tool("x")] });
  const { tools, warnings } = functionNames(catalog);
  assert.deepEqual(tools.map((t) => t.pyName), [`a_b__x_${shortHash("a-b\0x")}`, `a_b__x_${shortHash("a.b\0x")}`]);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /a_b__x/);
  assert.match(warnings[0]!, /"a-b"\."x"/);
});

Deno.test("functionNames() lets the tool whose names need no sanitising keep the plain name", () => {
  const catalog = catalogOf({ "ros-mcp": [tool("move")], "ros_mcp": [tool("move")] });
  const { tools, warnings } = functionNames(catalog);
  assert.equal(tools[1]!.pyName, "ros_mcp__move");
  assert.equal(tools[0]!.pyName, `ros_mcp__move_${shortHash("ros-mcp\0move")}`);
  assert.equal(warnings.length, 1);
});

Deno.test("functionNames() names do not depend on catalog order or on unrelated tools", () => {
  const one = functionNames(catalogOf([["a-b", [tool("x")]], ["a.b", [tool("x")]]])).tools;
  const two = functionNames(catalogOf([["zz", [tool("y")]], ["a.b", [tool("x")]], ["a-b", [tool("x")]]])).tools;
  const named = (ts: typeof one) => Object.fromEntries(ts.map((t) => [`${t.server}.${t.tool.name}`, t.pyName]));
  assert.equal(named(one)["a-b.x"], named(two)["a-b.x"]);
  assert.equal(named(one)["a.b.x"], named(two)["a.b.x"]);
});

Deno.test("functionNames() keeps a hashed name clear of a tool already called that", () => {
  const clash = `x__a_b_${shortHash("x\0a-b")}`.slice(3);
  const catalog = catalogOf({ x: [tool("a-b"), tool("a.b"), tool(clash)] });
  const names = functionNames(catalog).tools.map((t) => t.pyName);
  assert.equal(new Set(names).size, 3);
  assert.equal(names[2], `x__${clash}`);
  assert.equal(names[0], `x__${clash}_2`);
});

Deno.test("functionNames() computes the names of one catalog object once", () => {
  const catalog = catalogOf({ "a-b": [tool("x")], "a.b": [tool("x")] });
  assert.equal(functionNames(catalog), functionNames(catalog));
  assert.notEqual(functionNames(catalog), functionNames({ servers: [...catalog.servers] }));
  assert.deepEqual(functionNames(catalog), functionNames({ servers: [...catalog.servers] }));
});

Deno.test("functionNames() keeps the first of a tool a server lists twice and warns", () => {
  const { tools, warnings } = functionNames(catalogOf({ s: [tool("t"), tool("t")] }));
  assert.equal(tools.length, 1);
  assert.match(warnings[0]!, /lists tool "t" twice/);
});

Deno.test("assignParamNames() gives keyword parameters a trailing underscore", () => {
  assert.deepEqual(assignParamNames(["from", "class", "lambda", "async", "None", "True"]), [
    "from_",
    "class_",
    "lambda_",
    "async_",
    "None_",
    "True_",
  ]);
});

Deno.test("assignParamNames() keeps soft keywords and builtins, which are valid parameter names", () => {
  assert.deepEqual(assignParamNames(["match", "type", "id", "list"]), ["match", "type", "id", "list"]);
});

Deno.test("assignParamNames() sanitises non-identifiers and numbers collisions, valid names first", () => {
  assert.deepEqual(assignParamNames(["max-speed", "max_speed", "2d", "", "from", "from_"]), [
    "max_speed_2",
    "max_speed",
    "_2d",
    "_",
    "from_2",
    "from_",
  ]);
});

Deno.test("assignParamNames() renames names the generated body or Python reserve", () => {
  assert.deepEqual(assignParamNames(["_args", "_call_tool", "__debug__"]), ["_args_", "_call_tool_", "__debug___"]);
});
