import assert from "node:assert/strict";
import { compileGlob, compileGlobs, matchesEverything } from "./glob.ts";

Deno.test("compileGlob() matches exact names, server/* and * within one part", () => {
  const exact = compileGlob("ros/stop");
  assert.equal(exact("ros", "stop"), true);
  assert.equal(exact("ros", "stop2"), false);
  assert.equal(exact("ros2", "stop"), false);
  const server = compileGlob("ros/*");
  assert.equal(server("ros", "anything"), true);
  assert.equal(server("ros", "a/b"), true, "a tool part * covers every tool of the server");
  assert.equal(server("ros2", "stop"), false);
  const mixed = compileGlob("ros-*/move_*");
  assert.equal(mixed("ros-mcp-server", "move_to_grasp"), true);
  assert.equal(mixed("ros-mcp-server", "stop"), false);
  assert.equal(mixed("isaac", "move_x"), false);
});

Deno.test("compileGlob() never lets * cross from the server into the tool name", () => {
  assert.equal(compileGlob("ros*/x")("ros", "x"), true);
  assert.equal(compileGlob("*/stop")("ros", "stop"), true);
  assert.equal(compileGlob("*/stop")("ros", "x/stop"), false);
  assert.equal(compileGlob("ro*")("ros", "x"), true, "a pattern without / names servers");
  assert.equal(compileGlob("ro*")("isaac", "ros"), false);
});

Deno.test("compileGlob() escapes regular-expression characters", () => {
  const m = compileGlob("a.b/t(1)+*");
  assert.equal(m("a.b", "t(1)+x"), true);
  assert.equal(m("axb", "t(1)+x"), false);
  assert.equal(m("a.b", "t11x"), false);
});

Deno.test("compileGlob() rejects an empty pattern or part", () => {
  for (const bad of ["", "/x", "ros/"]) {
    assert.throws(() => compileGlob(bad), /Invalid tool pattern/, bad);
  }
});

Deno.test("compileGlobs() matches everything for * or */*, nothing for an empty list", () => {
  assert.equal(matchesEverything("*"), true);
  assert.equal(matchesEverything("*/*"), true);
  assert.equal(matchesEverything("ros/*"), false);
  assert.equal(compileGlobs(["ros/x", "*"])("a", "b"), true);
  assert.equal(compileGlobs(["*/*"])("a", "b"), true);
  assert.equal(compileGlobs([])("a", "b"), false);
  const some = compileGlobs(["ros/stop", "sim/*"]);
  assert.equal(some("ros", "stop"), true);
  assert.equal(some("sim", "reset"), true);
  assert.equal(some("ros", "move"), false);
});
