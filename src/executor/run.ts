/**
 * One policy run from start to end: a run folder, a scope on the IPC shim,
 * a subprocess, live output, and an abort path (Ctrl-C, timeout, client
 * cancel) that refuses further calls, interrupts, then kills the group, then
 * makes the configured onAbort calls.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Config } from "../config/schema.ts";
import { errorText } from "../errors.ts";
import type { IpcHost } from "../ipc/host.ts";
import { rt } from "../runtime/mod.ts";
import type { ToolSource } from "../sources/types.ts";
import { OutputCapture, RunLog } from "./output.ts";
import { policyEnv } from "./policy_env.ts";
import { PolicyProcess } from "./policy_process.ts";

export type RunStatus = "success" | "error" | "timeout" | "aborted";

export interface RunRequest {
  /** The policy's source. */
  code: string;
  /** The file it came from (tracebacks name it); absent for code strings. */
  path?: string;
  args?: string[];
  /** Wall-clock seconds; clamped to [1, 86400]. */
  timeoutSec?: number;
  /** Narrows the config's allow list for this run. */
  allow?: string[];
  /** Live output. */
  onStdout?: (chunk: Uint8Array) => void;
  onStderr?: (chunk: Uint8Array) => void;
  /** Aborting it aborts the run (client cancel, Ctrl-C). */
  signal?: AbortSignal;
  /** Working directory (default: the run folder). */
  cwd?: string;
}

export interface RunResult {
  status: RunStatus;
  returncode: number;
  output: string;
  error: string;
  runId: string;
  durationMs: number;
  logPath: string;
  outputDir: string;
  calls: number;
  /** What contained the policy: `none` means resource limits only. */
  sandbox: string;
  /** Why the run was aborted or timed out. */
  reason?: string;
}

export interface ExecutorDeps {
  config: Config;
  source: ToolSource;
  host: IpcHost;
  /** Folder with unified_api.py and the runtime. */
  apiDir: string;
  bootstrap: string;
  /** Where run logs go (`<runsDir>/<runId>/`). */
  runsDir: string;
}

/** Seconds between SIGINT and SIGKILL of the policy's group. */
export const GRACE_MS = 2000;
export const DEFAULT_TIMEOUT_S = 3600;
export const MAX_TIMEOUT_S = 86400;
/** Bytes of stdout and of stderr kept in a result (head and tail). */
export const DEFAULT_OUTPUT_CAP = 256 * 1024;

/** Clamps a requested timeout; says so in `note` when it changed it. */
export function clampTimeout(requested: number | undefined, fallback: number): { seconds: number; note?: string } {
  const want = requested ?? fallback;
  if (!Number.isFinite(want) || want <= 0) {
    return { seconds: fallback, note: `timeout ${requested} is not a positive number; using ${fallback} s` };
  }
  if (want > MAX_TIMEOUT_S) return { seconds: MAX_TIMEOUT_S, note: `timeout ${want} s capped at ${MAX_TIMEOUT_S} s` };
  return { seconds: want };
}

/** Runs policies against one config's tools. */
export class Executor {
  constructor(readonly deps: ExecutorDeps) {}

