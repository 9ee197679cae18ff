/**
 * Disk bounds: how much a folder holds (allocated blocks, so a sparse file costs what it really
 * takes), a watch that stops a run whose folders grow past its `diskMb`, and pruning of the runs
 * folder (oldest finished runs first) down to a total. `pruneRuns()` is the one clean entry point
 * retention code calls; it never touches a run whose owning orch process is alive.
 */
import { lstatSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { startTimeOf } from "../contain/proc.ts";
import { pidAlive } from "../runtime/pid.ts";

export const MIB = 1024 * 1024;
/** A folder holding more entries than this counts as over any bound (walking it would cost too much). */
export const MAX_ENTRIES = 100_000;

export interface Usage {
  bytes: number;
  entries: number;
  /** True when the walk stopped early: past `stopAt` bytes or MAX_ENTRIES entries. */
  over: boolean;
}

/** Bytes allocated under `dir` (symbolic links are not followed); stops once past `stopAt`. */
export function usage(dir: string, stopAt = Number.POSITIVE_INFINITY): Usage {
  const out: Usage = { bytes: 0, entries: 0, over: false };
  const todo = [dir];
  while (todo.length > 0) {
    const d = todo.pop()!;
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      continue;
    }
    for (const name of names) {
      const p = join(d, name);
      let st;
      try {
        st = lstatSync(p);
      } catch {
        continue;
      }
      out.entries++;
      out.bytes += st.blocks !== undefined && st.blocks !== null ? st.blocks * 512 : st.size;
      if (st.isDirectory()) todo.push(p);
      if (out.bytes > stopAt || out.entries > MAX_ENTRIES) {
        out.over = true;
        return out;
      }
    }
  }
  return out;
}

/** `12.3 MB` */
export function mb(bytes: number): string {
  return `${(bytes / MIB).toFixed(1)} MB`;
}

/** Polls a run's folders and calls `onOver` once when together they hold more than `maxBytes`. */
export class DiskWatch {
  #timer: ReturnType<typeof setInterval> | undefined;
  #fired = false;

  constructor(
    readonly folders: readonly { name: string; path: string }[],
    readonly maxBytes: number,
    onOver: (text: string) => void,
    intervalMs = 500,
  ) {
    this.#timer = setInterval(() => {
      const text = this.check();
      if (text && !this.#fired) {
        this.#fired = true;
        this.stop();
        onOver(text);
      }
    }, intervalMs);
  }

  /** A sentence naming the limit and the folders when they hold too much, else undefined. */
  check(): string | undefined {
    let total = 0;
    const parts: string[] = [];
    for (const f of this.folders) {
      const u = usage(f.path, this.maxBytes - total);
      total += u.bytes;
      parts.push(`${f.name} ${f.path}: ${mb(u.bytes)}${u.entries > MAX_ENTRIES ? `, over ${MAX_ENTRIES} files` : ""}`);
      if (u.over) {
        return `the policy hit its disk limit (diskMb ${Math.round(this.maxBytes / MIB)} for its files): ${
          parts.join("; ")
        }`;
      }
    }
    return undefined;
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

/** The file in a run's log folder that says which orch process owns the run while it is going. */
const ACTIVE = ".active";

/** Marks `runDir` (a folder under the runs folder) as owned by this process until `markDone`. */
export function markActive(runDir: string): void {
  try {
    writeFileSync(join(runDir, ACTIVE), `${process.pid} ${startTimeOf(process.pid) ?? ""}\n`, { mode: 0o600 });
  } catch {
    // Without the mark the run is only protected by being the newest.
  }
}

/** Removes the mark `markActive` made. */
export function markDone(runDir: string): void {
  rmSync(join(runDir, ACTIVE), { force: true });
}

/** True while the orch process that marked `runDir` active still runs. */
export function ownerAlive(runDir: string): boolean {
  let text: string;
  try {
    text = readFileSync(join(runDir, ACTIVE), "utf8");
  } catch {
    return false;
  }
  const [pid, start] = text.trim().split(" ");
  const n = Number(pid);
  if (!Number.isSafeInteger(n) || n <= 0 || !pidAlive(n)) return false;
  return !start || startTimeOf(n) === undefined || startTimeOf(n) === start;
}

export interface PruneResult {
  removed: string[];
  bytesBefore: number;
  bytesAfter: number;
}

/**
 * Deletes whole run folders under `runsDir`, oldest first (by modification time), until the rest
 * hold at most `maxBytes`; a run whose owner is alive (`markActive`) or that is named in `keep` is
 * never removed.
 */
export function pruneRuns(runsDir: string, maxBytes: number, keep: ReadonlySet<string> = new Set()): PruneResult {
  let names: string[];
  try {
    names = readdirSync(runsDir);
  } catch {
    return { removed: [], bytesBefore: 0, bytesAfter: 0 };
  }
  const runs = names.flatMap((name) => {
    const path = join(runsDir, name);
    try {
      const st = lstatSync(path);
      if (!st.isDirectory()) return [];
      return [{ name, path, mtime: st.mtimeMs, bytes: usage(path).bytes + (st.blocks ?? 0) * 512 }];
    } catch {
      return [];
    }
  }).sort((a, b) => a.mtime - b.mtime);
  const before = runs.reduce((n, r) => n + r.bytes, 0);
  let total = before;
  const removed: string[] = [];
  for (const r of runs) {
    if (total <= maxBytes) break;
    if (keep.has(r.name) || ownerAlive(r.path)) continue;
    try {
      rmSync(r.path, { recursive: true, force: true });
      total -= r.bytes;
      removed.push(r.name);
    } catch {
      // Not ours to remove (another user's), or raced with another pruner.
    }
  }
  return { removed, bytesBefore: before, bytesAfter: total };
}
