/**
 * MCP Tasks (protocol 2025-11-25) over orch's runs: a task-augmented execute_composed_code returns a
 * task at once; the SDK answers tasks/get, tasks/result, tasks/list and tasks/cancel from this store,
 * and tasks/cancel is orch's abort (in-flight calls cancelled, onAbort stop sent). A task id is a run id,
 * so get_run, cancel_run and `orch runs` see the same run. tasks/list shows a session only the tasks it
 * started (over stdio there is one client: all). A task id is a random UUID, so knowing it is the right
 * to follow it: tasks/get, tasks/result and tasks/cancel take it from any session, as get_run and
 * cancel_run take a run id, because every HTTP session holds the one bearer token and a client that
 * reconnects gets a new MCP session id (it keeps the task ids it was given).
 */
import type { RunRequest } from "../executor/types.ts";
import type { LiveRun } from "../runs/live.ts";
import type { CallToolResult } from "../deps/mcp_sdk.ts";
import type { Task, TaskStore } from "../deps/mcp_tasks.ts";
import type { CallExtra } from "./handlers.ts";
import { runToolResult } from "./handlers.ts";
import type { OrchService } from "./service.ts";
import { startLive } from "./tasks_poll.ts";

/** Milliseconds a client is told to wait between tasks/get polls. */
const POLL_INTERVAL_MS = 1000;
const PAGE = 50;

function taskOf(run: LiveRun, ttl: number): Task {
  const status = run.result
    ? run.result.status === "success" ? "completed" : run.cancelRequested ? "cancelled" : "failed"
    : run.cancelRequested
    ? "cancelled"
    : "working";
  const message = run.result
    ? `${run.result.status}${run.result.reason ? `: ${run.result.reason}` : ""}`
    : run.cancelRequested
    ? "cancelled: the run is ending (onAbort calls)"
    : `running, ${
      Object.values(run.summary().tools).reduce((n, c) => n + Object.values(c).reduce((a, b) => a + b, 0), 0)
    } calls`;
  return {
    taskId: run.id,
    status,
    statusMessage: message,
    ttl,
    createdAt: run.startedAt.toISOString(),
    lastUpdatedAt: new Date(run.endedAt ?? Date.now()).toISOString(),
    pollInterval: POLL_INTERVAL_MS,
  };
}

/** Starts the run of a task-augmented call and answers with its task (CreateTaskResult). */
export function startTask(service: OrchService, req: RunRequest, extra: CallExtra): { task: Task } {
  const run = startLive(service, req, true);
  run.owner = extra.sessionId;
  return { task: taskOf(run, service.runs.keepMs) };
}

/** The SDK's TaskStore, answered from the service's runs. */
export class RunTaskStore implements TaskStore {
  constructor(readonly service: OrchService) {}

  createTask(): Promise<Task> {
    return Promise.reject(new Error("orch creates tasks only for execute_composed_code"));
  }

  getTask(taskId: string): Promise<Task | null> {
    const run = this.service.runs.get(taskId);
    return Promise.resolve(run ? taskOf(run, this.service.runs.keepMs) : null);
  }

  storeTaskResult(): Promise<void> {
    // A run's result is its own; nothing else is stored.
    return Promise.resolve();
  }

  async getTaskResult(taskId: string): Promise<CallToolResult> {
    const run = this.service.runs.get(taskId);
    if (!run) throw new Error(`Task not found: ${taskId}`);
    return runToolResult(await run.done);
  }

  updateTaskStatus(taskId: string, status: Task["status"]): Promise<void> {
    const run = this.service.runs.get(taskId);
    if (run && status === "cancelled" && !run.result) {
      run.cancelRequested = true;
      run.abort("cancelled by tasks/cancel");
    }
    return Promise.resolve();
  }

  /** The tasks `sessionId` started: another client's run ids never show (they are its capabilities). */
  listTasks(cursor?: string, sessionId?: string): Promise<{ tasks: Task[]; nextCursor?: string }> {
    const runs = this.service.runs.list().filter((r) => r.task && r.owner === sessionId);
    const start = cursor ? runs.findIndex((r) => r.id === cursor) + 1 : 0;
    if (cursor && start === 0) return Promise.reject(new Error(`invalid cursor "${cursor}"`));
    const page = runs.slice(start, start + PAGE);
    const next = start + PAGE < runs.length ? page[page.length - 1]?.id : undefined;
    return Promise.resolve({
      tasks: page.map((r) => taskOf(r, this.service.runs.keepMs)),
      ...(next ? { nextCursor: next } : {}),
    });
  }
}
