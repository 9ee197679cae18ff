import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import {
  BIN,
  FIXTURE_SERVERS,
  newTag,
  npmServer,
  processesWithTag,
  pyServer,
  PYTHON_SERVERS,
  runOrch,
  survivors,
  tempDir,
  writeConfig,
} from "./helpers.ts";

Deno.test("orch --version works from an empty folder", async () => {
  const r = await runOrch(["--version"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^orch \d+\.\d+\.\d+ \((deno|bun) /);
});

Deno.test("orch list shows every tool of server-everything, -memory and -filesystem", async () => {
  const dir = tempDir();
  const tag = newTag();
  const config = writeConfig(dir, {
    mcpServers: {
      everything: npmServer("everything", ["stdio"], tag),
      memory: npmServer("memory", [], tag),
      filesystem: npmServer("filesystem", [dir], tag),
    },
  });
  const r = await runOrch(["list", "--config", config, "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  const byName = Object.fromEntries(doc.servers.map((s: { server: string }) => [s.server, s]));
  assert.equal(byName.everything.status, "ok");
  assert.ok(byName.everything.tools.some((t: { name: string }) => t.name === "echo"));
  assert.ok(byName.memory.tools.some((t: { name: string }) => t.name === "create_entities"));
  assert.ok(byName.filesystem.tools.some((t: { name: string }) => t.name === "read_text_file"));
  assert.equal(doc.total_tools, doc.servers.reduce((n: number, s: { tools: unknown[] }) => n + s.tools.length, 0));
  assert.deepEqual(await survivors(tag), []);
});

Deno.test("orch list uses the cache the second time and starts no server", async () => {
  const dir = tempDir();
  const cache = tempDir("orch-cache-");
  const tag = newTag();
  const config = writeConfig(dir, { mcpServers: { memory: npmServer("memory", [], tag) } });
  const first = await runOrch(["list", "-c", config, "--json"], { env: { ORCH_CACHE_DIR: cache } });
  assert.equal(JSON.parse(first.stdout).servers[0].origin, "mcp");
  const second = await runOrch(["list", "-c", config, "--json"], { env: { ORCH_CACHE_DIR: cache } });
  const s = JSON.parse(second.stdout).servers[0];
  assert.equal(s.origin, "cache");
  assert.equal(s.cachedFrom, "mcp");
  const third = await runOrch(["list", "-c", config, "--json", "--refresh"], { env: { ORCH_CACHE_DIR: cache } });
  assert.equal(JSON.parse(third.stdout).servers[0].origin, "mcp");
  assert.deepEqual(await survivors(tag), []);
});

Deno.test("orch list reports broken servers with their reason and keeps the others", async () => {
  const dir = tempDir();
  const tag = newTag();
  const config = writeConfig(dir, {
    mcpServers: {
      good: npmServer("memory", [], tag),
      missing: { command: "no-such-command-orch-test" },
      dies: { command: "sh", args: ["-c", "echo 'fatal: missing ROS_DOMAIN_ID' >&2; exit 1"] },
      hangs: pyServer(join(FIXTURE_SERVERS, "hang_init.py"), tag),
    },
    orchestrator: { discoveryTimeout: 2 },
  });
  const r = await runOrch(["list", "-c", config]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /good\s+ok\s+9 tools/);
  assert.match(r.stdout, /missing\s+failed\s+command not found: "no-such-command-orch-test"/);
  assert.match(r.stdout, /dies\s+failed\s+exited before answering initialize .*fatal: missing ROS_DOMAIN_ID/);
  assert.match(r.stdout, /hangs\s+failed\s+did not answer initialize within 2 s/);
  assert.deepEqual(await survivors(tag), []);
});

Deno.test("orch list exits 1 when every server failed", async () => {
  const dir = tempDir();
  const config = writeConfig(dir, { mcpServers: { a: { command: "no-such-command-orch-test" } } });
  const r = await runOrch(["list", "-c", config]);
  assert.equal(r.code, 1);
});

Deno.test("orch list shows the three simulated robot servers", async () => {
  const dir = tempDir();
  const tag = newTag();
  const env = { ROBOT_SIM_DIR: dir };
  const config = writeConfig(dir, {
    mcpServers: {
      "ros-mcp-server": pyServer(join(PYTHON_SERVERS, "ros_mcp_server.py"), tag, env),
      "isaac-sim": pyServer(join(PYTHON_SERVERS, "isaac_sim.py"), tag, env),
      Resources: pyServer(join(PYTHON_SERVERS, "resources.py"), tag, env),
    },
  });
  const r = await runOrch(["list", "-c", config]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /ros-mcp-server\s+ok/);
  assert.match(r.stdout, /move_to_grasp/);
  assert.match(r.stdout, /isaac-sim\s+ok/);
  assert.match(r.stdout, /save_scene_state/);
  assert.match(r.stdout, /Resources\s+ok/);
  assert.match(r.stdout, /get_object_grasp_configs_by_result/);
  assert.deepEqual(await survivors(tag), []);
});

Deno.test("orch list talks Streamable HTTP to server-everything", async () => {
  const { spawn } = await import("node:child_process");
  const tag = newTag();
  const port = 20000 + Math.floor(Math.random() * 20000);
  const server = npmServer("everything", ["streamableHttp"], tag);
  const child = spawn(server.command, server.args, {
    env: { ...Deno.env.toObject(), PORT: String(port), ORCH_TEST_TAG: tag },
    stdio: ["ignore", "pipe", "pipe"],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("server-everything did not start")), 15000);
      const onData = (d: Uint8Array) => {
        if (/listening|running|port/i.test(new TextDecoder().decode(d))) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on("data", onData);
      child.stderr!.on("data", onData);
    });
    const dir = tempDir();
    const config = writeConfig(dir, { mcpServers: { remote: { type: "http", url: `http://127.0.0.1:${port}/mcp` } } });
    const r = await runOrch(["list", "-c", config, "--json"]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const s = JSON.parse(r.stdout).servers[0];
    assert.equal(s.status, "ok", s.error);
    assert.ok(s.tools.some((t: { name: string }) => t.name === "echo"));
  } finally {
    child.kill("SIGTERM");
  }
  assert.deepEqual(await survivors(tag), []);
});

Deno.test("SIGTERM to orch while servers start leaves no server process behind", async () => {
  const dir = tempDir();
  const tag = newTag();
  const config = writeConfig(dir, {
    mcpServers: {
      hangs: pyServer(join(FIXTURE_SERVERS, "hang_init.py"), tag),
      wrapped: {
        command: "bash",
        args: ["-c", `python3 ${join(FIXTURE_SERVERS, "hang_init.py")}`],
        env: { ORCH_TEST_TAG: tag },
      },
      memory: npmServer("memory", [], tag),
    },
  });
  let pid = 0;
  const started = new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if (processesWithTag(tag).length >= 3) {
        clearInterval(poll);
        resolve();
      }
    }, 50);
  });
  const run = runOrch(["list", "-c", config], { onStart: (p) => pid = p });
  await started;
  process.kill(pid, "SIGTERM");
  const r = await run;
  assert.equal(r.code, 143);
  assert.deepEqual(await survivors(tag), []);
});

Deno.test("the binary works copied alone into an empty folder", { ignore: !BIN }, async () => {
  const dir = tempDir();
  const copy = join(dir, "orch");
  copyFileSync(BIN!, copy);
  chmodSync(copy, 0o755);
  const tag = newTag();
  const config = writeConfig(dir, {
    mcpServers: { "ros-mcp-server": pyServer(join(PYTHON_SERVERS, "ros_mcp_server.py"), tag) },
  });
  writeFileSync(join(dir, "p.py"), "print(ros_mcp_server__get_robot_state()['mode'])\n");
  const env = { ...process.env, ORCH_CACHE_DIR: join(dir, "cache"), ROBOT_SIM_DIR: dir };
  const version = spawnSync(copy, ["--version"], { cwd: dir, env, encoding: "utf8" });
  assert.equal(version.status, 0, version.stderr);
  const run = spawnSync(copy, ["run", "p.py"], { cwd: dir, env, encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout, "sim\n");
  assert.equal(config, join(dir, "mcp_servers_config.json"));
  assert.deepEqual(await survivors(tag), []);
});
