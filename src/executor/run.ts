/**
 * One policy run from start to end: a run folder, a scope on the IPC shim, a contained subprocess
 * (sandbox, limits), live output, and an abort path (Ctrl-C, SIGTERM, timeout, client cancel) that
 * refuses further calls, cancels the ones in flight, makes the configured onAbort calls at once,
 * interrupts the policy, then kills everything it started.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { CallDeniedError, errorText, PolicyError } from "../errors.ts";
import type { BeforeCallHook, RunScope } from "../shim/scope.ts";
import { Journal } from "./journal.ts";
import { journalFor, journalStart } from "./run_journal.ts";
import { rt } from "../runtime/mod.ts";
import { signalExitCode } from "../runtime/signals.ts";
import { contain, type Contained, ContainmentError, limitsHit } from "./containment.ts";
import { describeHolder, ExclusiveBusyError, ExclusiveLocks } from "./exclusive.ts";
import { DiskWatch, markActive, markDone, MIB, pruneRuns } from "./disk.ts";
import { TaskPeak } from "../contain/proc.ts";
import { runDirPrefix, sweepOnce } from "./leftovers.ts";
import { DEFAULT_RUNS_TOTAL_MB, type Limits, resolveLimits } from "./limits.ts";
import { OutputCapture, RunLog } from "./output.ts";
import { handOver } from "./output_handover.ts";
import { policyEnv } from "./policy_env.ts";
import { PolicyProcess } from "./policy_process.ts";
import { bootstrapEnv, keepSnapshot, restoreSnapshot } from "./snapshot.ts";
import { onAbortCalls, RunAbort } from "./run_abort.ts";
import type { ExecutorDeps, PolicyHandle, RunRequest, RunResult } from "./types.ts";

export type { ExecutorDeps, OnAbortOutcome, RunRequest, RunResult, RunStatus } from "./types.ts";

/** Milliseconds between SIGINT and SIGKILL of the policy. */
export const GRACE_MS = 2000;

const enc = new TextEncoder();

/** A run opened by `Executor.run`: what its steps share. */
interface OpenRun {
  req: RunRequest;
  /** performance.now() when the run began. */
  started: number;
  limits: Limits;
  cacheDir: string;
  locks: ExclusiveLocks;
  /** The config's exclusive servers. */
  exclusive: ReadonlySet<string>;
  stdout: OutputCapture;
  stderr: OutputCapture;
  journal: Journal;
  scope: RunScope;
  /** The MCP client's own output folder, when it gave one. */
  clientOutput: string | undefined;
  logCapMb: number;
  runDir: string;
  outputDir: string;
  logPath: string;
  log: RunLog;
  policyPath: string;
  /** Says `orch: <text>` on the run's stderr and log. */
  say: (text: string) => void;
  /** A cleanup step that cannot fail the run or skip the next. */
  tidy: (what: string, step: () => unknown) => Promise<void>;
}

/** How the policy ended, and what containment it had. */
interface PolicyExit {
  returncode: number;
  contained: Contained | undefined;
  /** The limits the run hit, in words. */
  hit: string[];
}

/** Runs policies against one config's tools. */
export class Executor {
  constructor(readonly deps: ExecutorDeps) {
    // Run folders of an orch that was killed before it could clean up.
    void sweepOnce();
  }

  /** Runs one policy to its end; never throws for what the policy does. */
  async run(req: RunRequest): Promise<RunResult> {
    const run = this.#open(req);
    const { scope, journal, locks, exclusive, say } = run;
    const abort = new RunAbort({
      scope,
      journal,
      signal: req.signal,
      timeoutSec: run.limits.timeoutSec,
      graceMs: GRACE_MS,
      // A stop sent to an exclusive server this run never used would stop another run's robot.
      onAbort: () =>
        onAbortCalls({
          calls: this.deps.config.orchestrator.onAbort,
          source: this.deps.source,
          say,
          mine: (server) => !exclusive.has(server) || locks.holds(server, scope.runId),
          journal,
        }),
    });
    const exit = await this.#start(run, abort);
    return await this.#result(run, abort, exit);
  }

