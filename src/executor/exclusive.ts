/**
 * Exclusive servers (`"exclusive": true`): at most one run at a time uses such a server, across
 * every orch process of the user. A run takes the server's lock at its first call and keeps it
 * until the run has ended (after its onAbort calls), so two policies never interleave motions.
 *
 * The lock is a file created with O_EXCL under orch's cache folder, holding the owner's pid, that
 * pid's start time and the run id. A lock whose process is gone (or whose pid now names another
 * process) is stale and is broken by the next run that wants it.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { startTimeOf } from "../contain/proc.ts";
import { pidAlive } from "../runtime/pid.ts";
import { delay } from "../runtime/delay.ts";

/** Who holds a lock. */
export interface LockHolder {
  pid: number;
  /** Start time of `pid` (clock ticks since boot), so a reused pid is not mistaken for the owner. */
  start?: string;
  runId: string;
  /** ISO time the lock was taken. */
  since: string;
}

/** The server is in use and the run asked not to wait. */
export class ExclusiveBusyError extends Error {
  constructor(readonly server: string, readonly holder: LockHolder | undefined) {
    super(`${server} is exclusive and in use by ${describeHolder(holder)}`);
  }
}

/** `run 1234abcd (pid 42, since 10:31:05)` */
export function describeHolder(h: LockHolder | undefined): string {
  if (!h) return "another run";
  const since = h.since.slice(11, 19);
  return `run ${h.runId.slice(0, 8)} (pid ${h.pid}${h.pid === process.pid ? ", this orch" : ""}, since ${since})`;
}

export interface AcquireOptions {
  /** Gives up (rejects with the signal's reason) when it aborts. */
  signal: AbortSignal;
  /** False: reject at once with ExclusiveBusyError instead of waiting. */
  wait: boolean;
  /** Called once, when the run starts waiting. */
  onWait?: (holder: LockHolder | undefined) => void;
}

const POLL_MS = 100;
const byDir = new Map<string, ExclusiveLocks>();

/** The exclusive-server locks kept under one folder; one instance per folder per process. */
export class ExclusiveLocks {
  /** server -> run id, for locks this process holds. */
  readonly #held = new Map<string, string>();

  private constructor(readonly dir: string) {}

  /** The shared instance for `dir`. */
  static for(dir: string): ExclusiveLocks {
    let locks = byDir.get(dir);
    if (!locks) {
      locks = new ExclusiveLocks(dir);
      byDir.set(dir, locks);
    }
    return locks;
  }

  /** The lock file of a server: a safe file name plus a hash of the exact name. */
  fileOf(server: string): string {
    const safe = server.replace(/[^A-Za-z0-9_.-]/g, "_").slice(0, 64);
    const hash = createHash("sha256").update(server).digest("hex").slice(0, 8);
    return join(this.dir, `${safe}-${hash}.lock`);
  }

  /** True when `runId` holds `server`'s lock. */
  holds(server: string, runId: string): boolean {
    return this.#held.get(server) === runId;
  }

  /** Who holds `server`'s lock now, if anyone. */
  holder(server: string): LockHolder | undefined {
    return readHolder(this.fileOf(server));
  }

  /** Takes `server`'s lock for `runId` (re-entrant), waiting while another run holds it. */
  async acquire(server: string, runId: string, opts: AcquireOptions): Promise<void> {
    const file = this.fileOf(server);
    let told = false;
    for (;;) {
      opts.signal.throwIfAborted();
      const mine = this.#held.get(server);
      if (mine === runId) return;
      let holder: LockHolder | undefined;
      if (mine === undefined) {
        const got = this.#tryCreate(file, runId);
        if (got === true) {
          this.#held.set(server, runId);
          return;
        }
        holder = got;
        // An unreadable lock is being written right now, unless it stays so (a crash mid-write).
        if (holder === undefined ? ageMs(file) > 2000 : this.#isStale(holder)) {
          breakStale(file, holder);
          continue;
        }
      } else {
        holder = readHolder(file) ?? { pid: process.pid, runId: mine, since: new Date().toISOString() };
      }
      if (!opts.wait) throw new ExclusiveBusyError(server, holder);
      if (!told) {
        told = true;
        opts.onWait?.(holder);
      }
      await delay(POLL_MS, opts.signal); // an abort ends the wait; the loop's first line throws it
    }
  }

  /** Gives back every lock `runId` holds. */
  releaseAll(runId: string): void {
    for (const [server, owner] of [...this.#held]) {
      if (owner !== runId) continue;
      this.#held.delete(server);
      const file = this.fileOf(server);
      if (readHolder(file)?.runId === runId) {
        try {
          unlinkSync(file);
        } catch {
          // Already removed (e.g. by hand).
        }
      }
    }
  }

  /** True when the lock file was created (we hold it); otherwise who holds it (undefined: unreadable). */
  #tryCreate(file: string, runId: string): true | LockHolder | undefined {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const me: LockHolder = {
      pid: process.pid,
      start: startTimeOf(process.pid),
      runId,
      since: new Date().toISOString(),
    };
    try {
      writeFileSync(file, JSON.stringify(me), { flag: "wx", mode: 0o600 });
      return true;
    } catch (err) {
      if ((err as { code?: string }).code !== "EEXIST") throw err;
    }
    return readHolder(file);
  }

  #isStale(h: LockHolder): boolean {
    // Ours but not in #held: left by a run of this process that no longer exists.
    if (h.pid === process.pid) return ![...this.#held.values()].includes(h.runId);
    if (!pidAlive(h.pid)) return true;
    const start = startTimeOf(h.pid);
    return h.start !== undefined && start !== undefined && start !== h.start;
  }
}

function ageMs(file: string): number {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function readHolder(file: string): LockHolder | undefined {
  try {
    const doc = JSON.parse(readFileSync(file, "utf8")) as LockHolder;
    return typeof doc.pid === "number" && typeof doc.runId === "string" ? doc : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Removes a stale lock. It is first renamed to a private name and checked, so two runs breaking
 * the same stale lock at once cannot remove a fresh lock one of them has just taken: a lock that
 * turns out not to be the stale one is put back.
 */
function breakStale(file: string, seen: LockHolder | undefined): void {
  const aside = `${file}.stale-${crypto.randomUUID()}`;
  try {
    renameSync(file, aside);
  } catch {
    return; // Someone else broke it first.
  }
  const moved = readHolder(aside);
  if (seen !== undefined && moved !== undefined && moved.runId !== seen.runId) {
    try {
      writeFileSync(file, JSON.stringify(moved), { flag: "wx", mode: 0o600 });
    } catch {
      // A third run took it meanwhile; the one we moved lost its file and will not be re-made.
    }
  }
  try {
    unlinkSync(aside);
  } catch {
    // Gone already.
  }
}
