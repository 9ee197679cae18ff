/** Runs as read back from the board and their journals: for `orch runs`, `orch runs show` and `orch runs tail`. */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { UnknownRunError } from "../errors.ts";
import { alive, boardEntries, type BoardEntry, socketPath } from "./board.ts";
import { JOURNAL_FILE } from "../executor/run_journal.ts";

/** A run's state as the journal tells it. */
export interface RunView extends BoardEntry {
  /** success | error | timeout | aborted | running | `orch exited` (active when its orch died) | unknown. */
  status: string;
  calls: number;
  durationMs: number | undefined;
  reason?: string;
  /** Calls still without an answer when the journal ends. */
  open: number;
  events: Record<string, unknown>[];
}

/** The journal's events; a torn last line (a crash mid-write) is skipped. */
export function readJournal(folder: string): Record<string, unknown>[] {
  let text: string;
  try {
    text = readFileSync(join(folder, JOURNAL_FILE), "utf8");
  } catch {
    return [];
  }
  const out: Record<string, unknown>[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      // A line cut by a crash or a full disk.
    }
  }
  return out;
}

/** The status, calls and duration of one board entry, from its journal and whether its process lives. */
export function viewOf(entry: BoardEntry, dir: string): RunView {
  const events = readJournal(entry.folder);
  const end = events.find((e) => e.type === "end");
  const finals = new Map<number, string>();
  for (const e of events) if (e.type === "call" && !e.onAbort) finals.set(e.id as number, e.outcome as string);
  const open = [...finals.values()].filter((o) => o === "sent").length;
  const live = !end && alive(entry.pid) && existsSync(socketPath(dir, entry.pid));
  const last = events.at(-1)?.t as string | undefined;
  const started = Date.parse(entry.started);
  return {
    ...entry,
    status: end ? String(end.status) : live ? "running" : events.length ? "orch exited" : "unknown",
    calls: [...finals.values()].filter((o) => o !== "denied").length,
    durationMs: end
      ? end.duration_ms as number
      : live
      ? Date.now() - started
      : last
      ? Date.parse(last) - started
      : undefined,
    ...(end?.reason ? { reason: String(end.reason) } : {}),
    open,
    events,
  };
}

/** Every run on the board with its state, oldest first. */
export function listRuns(dir: string): RunView[] {
  return boardEntries(dir).map((e) => viewOf(e, dir));
}

/** The run whose id is `id` or starts with it; throws UnknownRunError when none or several match. */
export function findRun(dir: string, id: string): BoardEntry {
  const all = boardEntries(dir);
  const exact = all.find((e) => e.run_id === id);
  if (exact) return exact;
  const hits = all.filter((e) => e.run_id.startsWith(id));
  if (hits.length === 1) return hits[0]!;
  if (hits.length === 0) throw new UnknownRunError(`no run "${id}" on this machine ("orch runs" lists them)`);
  throw new UnknownRunError(`"${id}" matches ${hits.length} runs; give more of the id`);
}
