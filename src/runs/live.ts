/**
 * Runs of one `orch serve` as objects: started, polled and cancelled by id, from any MCP session.
 * Output is kept (bounded) with absolute offsets, so several readers each follow it at their own pace;
 * waiting is event-driven (no polling loop). Ended runs stay for `keepSeconds`, then are forgotten.
 */
import type { SessionReport } from "../executor/sessions.ts";
import type { RunRequest, RunResult, RunStatus } from "../executor/types.ts";
import type { JournalSummary } from "../executor/journal.ts";

/** Characters of live output kept per run for readers (the result keeps its own head and tail). */
const LIVE_OUTPUT_CHARS = 1024 * 1024;
/** Ended runs kept at most, whatever their age. */
const MAX_ENDED = 200;

type Stream = "stdout" | "stderr";

/** New output since an offset: stdout and stderr apart, and where the next read starts. */
export interface OutputSlice {
  output: string;
  error: string;
  next_offset: number;
  /** Characters between the offset and what is still kept (a reader that fell far behind). */
  skipped?: number;
}

/** One run, live or ended. */
export class LiveRun {
  readonly id: string;
  readonly startedAt = new Date();
  readonly title: string;
  /** Started as an MCP task. */
  readonly task: boolean;
  result: RunResult | undefined;
  endedAt: number | undefined;
  /** Set when a cancel was asked for (tasks/cancel, cancel_run), before the run has ended. */
  cancelRequested = false;
  readonly done: Promise<RunResult>;
  readonly #controller = new AbortController();
  #summary: () => JournalSummary = () => ({ tools: {}, failed: [], cancelled: [], last: [] });
  readonly #chunks: { at: number; stream: Stream; text: string }[] = [];
  #total = 0;
  #kept = 0;
  readonly #waiters = new Set<() => void>();
  readonly #decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  /** Per reader (an MCP session): where its next read starts. */
  readonly cursors = new Map<string, number>();
  /**
   * The MCP session that started it (HTTP), which must not be closed as idle while the run lives; a
   * task's shows in tasks/list only there (undefined over stdio, one client).
   */
  owner: string | undefined;
  /** For a persistent session's call: what its ended answer says about the session (gives the session back). */
  sessionReport: (() => SessionReport | undefined) | undefined;

  constructor(id: string, title: string, task: boolean, start: (req: Partial<RunRequest>) => Promise<RunResult>) {
    this.id = id;
    this.title = title;
    this.task = task;
    this.done = start({
      runId: id,
      signal: this.#controller.signal,
      onStdout: (c) => this.#push("stdout", c),
      onStderr: (c) => this.#push("stderr", c),
      onJournal: (s) => this.#summary = s,
    }).then((r) => {
      this.result = r;
      this.endedAt = Date.now();
      this.#wake();
      return r;
    });
  }

  get status(): RunStatus | "running" {
    return this.result?.status ?? "running";
  }

  /** Calls so far: the live journal summary (the final one once ended). */
  summary(): JournalSummary {
    return this.result?.summary ?? this.#summary();
  }

  /** Aborts the run like a client cancel (in-flight calls cancelled, onAbort sent). */
  abort(reason: string): void {
    this.#controller.abort(reason);
  }

  /** Total characters of output so far (the offset after everything). */
  get offset(): number {
    return this.#total;
  }

  #push(stream: Stream, chunk: Uint8Array): void {
    const text = this.#decoders[stream].decode(chunk, { stream: true });
    if (text === "") return;
    this.#chunks.push({ at: this.#total, stream, text });
    this.#total += text.length;
    this.#kept += text.length;
    while (this.#kept > LIVE_OUTPUT_CHARS && this.#chunks.length > 1) this.#kept -= this.#chunks.shift()!.text.length;
    this.#wake();
  }

  #wake(): void {
    for (const w of [...this.#waiters]) w();
  }

  /** Output from `offset` on. */
  slice(offset: number): OutputSlice {
    let output = "";
    let error = "";
    const first = this.#chunks[0]?.at ?? this.#total;
    for (const c of this.#chunks) {
      if (c.at + c.text.length <= offset) continue;
      const part = c.text.slice(Math.max(0, offset - c.at));
      if (c.stream === "stdout") output += part;
      else error += part;
    }
    return { output, error, next_offset: this.#total, ...(offset < first ? { skipped: first - offset } : {}) };
  }

  /**
   * Resolves once there is output past `offset`, the run has ended, `ms` have passed or `signal`
   * aborts, whichever is first. Output arriving in a burst is gathered for `linger` ms.
   */
  wait(offset: number, ms: number, signal?: AbortSignal, linger = 200): Promise<void> {
    if (this.result || this.#total > offset || ms <= 0 || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      let lingerTimer: ReturnType<typeof setTimeout> | undefined;
      const finish = () => {
        clearTimeout(timer);
        clearTimeout(lingerTimer);
        this.#waiters.delete(onChange);
        signal?.removeEventListener("abort", finish);
        resolve();
      };
      const onChange = () => {
        if (this.result) return finish();
        if (this.#total > offset && lingerTimer === undefined) lingerTimer = setTimeout(finish, linger);
      };
      const timer = setTimeout(finish, ms);
      this.#waiters.add(onChange);
      signal?.addEventListener("abort", finish, { once: true });
    });
  }
}

export interface RunBookOptions {
  /** Seconds an ended run is kept. */
  keepSeconds: number;
}

/** The runs of one service, by id. */
export class RunBook {
  readonly #runs = new Map<string, LiveRun>();
  readonly #keepMs: number;

  constructor(opts: RunBookOptions) {
    this.#keepMs = opts.keepSeconds * 1000;
  }

  /** Milliseconds an ended run is kept. */
  get keepMs(): number {
    return this.#keepMs;
  }

  /** Starts a run; `start` gets the request fields the book owns (id, signal, output hooks). */
  start(
    title: string,
    task: boolean,
    start: (req: Partial<RunRequest>) => Promise<RunResult>,
  ): LiveRun {
    this.sweep();
    const run = new LiveRun(crypto.randomUUID(), title, task, start);
    this.#runs.set(run.id, run);
    run.done.catch(() => this.#runs.delete(run.id));
    return run;
  }

  get(id: string): LiveRun | undefined {
    this.sweep();
    return this.#runs.get(id);
  }

  /** Live and kept runs, oldest first. */
  list(): LiveRun[] {
    this.sweep();
    return [...this.#runs.values()];
  }

  /** Forgets ended runs past their keep time, and the oldest ended ones beyond MAX_ENDED. */
  sweep(now = Date.now()): void {
    const ended = [...this.#runs.values()].filter((r) => r.endedAt !== undefined);
    for (const r of ended) if (now - r.endedAt! > this.#keepMs) this.#runs.delete(r.id);
    const left = ended.filter((r) => this.#runs.has(r.id));
    for (const r of left.slice(0, Math.max(0, left.length - MAX_ENDED))) this.#runs.delete(r.id);
  }
}
