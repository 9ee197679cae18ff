/** `orch run` end to end: real policies, real servers, real processes. */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  FIXTURE_SERVERS,
  newTag,
  npmServer,
  processesWithTag,
  pyServer,
  PYTHON_SERVERS,
  ROOT,
  runOrch,
  survivors,
  tempDir,
  writeConfig,
} from "./helpers.ts";

const POLICIES = join(ROOT, "examples", "policies");

/** A config of the three simulated robot servers sharing a fresh world; each server gets its own tag. */
function robotConfig(opts: { onAbort?: boolean } = {}) {
  const dir = tempDir();
  const tags = { ros: newTag(), isaac: newTag(), res: newTag() };
  const env = { ROBOT_SIM_DIR: dir };
  const config = writeConfig(dir, {
    mcpServers: {
      "ros-mcp-server": pyServer(join(PYTHON_SERVERS, "ros_mcp_server.py"), tags.ros, env),
      "isaac-sim": pyServer(join(PYTHON_SERVERS, "isaac_sim.py"), tags.isaac, env),
      Resources: pyServer(join(PYTHON_SERVERS, "resources.py"), tags.res, env),
    },
    orchestrator: opts.onAbort ? { onAbort: [{ server: "ros-mcp-server", tool: "stop", arguments: {} }] } : {},
  });
  return { dir, config, tags, cache: tempDir("orch-cache-") };
}

async function noSurvivors(tags: Record<string, string>) {
  for (const tag of Object.values(tags)) assert.deepEqual(await survivors(tag), [], `processes left for ${tag}`);
}

function policy(dir: string, text: string, name = "policy.py"): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

Deno.test("orch run runs the seed README's three policies unchanged", async () => {
  const expected: Record<string, RegExp> = {
    "simple_grasp.py": /Grasp successful!/,
    "error_recovery.py": /Grasp 2 succeeded!/,
    "assembly_tracking.py": /Found 2 successful grasp configs[\s\S]*Successfully grasped using config 3/,
  };
  for (const [file, want] of Object.entries(expected)) {
    const { config, tags } = robotConfig();
    const r = await runOrch(["run", "-c", config, join(POLICIES, file)]);
    assert.equal(r.code, 0, `${file}: ${r.stderr}`);
    assert.match(r.stdout, want, file);
    await noSurvivors(tags);
  }
});

Deno.test("orch run runs the pick-and-place demo", async () => {
  const { config, tags } = robotConfig();
  const r = await runOrch(["run", "-c", config, join(POLICIES, "pick_and_place.py")]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /3\/3 objects placed/);
  await noSurvivors(tags);
});

Deno.test("orch run drives the memory and filesystem npm servers from one policy", async () => {
  const tag = newTag();
  const r = await runOrch(
    ["run", "-c", join(ROOT, "examples", "npm_servers_config.json"), join(POLICIES, "knowledge_graph.py")],
    { env: { ORCH_EXAMPLE_MEMORY: join(tempDir(), "memory.jsonl"), ORCH_TEST_TAG: tag } },
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /ros_mcp_server: used by .*simple_grasp\.py/);
  assert.match(r.stdout, /echo says: Echo: graph built/);
  assert.deepEqual(await survivors(tag), []);
});

Deno.test("orch run shows a tool failure as the policy's traceback with server and tool", async () => {
  const { dir, config, tags } = robotConfig();
  const file = policy(dir, "x = 1\nros_mcp_server__move_home(mode='real')\n");
  const r = await runOrch(["run", "-c", config, file]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`File "${file}", line 2`));
  assert.match(r.stderr, /ToolError: ros-mcp-server\.move_home failed: .*no robot hardware/);
  assert.doesNotMatch(r.stderr, /orch_runtime\.py|orch_bootstrap\.py|unified_api\.py/);
  await noSurvivors(tags);
});

Deno.test("orch run answers an unknown tool with a suggestion, before the run (preflight) and at the call", async () => {
  const { dir, config, tags } = robotConfig();
  const file = policy(dir, "call_tool('ros-mcp-server', 'move_to_grsp', {})\n");
  const r = await runOrch(["run", "-c", config, file]);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /:1:1: call_tool\('ros-mcp-server', 'move_to_grsp', \{\}\): server "ros-mcp-server" has no tool "move_to_grsp"; did you mean "move_to_grasp"\?/,
  );
  const late = await runOrch(["run", "--no-preflight", "-c", config, file]);
  assert.equal(late.code, 1);
  assert.match(late.stderr, /unknown tool ros-mcp-server\.move_to_grsp; did you mean move_to_grasp\?/);
  await noSurvivors(tags);
});

