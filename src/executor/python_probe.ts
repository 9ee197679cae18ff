/**
 * What the configured Python really is: its executable (past pyenv shims and venv links), version,
 * prefixes and import path. The sandbox binds these back when they sit under a hidden folder such
 * as $HOME, and `orch doctor` shows them.
 */
import { errorText } from "../errors.ts";
import { rt } from "../runtime/mod.ts";

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

/** Runs `python` once (per interpreter, PATH and PYTHONPATH) and reports what it is; throws with the reason. */
export function probePython(python: string, env: Record<string, string>, cwd?: string): Promise<PythonInfo> {
  const key = JSON.stringify([python, env.PATH, env.PYTHONPATH, env.PYTHONHOME, cwd]);
  let found = cache.get(key);
  if (!found) {
    found = run(python, env, cwd);
    cache.set(key, found);
    found.catch(() => cache.delete(key));
  }
  return found;
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
