/**
 * `orch check`'s engine: runs the bootstrap's `--check --json` mode (compile, hyphen fix when on, preflight; the
 * policy never runs) on a policy against an API folder, in bubblewrap where it works, as the policy itself would run.
 */
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { errorText, OrchError } from "../errors.ts";
import { probePython } from "../contain/python_probe.ts";
import { probeSandbox, sandboxArgv } from "../contain/sandbox.ts";
import { bootstrapEnv } from "../executor/snapshot.ts";
import { rt } from "../runtime/mod.ts";

/** One problem the preflight found. */
export interface PreflightProblem {
  file: string;
  line: number;
  col: number;
  call: string;
  message: string;
  kind: string;
}

export interface CheckOptions {
  python: string;
  /** The API folder (unified_api.py, orch_catalog.json, orch_bootstrap.py, orch_preflight.py). */
  apiDir: string;
  sandbox: "auto" | "bwrap" | "none";
  /** Folders the sandbox hides besides the defaults (orch's cache). */
  hide?: string[];
  timeoutMs?: number;
}

const INSIDE_API = "/run/orch/api";

async function commandFor(policy: string, opts: CheckOptions): Promise<string[]> {
  const bare = [opts.python, "-I", join(opts.apiDir, "orch_bootstrap.py"), "--check", "--json", policy];
  if (opts.sandbox === "none") return bare;
  const support = await probeSandbox();
  if (!support.available) {
    if (opts.sandbox === "bwrap") throw new OrchError(`sandbox "bwrap" is required but ${support.reason}`);
    return bare;
  }
  const env = { PATH: rt.env("PATH") ?? "/usr/bin:/bin" };
  const info = await probePython(opts.python, env);
  return sandboxArgv({
    bwrap: support.bwrap!,
    argv: [info.executable, "-I", `${INSIDE_API}/orch_bootstrap.py`, "--check", "--json", policy],
    cwd: "/",
    readable: [policy, ...info.prefixes, ...info.path],
    mounts: [{ from: opts.apiDir, to: INSIDE_API }],
    hide: [rt.env("HOME"), tmpdir(), ...(opts.hide ?? [])].flatMap((p) => p ? [p] : []),
  });
}

/** The problems of the policy file `path` (none: it may run). Throws an OrchError when the check cannot run. */
export async function checkPolicy(path: string, opts: CheckOptions): Promise<PreflightProblem[]> {
  const policy = resolve(path);
  const argv = await commandFor(policy, opts);
  const child = rt.spawn({
    cmd: argv[0]!,
    args: argv.slice(1),
    cwd: dirname(policy),
    // The hyphen fix applies as in a run (bootstrapEnv: the seed's DISABLE_HYPHEN_FIX=1 turns it off).
    env: {
      PATH: rt.env("PATH") ?? "/usr/bin:/bin",
      LANG: "C.UTF-8",
      ORCH_PREFLIGHT: "1",
      ...bootstrapEnv({ code: "" }, "/"),
    },
    stdout: "pipe",
    stderr: "pipe",
    newSession: true,
  });
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const timer = setTimeout(() => child.kill("SIGKILL", true), timeoutMs);
  const [stdout, stderr, status] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  clearTimeout(timer);
  let doc: { ok?: boolean; problems?: PreflightProblem[] };
  try {
    doc = JSON.parse(stdout);
  } catch (err) {
    const why = stderr.trim() || `exit ${status.code ?? status.signal}: ${errorText(err)}`;
    throw new OrchError(`cannot check "${path}": ${why}`);
  }
  // The bootstrap names the file as it was given to it: show the caller's spelling.
  return (doc.problems ?? []).map((p) => ({ ...p, file: path }));
}
