/**
 * Retention: run folders (journal, output log, outputs) and server logs stay bounded in count and
 * bytes; the oldest go first, a run still going is never touched, and board entries whose folder is
 * gone are dropped with it.
 */
import { lstatSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { alive, boardEntries, dropEntry } from "./board.ts";
import { readJournal } from "./store.ts";

export interface RetentionLimits {
  /** Run folders kept at most. */
  keep: number;
  /** Megabytes all run folders may use together (the config's `limits.runsTotalMb`). */
  maxMb: number;
  /** Megabytes the server logs folder may use. */
  logsMb: number;
}

export interface Pruned {
  runs: string[];
  logs: string[];
}

/** Bytes under `path` (not following links). */
function sizeOf(path: string): number {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.size;
  let total = 0;
  try {
    for (const n of readdirSync(path)) total += sizeOf(join(path, n));
  } catch {
    // Unreadable: counted as empty.
  }
  return total;
}

function entries(dir: string): { name: string; path: string; mtime: number; dirent: boolean }[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out = [];
  for (const name of names) {
    try {
      const st = lstatSync(join(dir, name));
      out.push({ name, path: join(dir, name), mtime: st.mtimeMs, dirent: st.isDirectory() });
    } catch {
      // Removed meanwhile.
    }
  }
  return out.sort((a, b) => b.mtime - a.mtime);
}

/** Prunes `<cacheDir>/runs` and `<cacheDir>/logs` to the limits; `active` run ids are kept whatever. */
export function prune(cacheDir: string, limits: RetentionLimits, active: ReadonlySet<string>, board?: string): Pruned {
  const pruned: Pruned = { runs: [], logs: [] };
  // A run of another orch process sharing this cache is active while its process lives and its journal has no end.
  const owners = new Map(board ? boardEntries(board).map((e) => [e.run_id, e.pid]) : []);
  const running = (id: string, folder: string) =>
    active.has(id) ||
    (owners.has(id) && alive(owners.get(id)!) && !readJournal(folder).some((e) => e.type === "end"));
  const budget = limits.maxMb * 1024 * 1024;
  let used = 0;
  let kept = 0;
  for (const e of entries(join(cacheDir, "runs"))) {
    if (!e.dirent) continue;
    const bytes = sizeOf(e.path);
    if ((kept < limits.keep && used + bytes <= budget) || running(e.name, e.path)) {
      kept++;
      used += bytes;
      continue;
    }
    rmSync(e.path, { recursive: true, force: true });
    pruned.runs.push(e.name);
  }
  const logBudget = limits.logsMb * 1024 * 1024;
  let logUsed = 0;
  for (const e of entries(join(cacheDir, "logs"))) {
    const bytes = sizeOf(e.path);
    if (logUsed + bytes <= logBudget) {
      logUsed += bytes;
      continue;
    }
    rmSync(e.path, { recursive: true, force: true });
    pruned.logs.push(e.name);
  }
  if (board) {
    const gone = new Set(pruned.runs);
    for (const entry of boardEntries(board)) {
      if (gone.has(entry.run_id) || (!active.has(entry.run_id) && sizeOf(entry.folder) === 0)) {
        dropEntry(board, entry.run_id);
      }
    }
  }
  return pruned;
}
