/**
 * A run whose journal cannot be written (the disk is full: /dev/full answers ENOSPC) is still stopped
 * like any other: aborted mid-call, the call is cancelled at the server and the onAbort stop goes out.
 * Runs a real Session (real servers, real Python policy) from source, so the journal can be pointed at
 * /dev/full; the same code is in the binary.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load.ts";
import { fileWriter } from "../../src/executor/journal.ts";
import { Engine } from "../../src/engine.ts";
import { UpstreamPool } from "../../src/sources/upstream_pool.ts";
import { tempDir } from "./helpers.ts";
import { robotEvents, securityConfig, slowEvents, until } from "./security_helpers.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test("journal: a full disk does not stop a robot stop", opts, async () => {
  const cfg = securityConfig({
    onAbort: [{ server: "ros-mcp-server", tool: "stop", arguments: { reason: "orch abort" } }],
  });
  const config = loadConfig(cfg.path, { env: (k) => Deno.env.get(k) });
  const cacheDir = tempDir("orch-cache-");
  Deno.env.set("ORCH_RUNTIME_DIR", tempDir("orch-board-"));
  const source = new UpstreamPool(config, { logDir: join(cacheDir, "logs") });
  const engine = new Engine({ config, source, cacheDir, openJournal: () => fileWriter("/dev/full") });
  try {
    const ac = new AbortController();
    const running = engine.run({ code: "slow__sleep(seconds=600)\n", signal: ac.signal });
    await until(() => slowEvents(cfg.log).some((e) => e.event === "call" && e.tool === "sleep"), 30_000, "the call");
    ac.abort("stopped by the test");
    const r = await running;
    assert.equal(r.status, "aborted");
    assert.equal(robotEvents(cfg.world).stop_count, 1);
    const events = slowEvents(cfg.log);
    assert.ok(events.some((e) => e.event === "cancelled"), JSON.stringify(events));
    assert.match(r.summary.journal_error ?? "", /cannot write the journal/);
    assert.deepEqual(r.summary.on_abort?.map((c) => [c.tool, c.outcome]), [["stop", "ok"]]);
    assert.deepEqual(r.summary.cancelled.map((c) => [c.tool, c.outcome]), [["sleep", "cancelled"]]);
  } finally {
    Deno.env.delete("ORCH_RUNTIME_DIR");
    await engine.close();
  }
});