  /** The run's scope on the shim, its folders, log and journal, and how it says things; nothing started yet. */
  #open(req: RunRequest): OpenRun {
    const { config, host } = this.deps;
    const orch = config.orchestrator;
    const started = performance.now();
    const { limits, notes } = resolveLimits(orch.limits, { ...req.limits, timeoutSec: req.timeoutSec });
    const cacheDir = this.deps.cacheDir ?? dirname(this.deps.runsDir);
    const locks = ExclusiveLocks.for(join(cacheDir, "locks"));
    const exclusive = new Set([...config.servers].filter(([, s]) => s.exclusive).map(([name]) => name));
    const stdout = new OutputCapture(limits.outputBytes);
    const stderr = new OutputCapture(limits.outputBytes);
    const runId = req.runId ?? crypto.randomUUID();
    const journal: Journal = journalFor(this.deps, runId, req);
    const scope: RunScope = host.registry.create({
      runId,
      observer: journal,
      allow: orch.allow,
      narrow: req.allow,
      deny: orch.deny,
      maxCalls: req.maxCalls ?? orch.limits.calls ?? null,
      guards: orch.guards,
      confirmTools: orch.confirm,
      confirm: req.confirm,
      beforeCall: exclusiveHook(locks, exclusive, () => scope, req.waitExclusive !== false, (t) => say(t)),
    });
    const clientOutput = rt.env("MCP_CLIENT_OUTPUT_DIR");
    const logCapMb = Math.min(limits.fileSizeMb, limits.logMb);
    const { runDir, outputDir, logPath, log, policyPath } = this.#prepare(scope, req, clientOutput, logCapMb);
    const say = (text: string) => {
      const bytes = enc.encode(`orch: ${text}\n`);
      stderr.push(bytes);
      log.write(bytes);
      void req.onStderr?.(bytes);
    };
    for (const note of notes) say(note);
    /** A cleanup step that cannot fail the run or skip the next: its error is said (the log drops it once closed). */
    const tidy = async (what: string, step: () => unknown) => {
      try {
        await step();
      } catch (err) {
        const bytes = enc.encode(`orch: cannot ${what}: ${errorText(err)}\n`);
        stderr.push(bytes);
        log.write(bytes);
      }
    };
    journalStart(journal, this.deps, req, scope, logPath);
    return {
      req,
      started,
      limits,
      cacheDir,
      locks,
      exclusive,
      stdout,
      stderr,
      journal,
      scope,
      clientOutput,
      logCapMb,
      runDir,
      outputDir,
      logPath,
      log,
      policyPath,
      say,
      tidy,
    };
  }

  /**
   * Starts the policy (a contained process, or the session's worker) and waits for it to exit; when it
   * cannot start, says why. Ends with the policy gone, the abort settled and the containment given back.
   */
  async #start(run: OpenRun, abort: RunAbort): Promise<PolicyExit> {
    const { req, limits, scope, runDir, outputDir, clientOutput, say, tidy } = run;
    const orch = this.deps.config.orchestrator;
    let proc: PolicyHandle | undefined;
    let contained: Contained | undefined;
    // A client's own output folder is shared with other runs: only the folders of this run count.
    const folders = [
      { name: "run folder", path: runDir },
      ...(clientOutput ? [] : [{ name: "output folder", path: outputDir }]),
    ];
    const tasks = new TaskPeak(() => contained?.processLimit === "rlimit" ? proc?.pid : undefined);
    const disk = new DiskWatch(folders, limits.diskMb * MIB, (text) => {
      say(text);
      abort.abort("error", text);
    });

    let returncode: number;
    let hit: string[] = [];
    try {
      abort.catchUp();
      const address = await this.deps.host.address();
      const env = policyEnv({
        parent: rt.envObject(),
        passNames: orch.env,
        runDir,
        outputDir,
        orch: {
          ...(address.socketPath ? { ORCH_IPC_SOCKET: address.socketPath } : { ORCH_IPC_URL: address.url! }),
          ORCH_RUN_TOKEN: scope.token,
          ORCH_RUN_ID: scope.runId,
          ...bootstrapEnv(req, runDir),
          ORCH_PREFLIGHT: req.preflight ?? orch.preflight ? "1" : "0",
        },
      });
      const containInput = {
        mode: orch.sandbox,
        python: orch.python,
        env,
        apiDir: this.deps.apiDir,
        bootstrap: this.deps.bootstrap,
        policyPath: run.policyPath,
        code: req.code,
        args: req.args ?? [],
        runDir,
        outputDir,
        ownOutputDir: !clientOutput,
        cwd: req.cwd ?? runDir,
        socketPath: address.socketPath,
        cacheDir: run.cacheDir,
        limits,
        runId: scope.runId,
      };
      const onStdout = (c: Uint8Array) => {
        run.stdout.push(c);
        run.log.write(c);
        return req.onStdout?.(c);
      };
      const onStderr = (c: Uint8Array) => {
        run.stderr.push(c);
        run.log.write(c);
        return req.onStderr?.(c);
      };
      if (req.worker) {
        if (abort.status) throw new Error(abort.reason);
        const { apiDir } = this.deps;
        const call = { code: req.code, token: scope.token, runId: scope.runId, outputDir, apiDir, onStdout, onStderr };
        ({ proc, contained } = await req.worker.start({ ...call, contain: () => contain(containInput) }));
      } else {
        contained = await contain(containInput);
        if (abort.status) throw new Error(abort.reason);
        proc = new PolicyProcess({
          argv: contained.argv,
          cwd: contained.cwd,
          env: contained.env,
          sandboxed: contained.sandbox === "bwrap",
          onStdout,
          onStderr,
        });
      }
      abort.attach(proc);
      const exit = await proc.done;
      returncode = exit.code ?? signalExitCode(exit.signal);
      // bwrap (and the cgroup's shell) report a policy killed by signal N as exit status 128 + N.
      if (returncode === signalExitCode("SIGXCPU")) say(`the policy used up its CPU time (${limits.cpuSeconds} s)`);
    } catch (err) {
      if (abort.status) {
        returncode = 130;
      } else {
        const what = err instanceof ContainmentError
          ? errorText(err)
          : `cannot start ${orch.python}: ${errorText(err)}`;
        say(what);
        returncode = err instanceof ContainmentError ? 126 : 127;
        abort.failedToStart();
      }
    } finally {
      disk.stop();
      abort.settle();
      tasks.stop();
      hit = limitsHit(contained, limits, tasks.peak);
      await tidy("close the run's cgroup", () => contained?.cgroup?.close());
      await tidy("give back the run's uid", () => contained?.lease?.release());
    }
    return { returncode, contained, hit };
  }

  /**
   * After the policy: hands its output over, waits for the onAbort calls, tidies everything the run
   * holds (each step on its own), and says how the run ended.
   */
  async #result(run: OpenRun, abort: RunAbort, exit: PolicyExit): Promise<RunResult> {
    const { req, limits, scope, journal, runDir, outputDir, logPath, log, say, tidy } = run;
    const { contained, hit } = exit;
    let { returncode } = exit;
    let { status, reason } = abort;
    const orch = this.deps.config.orchestrator;
    // The policy and everything it started are gone: what it wrote can be handed to the client. Not so
    // for a session's call: its process lives on, so the session hands its output over when it ends.
    const staging = req.worker ? undefined : contained?.staging;
    if (staging) {
      const { files, skipped } = handOver(staging);
      if (files || skipped.length) say(`output: ${files} file(s) handed to ${staging.dest}`);
      if (skipped.length) say(`output: left out ${skipped.join(", ")}`);
    }
    const stops = await abort.onAbortOutcomes();
    if (req.stateFile) {
      await tidy("keep the state file", () => keepSnapshot(runDir, req.stateFile!, status === undefined, say));
    }
    const undelivered = stops?.filter((o) => !o.delivered) ?? [];
    if (undelivered.length) {
      const what = undelivered.map((o) => `${o.server}.${o.tool} (${o.error})`).join("; ");
      reason = `${reason ?? "aborted"}; onAbort NOT delivered: ${what}`;
    }
    for (const text of hit) say(text);
    if (log.full) say(`the run log was cut at ${run.logCapMb} MB`);
    // Each step on its own: one that fails never skips the others (the exclusive locks above all).
    await tidy("release the run's exclusive locks", () => run.locks.releaseAll(scope.runId));
    await tidy("forget the run's token", () => this.deps.host.registry.remove(scope.runId));
    await tidy("close the run log", () => log.close());
    // A session's output folder lives in its first call's run folder: that one stays marked while orch lives.
    const keepMarked = req.worker && outputDir.startsWith(dirname(logPath) + "/");
    if (!keepMarked) await tidy("mark the run done", () => markDone(dirname(logPath)));
    // The runs folder stays within its total: the oldest finished runs go first.
    const runsTotal = (orch.limits.runsTotalMb ?? DEFAULT_RUNS_TOTAL_MB) * MIB;
    await tidy("prune the runs folder", () => pruneRuns(this.deps.runsDir, runsTotal, new Set([scope.runId])));
    if (!req.worker) await tidy("remove the run folder", () => rmSync(runDir, { recursive: true, force: true }));
    await tidy("sweep leftovers", () => sweepOnce());
    if (status === "timeout") returncode = 124;
    else if (status === "aborted") returncode = 130;
    // The bootstrap's exit status 3 with its report, and not one call: the preflight refused the policy.
    const preflight = !status && returncode === 3 && scope.callsMade === 0 &&
      run.stderr.text(logPath).includes("orch: preflight found");
    if (preflight) returncode = 1;
    status ??= returncode === 0 ? "success" : "error";
    const durationMs = Math.round(performance.now() - run.started);
    const sandbox = contained?.sandbox ?? "none";
    await tidy("write the journal's end", () => {
      journal.event("end", { status, returncode, reason, duration_ms: durationMs, calls: scope.callsMade, sandbox });
      journal.close();
    });
    return {
      status,
      returncode,
      output: run.stdout.text(logPath),
      error: run.stderr.text(logPath),
      runId: scope.runId,
      durationMs,
      logPath,
      outputDir,
      calls: scope.callsMade,
      denied: scope.denied,
      sandbox,
      ...(contained?.note ? { sandboxNote: contained.note } : {}),
      ...(contained?.user ? { user: contained.user } : {}),
      limits: {
        ...limits,
        processLimit: contained?.processLimit ?? "none",
        memoryLimit: contained?.memoryLimit ?? "rlimit",
      },
      reason,
      ...(stops?.length ? { onAbort: stops } : {}),
      summary: journal.summary(),
      journalPath: join(dirname(logPath), "journal.jsonl"),
      ...(preflight ? { refused: "preflight" as const } : {}),
    };
  }

  /** The run's folders, log and policy file; on failure nothing of the run is left (token, folder). */
  #prepare(scope: RunScope, req: RunRequest, clientOutput: string | undefined, logCapMb: number) {
    let runDir: string | undefined;
    try {
      runDir = req.worker?.runDir ?? mkdtempSync(join(tmpdir(), runDirPrefix()));
      const logDir = join(this.deps.runsDir, scope.runId);
      mkdirSync(logDir, { recursive: true, mode: 0o700 });
      markActive(logDir);
      const outputDir = clientOutput || req.worker?.outputDir || join(logDir, "out");
      mkdirSync(outputDir, { recursive: true });
      const logPath = join(logDir, "output.log");
      const policyPath = req.path ? resolve(req.path) : join(runDir, "policy.py");
      if (!req.path) writeFileSync(policyPath, req.code);
      const log = new RunLog(logPath, logCapMb * MIB);
      if (req.stateFile) restoreSnapshot(req.stateFile, runDir);
      return { runDir, outputDir, logPath, log, policyPath };
    } catch (err) {
      this.deps.host.registry.remove(scope.runId);
      if (runDir && !req.worker) rmSync(runDir, { recursive: true, force: true });
      throw new PolicyError(`cannot prepare the run: ${errorText(err)}`);
    }
  }
}

/**
 * The scope's beforeCall hook for exclusive servers: a run's first call to one takes its lock, which
 * the run keeps until it has ended (onAbort calls included), so two runs never interleave motions.
 */
function exclusiveHook(
  locks: ExclusiveLocks,
  exclusive: ReadonlySet<string>,
  scope: () => RunScope,
  wait: boolean,
  say: (text: string) => void,
): BeforeCallHook | undefined {
  if (exclusive.size === 0) return undefined;
  return async (server, tool) => {
    if (!exclusive.has(server)) return;
    try {
      await locks.acquire(server, scope().runId, {
        signal: scope().signal,
        wait,
        onWait: (h) => say(`waiting for exclusive server ${server}: in use by ${describeHolder(h)}`),
      });
    } catch (err) {
      if (err instanceof ExclusiveBusyError) throw new CallDeniedError(server, tool, `${err.message} (not waiting)`);
      throw err;
    }
  };
}
