import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { loadConfig } from "../config/load.ts";
import { UpstreamPool } from "./upstream_pool.ts";

const CRASHY = resolve(import.meta.dirname!, "..", "..", "tests", "fixtures", "servers", "crashy.py");

function pool(command: string) {
  const dir = mkdtempSync(join(tmpdir(), "orch-pool-"));
  const tag = `orch-pool-test-${crypto.randomUUID()}`;
  const path = join(dir, "c.json");
  writeFileSync(
    path,
    JSON.stringify({ mcpServers: { s: { command: "bash", args: ["-c", command], env: { TAG: tag } } } }),
  );
  return { pool: new UpstreamPool(loadConfig(path, { env: () => undefined })), tag };
}

function alive(tag: string): number {
  let n = 0;
  for (const pid of readdirSync("/proc").filter((e) => /^\d+$/.test(e))) {
    try {
      if (readFileSync(`/proc/${pid}/environ`, "latin1").includes(tag)) n++;
    } catch {
      // Gone.
    }
  }
  return n;
}

Deno.test("UpstreamPool.close() kills a wrapper's children too, after calls were made", async () => {
  const { pool: p, tag } = pool(`sleep 1234 & exec python3 ${CRASHY}`);
  const r = await p.callTool("s", "echo", { text: "hi" });
  assert.notEqual(r.isError, true);
  assert.ok(alive(tag) >= 2);
  await p.close();
  for (let i = 0; i < 30 && alive(tag); i++) await new Promise((ok) => setTimeout(ok, 100));
  assert.equal(alive(tag), 0);
});

Deno.test("UpstreamPool: one caller's abort does not fail a server start others wait for", async () => {
  const { pool: p } = pool(`sleep 0.7; exec python3 ${CRASHY}`);
  try {
    const ac = new AbortController();
    const first = p.callTool("s", "echo", { text: "a" }, { signal: ac.signal });
    const second = p.callTool("s", "echo", { text: "b" });
    setTimeout(() => ac.abort("run aborted"), 200);
    await assert.rejects(first);
    const r = await second;
    assert.notEqual(r.isError, true, JSON.stringify(r));
  } finally {
    await p.close();
  }
});
