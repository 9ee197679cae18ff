/** `orch doctor`: checks python3, the sandbox, the process limit and every server, and says what is wrong. */
import { parseArgs } from "node:util";
import { probeMemoryCgroup, probePidsCgroup } from "../contain/cgroup.ts";
import { describeLimits, resolveLimits } from "../executor/limits.ts";
import { policyEnv } from "../executor/policy_env.ts";
import { currentUid } from "../contain/proc.ts";
import { DEFAULT_UID_BASE } from "../executor/uid_pool.ts";
import { probePython } from "../contain/python_probe.ts";
import { probeSandbox, type SandboxSupport } from "../contain/sandbox.ts";
import { errorText } from "../errors.ts";
import { rt } from "../runtime/mod.ts";
import type { Config, Orchestrator } from "../config/schema.ts";
import { Engine } from "../engine.ts";
import { openConfig, withContext } from "./context.ts";

export const DOCTOR_HELP = `Usage: orch doctor [--config FILE] [--json]

Checks what policy runs need and says, in words, what is wrong:
the config file used, python3 and its version, whether the bubblewrap
sandbox works here (and why not), what bounds a run's processes, the
limits runs get, and whether each server starts and how many tools it has.

Options:
  -c, --config FILE  config file (default: see "orch help config")
      --json         machine-readable output
  -h, --help         this help

Exit status: 0 when all is well (warnings included), 1 when something is wrong.`;

interface Check {
  name: string;
  ok: boolean;
  /** A degraded but working state (e.g. no sandbox in "auto" mode). */
  warning?: boolean;
  text: string;
}

/** Runs `orch doctor`; returns the exit code. */
export async function doctorCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: "string", short: "c" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    await rt.write(1, DOCTOR_HELP + "\n");
    return 0;
  }
  const checks = await runChecks(values.config);
  await rt.write(1, values.json ? jsonReport(checks) : textReport(checks));
  return checks.every((c) => c.ok) ? 0 : 1;
}

/** Every check, in the order the report lists them; each probe runs once. */
async function runChecks(explicitConfig: string | undefined): Promise<Check[]> {
  const { config, checks } = configChecks(explicitConfig);
  const orch = config?.orchestrator;
  checks.push(await pythonCheck(orch));
  const mode = orch?.sandbox ?? "auto";
  const sandbox = await probeSandbox();
  checks.push(sandboxCheck(mode, sandbox));
  const sandboxed = mode !== "none" && sandbox.available;
  checks.push(await processesCheck(sandbox, sandboxed));
  checks.push(await memoryCheck(sandboxed));
  checks.push({
    name: "orch's children",
    ok: true,
    text: "servers and policies die with orch, even on SIGKILL (a watchdog holds their process groups)",
  });
  if (orch) checks.push({ name: "limits", ok: true, text: describeLimits(resolveLimits(orch.limits).limits) });
  if (config) checks.push(...await serverChecks(explicitConfig));
  return checks;
}

/** The config file used and its warnings; the config is undefined when it cannot be loaded. */
function configChecks(explicit: string | undefined): { config: Config | undefined; checks: Check[] } {
  try {
    const config = openConfig(explicit);
    return {
      config,
      checks: [
        { name: "config", ok: true, text: config.path },
        ...config.warnings.map((w) => ({ name: "config", ok: true, warning: true, text: w })),
      ],
    };
  } catch (err) {
    return { config: undefined, checks: [{ name: "config", ok: false, text: errorText(err) }] };
  }
}

/** The config's python (default python3), with the environment a policy gets, is Python 3.8 or newer. */
async function pythonCheck(orch: Orchestrator | undefined): Promise<Check> {
  const python = orch?.python ?? "python3";
  const env = policyEnv({ parent: rt.envObject(), passNames: orch?.env ?? [], runDir: "/", outputDir: "/", orch: {} });
  try {
    const info = await probePython(python, env);
    const [major, minor] = info.versionInfo;
    const old = major < 3 || (major === 3 && minor < 8);
    return {
      name: "python",
      ok: !old,
      text: `${python} is ${info.executable}, Python ${info.version}${
        old ? ": policies need Python 3.8 or newer" : ""
      }`,
    };
  } catch (err) {
    return { name: "python", ok: false, text: `${errorText(err)}: policies cannot run` };
  }
}

