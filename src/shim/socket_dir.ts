/**
 * Private directories for the IPC Unix socket: `orch-<uid>-<random>/ipc.sock` under
 * `$XDG_RUNTIME_DIR` or the temp dir, mode 0700, with a `pid` file so a later orch can remove the
 * directories of orch processes that were killed before they could clean up.
 */
import { chmodSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import process from "node:process";
import { currentUid } from "../contain/proc.ts";
import { pidAlive } from "../runtime/pid.ts";

export interface SocketDir {
  /** The private directory; remove it with removeSocketDir(). */
  dir: string;
  /** Where to serve the IPC socket, inside `dir`. */
  socketPath: string;
}

export interface SocketDirOptions {
  /** Parent directory; default `$XDG_RUNTIME_DIR`, else the OS temp dir. */
  base?: string;
}

// sun_path holds 108 bytes on Linux (104 on macOS) including the final NUL.
const MAX_SOCKET_PATH = 103;
// A directory without a readable pid file is another orch's only while it is being created.
const UNCLAIMED_GRACE_MS = 60_000;
const SOCKET_NAME = "ipc.sock";
const PID_FILE = "pid";

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function prefix(): string {
  return `orch-${currentUid() ?? "user"}-`;
}

function defaultBase(): string {
  const runtimeDir = process.env.XDG_RUNTIME_DIR;
  return runtimeDir && isDir(runtimeDir) ? runtimeDir : tmpdir();
}

/** Creates a fresh private socket directory, first removing stale ones left in the same parent. */
export function createSocketDir(opts: SocketDirOptions = {}): SocketDir {
  let base = (opts.base ?? defaultBase()).replace(/\/+$/, "") || "/";
  // mkdtemp appends six characters.
  const planned = `${base}/${prefix()}XXXXXX/${SOCKET_NAME}`;
  if (new TextEncoder().encode(planned).length > MAX_SOCKET_PATH) base = "/tmp";
  cleanStaleSocketDirs(base);
  const dir = mkdtempSync(`${base}/${prefix()}`);
  chmodSync(dir, 0o700);
  writeFileSync(`${dir}/${PID_FILE}`, String(process.pid), { mode: 0o600 });
  return { dir, socketPath: `${dir}/${SOCKET_NAME}` };
}

/** Removes a socket directory and everything in it. Idempotent; refuses paths that are not orch's. */
export function removeSocketDir(target: SocketDir | string): void {
  const dir = typeof target === "string" ? target : target.dir;
  const name = dir.slice(dir.lastIndexOf("/") + 1);
  if (!name.startsWith("orch-")) throw new Error(`Refusing to remove ${dir}: not an orch socket directory`);
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Removes this user's socket directories under `base` whose recorded orch process is gone.
 * Never follows symlinks and never touches another user's directory; returns what it removed.
 */
export function cleanStaleSocketDirs(base: string): string[] {
  const uid = currentUid();
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(base);
  } catch {
    return removed;
  }
  const mine = prefix();
  for (const name of names) {
    if (!name.startsWith(mine)) continue;
    const dir = `${base}/${name}`;
    try {
      const st = lstatSync(dir);
      if (!st.isDirectory() || (uid !== undefined && st.uid !== uid)) continue;
      if (!isStale(dir, st.mtimeMs)) continue;
      rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch {
      // Raced with its owner or another cleaner: leave it.
    }
  }
  return removed;
}

function isStale(dir: string, mtimeMs: number): boolean {
  let text: string;
  try {
    text = readFileSync(`${dir}/${PID_FILE}`, "utf8");
  } catch {
    return Date.now() - mtimeMs > UNCLAIMED_GRACE_MS;
  }
  const pid = Number(text.trim());
  if (!Number.isSafeInteger(pid) || pid <= 0) return Date.now() - mtimeMs > UNCLAIMED_GRACE_MS;
  return !pidAlive(pid);
}
