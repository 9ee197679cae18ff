/**
 * What the configured Python really is: its executable (past pyenv shims and venv links), version,
 * prefixes and import path. The sandbox binds these back when they sit under a hidden folder such
 * as $HOME, and `orch doctor` shows them.
 */
import { realpathSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { errorText } from "../errors.ts";
import { rt } from "../runtime/mod.ts";
import { mtimeOf, readProbe, writeProbe } from "./probe_cache.ts";
import { which } from "./sandbox.ts";

export interface PythonInfo {
  executable: string;
  /** `3.11.7` */
  version: string;
  /** [major, minor] */
  versionInfo: [number, number];
  /** sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, without duplicates. */
  prefixes: string[];
  /** sys.path entries that exist as absolute paths. */
  path: string[];
}

const SCRIPT = [
  "import json, os, sys",
  "print(json.dumps({'executable': os.path.realpath(sys.executable), 'version': sys.version.split()[0],",
  " 'info': list(sys.version_info[:2]),",
  " 'prefixes': [sys.prefix, sys.base_prefix, sys.exec_prefix, getattr(sys, 'base_exec_prefix', sys.exec_prefix)],",
  " 'path': [p for p in sys.path if os.path.isabs(p) and os.path.exists(p)]}))",
].join("\n");

const cache = new Map<string, Promise<PythonInfo>>();

/**
 * Runs `python` once (per interpreter, PATH and PYTHONPATH) and reports what it is; throws with
 * the reason. With `cacheDir`, the answer is also kept on disk for this boot (see diskKey).
 */
export function probePython(
  python: string,
  env: Record<string, string>,
  cwd?: string,
  cacheDir?: string,
): Promise<PythonInfo> {
  const key = JSON.stringify([python, env.PATH, env.PYTHONPATH, env.PYTHONHOME, cwd]);
  let found = cache.get(key);
  if (!found) {
    const disk = cacheDir === undefined ? undefined : diskKey(python, env, cwd);
    const kept = disk && readProbe<PythonInfo & { mtime: number }>(cacheDir, "python", disk);
    if (kept && mtimeOf(kept.executable) === kept.mtime) {
      const { mtime: _, ...info } = kept;
      found = Promise.resolve(info);
    } else {
      found = run(python, env, cwd).then((info) => {
        if (disk) writeProbe(cacheDir, "python", disk, { ...info, mtime: mtimeOf(info.executable) });
        return info;
      });
    }
    cache.set(key, found);
    found.catch(() => cache.delete(key));
  }
  return found;
}

/**
 * What the probe's answer depends on: the command as resolved on PATH (past symlinks) and its
 * mtime, the Python variables, and for a version-manager shim (pyenv, asdf: a `shims` folder) the
 * files that pick the version from the working folder up.
 */
function diskKey(python: string, env: Record<string, string>, cwd?: string): unknown[] {
  let resolved = which(python, env.PATH ?? "/usr/bin:/bin") ?? python;
  try {
    resolved = realpathSync(resolved);
  } catch {
    // Not found: the probe itself will say so.
  }
  const key: unknown[] = [python, resolved, mtimeOf(resolved), env.PATH, env.PYTHONPATH, env.PYTHONHOME, cwd];
  if (basename(dirname(resolved)) === "shims") {
    key.push(env.PYENV_VERSION, env.ASDF_PYTHON_VERSION);
    const home = rt.env("HOME"); // the policy's HOME is its run folder: pyenv's is orch's
    const root = env.PYENV_ROOT ?? rt.env("PYENV_ROOT") ?? (home ? join(home, ".pyenv") : undefined);
    if (root) key.push(mtimeOf(join(root, "version")));
    for (let dir = cwd ?? "/";; dir = dirname(dir)) {
      key.push(mtimeOf(join(dir, ".python-version")), mtimeOf(join(dir, ".tool-versions")));
      if (dir === dirname(dir)) break;
    }
  }
  return key;
}

async function run(python: string, env: Record<string, string>, cwd?: string): Promise<PythonInfo> {
  let child;
  try {
    child = rt.spawn({ cmd: python, args: ["-c", SCRIPT], env, cwd, stdout: "pipe", stderr: "pipe" });
  } catch (err) {
    throw new Error(`cannot start ${python}: ${errorText(err)}`);
  }
  const [out, err, status] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  if (status.code !== 0) {
    const why = err.trim().split("\n").pop() || `exit status ${status.code ?? status.signal}`;
    throw new Error(`${python} failed: ${why}`);
  }
  try {
    const doc = JSON.parse(out) as {
      executable: string;
      version: string;
      info: [number, number];
      prefixes: string[];
      path: string[];
    };
    return {
      executable: doc.executable,
      version: doc.version,
      versionInfo: doc.info,
      prefixes: [...new Set(doc.prefixes)],
      path: doc.path,
    };
  } catch {
    throw new Error(`${python} printed something unexpected: ${out.slice(0, 200)}`);
  }
}
