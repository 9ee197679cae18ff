/** `orch runs`, `orch runs show ID`, `orch runs tail ID`: the runs of every orch process of this user. */
import { closeSync, openSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { UsageError } from "../errors.ts";
import type { RunResult } from "../executor/types.ts";
import { alive, boardDir } from "../runs/board.ts";
import { callLine, type CallRecord } from "../executor/journal.ts";
import { JOURNAL_FILE } from "../executor/run_journal.ts";
import { findRun, listRuns, type RunView, viewOf } from "../runs/store.ts";
import { rt } from "../runtime/mod.ts";
import { delay } from "../runtime/delay.ts";
import { styleFor } from "./style.ts";

export const RUNS_HELP = `Usage: orch runs [--json] [--all]
       orch runs show ID
       orch runs tail ID

Lists the active and recent runs of every orch process of this user
(orch run and orch serve): id, start, who started it, the policy's first
line, status, calls and duration. A run that was active when its orch died
shows as "orch exited", with what its journal knows. ID may be a prefix.

  show ID   the run's journal (every call and its outcome) and its output
  tail ID   follows a run live: output and calls as they happen, until it ends

Options:
      --json    one JSON object per run
  -n N          the last N runs (default 20; --all for every one)
  -h, --help    this help

Stop a run with "orch stop ID" or "orch stop --all".`;

const enc = new TextEncoder();

function ago(iso: string): string {
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${
    pad(d.getSeconds())
  }`;
}

function secs(ms: number | undefined): string {
  return ms === undefined ? "-" : ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

/** One call as a short line, from a record or a journal event. */
function describeCall(c: CallRecord | Record<string, unknown>): string {
  return callLine(c as CallRecord);
}

/** `orch run` on a terminal: each call as a dimmed stderr line as it ends (never on a pipe). */
export function callLines(write: (b: Uint8Array) => Promise<void>): ((c: CallRecord) => void) | undefined {
  if (!rt.isatty(2)) return undefined;
  const style = styleFor(2);
  return (c) => {
    if (c.outcome === "sent") return;
    void write(enc.encode(style.dim(`  · ${describeCall(c)}`) + "\n"));
  };
}

/** `orch run --json`: the result as one JSON object. */
export function resultJson(r: RunResult): string {
  return JSON.stringify({
    status: r.status,
    returncode: r.returncode,
    output: r.output,
    error: r.error,
    run_id: r.runId,
    duration_ms: r.durationMs,
    calls: r.calls,
    denied: r.denied,
    ...(r.reason ? { reason: r.reason } : {}),
    log_path: r.logPath,
    journal_path: r.journalPath,
    sandbox: r.sandbox,
    summary: r.summary,
  });
}

function table(runs: RunView[]): string {
  if (runs.length === 0) return "no runs (start one with orch run or through orch serve)";
  const rows = runs.map((r) => [
    r.run_id.slice(0, 8),
    ago(r.started),
    r.by,
    r.status,
    String(r.calls),
    secs(r.durationMs),
    r.title.slice(0, 50),
  ]);
  const head = ["ID", "STARTED", "BY", "STATUS", "CALLS", "TIME", "POLICY"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [head, ...rows].map((r) => r.map((c, i) => i === r.length - 1 ? c : c.padEnd(widths[i]!)).join("  ")).join(
    "\n",
  );
}

function describeEvent(e: Record<string, unknown>): string | undefined {
  const t = String(e.t ?? "").slice(11, 23);
  switch (e.type) {
    case "run": {
      const p = e.policy as { title?: string; sha256?: string; path?: string };
      return `${t} run ${e.run_id} by ${e.by} (pid ${e.pid}), policy ${p.path ?? p.title} sha256 ${
        p.sha256?.slice(0, 12)
      }, config ${e.config}, sandbox ${e.sandbox}`;
    }
    case "call":
      return e.outcome === "sent"
        ? `${t} → ${describeCall(e)}${e.args ? ` ${JSON.stringify(e.args)}` : ""}`
        : `${t}   ${describeCall(e)}`;
    case "abort":
      return `${t} abort (${e.status}): ${e.reason}; in flight: ${(e.in_flight as number[]).length}`;
    case "end":
      return `${t} end: ${e.status}, exit ${e.returncode}${e.reason ? ` (${e.reason})` : ""}, ${e.calls} calls, ${
        secs(e.duration_ms as number)
      }`;
    case "truncated":
      return `${t} (journal full: later events were not written)`;
    default:
      return undefined;
  }
}

function readFrom(path: string, offset: number): { text: string; next: number } {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return { text: "", next: offset };
  }
  try {
    const size = statSync(path).size;
    if (size <= offset) return { text: "", next: offset };
    const buf = new Uint8Array(Math.min(size - offset, 1 << 20));
    const n = readSync(fd, buf, 0, buf.length, offset);
    return { text: new TextDecoder().decode(buf.subarray(0, n)), next: offset + n };
  } finally {
    closeSync(fd);
  }
}

async function show(dir: string, id: string): Promise<number> {
  const v = viewOf(findRun(dir, id), dir);
  const lines = [
    `run ${v.run_id}: ${v.status}${v.reason ? ` (${v.reason})` : ""}, ${v.calls} calls, ${secs(v.durationMs)}`,
  ];
  if (v.status === "orch exited") {
    lines.push(`  its orch (pid ${v.pid}) exited while the run was active; ${v.open} call(s) had no answer yet`);
  }
  for (const e of v.events) {
    const d = describeEvent(e);
    if (d) lines.push(d);
  }
  const out = readFrom(join(v.folder, "output.log"), 0).text;
  lines.push(`--- output (${join(v.folder, "output.log")}) ---`, out.trimEnd());
  await rt.write(1, lines.join("\n") + "\n");
  return 0;
}

async function tail(dir: string, id: string): Promise<number> {
  const entry = findRun(dir, id);
  const style = styleFor(1);
  let jOff = 0;
  let oOff = 0;
  let partial = "";
  for (;;) {
    const o = readFrom(join(entry.folder, "output.log"), oOff);
    oOff = o.next;
    if (o.text) await rt.write(1, o.text);
    const j = readFrom(join(entry.folder, JOURNAL_FILE), jOff);
    jOff = j.next;
    const lines = (partial + j.text).split("\n");
    partial = lines.pop() ?? "";
    let ended: Record<string, unknown> | undefined;
    for (const line of lines) {
      let e: Record<string, unknown>;
      try {
        e = JSON.parse(line);
      } catch {
        continue;
      }
      const d = e.type === "run" ? undefined : describeEvent(e);
      if (d) await rt.write(1, style.dim(d) + "\n");
      if (e.type === "end") ended = e;
    }
    if (ended) return ended.status === "success" ? 0 : 1;
    if (!alive(entry.pid)) {
      await rt.write(1, `orch (pid ${entry.pid}) exited while the run was active\n`);
      return 1;
    }
    await delay(200);
  }
}

/** Runs `orch runs`; returns the exit code. */
export async function runsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: "boolean" },
      all: { type: "boolean" },
      n: { type: "string", short: "n" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    await rt.write(1, RUNS_HELP + "\n");
    return 0;
  }
  const dir = boardDir();
  const [sub, id, ...extra] = positionals;
  if (sub === "show" || sub === "tail") {
    if (!id || extra.length) throw new UsageError(`orch runs ${sub} needs one run id; "orch runs" lists them`);
    return sub === "show" ? await show(dir, id) : await tail(dir, id);
  }
  if (sub !== undefined) throw new UsageError(`unknown "orch runs ${sub}"; try show ID or tail ID`);
  const n = values.n === undefined ? 20 : Number(values.n);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`-n must be a whole number >= 1, not "${values.n}"`);
  let runs = listRuns(dir);
  if (!values.all) runs = runs.slice(-n);
  if (values.json) {
    await rt.write(1, runs.map(({ events: _e, ...r }) => JSON.stringify(r)).join("\n") + (runs.length ? "\n" : ""));
  } else {
    await rt.write(1, table(runs) + "\n");
  }
  return 0;
}
