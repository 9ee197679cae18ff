/** What a policy run is asked to do and what it reports. */
import type { Config } from "../config/schema.ts";
import type { IpcHost } from "../shim/host.ts";
import type { ConfirmHook } from "../shim/scope.ts";
import type { ExitStatus } from "../runtime/mod.ts";
import type { CallRecord, JournalSummary, LineWriter } from "./journal.ts";
import type { ToolSource } from "../sources/types.ts";
import type { Contained, MemoryLimit, ProcessLimit } from "./containment.ts";
import type { LimitOverrides, Limits } from "./limits.ts";

export type RunStatus = "success" | "error" | "timeout" | "aborted";

export interface RunRequest {
  /** The policy's source. */
  code: string;
  /** The file it came from (tracebacks name it); absent for code strings. */
  path?: string;
  args?: string[];
  /** Wall-clock seconds; capped at 86400; a value that is not a positive number gives the config's timeout (default 3600). */
  timeoutSec?: number;
  /** Per-run limits; absent ones come from the config's `orchestrator.limits`, then the defaults. */
  limits?: LimitOverrides;
  /** Narrows the config's allow list for this run. */
  allow?: string[];
  /** Tool calls this run may make (overrides the config's `limits.calls`). */
  maxCalls?: number;
  /**
   * Approves calls of the config's `confirm` tools, one call at a time: `orch run` asks on the
   * terminal, `orch serve` asks the MCP client (elicitation). Absent: such calls are denied.
   */
  confirm?: ConfirmHook;
  /** False: a call to an exclusive server that another run holds is refused at once instead of waiting. */
  /** Check the policy against the catalog before it starts (default: the config's `orchestrator.preflight`). */
  preflight?: boolean;
  waitExclusive?: boolean;
  /**
   * Live output. A returned promise holds back reading the policy's output until it settles, so a
   * slow reader (a terminal, a pipe) slows the policy down instead of growing orch's memory.
   */
  onStdout?: (chunk: Uint8Array) => void | Promise<void>;
  onStderr?: (chunk: Uint8Array) => void | Promise<void>;
  /** Aborting it aborts the run (client cancel, Ctrl-C). */
  signal?: AbortSignal;
  /** Working directory (default: the run folder). */
  cwd?: string;
  /** Run in this live session worker instead of a new process (`orch serve` sessions; see sessions.ts). */
  worker?: RunWorker;
  /** `orch run --session`: the session's snapshot file, restored before the run and replaced after it. */
  stateFile?: string;
  /** More `ORCH_*` variables for the policy (e.g. the session's name). */
  env?: Record<string, string>;
  /** The run's id (default: a random UUID). */
  runId?: string;
  /** Which face started the run, for the journal and `orch runs`. */
  by?: "run" | "serve";
  /** Hears each tool call as it is sent and as it ends (live views). */
  onCall?: (call: CallRecord) => void;
  /** Gets the run's live journal summary once the run has started. */
  onJournal?: (summary: () => JournalSummary) => void;
}

/** A started policy, whichever process runs it. */
export interface PolicyHandle {
  readonly done: Promise<ExitStatus>;
  /** The policy's own process, where it has one per run (its tree is sampled for the process limit). */
  readonly pid?: number;
  /** SIGINT: the policy sees KeyboardInterrupt. */
  interrupt(): void;
  /** SIGKILL to everything it runs in. */
  kill(): void;
}

/** What the executor asks of a session worker (sessions.ts). */
export interface RunWorker {
  /** The session's folder (HOME and TMPDIR of its process), kept across calls. */
  readonly runDir: string;
  /** The output folder the session's process was started with, once it was. */
  readonly outputDir: string | undefined;
  /** Hands one call to the worker, starting its process (with `contain()`) on the first call. */
  start(call: WorkerCall): Promise<{ proc: PolicyHandle; contained: Contained }>;
}

export interface WorkerCall {
  code: string;
  token: string;
  runId: string;
  /** Builds the worker's command (the run's sandbox and limits); used once, when the process starts. */
  contain: () => Promise<Contained>;
  outputDir: string;
  /** The API folder of the current catalog (a session keeps the one it started with). */
  apiDir: string;
  onStdout: (chunk: Uint8Array) => void | Promise<void>;
  onStderr: (chunk: Uint8Array) => void | Promise<void>;
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
  /** Calls the scope refused (not allowed, budget, guard, approval). */
  denied: number;
  /** What contained the policy: `none` means resource limits only (`sandboxNote` says why). */
  sandbox: "bwrap" | "none";
  sandboxNote?: string;
  /** Who the policy ran as, when orch changed it (root orch: `uid 65534`). */
  user?: string;
  /** The limits the run had, and what enforced the process limit. */
  limits: Limits & { processLimit: ProcessLimit; memoryLimit: MemoryLimit };
  /** Why the run was aborted or timed out (and which onAbort calls were not delivered). */
  reason?: string;
  /** The configured onAbort calls, when the run was aborted. */
  onAbort?: OnAbortOutcome[];
  /** What the run's calls did, in brief (the journal has every call). */
  summary: JournalSummary;
  journalPath: string;
  /** The preflight refused the policy: it never started and made no call (`error` lists the problems). */
  refused?: "preflight";
}

/** One onAbort call: delivered (the server answered), or not, and why. */
export interface OnAbortOutcome {
  server: string;
  tool: string;
  delivered: boolean;
  error?: string;
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
  /** orch's cache folder (hidden from sandboxed policies; exclusive-server locks live under it). */
  cacheDir?: string;
  /** Opens a run's journal file (tests inject a failing disk). */
  openJournal?: (path: string) => LineWriter;
}
