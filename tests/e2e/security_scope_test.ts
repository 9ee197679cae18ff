/** Tool scopes, call budgets and argument guards: refusals reach the policy as ToolDenied, never the server. */
import assert from "node:assert/strict";
import { outcomes, policy, securityConfig, slowEvents, spawnOrch } from "./security_helpers.ts";

Deno.test("scope: a denied tool raises ToolDenied with the reason and never reaches the server", async () => {
  const cfg = securityConfig({ deny: ["slow/sleep"] });
  const r = await spawnOrch([
    "run",
    "-c",
    cfg.path,
    "--allow",
    "slow/*",
    policy("calls.py"),
    "--",
    'slow.sleep:{"seconds": 0}',
    "ros-mcp-server.stop:{}",
    "slow.count:{}",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const seen = outcomes(r.stdout);
  assert.equal(seen["slow.sleep"], "denied slow.sleep is denied in this run");
  assert.equal(seen["ros-mcp-server.stop"], "denied ros-mcp-server.stop is not in this run's allowed tools");
  assert.match(seen["slow.count"] ?? "", /^ok 1$/);
  assert.deepEqual(slowEvents(cfg.log).filter((e) => e.event === "call").map((e) => e.tool), ["count"]);
});

Deno.test("scope: a spent call budget raises ToolDenied", async () => {
  const cfg = securityConfig();
  const calls = ["slow.count:{}", "slow.count:{}", "slow.count:{}"];
  const r = await spawnOrch(["run", "--max-calls", "2", "-c", cfg.path, policy("calls.py"), "--", ...calls]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  assert.deepEqual(lines, [
    "slow.count: ok 1",
    "slow.count: ok 2",
    "slow.count: denied call budget spent: this run may make 2 tool calls",
  ]);
  assert.equal(slowEvents(cfg.log).filter((e) => e.event === "call").length, 2);
});

Deno.test("scope: a guard violation never reaches the server (slow's log and the robot show no call)", async () => {
  const cfg = securityConfig({
    guards: {
      "slow/sleep": { properties: { seconds: { maximum: 1 } } },
      "ros-mcp-server/pub_twist": { properties: { linear: { items: { minimum: -0.5, maximum: 0.5 } } } },
    },
  });
  const r = await spawnOrch([
    "run",
    "-c",
    cfg.path,
    policy("calls.py"),
    "--",
    'slow.sleep:{"seconds": 30}',
    'ros-mcp-server.pub_twist:{"linear": [2.0, 0, 0], "angular": [0, 0, 0]}',
    "ros-mcp-server.get_robot_state:{}",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const seen = outcomes(r.stdout);
  assert.match(seen["slow.sleep"] ?? "", /^denied .*seconds.*1/);
  assert.match(seen["ros-mcp-server.pub_twist"] ?? "", /^denied .*linear.*0\.5/);
  assert.match(seen["ros-mcp-server.get_robot_state"] ?? "", /^ok /);
  assert.deepEqual(slowEvents(cfg.log), []);
  const state = JSON.parse((seen["ros-mcp-server.get_robot_state"] ?? "").slice(3));
  assert.deepEqual([state.mobile_base.x, state.mobile_base.y], [0, 0], JSON.stringify(state.mobile_base));
  assert.equal(state.last_command, null);
});
