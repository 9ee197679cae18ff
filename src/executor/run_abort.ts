/**
 * A run's abort path: whatever ends a run early (its signal: Ctrl-C, SIGTERM, a client's cancel; the
 * shim's own abort; the timeout; a full disk) ends it once, with one status and reason, and the same
 * steps in the same order: journal, refuse the run's calls, the onAbort calls, interrupt, then kill.
 */
import type { ToolCall } from "../config/schema.ts";
import { errorText, UpstreamAbortedError } from "../errors.ts";
import { type RunScope, ScopeCall } from "../shim/scope.ts";
import type { ToolSource } from "../sources/types.ts";
import type { Journal } from "./journal.ts";
import type { OnAbortOutcome, PolicyHandle, RunStatus } from "./types.ts";

/** What a run's abort acts on. */
export interface RunAbortOptions {
  scope: RunScope;
  journal: Journal;
  /** The caller's signal (absent: only the shim, the timeout and `abort()` end the run early). */
  signal?: AbortSignal;
  timeoutSec: number;
  /** Milliseconds between interrupting the policy and killing it. */
  graceMs: number;
  /** Starts the configured onAbort calls; called once, at the abort. */
  onAbort: () => Promise<OnAbortOutcome[]>;
}

/** One run's abort: armed when made (signal, shim, timeout), disarmed by `settle()` when the policy is gone. */
export class RunAbort {
  /** How the run ended early, or "error" once it could not start; undefined while neither happened. */
  status: RunStatus | undefined;
  /** Why it was aborted or timed out. */
  reason: string | undefined;
  #opts: RunAbortOptions;
  #proc: PolicyHandle | undefined;
  #timeout: ReturnType<typeof setTimeout>;
  #kill: ReturnType<typeof setTimeout> | undefined;
  /** The grace time after the abort ran out: a policy attached now is killed, not interrupted. */
  #killed = false;
  #onAbortDone: Promise<OnAbortOutcome[]> | undefined;
  #settled = false;
  #onSignal = () => {
    const { signal } = this.#opts;
    this.abort("aborted", signal?.reason ? errorText(signal.reason) : "run cancelled");
  };

  constructor(opts: RunAbortOptions) {
    this.#opts = opts;
    const { scope, signal, timeoutSec } = opts;
    signal?.addEventListener("abort", this.#onSignal, { once: true });
    // An abort that starts in the shim (the MCP client's IPC said [ABORTED]) ends the whole run.
    scope.signal.addEventListener("abort", () => {
      if (!this.#settled) this.abort("aborted", scope.abortReason ?? "aborted");
    }, { once: true });
    this.#timeout = setTimeout(() => this.abort("timeout", `timed out after ${timeoutSec} s`), timeoutSec * 1000);
  }

  /** An already aborted signal never fires its listener: the run ends as if it had. */
  catchUp(): void {
    if (this.#opts.signal?.aborted) this.#onSignal();
  }

  /** Ends the run early; only the first call counts. */
  abort(why: RunStatus, text: string): void {
    if (this.status) return;
    const { scope, journal } = this.#opts;
    this.status = why;
    this.reason = text;
    journal.event("abort", { status: why, reason: text, in_flight: journal.inFlight().map((c) => c.id) });
    // The shim refuses the run's calls from here on and cancels those in flight (the servers get
    // notifications/cancelled), so nothing the policy still does can move hardware: the safe-stop
    // calls need not wait for the policy to exit.
    scope.abort(text);
    this.#onAbortDone = this.#opts.onAbort();
    this.#proc?.interrupt();
    this.#kill = setTimeout(() => {
      this.#killed = true;
      this.#proc?.kill();
    }, this.#opts.graceMs);
  }

  /**
   * The policy has started: an abort interrupts it (at once, when the run was aborted meanwhile), and
   * kills it at once when the grace time ran out before it started (it may ignore SIGINT).
   */
  attach(proc: PolicyHandle): void {
    this.#proc = proc;
    if (!this.status) return;
    if (this.#killed) proc.kill();
    else proc.interrupt();
  }

  /** The policy could not be started (and no abort was the cause). */
  failedToStart(): void {
    this.status = "error";
  }

  /** The policy is gone: no more timeout, kill or abort from the signal or the shim; the scope refuses every call. */
  settle(): void {
    this.#settled = true;
    clearTimeout(this.#timeout);
    clearTimeout(this.#kill);
    this.#opts.signal?.removeEventListener("abort", this.#onSignal);
    this.#opts.scope.abort("run finished");
  }

  /** The onAbort calls' outcomes once they are done; undefined when the run was not aborted. */
  onAbortOutcomes(): Promise<OnAbortOutcome[] | undefined> {
    return this.#onAbortDone ?? Promise.resolve(undefined);
  }
}

/** Milliseconds one onAbort call may take. */
const ON_ABORT_TIMEOUT_MS = 10_000;

/** The onAbort calls of one aborted run, and what they may touch. */
export interface OnAbortCalls {
  /** The config's `orchestrator.onAbort`. */
  calls: readonly ToolCall[];
  source: ToolSource;
  say: (text: string) => void;
  /** False for a server this run may not touch (an exclusive server it never used). */
  mine: (server: string) => boolean;
  journal: Journal;
}

/**
 * The configured onAbort calls (e.g. a robot stop), each once, in order, even when the policy was
 * killed; a call to a server `mine` says this run may not touch is skipped, saying so.
 */
export async function onAbortCalls({ calls, source, say, mine, journal }: OnAbortCalls): Promise<OnAbortOutcome[]> {
  const outcomes: OnAbortOutcome[] = [];
  for (const call of calls) {
    const { server, tool } = call;
    if (!mine(server)) {
      say(`onAbort ${server}.${tool}: skipped (exclusive server this run did not use)`);
      continue;
    }
    const watch = journal.admitted(call.server, call.tool, call.arguments, true);
    try {
      // Never cancelled: the handle only tells the journal when the stop has really been sent.
      const cancel = new ScopeCall(server, tool, watch);
      const res = await source.callTool(server, tool, call.arguments, {
        timeoutMs: ON_ABORT_TIMEOUT_MS,
        cancel,
      });
      watch.done(res);
      say(`onAbort ${server}.${tool}: ${res.isError ? "failed" : "done"}`);
      outcomes.push(
        res.isError ? { server, tool, delivered: true, error: "the tool reported an error" } : {
          server,
          tool,
          delivered: true,
        },
      );
    } catch (err) {
      watch.failed(err, false);
      // The MCP client refuses every call once its user aborted: the stop never reached the robot.
      const error = err instanceof UpstreamAbortedError
        ? `the MCP client refuses every call after its abort (${err.message}); stop the robot another way`
        : errorText(err);
      say(`onAbort ${server}.${tool} NOT delivered: ${error}`);
      outcomes.push({ server, tool, delivered: false, error });
    }
  }
  return outcomes;
}
