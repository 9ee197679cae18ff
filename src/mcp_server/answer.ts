/**
 * The answer of execute_composed_code, in one place. orch's fields (`output` = stdout, `error` =
 * stderr, `returncode`, `run_id`, `duration_ms`, `calls`, `log_path`, `sandbox`, `reason`) plus what
 * the seed's users parse: `status` is the seed's word for the outcome:
 *
 * | run                                   | status    | returncode |
 * | ------------------------------------- | --------- | ---------- |
 * | exit 0                                | success   | 0          |
 * | non-zero exit (exception, sys.exit)   | failed    | the exit   |
 * | wall-clock timeout                    | timeout   | 124        |
 * | aborted (cancel, Ctrl-C, shutdown)    | aborted   | 130        |
 * | orch could not run it (bad arguments) | error     | 1 or 2     |
 * | refused by the preflight (no call)    | error     | 1          |
 *
 * A timeout keeps the output printed so far and ends it with a `[Timeout]` note, as the seed does.
 * Session calls add `session_id`, `session_vars` and, when the session is new or ended, `session_note`.
 */
import type { RunResult } from "../executor/types.ts";
import type { SessionReport } from "../executor/sessions.ts";

export type SeedStatus = "success" | "failed" | "timeout" | "aborted" | "error";

/** The seed's status word for a run's outcome. */
export function seedStatus(r: Pick<RunResult, "status" | "refused">): SeedStatus {
  // A policy the preflight refused never ran: orch could not run it, as with bad arguments.
  if (r.refused) return "error";
  return r.status === "error" ? "failed" : r.status;
}

/** The answer for a run that happened. */
export function runAnswer(r: RunResult, session?: SessionReport): Record<string, unknown> {
  const timedOut = r.status === "timeout";
  const note = `[Timeout] ${r.reason ?? "timed out"}; the output above is what the policy printed before.`;
  const output = timedOut ? (r.output && !r.output.endsWith("\n") ? `${r.output}\n` : r.output) + note : r.output;
  return {
    output,
    error: r.error,
    returncode: r.returncode,
    status: seedStatus(r),
    run_id: r.runId,
    duration_ms: r.durationMs,
    calls: r.calls,
    log_path: r.logPath,
    sandbox: r.sandbox,
    ...(r.reason && r.status !== "success" ? { reason: r.reason } : {}),
    ...(session ?? {}),
  };
}

/** The answer when orch could not run the code at all. */
export function refusedAnswer(error: string, returncode = 2, session?: SessionReport): Record<string, unknown> {
  return { output: "", error, returncode, status: "error" satisfies SeedStatus, ...(session ?? {}) };
}
