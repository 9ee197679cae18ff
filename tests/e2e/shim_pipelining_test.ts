/** Issue 10 defect 11: HTTP/1.1 requests pipelined to the shim are answered, in order, on Deno and the Bun binary. */
import assert from "node:assert/strict";
import { survivors } from "./helpers.ts";
import { policy, securityConfig, slowEvents, spawnOrch } from "./security_helpers.ts";

Deno.test("shim: two requests in one write are both executed and both answered, in order", async () => {
  const cfg = securityConfig();
  const r = await spawnOrch(["run", "-c", cfg.path, policy("pipelined.py")], { timeoutMs: 90_000 });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  assert.equal(lines.length, 2, r.stdout);
  const [first, second] = lines.map((l) => /^answer \d: (\d+) (.*)$/.exec(l));
  assert.equal(first?.[1], "200", r.stdout);
  assert.equal(second?.[1], "200", r.stdout);
  // In order: the slow call's answer first, then the count's.
  assert.equal(JSON.parse(first![2]!).success, true);
  // The shim answers each result once, as MCP content (the runtime decodes it).
  assert.match(JSON.stringify(JSON.parse(first![2]!).content), /slept|seconds/);
  assert.equal(JSON.parse(JSON.parse(second![2]!).content[0].text), 2);
  assert.deepEqual(slowEvents(cfg.log).filter((e) => e.event === "call").map((e) => e.tool), ["sleep", "count"]);
  assert.deepEqual(await survivors(cfg.tag), []);
});
