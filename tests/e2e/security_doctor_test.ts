/** `orch doctor`: python3, the sandbox and why not, the process limit, each server; exit 1 on problems. */
import assert from "node:assert/strict";
import { pyServer, tempDir, writeConfig } from "./helpers.ts";
import { noSandboxReason, SLOW, spawnOrch } from "./security_helpers.ts";

Deno.test("doctor: all well: python, sandbox, limits and each server's tool count; exit 0", async () => {
  const dir = tempDir();
  const config = writeConfig(dir, { mcpServers: { slow: pyServer(SLOW) } });
  const r = await spawnOrch(["doctor", "-c", config]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, new RegExp(`config\\s+${config}`));
  assert.match(r.stdout, /ok\s+python\s+python3 is \S+, Python 3\.\d+/);
  const why = await noSandboxReason();
  if (why) assert.match(r.stdout, /warn\s+sandbox\s+not available: /);
  else assert.match(r.stdout, /ok\s+sandbox\s+bubblewrap .*works/);
  assert.match(r.stdout, /processes\s+(bounded|NOT bounded)/);
  assert.match(r.stdout, /ok\s+server slow\s+started, 2 tools/);
  assert.match(r.stdout, /orch doctor: no problems found/);
});

Deno.test("doctor: a broken server, a missing python and a required but missing sandbox are problems; exit 1", async () => {
  const dir = tempDir();
  const config = writeConfig(dir, {
    mcpServers: { slow: pyServer(SLOW), broken: { command: "sh", args: ["-c", "echo 'no ROS here' >&2; exit 3"] } },
    orchestrator: { python: "no-such-python-orch-test", sandbox: "bwrap" },
  });
  const r = await spawnOrch(["doctor", "-c", config], { env: { ORCH_BWRAP: "none" } });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /FAIL\s+python\s+cannot start no-such-python-orch-test/);
  assert.match(r.stdout, /FAIL\s+sandbox\s+the config requires bubblewrap, but ORCH_BWRAP=none: no policy can run/);
  assert.match(r.stdout, /FAIL\s+server broken\s+failed: .*no ROS here/);
  assert.match(r.stdout, /ok\s+server slow\s+started, 2 tools/);
  assert.match(r.stdout, /orch doctor: 3 problems: python, sandbox, server broken/);
  const json = await spawnOrch(["doctor", "--json", "-c", config], { env: { ORCH_BWRAP: "none" } });
  const doc = JSON.parse(json.stdout);
  assert.equal(doc.ok, false);
  assert.ok(doc.checks.some((c: { name: string; ok: boolean }) => c.name === "server slow" && c.ok));
});
