/**
 * Run folders (`$TMPDIR/orch-run-<pid>.<start>-XXXXXX`, and `orch-session-...` of sessions) name the orch process that owns them (pid
 * and its start time, so a reused pid is not mistaken for the owner). An orch killed before it
 * could clean up leaves its folders; the next orch to start removes those whose owner is gone.
 */
import { lstat, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { NOBODY } from "../contain/sandbox.ts";
import { currentUid, startTimeOf } from "../contain/proc.ts";
import { pidAlive } from "../runtime/pid.ts";
import { DEFAULT_UID_BASE, UID_SLOTS } from "./uid_pool.ts";
import { rt } from "../runtime/mod.ts";

const PREFIXES = ["orch-run-", "orch-session-"];
/** A folder in the old format (no owner in its name) is stale once older than the longest run can last. */
const LEGACY_STALE_MS = 25 * 3600 * 1000;

/** The prefix of this process' run folders (or session folders), for mkdtemp. */
export function runDirPrefix(kind: "orch-run-" | "orch-session-" = "orch-run-"): string {
  return `${kind}${process.pid}.${startTimeOf(process.pid) ?? "0"}-`;
}

/** True when the orch process recorded in a run folder's name has gone (or a pid now names another process). */
function ownerGone(name: string, mtimeMs: number): boolean {
  const m = /^orch-(?:run|session)-(\d+)\.(\d+)-/.exec(name);
  // An old-style session folder may belong to a long `orch serve`: only run folders age out.
  if (!m) return name.startsWith("orch-run-") && Date.now() - mtimeMs > LEGACY_STALE_MS;
  const pid = Number(m[1]);
  if (pid === process.pid) return false;
  if (!pidAlive(pid)) return true;
  const start = startTimeOf(pid);
  return m[2] !== "0" && start !== undefined && start !== m[2];
}

/**
 * Removes run folders under `base` (default the temp folder) whose owning orch process is gone;
 * only folders of this user (or, for root, of the uids policies run as) are touched. Returns them.
 */
export async function sweepStaleRunDirs(base = tmpdir()): Promise<string[]> {
  const uid = currentUid();
  const removed: string[] = [];
  let names: string[];
  try {
    names = (await readdir(base)).filter((n) => PREFIXES.some((p) => n.startsWith(p)));
  } catch {
    return removed;
  }
  for (const name of names) {
    const dir = join(base, name);
    try {
      const st = await lstat(dir);
      if (!st.isDirectory()) continue;
      if (uid !== undefined && st.uid !== uid && !(uid === 0 && policyUid(st.uid))) continue;
      if (!ownerGone(name, st.mtimeMs)) continue;
      await rm(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch {
      // Raced with its owner or another sweeper: leave it.
    }
  }
  return removed;
}

/** A uid a root orch runs policies as (65534, or one leased from the range), whose run folders it may sweep. */
function policyUid(uid: number): boolean {
  const base = Number(rt.env("ORCH_UID_BASE") ?? DEFAULT_UID_BASE);
  return uid === NOBODY.uid || (uid >= base && uid < base + UID_SLOTS);
}

let sweep: Promise<unknown> | undefined;

/**
 * Sweeps once per process (when the first executor is made), in the background so it never delays
 * a run's start; the promise settles when it is done (a run awaits it before it returns).
 */
export function sweepOnce(): Promise<unknown> {
  sweep ??= sweepStaleRunDirs().catch(() => {});
  return sweep;
}
