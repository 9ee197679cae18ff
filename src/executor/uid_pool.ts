/**
 * A uid of its own for each concurrent run of a root orch where no pids cgroup can be made:
 * RLIMIT_NPROC counts every task of a uid, so runs sharing uid 65534 would share one process
 * limit, and one run's fork bomb would starve the others. A run leases a uid from a range no
 * account uses (`ORCH_UID_BASE`, default 2000000000, 4096 of them), held by a lock file (pid, its
 * start time, run id) under /run/orch/uids, and gives it back when it ends; a lease of an orch
 * that died is broken by the next run that wants it.
 */
import { readFileSync } from "node:fs";
import { ExclusiveBusyError, ExclusiveLocks } from "./exclusive.ts";
import { tasksOfUid } from "../contain/proc.ts";
import { rt } from "../runtime/mod.ts";

export const DEFAULT_UID_BASE = 2_000_000_000;
export const UID_SLOTS = 4096;
const LOCK_DIR = "/run/orch/uids";

export interface UidLease {
  uid: number;
  release(): void;
}

/** Uids named in /etc/passwd (never leased, whatever the range). */
function accountUids(): Set<number> {
  try {
    return new Set(readFileSync("/etc/passwd", "utf8").split("\n").map((l) => Number(l.split(":")[2])));
  } catch {
    return new Set();
  }
}

/** Leases a free uid for `runId`; undefined when none is free (then the run shares uid 65534). */
export async function leaseUid(runId: string): Promise<UidLease | undefined> {
  const base = Number(rt.env("ORCH_UID_BASE") ?? DEFAULT_UID_BASE);
  if (!Number.isSafeInteger(base) || base <= 0 || base + UID_SLOTS > 4294967294) return undefined;
  const locks = ExclusiveLocks.for(LOCK_DIR);
  const taken = accountUids();
  const never = new AbortController().signal;
  for (let slot = 0; slot < UID_SLOTS; slot++) {
    const uid = base + slot;
    if (taken.has(uid)) continue;
    const key = `uid-${uid}`;
    try {
      await locks.acquire(key, runId, { signal: never, wait: false });
    } catch (err) {
      if (err instanceof ExclusiveBusyError) continue;
      return undefined; // The lock folder cannot be made (not root): no leases here.
    }
    // A process still running as this uid (a lease broken too early, or someone else's use).
    if ((tasksOfUid(uid) ?? 0) > 0) {
      locks.releaseAll(runId);
      continue;
    }
    return { uid, release: () => locks.releaseAll(runId) };
  }
  return undefined;
}
