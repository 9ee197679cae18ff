import assert from "node:assert/strict";
import type { Config } from "./config/schema.ts";
import { unnamedServers } from "./engine.ts";

const config = {
  servers: new Map([["ros-mcp-server", {}], ["Resources", {}], ["hung", {}]]),
} as unknown as Config;

Deno.test("unnamedServers() leaves out the servers a policy names by function prefix or by name", () => {
  assert.deepEqual(
    [...unnamedServers(config, "ros_mcp_server__move_home()\ncall_tool('Resources', 'x', {})")],
    ["hung"],
  );
  assert.deepEqual([...unnamedServers(config, "print(1)")], ["ros-mcp-server", "Resources", "hung"]);
  assert.deepEqual([...unnamedServers(config, "print(orch_runtime.list_tools())")], []);
});
