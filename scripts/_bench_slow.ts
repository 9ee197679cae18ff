/**
 * What the stop benchmarks (bench_abort.ts, bench_stop.ts) share: the orch command line (source, or
 * ORCH_BIN), and a config with the `slow` fixture server whose own log says when a call, its
 * cancellation and the onAbort stop call arrived.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import process from "node:process";
import { delay } from "../src/runtime/delay.ts";

export const ROOT = resolve(import.meta.dirname!, "..");
export const BIN = process.env.ORCH_BIN;
/** How to start orch: the binary under ORCH_BIN, else the source under this Deno. */
export const ORCH = BIN ? [BIN] : [process.execPath, "run", "-A", "--quiet", join(ROOT, "src", "main.ts")];

/** `--runs N` from the command line, else `fallback`. */
export function runsArg(fallback: number): number {
  return Number(process.argv[process.argv.indexOf("--runs") + 1]) || fallback;
}

/** One line of the slow server's log. */
export interface Event {
  event: string;
  tool?: string;
  arguments?: Record<string, unknown>;
  t: number;
}

/**
 * Writes `dir`/config.json: the slow server logging to `dir`/slow.jsonl, with `orchestrator` (the
 * onAbort stop call, `slow.sleep(seconds=0)`, is added). Returns the config's path and the log reader.
 */
export function slowConfig(
  dir: string,
  orchestrator: Record<string, unknown>,
): { config: string; events: () => Event[] } {
  const log = join(dir, "slow.jsonl");
  const config = join(dir, "config.json");
  writeFileSync(
    config,
    JSON.stringify({
      mcpServers: {
        slow: { command: "python3", args: [join(ROOT, "tests/fixtures/servers/slow.py")], env: { FIXTURE_LOG: log } },
      },
      orchestrator: { onAbort: [{ server: "slow", tool: "sleep", arguments: { seconds: 0 } }], ...orchestrator },
    }),
  );
  const events = (): Event[] =>
    existsSync(log) ? readFileSync(log, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l)) : [];
  return { config, events };
}

/** Polls `fn` every 20 ms until it gives a value; throws naming `what` after `timeoutMs`. */
export async function until<T>(fn: () => T | undefined, what: string, timeoutMs = 12_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`no ${what}`);
    await delay(20);
  }
}
