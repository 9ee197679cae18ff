/**
 * Config and environment mistakes a person makes, against the real orch (from source, or ORCH_BIN):
 * each is a clear error naming what to fix, with the usage exit code (2), never an internal error.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pyServer, PYTHON_SERVERS, runOrch, tempDir, writeConfig } from "./helpers.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test("an unwritable cache folder is named, with what to do, for orch run, list and serve", opts, async () => {
  const dir = tempDir();
  writeConfig(dir, { mcpServers: { res: pyServer(join(PYTHON_SERVERS, "resources.py")) } });
  writeFileSync(join(dir, "policy.py"), "print('hello')\n");
  // /proc refuses new folders to everyone, root included.
  const env = { ORCH_CACHE_DIR: "/proc/orch-no-such-cache" };
  for (const args of [["run", "policy.py"], ["list"], ["serve"]]) {
    const r = await runOrch(args, { cwd: dir, env, stdin: "", timeoutMs: 60_000 });
    const what = `orch ${args.join(" ")}: ${r.stderr}`;
    assert.equal(r.code, 2, what);
    assert.match(r.stderr, /cannot write to the cache folder "\/proc\/orch-no-such-cache"/, what);
    assert.match(r.stderr, /set ORCH_CACHE_DIR .*to a writable folder/, what);
    assert.doesNotMatch(r.stderr, /internal error|\n\s+at /, what);
    assert.equal(r.stdout, "", what);
  }
});

Deno.test("orch serve --http on a port already in use says so and exits 2, no stack trace", opts, async () => {
  const dir = tempDir();
  writeConfig(dir, { mcpServers: { res: pyServer(join(PYTHON_SERVERS, "resources.py")) } });
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const port = (taken.addr as Deno.NetAddr).port;
    const r = await runOrch(["serve", "--http", `127.0.0.1:${port}`], { cwd: dir, stdin: "", timeoutMs: 60_000 });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`--http 127\\.0\\.0\\.1:${port}: the port is in use`), r.stderr);
    assert.doesNotMatch(r.stderr, /internal error|\n\s+at /, r.stderr);
  } finally {
    taken.close();
  }
});
