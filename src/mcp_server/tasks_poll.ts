/**
 * Long runs for clients without MCP Tasks: execute_composed_code answers within a wait bound
 * (`status: running` + `run_id` + output so far), get_run long-polls for new output or the end,
 * cancel_run aborts. Waiting is event-driven and costs the agent no tokens while nothing happens.
 */
import type { CallToolResult } from "../deps/mcp_sdk.ts";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { RunRequest } from "../executor/types.ts";
import type { LiveRun } from "../runs/live.ts";
import { JOURNAL_FILE, policyTitle } from "../executor/run_journal.ts";
import type { RunResult } from "../executor/types.ts";
import type { SessionReport } from "../executor/sessions.ts";
import { seedStatus } from "./answer.ts";
import { type CallExtra, jsonResult, runToolResult, textResult } from "./handlers.ts";
import { ProgressLines } from "./progress.ts";
import { callLine } from "../executor/journal.ts";
import type { OrchService } from "./service.ts";
import { CancelRunArgs, describeArgsError, GetRunArgs } from "./tools.ts";
import { delay } from "../runtime/delay.ts";

/** Longest get_run wait an agent may ask for, in seconds. */
const MAX_POLL_S = 600;
/** How long cancel_run waits for the run to end (onAbort calls included), in ms. */
const CANCEL_WAIT_MS = 20_000;

/** Starts a run on the service's run book with live hooks for the request that waits on it. */
export function startLive(
  service: OrchService,
  req: RunRequest,
  task: boolean,
  live: { progress?: ProgressLines; log?: CallExtra["log"]; attached: () => boolean } = { attached: () => false },
): LiveRun {
  const out = live.progress?.sink("stdout");
  const err = live.progress?.sink("stderr");
  const errLines = new LineSplitter((line) => live.log?.("info", "policy", line));
  return service.runs.start(policyTitle(req.code), task, (own) =>
    service.run({
      ...req,
      ...own,
      onStdout: (c) => {
        own.onStdout?.(c);
        if (live.attached()) out?.(c);
      },
      onStderr: (c) => {
        own.onStderr?.(c);
        if (!live.attached()) return;
        err?.(c);
        errLines.push(c);
      },
      onCall: (call) => {
        if (live.attached() && call.outcome !== "sent") live.progress?.note(callLine(call));
      },
    }));
}

