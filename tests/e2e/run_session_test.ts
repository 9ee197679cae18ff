/**
 * `orch run --session NAME` end to end: each run is a separate orch process, so a session lives in a
 * snapshot under the cache. Also the hyphen fix and the seed's preamble through `orch run`.
 */
import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { newTag, pyServer, PYTHON_SERVERS, runOrch, survivors, tempDir, writeConfig } from "./helpers.ts";

function cell() {
  const dir = tempDir();
  const tag = newTag();
  const config = writeConfig(dir, {
    mcpServers: { "ros-mcp-server": pyServer(join(PYTHON_SERVERS, "ros_mcp_server.py"), tag, { ROBOT_SIM_DIR: dir }) },
  });
  const cache = tempDir("orch-cache-");
  const run = (code: string, ...flags: string[]) => {
    const path = join(dir, "step.py");
    writeFileSync(path, code);
    return runOrch(["run", "--config", config, ...flags, path], { env: { ORCH_CACHE_DIR: cache } });
  };
  return { dir, tag, cache, run };
}

Deno.test("orch run --session carries data, functions and imports to the next run and names what it cannot keep", async () => {
  const c = cell();
  const one = await c.run(
    [
      "import threading, json as j",
      "from math import sqrt",
      "speed = 0.25",
      "poses = {'home': [0, 0, 0.5]}",
      "def scaled(x, factor=2):",
      "    return x * factor * speed",
      "lock = threading.Lock()",
      "home = ros-mcp-server__move_home()",
      "print('moved', type(home).__name__)",
    ].join("\n"),
    "--session",
    "cell",
  );
  assert.equal(one.code, 0, one.stderr);
  assert.equal(one.stdout, "moved dict\n");
  assert.match(one.stderr, /orch: session cell: saved 7 names; not kept: lock: lock \(/);
  assert.ok(existsSync(join(c.cache, "sessions", "cell.state")));

  const two = await c.run(
    "speed *= 2\nprint(scaled(2), j.dumps(poses['home']), sqrt(16), home['success'] if 'success' in home else 'ok')",
    "--session",
    "cell",
  );
  assert.equal(two.code, 0, two.stderr);
  assert.match(two.stderr, /orch: session cell: restored 7 names\n/);
  assert.match(two.stdout, /^2\.0 \[0, 0, 0\.5\] 4\.0 /);

  // A run without --session sees none of it.
  const plain = await c.run("print('speed' in globals())");
  assert.equal(plain.stdout, "False\n");
  assert.deepEqual(await survivors(c.tag), []);
});

Deno.test("orch run --session keeps the snapshot from before a run that timed out", async () => {
  const c = cell();
  assert.equal((await c.run("armed = False", "--session", "s")).code, 0);
  const cut = await c.run("import time\narmed = True\ntime.sleep(60)", "--session", "s", "--timeout", "1");
  assert.equal(cut.code, 124, cut.stderr);
  assert.match(cut.stderr, /session state not saved: the run did not finish, so the session is as it was before it/);
  const after = await c.run("print(armed)", "--session", "s");
  assert.equal(after.stdout, "False\n", after.stderr);
  // A failing run keeps what it did before the exception, as an interpreter would.
  const failed = await c.run("armed = 'half'\nraise RuntimeError('gripper')", "--session", "s");
  assert.equal(failed.code, 1);
  assert.equal((await c.run("print(armed)", "--session", "s")).stdout, "half\n");
});

Deno.test("orch run --session refuses a bad name", async () => {
  const c = cell();
  const r = await c.run("print(1)", "--session", "../x");
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--session must be 1-128 letters, digits or _ \. -/);
});

Deno.test("orch run fixes hyphenated tool names unless DISABLE_HYPHEN_FIX=1, and has the seed's preamble", async () => {
  const c = cell();
  const code = "r = ros-mcp-server__move_home()\nprint(type(r).__name__, math.floor(1.5), json.dumps([1]))\n";
  const fixed = await c.run(code);
  assert.equal(fixed.code, 0, fixed.stderr);
  assert.equal(fixed.stdout, "dict 1 [1]\n");
  const path = join(c.dir, "off.py");
  writeFileSync(path, code);
  const off = await runOrch(["run", "--config", join(c.dir, "mcp_servers_config.json"), path], {
    env: { ORCH_CACHE_DIR: c.cache, DISABLE_HYPHEN_FIX: "1" },
  });
  assert.equal(off.code, 1);
  // The preflight names it before the run starts...
  assert.match(off.stderr, /off\.py:1:5: ros-mcp-server__move_home\(\): .*write ros_mcp_server__move_home/);
  // ...and without the preflight Python does, at the line.
  const late = await runOrch(["run", "--no-preflight", "--config", join(c.dir, "mcp_servers_config.json"), path], {
    env: { ORCH_CACHE_DIR: c.cache, DISABLE_HYPHEN_FIX: "1" },
  });
  assert.equal(late.code, 1);
  assert.match(
    late.stderr,
    /off\.py", line 1, in <module>\n {4}r = ros-mcp-server__move_home\(\)\n[\s^]*NameError: name 'ros' is not defined/,
  );
  assert.deepEqual(await survivors(c.tag), []);
});
