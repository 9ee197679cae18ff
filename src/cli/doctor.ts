/** `orch doctor`: checks python3, the sandbox, the process limit and every server, and says what is wrong. */
import { parseArgs } from "node:util";
import { probeMemoryCgroup, probePidsCgroup } from "../contain/cgroup.ts";
import { describeLimits, resolveLimits } from "../executor/limits.ts";
import { policyEnv } from "../executor/policy_env.ts";
import { currentUid } from "../contain/proc.ts";
import { DEFAULT_UID_BASE } from "../executor/uid_pool.ts";
import { probePython } from "../contain/python_probe.ts";
import { probeSandbox } from "../contain/sandbox.ts";
import { errorText } from "../errors.ts";
import { rt } from "../runtime/mod.ts";
import { Session } from "../session.ts";
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
  const checks: Check[] = [];
  let config;
  try {
    config = openConfig(values.config);
    checks.push({ name: "config", ok: true, text: config.path });
    for (const w of config.warnings) checks.push({ name: "config", ok: true, warning: true, text: w });
  } catch (err) {
    checks.push({ name: "config", ok: false, text: errorText(err) });
  }
  const orch = config?.orchestrator;
  const python = orch?.python ?? "python3";

  const env = policyEnv({ parent: rt.envObject(), passNames: orch?.env ?? [], runDir: "/", outputDir: "/", orch: {} });
  try {
    const info = await probePython(python, env);
    const [major, minor] = info.versionInfo;
    const old = major < 3 || (major === 3 && minor < 8);
    checks.push({
      name: "python",
      ok: !old,
      text: `${python} is ${info.executable}, Python ${info.version}${
        old ? ": policies need Python 3.8 or newer" : ""
      }`,
    });
  } catch (err) {
    checks.push({ name: "python", ok: false, text: `${errorText(err)}: policies cannot run` });
  }

  const mode = orch?.sandbox ?? "auto";
  const sandbox = await probeSandbox();
  if (mode === "none") {
    checks.push({
      name: "sandbox",
      ok: true,
      warning: true,
      text: `off in the config (sandbox: "none"): policies run with resource limits only`,
    });
  } else if (sandbox.available) {
    const who = sandbox.dropTo ? `; orch is root, so policies run as uid ${sandbox.dropTo.uid}` : "";
    const note = sandbox.reason ? `; ${sandbox.reason}` : "";
    checks.push({
      name: "sandbox",
      ok: true,
      warning: sandbox.reason !== undefined,
      text: `bubblewrap ${sandbox.version ?? ""} works (${sandbox.bwrap}): no network, read-only root, ` +
        `private /tmp, $HOME hidden${who}${note}`,
    });
  } else {
    checks.push({
      name: "sandbox",
      ok: mode !== "bwrap",
      warning: true,
      text: mode === "bwrap"
        ? `the config requires bubblewrap, but ${sandbox.reason}: no policy can run`
        : `not available: ${sandbox.reason}; policies run with resource limits only`,
    });
  }

  const cgroup = await probePidsCgroup();
  const uid = currentUid();
  const sandboxed = mode !== "none" && sandbox.available;
  if (cgroup.available) {
    checks.push({ name: "processes", ok: true, text: `bounded by a pids cgroup per run (under ${cgroup.parent})` });
  } else if (uid !== 0 || (sandboxed && sandbox.dropTo)) {
    const who = uid === 0
      ? `a uid of their own per run (from ${DEFAULT_UID_BASE}), else ${sandbox.dropTo!.uid}`
      : `uid ${uid}`;
    const shared = uid !== 0 && !sandboxed ? "; concurrent runs share it (no pids cgroup, no sandbox)" : "";
    checks.push({ name: "processes", ok: true, text: `bounded by RLIMIT_NPROC (policies run as ${who})${shared}` });
  } else {
    checks.push({
      name: "processes",
      ok: true,
      warning: true,
      text: `NOT bounded: orch runs as root without a sandbox that changes uid, and no pids cgroup (${cgroup.reason})`,
    });
  }
  const memory = await probeMemoryCgroup();
  checks.push(
    memory.available
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
      },
  );
  checks.push({
    name: "orch's children",
    ok: true,
    text: "servers and policies die with orch, even on SIGKILL (a watchdog holds their process groups)",
  });
  if (orch) checks.push({ name: "limits", ok: true, text: describeLimits(resolveLimits(orch.limits).limits) });

  if (config) {
    await withContext(values.config, async (ctx) => {
      const session = new Session({ config: ctx.config, source: ctx.source, cacheDir: ctx.cacheDir });
      const catalog = await session.catalog({ refresh: true });
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
      await session.host.close();
    });
  }

  const problems = checks.filter((c) => !c.ok);
  if (values.json) {
    await rt.write(1, JSON.stringify({ ok: problems.length === 0, checks }, null, 2) + "\n");
  } else {
    const width = Math.max(...checks.map((c) => c.name.length));
    const lines = checks.map((c) =>
      `${c.ok ? (c.warning ? "warn" : "ok  ") : "FAIL"}  ${c.name.padEnd(width)}  ${c.text}`
    );
    const verdict = problems.length === 0
      ? "orch doctor: no problems found"
      : `orch doctor: ${problems.length} problem${problems.length === 1 ? "" : "s"}: ${
        problems.map((p) => p.name).join(", ")
      }`;
    await rt.write(1, lines.join("\n") + "\n" + verdict + "\n");
  }
  return problems.length === 0 ? 0 : 1;
}
