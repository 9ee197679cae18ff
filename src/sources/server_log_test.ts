import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { appendServerLog, setServerLogCap } from "./server_log.ts";

Deno.test("appendServerLog() rotates at the cap and keeps two older files", async () => {
  const dir = mkdtempSync(join(tmpdir(), "orch-slog-"));
  const path = join(dir, "srv.log");
  setServerLogCap(1000);
  for (let i = 0; i < 50; i++) await appendServerLog(path, "x".repeat(99) + "\n");
  await appendServerLog(path, "y".repeat(5000));
  assert.deepEqual(readdirSync(dir).sort(), ["srv.log", "srv.log.1", "srv.log.2"]);
  for (const f of readdirSync(dir)) assert.ok(statSync(join(dir, f)).size <= 1000, f);
  assert.equal(statSync(path).size, 1000, "one write past the cap keeps its tail");
  setServerLogCap(16 * 1024 * 1024);
});
