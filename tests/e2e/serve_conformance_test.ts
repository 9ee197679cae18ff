/**
 * The MCP conformance suite (@modelcontextprotocol/conformance, a pinned devDependency, run with the
 * Node 22 of the npm package `node`) against `orch serve --http`. It runs the whole active server
 * suite with tests/fixtures/conformance/not_applicable.yml as the expected failures: the run passes
 * only when every applicable scenario passes and exactly the listed ones (which need tools, resources
 * or prompts only the suite's reference server has) fail. The suite's client sends no headers, so orch
 * runs with `--auth none` (loopback); the token itself is tested in serve_http_test.ts.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { ROOT, survivors, tempDir } from "./helpers.ts";
import { robotConfig, startHttp } from "./serve_helpers.ts";

const NODE = join(ROOT, "node_modules", ".bin", "node");
const CONFORMANCE = join(ROOT, "node_modules", "@modelcontextprotocol", "conformance", "dist", "index.js");
const NOT_APPLICABLE = join(ROOT, "tests", "fixtures", "conformance", "not_applicable.yml");

function conformance(url: URL): Promise<{ code: number | null; out: string }> {
  const args = [CONFORMANCE, "server", "--url", url.href, "--expected-failures", NOT_APPLICABLE, "-o", tempDir()];
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, args, {
      cwd: tempDir(),
      env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", HOME: Deno.env.get("HOME") ?? "/" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => out += d);
    child.stderr.on("data", (d) => out += d);
    const timer = setTimeout(() => child.kill("SIGKILL"), 240_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

Deno.test({
  name: "orch serve --http passes every applicable MCP conformance server scenario",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const cfg = robotConfig();
    const orch = await startHttp(["--config", cfg.path, "--auth", "none"]);
    try {
      const r = await conformance(orch.url);
      const summary = r.out.slice(r.out.lastIndexOf("=== SUMMARY ==="));
      assert.equal(r.code, 0, summary || r.out.slice(-4000));
      for (const name of ["server-initialize", "logging-set-level", "ping", "tools-list", "dns-rebinding-protection"]) {
        assert.match(summary, new RegExp(`✓ ${name}: \\d+ passed, 0 failed`), summary);
      }
    } finally {
      await orch.stop();
    }
    assert.deepEqual(await survivors(cfg.tag), []);
  },
});
