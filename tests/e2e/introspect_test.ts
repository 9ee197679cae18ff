import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { newTag, PYTHON_SERVERS, ROOT, runOrch, survivors, tempDir, writeConfig } from "./helpers.ts";

const FIXTURES = join(ROOT, "tests", "fixtures", "introspect");

Deno.test("orch introspect reads a server it cannot run, without running it", async () => {
  const r = await runOrch(["introspect", "--json", join(FIXTURES, "never_imported.py")]);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.ok(doc.tools.length > 0);
});

Deno.test("orch introspect names file, line and column of a syntax error", async () => {
  const r = await runOrch(["introspect", join(FIXTURES, "syntax_error.py")]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /syntax_error\.py:\d+:\d+: SyntaxError: /);
});

Deno.test("orch introspect says so when the file is missing", async () => {
  const r = await runOrch(["introspect", "/nonexistent/server.py"]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /cannot introspect "\/nonexistent\/server\.py": no such file/);
});

Deno.test("orch list reads introspect: static servers from source and starts nothing", async () => {
  const dir = tempDir();
  const tag = newTag();
  const config = writeConfig(dir, {
    mcpServers: {
      ros: {
        command: "bash",
        args: ["-c", `source /nonexistent/setup.bash 2>/dev/null; python3 ${PYTHON_SERVERS}/ros_mcp_server.py`],
        env: { ORCH_TEST_TAG: tag },
        introspect: "static",
      },
    },
  });
  const r = await runOrch(["list", "-c", config, "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout).servers[0];
  assert.equal(s.origin, "static");
  assert.ok(s.tools.some((t: { name: string }) => t.name === "move_to_grasp"));
  assert.deepEqual(await survivors(tag, 0), []);
});

Deno.test("orch list falls back to static introspection when a Python server cannot start", async () => {
  const dir = tempDir();
  writeFileSync(
    join(dir, "server.py"),
    [
      "import sys",
      "from mcp.server.fastmcp import FastMCP",
      "mcp = FastMCP('arm')",
      "@mcp.tool()",
      "def home(speed: float = 0.5) -> dict:",
      '    """Move home."""',
      "    return {}",
      "if __name__ == '__main__':",
      "    mcp.run()",
    ].join("\n"),
  );
  const config = writeConfig(dir, { mcpServers: { arm: { command: "python3", args: ["server.py"] } } });
  const r = await runOrch(["list", "-c", config, "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout).servers[0];
  assert.equal(s.status, "ok");
  assert.equal(s.origin, "static");
  assert.deepEqual(s.tools.map((t: { name: string }) => t.name), ["home"]);
  assert.match(s.warnings[0], /live tools\/list failed .*No module named .mcp.*tools read from source/s);
});

Deno.test("orch list re-reads a static server after its source changes", async () => {
  const dir = tempDir();
  const cache = tempDir("orch-cache-");
  const src = (tool: string) =>
    `from mcp.server.fastmcp import FastMCP\nmcp = FastMCP('x')\n@mcp.tool()\ndef ${tool}() -> str:\n    return ''\n`;
  writeFileSync(join(dir, "server.py"), src("first"));
  const config = writeConfig(dir, {
    mcpServers: { x: { command: "python3", args: ["server.py"], introspect: "static" } },
  });
  const env = { ORCH_CACHE_DIR: cache };
  const one = JSON.parse((await runOrch(["list", "-c", config, "--json"], { env })).stdout).servers[0];
  assert.deepEqual(one.tools.map((t: { name: string }) => t.name), ["first"]);
  const cached = JSON.parse((await runOrch(["list", "-c", config, "--json"], { env })).stdout).servers[0];
  assert.equal(cached.origin, "cache");
  writeFileSync(join(dir, "server.py"), src("second"));
  const two = JSON.parse((await runOrch(["list", "-c", config, "--json"], { env })).stdout).servers[0];
  assert.equal(two.origin, "static");
  assert.deepEqual(two.tools.map((t: { name: string }) => t.name), ["second"]);
});

Deno.test("static introspection runs inside bubblewrap when it works here", async () => {
  const bwrap = ["/usr/bin/bwrap", "/bin/bwrap"].find((p) => existsSync(p));
  if (!bwrap) {
    console.log("skipped: bubblewrap is not installed (scripts/bootstrap installs it as root)");
    return;
  }
  const dir = tempDir();
  const log = join(dir, "bwrap.log");
  const wrapper = join(dir, "bwrap");
  writeFileSync(wrapper, `#!/bin/sh\necho "$@" >> ${log}\nexec ${bwrap} "$@"\n`, { mode: 0o755 });
  const r = await runOrch(["introspect", "--json", join(FIXTURES, "never_imported.py")], {
    env: { ORCH_BWRAP: wrapper },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(JSON.parse(r.stdout).tools.length > 0);
  const calls = readFileSync(log, "utf8");
  assert.match(calls, /--unshare-all .*introspect_fastmcp\.py .*never_imported\.py/);
});
