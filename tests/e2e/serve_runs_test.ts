/**
 * Runs from the MCP face: concurrent runs, client cancel, progress streaming,
 * `--expose both`, and plain `orch` with piped stdin serving MCP.
 */
import assert from "node:assert/strict";
import { CallToolResultSchema } from "../../src/deps/mcp_sdk.ts";
import { callCancelledAtRun, connectStdio, eventually, robotConfig, structured, textOf } from "./serve_helpers.ts";
import { join } from "node:path";
import { FIXTURE_SERVERS, newTag, processesWithTag, pyServer, survivors } from "./helpers.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test("orch serve runs four execute_composed_code calls at once, each in its own scope", opts, async () => {
  const tag = newTag();
  const cfg = robotConfig({ mcpServers: { barrier: pyServer(join(FIXTURE_SERVERS, "barrier.py"), tag) } }, tag);
  const orch = await connectStdio(["serve", "--config", cfg.path]);
  try {
    // A rendezvous, not a sleep: each run's call returns only once all four runs are waiting in it,
    // so "met" proves they overlapped however slowly each one started.
    const policy = (i: number) =>
      [
        `print('run ${i} state', type(ros_mcp_server__get_robot_state()).__name__)`,
        "print('barrier', barrier__arrive(parties=4, timeout=30))",
      ].join("\n");
    const results = await Promise.all(
      [0, 1, 2, 3].map((i) =>
        orch.client.callTool({ name: "execute_composed_code", arguments: { code: policy(i) } }, undefined, {
          timeout: 60_000,
        })
      ),
    );
    const runIds = new Set<string>();
    results.forEach((r, i) => {
      const res = structured(r);
      assert.equal(res.status, "success", JSON.stringify(res));
      assert.match(res.output as string, new RegExp(`^run ${i} state dict$`, "m"));
      assert.doesNotMatch(res.output as string, new RegExp(`^run [^${i}] `, "m"));
      assert.match(res.output as string, /^barrier \{'met': True\}$/m, `runs did not overlap: ${res.output}`);
      assert.equal(res.calls, 2);
      runIds.add(res.run_id as string);
    });
    assert.equal(runIds.size, 4);
  } finally {
    await orch.close();
  }
  assert.deepEqual(await survivors(cfg.tag), []);
});

Deno.test("orch serve streams output lines as progress and aborts a run the client cancels", opts, async (t) => {
  const cfg = robotConfig();
  const orch = await connectStdio(["serve", "--config", cfg.path]);
  try {
    await t.step("output lines arrive as progress notifications while the policy runs", async () => {
      const messages: string[] = [];
      const code = "import time\nfor i in range(3):\n    print('line', i)\n    time.sleep(0.2)\nprint('done')";
      const r = await orch.client.callTool(
        { name: "execute_composed_code", arguments: { code } },
        CallToolResultSchema,
        { onprogress: (p) => messages.push(p.message ?? ""), timeout: 60_000 },
      );
      assert.equal(structured(r).status, "success");
      assert.deepEqual(messages, ["line 0", "line 1", "line 2", "done"]);
    });

    await t.step("a client cancel ends the run with status aborted and kills its process group", async () => {
      // Pids inside the sandbox's pid namespace mean nothing outside it: find the run's processes by its id.
      const code = [
        "import os, subprocess, time",
        "child = subprocess.Popen(['sleep', '120'])",
        "print('run', os.environ['ORCH_RUN_ID'], flush=True)",
        "time.sleep(120)",
      ].join("\n");
      let before: number[] = [];
      const runId = await callCancelledAtRun(orch.client, { code }, (id) => before = processesWithTag(id));
      assert.ok(before.length >= 2, `expected the policy and its child, found ${before}`);
      const cancelledAt = Date.now();
      assert.ok(await eventually(() => processesWithTag(runId).length === 0, 10_000), "the run's processes survived");
      const goneAfter = Date.now() - cancelledAt;
      assert.ok(await eventually(() => new RegExp(`run ${runId} aborted`).test(orch.stderr()), 10_000), orch.stderr());
      // SIGINT ends a sleeping policy at once; the 2 s SIGKILL grace is the worst case.
      assert.ok(goneAfter < 5_000, `the process group took ${goneAfter} ms to go`);
    });

    await t.step("orch serve keeps serving after a cancelled run", async () => {
      const r = await orch.client.callTool({ name: "execute_composed_code", arguments: { code: "print(1 + 1)" } });
      assert.equal(structured(r).output, "2\n");
    });
  } finally {
    await orch.close();
  }
  assert.deepEqual(await survivors(cfg.tag), []);
});

Deno.test("orch serve --expose both offers orch's tools and every server's tools as server__tool", opts, async () => {
  const cfg = robotConfig();
  const orch = await connectStdio(["serve", "--config", cfg.path, "--expose", "both"]);
  try {
    const { tools } = await orch.client.listTools();
    const names = tools.map((x) => x.name);
    assert.ok(names.includes("execute_composed_code"));
    assert.ok(names.includes("ros_mcp_server__move_home"));
    assert.ok(names.includes("isaac_sim__capture_image"));
    assert.ok(names.includes("Resources__list_assemblies"));
    const r = await orch.client.callTool({ name: "ros_mcp_server__get_robot_state", arguments: {} });
    assert.notEqual(r.isError, true, textOf(r));
    const denied = await orch.client.callTool({ name: "ros_mcp_server__move_home", arguments: { mode: "real" } });
    assert.equal(denied.isError, true);
  } finally {
    await orch.close();
  }
  assert.deepEqual(await survivors(cfg.tag), []);
});

Deno.test("orch serve --expose direct offers only the servers' tools", opts, async () => {
  const cfg = robotConfig();
  const orch = await connectStdio(["serve", "--config", cfg.path, "--expose", "direct"]);
  try {
    const names = (await orch.client.listTools()).tools.map((x) => x.name);
    assert.ok(!names.includes("execute_composed_code"));
    assert.ok(names.includes("isaac_sim__list_scene_objects"));
  } finally {
    await orch.close();
  }
  assert.deepEqual(await survivors(cfg.tag), []);
});

Deno.test("orch with no command and stdin not a terminal serves MCP over stdio", opts, async () => {
  const cfg = robotConfig();
  const orch = await connectStdio([], { env: { ORCH_CONFIG: cfg.path } });
  try {
    const r = await orch.client.callTool({ name: "refresh_tools", arguments: {} });
    assert.equal(structured(r).server_count, 3);
  } finally {
    await orch.close();
  }
  assert.deepEqual(await survivors(cfg.tag), []);
});
