/**
 * `orch run --session NAME`: each run is a new orch process, so a session's state lives in a snapshot
 * file under the cache (`sessions/NAME.state`). Before the run it is copied into the run folder, where
 * the bootstrap (templates/orch_session.py) restores it; after a run that ended on its own the new
 * snapshot replaces it. An aborted or timed-out run leaves the old one as it was.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { errorText, PolicyError } from "../errors.ts";
import { rt } from "../runtime/mod.ts";
import { pidAlive } from "../runtime/pid.ts";
import type { RunRequest } from "./types.ts";

const IN_RUN = ".orch_session_state";

/**
 * The `ORCH_*` variables the bootstrap reads: session worker mode, the snapshot file, and the hyphen
 * fix switch (the seed's `DISABLE_HYPHEN_FIX=1` in orch's environment turns it off).
 */
export function bootstrapEnv(req: RunRequest, runDir: string): Record<string, string> {
  const off = /^(1|true|yes|on)$/i.test(rt.env("DISABLE_HYPHEN_FIX")?.trim() ?? "");
  return {
    ...req.env,
    ...(off ? { ORCH_HYPHEN_FIX: "0" } : {}),
    ...(req.worker ? { ORCH_SESSION_WORKER: "1" } : {}),
    ...(req.stateFile ? { ORCH_SESSION_STATE: join(runDir, IN_RUN) } : {}),
  };
}

/** Copies the session's snapshot (if any) into the run folder. */
export function restoreSnapshot(stateFile: string, runDir: string): void {
  if (existsSync(stateFile)) copyFileSync(stateFile, join(runDir, IN_RUN));
}

/**
 * After the run: a run that ended on its own (`ended`) replaces the snapshot with the one it wrote;
 * otherwise the snapshot stays as before the run, and the run's output says so.
 */
export function keepSnapshot(runDir: string, stateFile: string, ended: boolean, say: (text: string) => void): void {
  const out = join(runDir, `${IN_RUN}.out`);
  if (!ended) {
    say(`session state not saved: the run did not finish, so the session is as it was before it`);
    return;
  }
  try {
    if (!existsSync(out) || !statSync(out).isFile()) return;
    const tmp = `${stateFile}.${crypto.randomUUID()}.tmp`;
    copyFileSync(out, tmp);
    renameSync(tmp, stateFile);
  } catch (err) {
    say(`session state not saved: ${errorText(err)}`);
  } finally {
    rmSync(out, { force: true });
  }
}

/** Snapshots unused this long are dropped (a person may come back to a session the next day). */
export const SNAPSHOT_IDLE_S = 7 * 24 * 3600;

/**
 * The snapshot file of session `name` under `cacheDir`, locked for this process until `release()`.
 * An expired snapshot is removed (`expired` says so); a session another live orch holds is refused.
 */
export function openSnapshot(
  cacheDir: string,
  name: string,
): { stateFile: string; expired: boolean; release: () => void } {
  const dir = join(cacheDir, "sessions");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stateFile = join(dir, `${name}.state`);
  const lock = `${stateFile}.lock`;
  for (let attempt = 0;; attempt++) {
    try {
      writeFileSync(lock, String(process.pid), { flag: "wx", mode: 0o600 });
      break;
    } catch (err) {
      if ((err as { code?: string }).code !== "EEXIST" || attempt > 0) throw err;
      const holder = Number(readFileSync(lock, "utf8"));
      if (holder > 0 && pidAlive(holder)) {
        throw new PolicyError(`session ${JSON.stringify(name)} is in use by another orch run (pid ${holder})`);
      }
      rmSync(lock, { force: true }); // its orch is gone
    }
  }
  let expired = false;
  try {
    if (Date.now() - statSync(stateFile).mtimeMs > SNAPSHOT_IDLE_S * 1000) {
      rmSync(stateFile, { force: true });
      expired = true;
    }
  } catch {
    // No snapshot yet.
  }
  return { stateFile, expired, release: () => rmSync(lock, { force: true }) };
}
