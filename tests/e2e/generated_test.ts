import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, runOrch, tempDir } from "./helpers.ts";

Deno.test("the committed generated/ API matches what orch gen writes for the example config", async () => {
  const out = tempDir();
  const r = await runOrch(["gen", "-c", "examples/mcp_servers_config.json", "-o", out], {
    cwd: ROOT,
    env: { ROBOT_SIM_DIR: tempDir() },
  });
  assert.equal(r.code, 0, r.stderr);
  for (const f of ["unified_api.py", "unified_api.pyi", "orch_catalog.json"]) {
    const committed = readFileSync(join(ROOT, "generated", f), "utf8");
    const fresh = readFileSync(join(out, f), "utf8").replace(`-o ${out}`, "-o generated");
    assert.equal(
      committed,
      fresh,
      `generated/${f} is stale: run orch gen --config examples/mcp_servers_config.json -o generated`,
    );
  }
});
