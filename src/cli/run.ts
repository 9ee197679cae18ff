/** `orch run policy.py`: runs a policy from a shell with live output and the policy's exit code. */
import { readFileSync } from "node:fs";
import process from "node:process";
import { parseArgs } from "node:util";
import { UsageError } from "../errors.ts";
import { Engine } from "../engine.ts";
import { rt } from "../runtime/mod.ts";
import { prewarmContainment } from "../executor/containment.ts";
import { describeLimits, type LimitOverrides } from "../executor/limits.ts";
import { openSnapshot } from "../executor/snapshot.ts";
import { withContext } from "./context.ts";
import { ttyConfirm } from "./tty_confirm.ts";
import { callLines, resultJson } from "./runs.ts";

export const RUN_HELP = `Usage: orch run [options] POLICY.py [-- ARGS...]
       orch run [options] -            (policy on stdin)

Runs a Python policy that calls MCP tools as server__tool(...) functions.
Servers start when the policy first calls them. The policy runs in a
bubblewrap sandbox where one works ("orch doctor" says), under resource
limits always. Exit status is the policy's; 124 on timeout, 130 when
interrupted (Ctrl-C: further calls are refused, the config's onAbort calls
go out, the policy gets KeyboardInterrupt, and everything it started is
killed 2 s later).

Options:
  -c, --config FILE      config file (default: see "orch help config")
  -t, --timeout SECS     wall-clock limit (default 3600, or limits.timeout)
      --allow GLOB       only these tools, as server/tool globs (repeatable)
      --max-calls N      at most N tool calls (default: limits.calls, or no limit)
      --memory-mb N      memory of the whole run (memory cgroup) and per process (default 2048)
      --cpu-seconds N    CPU time per policy process (default 3600)
      --file-size-mb N   largest file the policy may write (default 1024)
      --open-files N     open files per process (default 1024)
      --processes N      processes and threads at once (default 256)
      --output-bytes N   stdout/stderr kept in the result, head and tail (default 262144)
      --disk-mb N        files kept in the run and output folders together (default 1024)
      --log-mb N         the run's output.log is cut there (default 64)
  -y, --yes              approve calls of "confirm" tools without asking
      --no-wait          fail a call to an exclusive server in use instead of waiting
      --session NAME     keep the policy's variables, functions and imports for the
                         next run with the same NAME (a snapshot in orch's cache;
                         what cannot be kept is named; an interrupted run keeps the
                         snapshot from before it)
      --refresh          re-discover tools instead of using the cache
      --no-preflight     skip the check of the policy against the tools before it starts
                         (config: orchestrator.preflight: false); see "orch check --help"
  -v, --verbose          say which config, catalog, sandbox and limits are used
  -q, --quiet            no line per tool call on a terminal's stderr
      --json             print the result as JSON on stdout (status, output,
                         error, calls, summary of every call); the policy's
                         stdout goes into it instead of to the terminal
  -h, --help             this help

Calls of tools listed under "confirm" in the config are put to you on the
terminal, one at a time; without a terminal they are denied unless --yes.`;

/** Limit flags: flag name -> RunRequest.limits key. */
const LIMIT_FLAGS = {
  "memory-mb": "memoryMb",
  "cpu-seconds": "cpuSeconds",
  "file-size-mb": "fileSizeMb",
  "open-files": "openFiles",
  "processes": "processes",
  "output-bytes": "outputBytes",
  "disk-mb": "diskMb",
  "log-mb": "logMb",
} as const;

function wholeNumber(flag: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) {
    throw new UsageError(`--${flag} must be a whole number >= ${min}, not "${text}"`);
  }
  return n;
}

/**
 * Writes chunks to one fd strictly in order. `write` returns the pending write, which the executor
 * awaits before reading more of the policy's output: a slow terminal or pipe slows the policy down
 * instead of piling its output up in orch's memory.
 */
function orderedWriter(fd: 1 | 2) {
  let chain = Promise.resolve();
  const write = (chunk: Uint8Array): Promise<void> => {
    chain = chain.then(() => rt.write(fd, chunk)).catch(() => {});
    return chain;
  };
  return { write, flush: () => chain };
}