  async run(req: RunRequest): Promise<RunResult> {
    const { config, host } = this.deps;
    const started = performance.now();
    const limits = config.orchestrator.limits;
    const timeout = clampTimeout(req.timeoutSec, limits.timeout ?? DEFAULT_TIMEOUT_S);
    const scope = host.registry.create({
      allow: config.orchestrator.allow,
      narrow: req.allow,
      deny: config.orchestrator.deny,
      maxCalls: limits.calls ?? null,
      guards: config.orchestrator.guards,
      confirmTools: config.orchestrator.confirm,
    });
    const runDir = mkdtempSync(join(tmpdir(), "orch-run-"));
    const logDir = join(this.deps.runsDir, scope.runId);
    mkdirSync(logDir, { recursive: true, mode: 0o700 });
    const outputDir = rt.env("MCP_CLIENT_OUTPUT_DIR") || join(logDir, "out");
    mkdirSync(outputDir, { recursive: true });
    const logPath = join(logDir, "output.log");
    const log = new RunLog(logPath);
    const cap = limits.outputBytes ?? DEFAULT_OUTPUT_CAP;
    const stdout = new OutputCapture(cap);
    const stderr = new OutputCapture(cap);
    if (timeout.note) {
      const note = new TextEncoder().encode(`orch: ${timeout.note}\n`);
      stderr.push(note);
      req.onStderr?.(note);
    }

    let policyPath = req.path ? resolve(req.path) : join(runDir, "policy.py");
    if (!req.path) writeFileSync(policyPath, req.code);
    else policyPath = resolve(req.path);

    const address = await host.address();
    const env = policyEnv({
      parent: rt.envObject(),
      passNames: config.orchestrator.env,
      runDir,
      outputDir,
      orch: {
        ...(address.socketPath ? { ORCH_IPC_SOCKET: address.socketPath } : { ORCH_IPC_URL: address.url! }),
        ORCH_RUN_TOKEN: scope.token,
        ORCH_RUN_ID: scope.runId,
      },
    });
    const argv = [config.orchestrator.python, "-u", this.deps.bootstrap, policyPath, ...(req.args ?? [])];

    let status: RunStatus | undefined;
    let reason: string | undefined;
    let proc: PolicyProcess | undefined;
    let killTimer: ReturnType<typeof setTimeout> | undefined;
    const abort = (why: RunStatus, text: string) => {
      if (status) return;
      status = why;
      reason = text;
      scope.abort(text);
      proc?.interrupt();
      killTimer = setTimeout(() => proc?.kill(), GRACE_MS);
    };
    const onSignal = () => abort("aborted", req.signal?.reason ? errorText(req.signal.reason) : "run cancelled");
    if (req.signal?.aborted) onSignal();
    req.signal?.addEventListener("abort", onSignal, { once: true });
    // An abort that starts in the shim (the MCP client's IPC said [ABORTED]) ends the whole run.
    let finished = false;
    const onScopeAbort = () => {
      if (!finished) abort("aborted", scope.abortReason ?? "aborted");
    };
    scope.signal.addEventListener("abort", onScopeAbort, { once: true });
    const timer = setTimeout(() => abort("timeout", `timed out after ${timeout.seconds} s`), timeout.seconds * 1000);

    let returncode: number;
    try {
      proc = new PolicyProcess({
        argv,
        cwd: req.cwd ?? runDir,
        env,
        onStdout: (c) => {
          stdout.push(c);
          log.write(c);
          req.onStdout?.(c);
        },
        onStderr: (c) => {
          stderr.push(c);
          log.write(c);
          req.onStderr?.(c);
        },
      });
      if (status) proc.interrupt();
      const exit = await proc.done;
      returncode = exit.code ?? 128 + signalNumber(exit.signal);
    } catch (err) {
      const msg = new TextEncoder().encode(`orch: cannot start ${config.orchestrator.python}: ${errorText(err)}\n`);
      stderr.push(msg);
      req.onStderr?.(msg);
      returncode = 127;
      status ??= "error";
    } finally {
      finished = true;
      clearTimeout(timer);
      clearTimeout(killTimer);
      req.signal?.removeEventListener("abort", onSignal);
      scope.abort("run finished");
      log.close();
      host.registry.remove(scope.runId);
      rmSync(runDir, { recursive: true, force: true });
    }
    if (status === "aborted" || status === "timeout") await this.#onAbort(stderr, req);
    if (status === "timeout") returncode = 124;
    else if (status === "aborted") returncode = 130;
    status ??= returncode === 0 ? "success" : "error";
    return {
      status,
      returncode,
      output: stdout.text(logPath),
      error: stderr.text(logPath),
      runId: scope.runId,
      durationMs: Math.round(performance.now() - started),
      logPath,
      outputDir,
      calls: scope.callsMade,
      sandbox: "none",
      reason,
    };
  }

  /** The configured onAbort calls (e.g. a robot stop), each once, in order, even when the policy was killed. */
  async #onAbort(stderr: OutputCapture, req: RunRequest): Promise<void> {
    for (const call of this.deps.config.orchestrator.onAbort) {
      let line: string;
      try {
        const res = await this.deps.source.callTool(call.server, call.tool, call.arguments, { timeoutMs: 10_000 });
        line = `orch: onAbort ${call.server}.${call.tool}: ${res.isError ? "failed" : "done"}\n`;
      } catch (err) {
        line = `orch: onAbort ${call.server}.${call.tool} failed: ${errorText(err)}\n`;
      }
      const bytes = new TextEncoder().encode(line);
      stderr.push(bytes);
      req.onStderr?.(bytes);
    }
  }
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15, SIGSEGV: 11 };

function signalNumber(name: string | null): number {
  return (name && SIGNALS[name]) || 0;
}