/** Whether the bubblewrap sandbox works here, against what the config's `sandbox` mode asks. */
function sandboxCheck(mode: Orchestrator["sandbox"], sandbox: SandboxSupport): Check {
  if (mode === "none") {
    return {
      name: "sandbox",
      ok: true,
      warning: true,
      text: `off in the config (sandbox: "none"): policies run with resource limits only`,
    };
  }
  if (sandbox.available) {
    const who = sandbox.dropTo ? `; orch is root, so policies run as uid ${sandbox.dropTo.uid}` : "";
    const note = sandbox.reason ? `; ${sandbox.reason}` : "";
    return {
      name: "sandbox",
      ok: true,
      warning: sandbox.reason !== undefined,
      text: `bubblewrap ${sandbox.version ?? ""} works (${sandbox.bwrap}): no network, read-only root, ` +
        `private /tmp, $HOME hidden${who}${note}`,
    };
  }
  return {
    name: "sandbox",
    ok: mode !== "bwrap",
    warning: true,
    text: mode === "bwrap"
      ? `the config requires bubblewrap, but ${sandbox.reason}: no policy can run`
      : `not available: ${sandbox.reason}; policies run with resource limits only`,
  };
}

/** What bounds a run's processes: a pids cgroup, else RLIMIT_NPROC under a uid of the policy's own, else nothing. */
async function processesCheck(sandbox: SandboxSupport, sandboxed: boolean): Promise<Check> {
  const cgroup = await probePidsCgroup();
  const uid = currentUid();
  if (cgroup.available) {
    return { name: "processes", ok: true, text: `bounded by a pids cgroup per run (under ${cgroup.parent})` };
  }
  if (uid !== 0 || (sandboxed && sandbox.dropTo)) {
    const who = uid === 0
      ? `a uid of their own per run (from ${DEFAULT_UID_BASE}), else ${sandbox.dropTo!.uid}`
      : `uid ${uid}`;
    const shared = uid !== 0 && !sandboxed ? "; concurrent runs share it (no pids cgroup, no sandbox)" : "";
    return { name: "processes", ok: true, text: `bounded by RLIMIT_NPROC (policies run as ${who})${shared}` };
  }
  return {
    name: "processes",
    ok: true,
    warning: true,
    text: `NOT bounded: orch runs as root without a sandbox that changes uid, and no pids cgroup (${cgroup.reason})`,
  };
}

/** What bounds a run's memory: a memory cgroup per run, else RLIMIT_AS per process (and what that misses). */
async function memoryCheck(sandboxed: boolean): Promise<Check> {
  const memory = await probeMemoryCgroup();
  return memory.available
    ? {
      name: "memory",
      ok: true,
      text: `bounded per run by a memory cgroup (under ${memory.parent}), memfd and shared memory included`,
    }
    : {
      name: "memory",
      ok: true,
      warning: true,
      text: `per process only (RLIMIT_AS; no memory cgroup: ${memory.reason}): memfd files and SysV shared memory ` +
        `are not counted (each memfd up to limits.fileSizeMb, openFiles of them)` +
        (sandboxed ? "; /tmp and /dev/shm in the sandbox hold half of memoryMb each" : ""),
    };
}

/** Starts every enabled server afresh: each one's tool count and start time, or why it failed or was skipped. */
async function serverChecks(explicitConfig: string | undefined): Promise<Check[]> {
  return await withContext(explicitConfig, async (ctx) => {
    const checks: Check[] = [];
    const engine = new Engine({ config: ctx.config, source: ctx.source, cacheDir: ctx.cacheDir });
    const catalog = await engine.catalog({ refresh: true });
    for (const s of catalog.servers) {
      const secs = (s.durationMs / 1000).toFixed(2);
      checks.push(
        s.status === "ok"
          ? { name: `server ${s.server}`, ok: true, text: `started, ${s.tools.length} tools (${secs} s)` }
          : { name: `server ${s.server}`, ok: false, text: `failed: ${s.error ?? "unknown error"}` },
      );
    }
    for (const s of ctx.config.skipped) {
      checks.push({ name: `server ${s.name}`, ok: true, warning: true, text: `skipped: ${s.reason}` });
    }
    if (catalog.servers.length === 0) checks.push({ name: "servers", ok: true, warning: true, text: "none enabled" });
    await engine.host.close();
    return checks;
  });
}

/** `--json`: the verdict and every check. */
function jsonReport(checks: Check[]): string {
  return JSON.stringify({ ok: checks.every((c) => c.ok), checks }, null, 2) + "\n";
}

/** One aligned line per check, then the verdict naming the failed ones. */
function textReport(checks: Check[]): string {
  const problems = checks.filter((c) => !c.ok);
  const width = Math.max(...checks.map((c) => c.name.length));
  const lines = checks.map((c) =>
    `${c.ok ? (c.warning ? "warn" : "ok  ") : "FAIL"}  ${c.name.padEnd(width)}  ${c.text}`
  );
  const verdict = problems.length === 0
    ? "orch doctor: no problems found"
    : `orch doctor: ${problems.length} problem${problems.length === 1 ? "" : "s"}: ${
      problems.map((p) => p.name).join(", ")
    }`;
  return lines.join("\n") + "\n" + verdict + "\n";
}
