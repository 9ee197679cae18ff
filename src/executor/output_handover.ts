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
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmSync,
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

/** Copies the staging folder into its destination (owned by the destination's owner), then removes it. */
export function handOver(staging: Staging): HandOver {
  const out: HandOver = { files: 0, skipped: [] };
  try {
    const owner = lstatSync(staging.dest);
    copyTree(staging.dir, staging.dest, "", { uid: owner.uid, gid: owner.gid }, out);
  } catch (err) {
    out.skipped.push(`everything: ${errorText(err)}`);
  } finally {
    rmSync(staging.dir, { recursive: true, force: true });
  }
  return out;
}

function copyTree(from: string, to: string, rel: string, owner: { uid: number; gid: number }, out: HandOver): void {
  for (const name of readdirSync(from)) {
    const src = join(from, name);
    const dst = join(to, name);
    const shown = rel ? `${rel}/${name}` : name;
    const st = lstatSync(src);
    let target: ReturnType<typeof lstatSync> | undefined;
    try {
      target = lstatSync(dst);
    } catch {
      target = undefined;
    }
    try {
      if (st.isDirectory()) {
        if (target && !target.isDirectory()) {
          out.skipped.push(`${shown}/ (the output folder has a non-folder there)`);
          continue;
        }
        if (!target) {
          mkdirSync(dst, { mode: 0o755 });
          chownSync(dst, owner.uid, owner.gid);
        }
        copyTree(src, dst, shown, owner, out);
      } else if (st.isFile()) {
        if (target?.isDirectory()) {
          out.skipped.push(`${shown} (the output folder has a folder there)`);
          continue;
        }
        copyFile(src, dst, st.mode & 0o777, owner);
        out.files++;
      } else {
        out.skipped.push(`${shown} (${st.isSymbolicLink() ? "a symbolic link" : "not a regular file"})`);
      }
    } catch (err) {
      out.skipped.push(`${shown} (${errorText(err)})`);
    }
  }
}

function copyFile(src: string, dst: string, mode: number, owner: { uid: number; gid: number }): void {
  const tmp = `${dst}.orch-${crypto.randomUUID().slice(0, 8)}`;
  const input = openSync(src, constants.O_RDONLY | constants.O_NOFOLLOW);
  let output: number | undefined;
  try {
    output = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    const buf = new Uint8Array(1 << 20);
    for (;;) {
      const n = readSync(input, buf, 0, buf.length, null);
      if (n === 0) break;
      let off = 0;
      while (off < n) off += writeSync(output, buf, off, n - off);
    }
    fchownSync(output, owner.uid, owner.gid);
    // The policy's mode bits, readable by the owner, never set-id.
    fchmodSync(output, (mode | 0o600) & 0o777);
    closeSync(output);
    output = undefined;
    renameSync(tmp, dst);
  } catch (err) {
    if (output !== undefined) closeSync(output);
    rmSync(tmp, { force: true });
    throw err;
  } finally {
    closeSync(input);
  }
}
