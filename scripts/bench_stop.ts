/**
 * `orch stop` -> safe-stop latency: a served run (orch serve over stdio, driven by the SDK Client)
 * blocks in a long call of the `slow` fixture server; a second process runs `orch stop --all`; the
 * server's own log says when the cancellation and the onAbort stop call arrived. The time starts when
 * `orch stop` is spawned, so it includes that process's start-up. Prints the numbers; asserts nothing.
 *
 *   ORCH_BIN=dist/orch deno run -A scripts/bench_stop.ts [--runs N]
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { Client, StdioClientTransport } from "../src/deps/mcp_sdk.ts";
import { BIN, ORCH as orch, runsArg, slowConfig, until } from "./_bench_slow.ts";

const runs = runsArg(5);
const dir = mkdtempSync(join(tmpdir(), "orch-bench-stop-"));
const { config, events } = slowConfig(dir, { runs: { waitSeconds: 1 } });
const env: Record<string, string> = {};
for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
env.ORCH_CACHE_DIR = join(dir, "cache");
env.ORCH_RUNTIME_DIR = join(dir, "board");

const transport = new StdioClientTransport({ command: orch[0]!, args: [...orch.slice(1), "serve", "-c", config], env });
const client = new Client({ name: "bench-stop", version: "1" });
await client.connect(transport);
const rows: { cancel: number; stop: number; command: number }[] = [];
try {
  for (let i = 0; i < runs; i++) {
    const before = events().length;
    await client.callTool({ name: "execute_composed_code", arguments: { code: "slow__sleep(seconds=600)" } });
    await until(() => events().slice(before).find((e) => e.event === "call" && e.arguments?.seconds === 600), "call");
    const t0 = Date.now();
    const r = spawnSync(orch[0]!, [...orch.slice(1), "stop", "--all"], { env, encoding: "utf8" });
    const command = Date.now() - t0;
    if (r.status !== 0 || !/stopped run/.test(r.stdout)) throw new Error(`orch stop failed: ${r.stdout}${r.stderr}`);
    const fresh = events().slice(before);
    const cancel = fresh.find((e) => e.event === "cancelled")!;
    const stop = fresh.find((e) => e.event === "call" && e.arguments?.seconds === 0)!;
    rows.push({ cancel: cancel.t * 1000 - t0, stop: stop.t * 1000 - t0, command });
  }
} finally {
  await client.close();
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (xs: number[]) => `median ${Math.round(med(xs))} ms, max ${Math.round(Math.max(...xs))} ms`;
console.log(`orch stop -> safe stop (${runs} runs, ${BIN ? "binary" : "source"}):`);
console.log(`  cancellation at the server: ${fmt(rows.map((r) => r.cancel))}`);
console.log(`  onAbort stop call at the server: ${fmt(rows.map((r) => r.stop))}`);
console.log(`  orch stop returned (run ended): ${fmt(rows.map((r) => r.command))}`);
