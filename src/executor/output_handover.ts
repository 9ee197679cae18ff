/**
 * The MCP client's output folder for a policy that runs as another user (a root orch runs policies
 * as uid 65534): the client made it 0755 and owns it, so the policy could not write there. The
 * policy instead gets a private folder of its own mounted at the same path, and after the run orch
 * copies what it wrote into the real folder, owned by the folder's owner so the client can read,
 * change and delete it. The policy never gets write access to the client's folder itself, and the
 * copy never follows a link: regular files and folders only, written beside their target and then
 * renamed over it (a symlink planted at the target is replaced, never written through).
 */
import {
  chmodSync,
  chownSync,
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmdirSync,
  rmSync,
  type Stats,
  unlinkSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { errorText } from "../errors.ts";

/** A private folder the policy writes into instead of `dest`. */
export interface Staging {
  dir: string;
  dest: string;
}

/** Makes the staging folder for `dest`, owned by the policy's uid. */
export function makeStaging(dest: string, owner: { uid: number; gid: number }): Staging {
  const dir = mkdtempSync(join(tmpdir(), "orch-out-"));
  chownSync(dir, owner.uid, owner.gid);
  chmodSync(dir, 0o700);
  return { dir, dest };
}

/** What the hand-over copied, and what it left out with why. */
export interface HandOver {
  files: number;
  skipped: string[];
}

/**
 * Copies the staging folder into its destination (owned by the destination's owner), then removes it.
 * Never throws: what could not be copied or removed is in `skipped`.
 */
export function handOver(staging: Staging): HandOver {
  const out: HandOver = { files: 0, skipped: [] };
  let from: number | undefined;
  let to: number | undefined;
  try {
    from = openSync(staging.dir, FOLDER);
    // The client's own folder may be reached through a link of its own (its path is the client's word).
    to = openSync(staging.dest, constants.O_RDONLY | constants.O_DIRECTORY);
    const owner = fstatSync(to);
    copyTree(from, to, "", { uid: owner.uid, gid: owner.gid }, out);
  } catch (err) {
    out.skipped.push(`everything: ${errorText(err)}`);
  } finally {
    if (to !== undefined) closeSync(to);
    try {
      if (from !== undefined) removeTree(from);
      rmdirSync(staging.dir);
    } catch (err) {
      out.skipped.push(`removing ${staging.dir}: ${errorText(err)}`);
    } finally {
      if (from !== undefined) closeSync(from);
    }
  }
  return out;
}

const FOLDER = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

/** A path inside the folder open as `fd`: the kernel resolves /proc/self/fd/N to that very folder, links never. */
function at(fd: number, name: string): string {
  return `/proc/self/fd/${fd}/${name}`;
}

/** The entry `name` of the folder `fd`, opened without following a link, and checked to be what lstat saw. */
function openChecked(fd: number, name: string, flags: number, seen: { dev: number; ino: number }): number {
  const opened = openSync(at(fd, name), flags | constants.O_NOFOLLOW);
  const st = fstatSync(opened);
  if (st.dev !== seen.dev || st.ino !== seen.ino) {
    closeSync(opened);
    throw new Error("it changed while it was being copied");
  }
  return opened;
}

/**
 * Copies the folder open as `from` into the folder open as `to`. Every step goes through an open
 * folder's descriptor and opens its last component with O_NOFOLLOW, so swapping any folder on the
 * way for a link (at any depth, at any moment) makes that entry fail, never leads outside.
 */
function copyTree(from: number, to: number, rel: string, owner: { uid: number; gid: number }, out: HandOver): void {
  for (const name of readdirSync(at(from, ""))) {
    const shown = rel ? `${rel}/${name}` : name;
    try {
      const st = lstatSync(at(from, name));
      let target: Stats | undefined;
      try {
        target = lstatSync(at(to, name));
      } catch {
        target = undefined;
      }
      if (st.isDirectory()) {
        if (target && !target.isDirectory()) {
          out.skipped.push(`${shown}/ (the output folder has a non-folder there)`);
          continue;
        }
        if (!target) {
          mkdirSync(at(to, name), { mode: 0o755 });
          target = lstatSync(at(to, name));
        }
        const sub = openChecked(from, name, FOLDER, st);
        try {
          const dst = openChecked(to, name, FOLDER, target);
          try {
            if (!target.isDirectory() || fstatSync(dst).uid !== owner.uid) fchownSync(dst, owner.uid, owner.gid);
            copyTree(sub, dst, shown, owner, out);
          } finally {
            closeSync(dst);
          }
        } finally {
          closeSync(sub);
        }
      } else if (st.isFile()) {
        if (target?.isDirectory()) {
          out.skipped.push(`${shown} (the output folder has a folder there)`);
          continue;
        }
        copyFile(from, to, name, st, owner);
        out.files++;
      } else {
        out.skipped.push(`${shown} (${st.isSymbolicLink() ? "a symbolic link" : "not a regular file"})`);
      }
    } catch (err) {
      out.skipped.push(`${shown} (${errorText(err)})`);
    }
  }
}

function copyFile(
  from: number,
  to: number,
  name: string,
  seen: Stats,
  owner: { uid: number; gid: number },
): void {
  const tmp = `${name}.orch-${crypto.randomUUID().slice(0, 8)}`;
  const input = openChecked(from, name, constants.O_RDONLY | constants.O_NONBLOCK, seen);
  let output: number | undefined;
  try {
    output = openSync(
      at(to, tmp),
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o600,
    );
    const buf = new Uint8Array(1 << 20);
    for (;;) {
      const n = readSync(input, buf, 0, buf.length, null);
      if (n === 0) break;
      let off = 0;
      while (off < n) off += writeSync(output, buf, off, n - off);
    }
    fchownSync(output, owner.uid, owner.gid);
    // The policy's mode bits, readable by the owner, never set-id.
    fchmodSync(output, (seen.mode | 0o600) & 0o777);
    closeSync(output);
    output = undefined;
    renameSync(at(to, tmp), at(to, name));
  } catch (err) {
    if (output !== undefined) closeSync(output);
    rmSync(at(to, tmp), { force: true });
    throw err;
  } finally {
    closeSync(input);
  }
}

/** Empties the folder open as `fd` the same way: a link is removed, never followed. */
function removeTree(fd: number): void {
  for (const name of readdirSync(at(fd, ""))) {
    const st = lstatSync(at(fd, name));
    if (st.isDirectory()) {
      const sub = openChecked(fd, name, FOLDER, st);
      try {
        removeTree(sub);
      } finally {
        closeSync(sub);
      }
      rmdirSync(at(fd, name));
    } else unlinkSync(at(fd, name));
  }
}