/** Splits chunks into lines for log notifications. */
class LineSplitter {
  #rest = "";
  readonly #decoder = new TextDecoder();
  constructor(readonly onLine: (line: string) => void) {}
  push(chunk: Uint8Array): void {
    const lines = (this.#rest + this.#decoder.decode(chunk, { stream: true })).split("\n");
    this.#rest = lines.pop() ?? "";
    for (const l of lines) if (l.trim() !== "") this.onLine(l.slice(0, 2000));
  }
}

/** execute_composed_code without a task: the result when the run ends within `wait` s, else `running`. */
export async function executeLive(
  service: OrchService,
  req: RunRequest,
  extra: CallExtra,
  wait: number | undefined,
  end: { onEnd?: (r: RunResult) => void; report?: () => SessionReport | undefined } = {},
): Promise<CallToolResult> {
  const token = extra._meta?.progressToken;
  const progress = token === undefined ? undefined : new ProgressLines((n, message) =>
    extra.sendNotification({
      method: "notifications/progress",
      params: { progressToken: token, progress: n, message },
    })
  );
  let attached = true;
  const run = startLive(service, req, false, { progress, log: extra.log, attached: () => attached });
  run.owner = extra.sessionId;
  if (end.onEnd) run.done.then(end.onEnd, () => {});
  // Whoever reads the end (this answer or a later get_run) gets the session's report; it gives the session back.
  if (end.report) {
    run.sessionReport = () => {
      if (run.result) end.onEnd?.(run.result);
      return end.report?.();
    };
  }
  // Until the answer goes out, a client cancel (notifications/cancelled) is the run's abort.
  const onCancel = () => run.abort(extra.signal.reason ? String(extra.signal.reason) : "cancelled by the client");
  extra.signal.addEventListener("abort", onCancel, { once: true });
  if (extra.signal.aborted) onCancel();
  const bound = new AbortController();
  const waitS = wait ?? service.runsConfig.waitSeconds;
  try {
    await Promise.race([run.done, delay(waitS * 1000, bound.signal)]);
  } finally {
    bound.abort();
    extra.signal.removeEventListener("abort", onCancel);
  }
  if (extra.signal.aborted && !run.result) await run.done;
  attached = false;
  await progress?.flush();
  if (run.result) return runToolResult(run.result, run.sessionReport?.());
  const slice = run.slice(0);
  if (extra.reader) run.cursors.set(extra.reader, slice.next_offset);
  return jsonResult({
    status: "running",
    run_id: run.id,
    ...slice,
    duration_ms: Date.now() - run.startedAt.getTime(),
    summary: run.summary(),
    next: "get_run(run_id) waits for more output or the end; cancel_run(run_id) stops it",
  });
}

/** The answer for an id this service does not hold: expired (its journal is still on disk) or unknown. */
function notHeld(service: OrchService, id: string): CallToolResult {
  const keep = service.runsConfig.keepSeconds;
  const folder = /^[A-Za-z0-9_-]+$/.test(id) ? join(service.cacheDir, "runs", id) : undefined;
  if (folder && existsSync(join(folder, JOURNAL_FILE))) {
    return textResult(
      `run ${id} is no longer kept (ended runs are kept ${keep} s, or orch restarted): ` +
        `its journal is ${join(folder, JOURNAL_FILE)} and its output ${join(folder, "output.log")}`,
      true,
    );
  }
  return textResult(`unknown run_id "${id}": not a run of this orch (run ids come from execute_composed_code)`, true);
}

/** get_run: new output since this reader's last read (or `offset`), the summary, and the result once ended. */
export async function getRun(service: OrchService, raw: unknown, extra: CallExtra): Promise<CallToolResult> {
  const parsed = GetRunArgs.safeParse(raw ?? {});
  if (!parsed.success) return textResult(describeArgsError("get_run", parsed.error), true);
  const { run_id, wait_seconds, offset } = parsed.data;
  const run = service.runs.get(run_id);
  if (!run) return notHeld(service, run_id);
  const reader = extra.reader ?? "";
  const from = offset ?? run.cursors.get(reader) ?? 0;
  const waitS = Math.min(wait_seconds ?? service.runsConfig.waitSeconds, MAX_POLL_S);
  await run.wait(from, waitS * 1000, extra.signal);
  const slice = run.slice(from);
  run.cursors.set(reader, slice.next_offset);
  if (run.result) {
    const done = runToolResult(run.result, run.sessionReport?.(), slice);
    const sc = done.structuredContent as Record<string, unknown>;
    sc.next_offset = slice.next_offset;
    if (slice.skipped) sc.skipped = slice.skipped;
    return jsonResult(sc, done.isError === true);
  }
  return jsonResult({
    status: "running",
    run_id,
    ...slice,
    duration_ms: Date.now() - run.startedAt.getTime(),
    summary: run.summary(),
  });
}

/** cancel_run: aborts a running run and waits for its end; an ended run is no error. */
export async function cancelRun(service: OrchService, raw: unknown): Promise<CallToolResult> {
  const parsed = CancelRunArgs.safeParse(raw ?? {});
  if (!parsed.success) return textResult(describeArgsError("cancel_run", parsed.error), true);
  const run = service.runs.get(parsed.data.run_id);
  if (!run) return notHeld(service, parsed.data.run_id);
  if (run.result) {
    return jsonResult({
      run_id: run.id,
      cancelled: false,
      status: seedStatus(run.result),
      message: `run ${run.id} already ended (${seedStatus(run.result)}); nothing to cancel`,
    });
  }
  run.cancelRequested = true;
  run.abort("cancelled by cancel_run");
  await Promise.race([run.done, delay(CANCEL_WAIT_MS)]);
  return jsonResult({
    run_id: run.id,
    cancelled: true,
    status: run.result ? seedStatus(run.result) : "running",
    summary: run.summary(),
    ...(run.status !== "running" ? {} : { message: "the run is still ending; get_run(run_id) for its end" }),
  });
}