Deno.test("orch run passes arguments, reads a policy from stdin and keeps the exit code", async () => {
  const { dir, config, tags } = robotConfig();
  const file = policy(dir, "import sys\nprint(sys.argv[1:])\nsys.exit(7)\n");
  const r = await runOrch(["run", "-c", config, file, "--", "a", "--b"]);
  assert.equal(r.code, 7, r.stderr);
  assert.equal(r.stdout, "['a', '--b']\n");
  const s = await runOrch(["run", "-c", config, "-"], { stdin: "print(isaac_sim__save_scene_state())\n" });
  assert.equal(s.code, 0, s.stderr);
  assert.match(s.stdout, /^scene_\d+\n$/);
  await noSurvivors(tags);
});

Deno.test("orch run names a missing policy file and a syntax error's line", async () => {
  const { dir, config, tags } = robotConfig();
  const missing = await runOrch(["run", "-c", config, join(dir, "nope.py")]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read policy ".*nope\.py": no such file/);
  const file = policy(dir, "print('a')\nif True print('b')\n");
  const bad = await runOrch(["run", "-c", config, file]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, new RegExp(`${file}:2:\\d+: SyntaxError`));
  assert.equal(bad.stdout, "");
  await noSurvivors(tags);
});

Deno.test("orch run starts only the servers a policy calls when the catalog is cached", async () => {
  const { dir, config, tags, cache } = robotConfig();
  const env = { ORCH_CACHE_DIR: cache };
  const warm = await runOrch(["list", "-c", config], { env });
  assert.equal(warm.code, 0, warm.stderr);
  await noSurvivors(tags);
  const file = policy(dir, "import time\nisaac_sim__list_scene_states()\nprint('ready', flush=True)\ntime.sleep(30)\n");
  let seen: { ros: number; isaac: number } | undefined;
  let child = 0;
  const r = await runOrch(["run", "-c", config, file], {
    env,
    onStart: (pid) => child = pid,
    onStdout: (text) => {
      if (text.includes("ready") && !seen) {
        seen = { ros: processesWithTag(tags.ros).length, isaac: processesWithTag(tags.isaac).length };
        process.kill(child, "SIGINT");
      }
    },
  });
  assert.equal(r.code, 130);
  assert.deepEqual(seen, { ros: 0, isaac: 1 });
  await noSurvivors(tags);
});

Deno.test("orch run: Ctrl-C interrupts the policy, then the onAbort call stops the robot", async () => {
  const { dir, config, tags } = robotConfig({ onAbort: true });
  const file = policy(dir, "import time\nprint('moving', flush=True)\nwhile True:\n    time.sleep(0.05)\n");
  let child = 0;
  const r = await runOrch(["run", "-c", config, file], {
    onStart: (pid) => child = pid,
    onStdout: (text) => text.includes("moving") && process.kill(child, "SIGINT"),
  });
  assert.equal(r.code, 130);
  assert.match(r.stderr, /KeyboardInterrupt/);
  assert.match(r.stderr, /onAbort ros-mcp-server\.stop: done/);
  const state = policy(dir, "print(ros_mcp_server__get_robot_state()['stop_count'])\n", "state.py");
  const after = await runOrch(["run", "-c", config, state]);
  assert.equal(after.stdout.trim(), "1", after.stderr);
  await noSurvivors(tags);
});

Deno.test("orch run kills a policy that runs past its timeout, with exit code 124", async () => {
  const { dir, config, tags } = robotConfig();
  const file = policy(dir, "while True:\n    pass\n");
  const r = await runOrch(["run", "-c", config, "--timeout", "1", file]);
  assert.equal(r.code, 124);
  assert.match(r.stderr, /run timed out after 1 s/);
  await noSurvivors(tags);
});

Deno.test("orch run survives a server that crashes mid-call and one that prints garbage", async () => {
  const dir = tempDir();
  const tag = newTag();
  const config = writeConfig(dir, {
    mcpServers: {
      crashy: pyServer(join(FIXTURE_SERVERS, "crashy.py"), tag),
      garbage: pyServer(join(FIXTURE_SERVERS, "garbage.py"), tag),
      memory: npmServer("memory", [], tag),
    },
  });
  const file = policy(
    dir,
    [
      "try:",
      "    crashy__crash()",
      "except OrchError as e:",
      "    print('crash seen:', e)",
      "print(crashy__echo(text='back'))",
      "print(garbage__echo(text='clean'))",
      // A fresh memory file: the npm server still answers, with its real (empty) graph.
      "g = memory__read_graph()",
      "print('graph', sorted(g), len(g['entities']))",
    ].join("\n"),
  );
  const r = await runOrch(["run", "-c", config, file], { env: { MEMORY_FILE_PATH: join(dir, "m.jsonl") } });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /crash seen: .*crashy/);
  assert.match(r.stdout, /back/);
  assert.match(r.stdout, /clean/);
  assert.match(r.stdout, /^graph \['entities', 'relations'\] 0$/m);
  assert.deepEqual(await survivors(tag), []);
});