/** Runs `orch run`; returns the exit code. */
export async function runCommand(argv: string[]): Promise<number> {
  const dashdash = argv.indexOf("--");
  const own = dashdash >= 0 ? argv.slice(0, dashdash) : argv;
  const extra = dashdash >= 0 ? argv.slice(dashdash + 1) : [];
  const { values, positionals } = parseArgs({
    args: own,
    allowPositionals: true,
    options: {
      config: { type: "string", short: "c" },
      timeout: { type: "string", short: "t" },
      allow: { type: "string", multiple: true },
      "max-calls": { type: "string" },
      "memory-mb": { type: "string" },
      "cpu-seconds": { type: "string" },
      "file-size-mb": { type: "string" },
      "open-files": { type: "string" },
      processes: { type: "string" },
      "output-bytes": { type: "string" },
      "disk-mb": { type: "string" },
      "log-mb": { type: "string" },
      yes: { type: "boolean", short: "y" },
      "no-wait": { type: "boolean" },
      session: { type: "string" },
      refresh: { type: "boolean" },
      "no-preflight": { type: "boolean" },
      verbose: { type: "boolean", short: "v" },
      quiet: { type: "boolean", short: "q" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    await rt.write(1, RUN_HELP + "\n");
    return 0;
  }
  const [file, ...rest] = positionals;
  if (!file) throw new UsageError(`run needs a policy file (or - for stdin); see "orch run --help"`);
  const args = [...rest, ...extra];
  let timeoutSec: number | undefined;
  if (values.timeout !== undefined) {
    timeoutSec = Number(values.timeout);
    if (!Number.isFinite(timeoutSec) || timeoutSec <= 0) {
      throw new UsageError(`--timeout must be a positive number of seconds, not "${values.timeout}"`);
    }
  }
  const limits: LimitOverrides = {};
  for (const [flag, key] of Object.entries(LIMIT_FLAGS)) {
    const n = wholeNumber(flag, values[flag as keyof typeof LIMIT_FLAGS], 1);
    if (n !== undefined) limits[key] = n;
  }
  const maxCalls = wholeNumber("max-calls", values["max-calls"], 0);
  const sessionName = values.session;
  if (sessionName !== undefined && !/^[A-Za-z0-9_.-]{1,128}$/.test(sessionName) || sessionName?.startsWith(".")) {
    throw new UsageError(
      `--session must be 1-128 letters, digits or _ . - (not starting with .), not "${sessionName}"`,
    );
  }
  let code: string;
  if (file === "-") {
    code = await new Response(rt.stdin()).text();
  } else {
    try {
      code = readFileSync(file, "utf8");
    } catch (err) {
      const e = err as { code?: string; message: string };
      throw new UsageError(
        `cannot read policy "${file}": ${e.code === "ENOENT" ? "no such file" : e.code ?? e.message}`,
      );
    }
  }

  return await withContext(values.config, async (ctx) => {
    const out = orderedWriter(1);
    const err = orderedWriter(2);
    const say = (s: string) => err.write(new TextEncoder().encode(`orch: ${s}\n`));
    prewarmContainment(ctx.config.orchestrator, process.cwd(), ctx.cacheDir);
    const engine = new Engine({ config: ctx.config, source: ctx.source, cacheDir: ctx.cacheDir });
    // Lazy: only the servers the policy (or its arguments) names are waited for now.
    const catalog = await engine.catalog({ refresh: values.refresh, policy: [code, ...args].join("\n") });
    for (const s of catalog.servers) {
      if (s.status === "failed") say(`warning: server ${s.server} failed: ${s.error}`);
    }
    const api = engine.api(catalog);
    for (const w of api.warnings) say(`warning: ${w}`);
    if (values.verbose) {
      say(`config ${ctx.config.path}`);
      say(`api ${api.dir}`);
    }
    const ac = new AbortController();
    let interrupts = 0;
    const onInterrupt = () => {
      interrupts++;
      if (interrupts === 1) ac.abort("interrupted (Ctrl-C)");
    };
    const snapshot = sessionName === undefined ? undefined : openSnapshot(ctx.cacheDir, sessionName);
    if (snapshot?.expired) say(`session ${sessionName} was unused for 7 days and was dropped; starting empty`);
    const approvals = ttyConfirm({ yes: values.yes });
    const offs = [
      rt.onSignal("SIGINT", onInterrupt),
      rt.onSignal("SIGTERM", () => ac.abort("terminated (SIGTERM)")),
      rt.onSignal("SIGHUP", () => ac.abort("terminal closed (SIGHUP)")),
    ];
    try {
      const result = await engine.run({
        code,
        path: file === "-" ? undefined : file,
        args,
        timeoutSec,
        allow: values.allow,
        limits,
        maxCalls,
        confirm: approvals.hook,
        waitExclusive: !values["no-wait"],
        ...(values["no-preflight"] ? { preflight: false } : {}),
        cwd: process.cwd(),
        signal: ac.signal,
        onStdout: values.json ? undefined : out.write,
        onStderr: err.write,
        ...(snapshot
          ? {
            stateFile: snapshot.stateFile,
            env: {
              ORCH_SESSION_NAME: sessionName!,
              ORCH_SESSION_MAX_BYTES: String(ctx.config.orchestrator.sessions.memoryMb * 1024 * 1024),
            },
          }
          : {}),
        onCall: values.quiet || values.json ? undefined : callLines(err.write),
        by: "run",
      });
      if (result.status === "timeout") say(`run ${result.reason}`);
      if (result.status === "aborted") say(`run aborted: ${result.reason}`);
      if (values.verbose) {
        const who = result.user ? ` as ${result.user}` : "";
        say(`sandbox ${result.sandbox}${who}${result.sandboxNote ? `: ${result.sandboxNote}` : ""}`);
        say(
          `limits ${describeLimits(result.limits)}; process limit by ${result.limits.processLimit}; ` +
            `memory limit by ${result.limits.memoryLimit}`,
        );
        say(`run ${result.runId}: ${result.status}, ${result.calls} calls, ${result.durationMs} ms`);
      }
      if (values.json) await out.write(new TextEncoder().encode(resultJson(result) + "\n"));
      await out.flush();
      await err.flush();
      return result.returncode;
    } finally {
      snapshot?.release();
      for (const off of offs) off();
      await approvals.close();
      engine.board.close();
      await engine.host.close();
    }
  }, { ownSignals: true });
}
