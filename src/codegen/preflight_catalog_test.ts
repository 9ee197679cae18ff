import assert from "node:assert/strict";
import type { Catalog } from "../catalog/types.ts";
import { catalogOf, OPTS, tool } from "./_testing.ts";
import { generateApi } from "./generate.ts";

Deno.test("the preflight catalog lists each function's parameters in signature order with wire names", () => {
  const t = tool("move", { "max-speed": { type: "number" }, from: { type: "string" }, target: {} }, ["target", "from"]);
  const doc = JSON.parse(generateApi(catalogOf({ "ros-mcp-server": [t] }), OPTS).catalogJson);
  assert.deepEqual(doc.functions.ros_mcp_server__move.params, [
    { name: "from_", wire: "from", required: true },
    { name: "target", wire: "target", required: true },
    { name: "max_speed", wire: "max-speed", required: false },
  ]);
  assert.deepEqual(doc.servers, { "ros-mcp-server": { move: "ros_mcp_server__move" } });
  assert.deepEqual(doc.functions.ros_mcp_server__move.input, t.inputSchema);
});

Deno.test("the preflight catalog gives each function the guards whose glob matches it", () => {
  const guards = {
    "ros-mcp-server/pub_*": { properties: { linear: { maximum: 0.5 } } },
    "*/stop": { properties: { reason: { maxLength: 10 } } },
  };
  const catalog = catalogOf({ "ros-mcp-server": [tool("pub_twist"), tool("stop"), tool("move")] });
  const { functions } = JSON.parse(generateApi(catalog, { ...OPTS, guards }).catalogJson);
  assert.deepEqual(functions.ros_mcp_server__pub_twist.guards, [
    { pattern: "ros-mcp-server/pub_*", schema: guards["ros-mcp-server/pub_*"] },
  ]);
  assert.deepEqual(functions.ros_mcp_server__stop.guards.map((g: { pattern: string }) => g.pattern), ["*/stop"]);
  assert.deepEqual(functions.ros_mcp_server__move.guards, []);
});

Deno.test("a server that failed discovery is unavailable, not a server without tools", () => {
  const catalog: Catalog = {
    servers: [
      { server: "ok", status: "ok", origin: "mcp", tools: [tool("a")], durationMs: 0 },
      { server: "down", status: "failed", origin: "mcp", tools: [], error: "spawn ENOENT", durationMs: 0 },
    ],
  };
  const doc = JSON.parse(generateApi(catalog, OPTS).catalogJson);
  assert.deepEqual(doc.unavailable, { down: "spawn ENOENT" });
  assert.deepEqual(Object.keys(doc.servers), ["ok"]);
});
