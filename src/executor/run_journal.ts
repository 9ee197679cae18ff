/** The executor's side of a run's journal: where it goes, and the run-start line (policy, config, scope, sandbox). */
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import process from "node:process";
import type { ExecutorDeps, RunRequest } from "./types.ts";
import type { RunScope } from "../shim/scope.ts";
import { fileWriter, Journal } from "./journal.ts";

/** The journal file in a run folder. */
export const JOURNAL_FILE = "journal.jsonl";

/** The first non-blank, non-comment-only line of a policy, cut short: how `orch runs` names a run. */
export function policyTitle(code: string): string {
  const lines = code.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  const line = lines.find((l) => !/^(from unified_api import|import |from )/.test(l)) ?? lines[0] ?? "";
  return line.length > 80 ? line.slice(0, 77) + "..." : line;
}

/** A journal for run `runId` in its folder under the executor's runs dir. */
export function journalFor(deps: ExecutorDeps, runId: string, req: RunRequest): Journal {
  const path = join(deps.runsDir, runId, JOURNAL_FILE);
  const open = deps.openJournal ?? fileWriter;
  const journal = new Journal({
    open: () => open(path),
    secretArgs: deps.config.orchestrator.secretArgs,
    onCall: req.onCall,
  });
  req.onJournal?.(() => journal.summary());
  return journal;
}

/** The run's first line: what ran, under which config, scope and sandbox mode. */
export function journalStart(
  journal: Journal,
  deps: ExecutorDeps,
  req: RunRequest,
  scope: RunScope,
  logPath: string,
): void {
  const orch = deps.config.orchestrator;
  journal.event("run", {
    run_id: scope.runId,
    by: req.by ?? "run",
    pid: process.pid,
    policy: {
      sha256: createHash("sha256").update(req.code).digest("hex"),
      title: policyTitle(req.code),
      ...(req.path ? { path: req.path } : {}),
    },
    config: deps.config.path,
    scope: {
      allow: orch.allow,
      ...(req.allow ? { narrow: req.allow } : {}),
      deny: orch.deny,
      max_calls: scope.maxCalls,
      confirm: orch.confirm,
      guards: Object.keys(orch.guards),
    },
    sandbox: orch.sandbox,
    log: logPath,
    folder: dirname(logPath),
  });
}
