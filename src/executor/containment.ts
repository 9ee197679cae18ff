/**
 * Turns a run's paths and limits into the command that starts the policy: inside bubblewrap when
 * the config allows and it works here, behind a pids cgroup when orch can make one, with the
 * rlimits the bootstrap applies before the policy's first line.
 */
import { chmodSync, chownSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { tmpdir } from "node:os";
import type { Orchestrator } from "../config/schema.ts";
import { errorText } from "../errors.ts";
import { rt } from "../runtime/mod.ts";
import { type CgroupPlace, type Controller, probeCgroups, RunCgroup } from "../contain/cgroup.ts";
import { makeStaging, type Staging } from "./output_handover.ts";
import { type Limits, rlimitSpec } from "./limits.ts";
import { policyEnv } from "./policy_env.ts";
import { currentUid, tasksOfUid } from "../contain/proc.ts";
import { probePython } from "../contain/python_probe.ts";
import { leaseUid, type UidLease } from "./uid_pool.ts";
import {
  HIDDEN_ROOTS,
  isUnder,
  probeSandbox,
  sandboxArgv,
  type SandboxMode,
  type SandboxSupport,
} from "../contain/sandbox.ts";

/** Where the API folder and the IPC socket appear inside the sandbox. */
export const INSIDE_API = "/run/orch/api";
export const INSIDE_SOCKET = "/run/orch/ipc.sock";
/** bwrap (outside and as the namespace's init) and the cgroup's shell, on top of the policy's own processes. */
const WRAPPER_TASKS = 4;

export type ProcessLimit = "cgroup" | "rlimit" | "none";
/** What bounds the run's memory as a whole: a memory cgroup, or only per-process limits (RLIMIT_AS, tmpfs sizes). */
export type MemoryLimit = "cgroup" | "rlimit";

export interface ContainInput {
  mode: SandboxMode;
  python: string;
  /** The policy's environment; a copy is returned with the run's additions. */
  env: Record<string, string>;
  apiDir: string;
  bootstrap: string;
  policyPath: string;
  /** The policy's source (a root orch hands uid 65534 a copy, as it may not read the original). */
  code: string;
  args: readonly string[];
  runDir: string;
  outputDir: string;
  /** True when orch made the output folder for this run (it may then change its owner). */
  ownOutputDir: boolean;
  cwd: string;
  socketPath?: string;
  cacheDir: string;
  limits: Limits;
  runId: string;
}

export interface Contained {
  argv: string[];
  env: Record<string, string>;
  /** Working directory to spawn in (outside the sandbox). */
  cwd: string;
  sandbox: "bwrap" | "none";
  /** Why there is no sandbox, or what it cannot do here. */
  note?: string;
  /** Who the policy runs as, when orch changed it. */
  user?: string;
  processLimit: ProcessLimit;
  memoryLimit: MemoryLimit;
  cgroup?: RunCgroup;
  /** The uid leased for this run (root orch without a pids cgroup); give it back when the run ends. */
  lease?: UidLease;
  /** The policy writes the client's output folder through this private copy; hand it over after the run. */
  staging?: Staging;
}

/**
 * Starts the once-per-process probes (bubblewrap, pids cgroup, the Python interpreter) so they
 * overlap with tool discovery instead of delaying the first run.
 */
export function prewarmContainment(orch: Orchestrator, cwd: string, cacheDir?: string): void {
  void probeCgroups();
  if (orch.sandbox === "none") return;
  void probeSandbox(cacheDir);
  const env = policyEnv({ parent: rt.envObject(), passNames: orch.env, runDir: "/", outputDir: "/", orch: {} });
  probePython(orch.python, env, cwd, cacheDir).catch(() => {});
}

/** The run cannot start as the config demands (e.g. `sandbox: "bwrap"` where bubblewrap does not work). */
export class ContainmentError extends Error {}

/** Builds the run's command; throws ContainmentError when the config's sandbox demand cannot be met. */
export async function contain(input: ContainInput): Promise<Contained> {
  const uid = currentUid();
  let sandbox: "bwrap" | "none" = "none";
  let note: string | undefined;
  let argv = [input.python, "-u", input.bootstrap, input.policyPath, ...input.args];
  let cwd = input.cwd;
  let user: string | undefined;
  let staging: Staging | undefined;
  const env = { ...input.env };
  let nprocBase: number | undefined = uid === undefined || uid === 0 ? undefined : tasksOfUid(uid);

  // The probes run once per orch process; start them together.
  const cgProbe = probeCgroups();
  const pythonProbe = input.mode === "none" ? undefined : probePython(input.python, env, input.cwd, input.cacheDir);
  pythonProbe?.catch(() => {});
  const cg = await cgProbe;
  let lease: UidLease | undefined;
  if (input.mode === "none") {
    note = `sandbox disabled in the config (sandbox: "none"): resource limits only`;
  } else {
    const support = await probeSandbox(input.cacheDir);
    let why = support.available ? undefined : support.reason ?? "bubblewrap is not available";
    if (!why && !input.socketPath) why = "the IPC shim is on TCP, which a sandbox without network cannot reach";
    if (why) {
      if (input.mode === "bwrap") throw new ContainmentError(`sandbox "bwrap" is required by the config, but ${why}`);
      note = `no sandbox (${why}): resource limits only`;
    } else {
      sandbox = "bwrap";
      note = support.reason;
      const python = await pythonProbe!.catch((err) => {
        throw new ContainmentError(`cannot inspect ${input.python}: ${errorText(err)}`);
      });
      // Without a pids cgroup, RLIMIT_NPROC is the process limit: a uid of its own keeps it per run.
      let drop = support;
      if (support.dropTo && !cg.pids.available) {
        lease = await leaseUid(input.runId);
        if (lease) drop = { ...support, dropTo: { ...support.dropTo, uid: lease.uid } };
      }
      const built = sandboxedCommand(input, drop, python.executable, [...python.prefixes, ...python.path]);
      argv = built.argv;
      user = built.user;
      staging = built.staging;
      nprocBase = built.nprocBase;
      env.ORCH_IPC_SOCKET = INSIDE_SOCKET;
      cwd = "/";
    }
  }

  let cgroup: RunCgroup | undefined;
  const places: Partial<Record<Controller, CgroupPlace>> = {};
  for (const c of ["pids", "memory"] as const) {
    if (cg[c].available) places[c] = { version: cg[c].version!, parent: cg[c].parent! };
  }
  if (places.pids || places.memory) {
    const made = RunCgroup.create(places, input.runId, {
      pids: input.limits.processes + WRAPPER_TASKS,
      memoryBytes: input.limits.memoryMb * 1024 * 1024,
    });
    if (typeof made !== "string") {
      cgroup = made;
      argv = made.wrap(argv);
    }
  }
  // RLIMIT_NPROC counts every task of the uid, so concurrent runs of one uid would share it: where
  // the run has its own pids cgroup, that alone bounds it.
  const pidsByCgroup = cgroup?.controllers.pids !== undefined;
  const nproc = pidsByCgroup || nprocBase === undefined ? undefined : nprocBase + input.limits.processes;
  env.ORCH_RLIMITS = rlimitSpec(input.limits, nproc);
  const processLimit: ProcessLimit = pidsByCgroup ? "cgroup" : nproc !== undefined ? "rlimit" : "none";
  const memoryLimit: MemoryLimit = cgroup?.controllers.memory !== undefined ? "cgroup" : "rlimit";
  return {
    argv,
    env,
    cwd,
    sandbox,
    note,
    user,
    processLimit,
    memoryLimit,
    cgroup,
    lease,
    ...(staging ? { staging } : {}),
  };
}

/** The bwrap command line for a run, and who the policy runs as (and its RLIMIT_NPROC base) inside. */
function sandboxedCommand(
  input: ContainInput,
  support: SandboxSupport,
  python: string,
  pythonPaths: string[],
): { argv: string[]; user?: string; nprocBase?: number; staging?: Staging } {
  const dropTo = support.dropTo;
  let staging: Staging | undefined;
  let source: string | undefined;
  let user: string | undefined;
  let nprocBase: number | undefined;
  if (dropTo) {
    // The policy runs as a real non-root uid: its run and output folders must be its own.
    chownSync(input.runDir, dropTo.uid, dropTo.gid);
    if (input.ownOutputDir) chownSync(input.outputDir, dropTo.uid, dropTo.gid);
    // The MCP client's folder is not the policy's to write: it writes a private one mounted there.
    else staging = makeStaging(input.outputDir, dropTo);
    // connect() needs write permission on the socket; outside, its 0700 folder still keeps others
    // out, and inside only this orch's sandboxes see it. The run token is what authorizes a call.
    chmodSync(input.socketPath!, 0o666);
    // uid 65534 may not be able to read the policy where it is: it gets a copy (named as the original).
    if (!isUnder(resolve(input.policyPath), input.runDir)) {
      source = join(input.runDir, ".orch_policy_source.py");
      writeFileSync(source, input.code, { mode: 0o644 });
    }
    user = `uid ${dropTo.uid}`;
    nprocBase = tasksOfUid(dropTo.uid);
  } else if (currentUid() !== 0) {
    // In bubblewrap's own user namespace RLIMIT_NPROC counts only this sandbox's tasks (bwrap's init and us).
    nprocBase = 2;
  }
  const hide = [rt.env("HOME"), tmpdir(), input.cacheDir, rt.env("XDG_RUNTIME_DIR")].flatMap((p) => p ? [p] : []);
  // The caller's folder stays the working folder when it can be shown read-only without showing a
  // hidden folder with it (it is not $HOME itself, for one); otherwise the run folder is.
  const hidden = [...HIDDEN_ROOTS, ...hide];
  const wantCwd = resolve(input.cwd);
  const visible = !hidden.some((h) => isUnder(wantCwd, h)) || !hidden.some((h) => isUnder(h, wantCwd));
  const cwd = visible ? wantCwd : input.runDir;
  const argv = sandboxArgv({
    bwrap: support.bwrap!,
    argv: [
      python,
      "-u",
      `${INSIDE_API}/orch_bootstrap.py`,
      ...(source ? ["--source", source] : []),
      input.policyPath,
      ...input.args,
    ],
    cwd,
    writable: staging ? [input.runDir] : [input.runDir, input.outputDir],
    readable: [input.policyPath, dirname(resolve(input.policyPath)), ...(visible ? [cwd] : []), ...pythonPaths],
    mounts: [
      { from: input.apiDir, to: INSIDE_API },
      { from: input.socketPath!, to: INSIDE_SOCKET },
      ...(staging ? [{ from: staging.dir, to: resolve(input.outputDir), writable: true }] : []),
    ],
    hide,
    dropTo,
    // /tmp and /dev/shm together hold at most the run's memory limit (they are memory).
    tmpfsBytes: Math.max(1, Math.floor(input.limits.memoryMb / 2)) * 1024 * 1024,
  });
  return { argv, user, nprocBase, staging };
}

/**
 * What the run's limits refused or killed, one sentence per limit hit, naming the limit.
 * `peakTasks`: most tasks the policy's process tree had at once (sampled; for RLIMIT_NPROC, which
 * keeps no count of refusals).
 */
export function limitsHit(contained: Contained | undefined, limits: Limits, peakTasks = 0): string[] {
  const out: string[] = [];
  if (contained?.processLimit === "rlimit" && peakTasks >= limits.processes) {
    out.push(
      `the policy reached its process limit (processes ${limits.processes}, RLIMIT_NPROC${
        contained.user ? ` of ${contained.user}` : ""
      }): further forks were refused`,
    );
  }
  const cgroup = contained?.cgroup;
  if (!cgroup) return out;
  const refused = cgroup.refusals();
  if (refused > 0) {
    out.push(`the policy hit its process limit (processes ${limits.processes}, pids cgroup): ${refused} forks refused`);
  }
  const killed = cgroup.oomKills();
  if (killed > 0) {
    out.push(
      `the policy hit its memory limit (memoryMb ${limits.memoryMb} for the whole run, memory cgroup): ` +
        `${killed} process${killed === 1 ? "" : "es"} killed`,
    );
  }
  return out;
}
