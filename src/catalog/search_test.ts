import assert from "node:assert/strict";
import { searchTools, words } from "./search.ts";
import type { Catalog } from "./types.ts";

const tool = (name: string, description: string, props: string[] = []) => ({
  name,
  description,
  inputSchema: { type: "object", properties: Object.fromEntries(props.map((p) => [p, { type: "string" }])) },
});

const catalog: Catalog = {
  servers: [
    {
      server: "ros-mcp-server",
      status: "ok",
      origin: "mcp",
      durationMs: 0,
      tools: [
        tool("move_to_grasp", "Move the arm to a grasp pose", ["object_name", "grasp_id"]),
        tool("control_gripper", "Open or close the gripper", ["state"]),
        tool("stop", "Stop all motion at once"),
      ],
    },
    {
      server: "memory",
      status: "ok",
      origin: "mcp",
      durationMs: 0,
      tools: [tool("create_entities", "Create entities in the knowledge graph"), tool("read_graph", "Read the graph")],
    },
  ],
};

Deno.test("words() splits snake, camel and kebab case alike", () => {
  assert.deepEqual(words("moveToGrasp"), ["move", "to", "grasp"]);
  assert.deepEqual(words("move_to-grasp now"), ["move", "to", "grasp", "now"]);
});

Deno.test("searchTools() ranks an exact name first", () => {
  const hits = searchTools(catalog, "stop");
  assert.equal(hits[0]!.tool.name, "stop");
});

Deno.test("searchTools() matches words in names, descriptions and parameters", () => {
  assert.equal(searchTools(catalog, "gripper")[0]!.tool.name, "control_gripper");
  assert.equal(searchTools(catalog, "knowledge graph")[0]!.server, "memory");
  assert.equal(searchTools(catalog, "grasp_id")[0]!.tool.name, "move_to_grasp");
  assert.equal(searchTools(catalog, "grasping")[0]!.tool.name, "move_to_grasp");
});

Deno.test("searchTools() finds nothing for unrelated words and honours the limit", () => {
  assert.deepEqual(searchTools(catalog, "zebra"), []);
  assert.equal(searchTools(catalog, "", 2).length, 2);
});
