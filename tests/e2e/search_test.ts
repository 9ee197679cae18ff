/**
 * `orch search` prints the names the generated API has: two servers whose names sanitise alike (`ros-arm`,
 * `ros_arm`) give every tool two functions, and each search result must be callable as printed.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { newTag, pyServer, PYTHON_SERVERS, runOrch, survivors, tempDir, writeConfig } from "./helpers.ts";
import { shortHash } from "../../src/codegen/names.ts";

Deno.test("orch search names two colliding tools as orch gen and orch docs do", async () => {
  const dir = tempDir();
  const tag = newTag();
  const env = { ROBOT_SIM_DIR: dir };
  const server = pyServer(join(PYTHON_SERVERS, "ros_mcp_server.py"), tag, env);
  const config = writeConfig(dir, { mcpServers: { "ros-arm": server, "ros_arm": server } });
  const cache = { env: { ORCH_CACHE_DIR: tempDir("orch-cache-") } };
  const hashed = `ros_arm__move_to_grasp_${shortHash("ros-arm\0move_to_grasp")}`;

  const text = await runOrch(["search", "-c", config, "--limit", "2", "move_to_grasp"], cache);
  assert.equal(text.code, 0, text.stderr);
  const names = text.stdout.split("\n").filter((l) => /^\S/.test(l)).map((l) => l.split("(")[0]);
  assert.deepEqual(names, ["ros_arm__move_to_grasp", hashed]);

  const json = await runOrch(["search", "-c", config, "--json", "--limit", "2", "move_to_grasp"], cache);
  assert.equal(json.code, 0, json.stderr);
  const hits = (JSON.parse(json.stdout) as { server: string; signature: string }[])
    .map((h) => `${h.server} ${h.signature.split("(")[0]}`);
  assert.deepEqual(hits, ["ros_arm ros_arm__move_to_grasp", `ros-arm ${hashed}`]);

  const docs = await runOrch(["docs", "-c", config], cache);
  assert.equal(docs.code, 0, docs.stderr);
  for (const name of names) assert.match(docs.stdout, new RegExp(`^def ${name}\\(`, "m"));
  assert.deepEqual(await survivors(tag), []);
});
