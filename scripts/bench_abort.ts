/**
 * Abort -> safe-stop latency: starts `orch run` on a policy blocked in a long tool call of the
 * `slow` fixture server, sends orch SIGINT, and reads from the server's own log when the
 * cancellation and the onAbort stop call arrived. Prints the numbers; asserts nothing.
 *
 *   deno run -A scripts/bench_abort.ts [--runs N]        (ORCH_BIN=dist/orch to time the binary)
 */
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { delay } from "../src/runtime/delay.ts";
import { BIN, ORCH as orch, ROOT, runsArg, slowConfig, until } from "./_bench_slow.ts";

const runs = runsArg(10);

/** One abort: returns ms from SIGINT to the cancellation and to the stop call, as the server saw them. */
async function once(policy: string, sandbox: string): Promise<{ cancel: number; stop: number; exit: number }> {
  const dir = mkdtempSync(join(tmpdir(), "orch-bench-abort-"));
  const { config, events } = slowConfig(dir, { sandbox });
  const env = { ...process.env, ORCH_CACHE_DIR: join(dir, "cache"), NO_COLOR: "1" };
  const child = spawn(orch[0]!, [...orch.slice(1), "run", "-c", config, policy], { env, stdio: "ignore", cwd: dir });
  const exited = new Promise<void>((r) => child.on("close", () => r()));
  await until(() => events().find((e) => e.event === "call" && e.arguments?.seconds === 30), "policy call", 30_000);
  await delay(100);
  const t0 = Date.now();
  child.kill("SIGINT");
  await exited;
  const exit = Date.now() - t0;
  const seen = events();
  const cancel = seen.find((e) => e.event === "cancelled" && e.t * 1000 >= t0 - 5);
  const stop = seen.find((e) => e.event === "call" && e.arguments?.seconds === 0);
  if (!cancel || !stop) throw new Error(`missing events: ${JSON.stringify(seen)}`);
  return { cancel: cancel.t * 1000 - t0, stop: stop.t * 1000 - t0, exit };
}

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return `median ${at(0.5).toFixed(0)} ms, p90 ${at(0.9).toFixed(0)} ms, max ${s.at(-1)!.toFixed(0)} ms`;
}

const dir = mkdtempSync(join(tmpdir(), "orch-bench-policies-"));
const polite = join(dir, "polite.py");
writeFileSync(polite, "slow__sleep(seconds=30)\n");
const stubborn = join(ROOT, "tests/fixtures/policies/stubborn.py");

console.log(`abort -> safe-stop, ${runs} runs each, orch ${BIN ? `binary ${BIN}` : "from source (deno)"}`);
for (const sandbox of ["auto", "none"]) {
  for (const [name, file] of [["policy exits on SIGINT", polite], ["policy swallows SIGINT", stubborn]] as const) {
    const results = [];
    for (let i = 0; i < runs; i++) results.push(await once(file, sandbox));
    console.log(`\nsandbox ${sandbox}, ${name}:`);
    console.log(`  SIGINT -> server got notifications/cancelled: ${stats(results.map((r) => r.cancel))}`);
    console.log(`  SIGINT -> server got the onAbort stop call:   ${stats(results.map((r) => r.stop))}`);
    console.log(`  SIGINT -> orch exited:                        ${stats(results.map((r) => r.exit))}`);
  }
}
