/** Linux /proc helpers: who runs what, and the process tree under a pid. Empty answers elsewhere. */
import { readdirSync, readFileSync } from "node:fs";
import process from "node:process";

function pids(): number[] {
  try {
    return readdirSync("/proc").filter((n) => /^\d+$/.test(n)).map(Number);
  } catch {
    return [];
  }
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, "latin1");
  } catch {
    return undefined;
  }
}

/** Parent pid and state from /proc/PID/stat (the command name may hold spaces and parentheses). */
function stat(pid: number): { ppid: number; state: string } | undefined {
  const text = read(`/proc/${pid}/stat`);
  if (text === undefined) return undefined;
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { state: fields[0] ?? "?", ppid: Number(fields[1]) };
}

/**
 * Tasks (processes and threads) whose real uid is `uid`: what RLIMIT_NPROC counts against in the
 * initial user namespace, so a limit set on top of it bounds only what the policy adds. Undefined
 * without /proc (macOS): then nothing says how many the user already has.
 */
export function tasksOfUid(uid: number): number | undefined {
  const all = pids();
  if (all.length === 0) return undefined;
  let n = 0;
  for (const pid of all) {
    const status = read(`/proc/${pid}/status`);
    if (status === undefined) continue;
    const real = /^Uid:\s+(\d+)/m.exec(status)?.[1];
    if (real === undefined || Number(real) !== uid) continue;
    n += Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? 1);
  }
  return n;
}

/** Live (not zombie) descendants of `root`, parents before children. */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const pid of pids()) {
    const s = stat(pid);
    if (s === undefined || s.state === "Z") continue;
    const list = children.get(s.ppid);
    if (list) list.push(pid);
    else children.set(s.ppid, [pid]);
  }
  const out: number[] = [];
  const todo = [...(children.get(root) ?? [])];
  while (todo.length > 0) {
    const pid = todo.shift()!;
    out.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** The command name of a process (`comm`), or undefined when it is gone. */
export function commOf(pid: number): string | undefined {
  return read(`/proc/${pid}/comm`)?.trim();
}

/** When the process started, in clock ticks since boot: with the pid it names one process, even after pid reuse. */
export function startTimeOf(pid: number): string | undefined {
  const text = read(`/proc/${pid}/stat`);
  if (text === undefined) return undefined;
  return text.slice(text.lastIndexOf(")") + 2).split(" ")[19];
}

/** Sends `signal` to each pid; gone ones are skipped. */
export function signalAll(list: readonly number[], signal: "SIGINT" | "SIGKILL"): void {
  for (const pid of list) {
    try {
      process.kill(pid, signal);
    } catch {
      // Gone already, or not ours.
    }
  }
}

/** orch's effective uid, or undefined where there is none (Windows). */
export function currentUid(): number | undefined {
  return process.getuid?.();
}

/** Tasks (processes and threads) of `root` and its live descendants. */
export function treeTasks(root: number): number {
  let n = 0;
  for (const pid of [root, ...descendants(root)]) {
    const status = read(`/proc/${pid}/status`);
    if (status !== undefined) n += Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? 1);
  }
  return n;
}

/** Samples the largest task count of a process tree (the policy's) while a run goes on. */
export class TaskPeak {
  peak = 0;
  #timer: ReturnType<typeof setInterval> | undefined;

  /** `root()`: the tree's root pid, or undefined while there is none to sample. */
  constructor(root: () => number | undefined, intervalMs = 250) {
    this.#timer = setInterval(() => {
      const pid = root();
      if (pid !== undefined) this.peak = Math.max(this.peak, treeTasks(pid));
    }, intervalMs);
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
