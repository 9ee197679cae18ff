/**
 * Persistent sessions of `orch serve` (`execute_composed_code(code, session_id, persistent=true)`):
 * one live policy process per session, started on its first call in the same sandbox and limits as
 * any run, that keeps its namespace (data, functions, classes, modules, open objects) between calls.
 * Each call is still its own run: its own scope, token, budget, timeout and abort (run.ts).
 *
 * What ends a session, always said in the next answer for that id: an aborted or timed-out call
 * (its process is killed, so no half-run state is kept), its process exiting, growing past
 * `sessions.memoryMb`, sitting idle `sessions.idleSeconds`, or making room when `sessions.max`
 * sessions are live. The Python side is templates/orch_session.py.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Config } from "../config/schema.ts";
import { errorText } from "../errors.ts";
import type { ExitStatus } from "../runtime/mod.ts";
import type { Contained } from "./containment.ts";
import { runDirPrefix } from "./leftovers.ts";
import { handOver } from "./output_handover.ts";
import { PolicyProcess } from "./policy_process.ts";
import type { PolicyHandle, RunResult, RunWorker, WorkerCall } from "./types.ts";

export type SessionLimits = Config["orchestrator"]["sessions"];

const enc = new TextEncoder();
const dec = new TextDecoder();
/** Output a session prints between calls (a thread left running) that is kept for its next call. */
const BETWEEN_MAX = 64 * 1024;
/** Ended sessions remembered, so the next call for one says what happened to it. */
const GONE_MAX = 256;

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  for (let i = hay.indexOf(needle[0]!); i >= 0 && i <= hay.length - needle.length; i = hay.indexOf(needle[0]!, i + 1)) {
    let k = 1;
    while (k < needle.length && hay[i + k] === needle[k]) k++;
    if (k === needle.length) return i;
  }
  return -1;
}

/** Finds a call's end marker (`\0orch-end:NONCE[:payload]\n`) in one output stream. */
export class EndMarker {
  readonly #marker: Uint8Array;
  #held: Uint8Array = new Uint8Array(0);

  constructor(nonce: string) {
    this.#marker = enc.encode(`\0orch-end:${nonce}`);
  }

  /** The bytes that belong to the call so far, and once the marker is complete its payload and what followed. */
  push(chunk: Uint8Array): { out: Uint8Array; end?: { payload: string; rest: Uint8Array } } {
    const data = concat(this.#held, chunk);
    const at = indexOf(data, this.#marker);
    if (at >= 0) {
      const nl = data.indexOf(10, at + this.#marker.length);
      if (nl < 0) {
        this.#held = data.slice(at);
        return { out: data.slice(0, at) };
      }
      this.#held = new Uint8Array(0);
      const payload = dec.decode(data.slice(at + this.#marker.length, nl)).replace(/^:/, "");
      return { out: data.slice(0, at), end: { payload, rest: data.slice(nl + 1) } };
    }
    // Hold back a tail that may be the start of the marker.
    let keep = Math.min(this.#marker.length - 1, data.length);
    for (; keep > 0; keep--) {
      if (indexOf(this.#marker.subarray(0, keep), data.subarray(data.length - keep)) === 0) break;
    }
    this.#held = data.slice(data.length - keep);
    return { out: data.slice(0, data.length - keep) };
  }
}

interface Current {
  call: WorkerCall;
  out: EndMarker;
  err: EndMarker;
  result?: { returncode: number; session_vars?: string[]; rss_kb?: number | null };
  errEnded: boolean;
  settle: (s: ExitStatus) => void;
}

function describeExit(s: ExitStatus): string {
  return s.signal ? `killed by ${s.signal}` : `exit status ${s.code}`;
}

/** One session's live process. */
export class SessionWorker implements RunWorker {
  readonly runDir: string;
  outputDir: string | undefined;
  /** Names the policy defined, after the last call. */
  vars: string[] = [];
  /** Resident memory of the process after the last call, KiB. */
  rssKb: number | undefined;
  lastUsed = Date.now();
  busy = false;
  /** Why the session is over, once it is. */
  ended: string | undefined;
  /** The tools changed (refresh_tools) since the process started with its API. */
  staleApi = false;
  #apiDir: string | undefined;
  #proc: PolicyProcess | undefined;
  #contained: Contained | undefined;
  #current: Current | undefined;
  #between: Uint8Array[] = [];
  #betweenBytes = 0;
  #calls = 0;
  #onEnd: (why: string) => void;
  #log: (line: string) => void;
  #cleaned = false;
  #cleanedUp!: () => void;
  /** Resolves once the ended session's process tree is gone and its output folder handed over. */
  readonly finished: Promise<void> = new Promise((r) => this.#cleanedUp = r);

  /** `id` is the agent's session_id; `key` also names its owner (see SessionPool.acquire). */
  constructor(
    readonly id: string,
    readonly key: string,
    onEnd: (why: string) => void,
    log: (line: string) => void = () => {},
  ) {
    // Named after this orch process, so the next orch removes it should this one be killed.
    this.runDir = mkdtempSync(join(tmpdir(), runDirPrefix("orch-session-")));
    this.#onEnd = onEnd;
    this.#log = log;
  }

  /** Hands one call to the process (started on the first call); `done` resolves when the call has ended. */
  async start(call: WorkerCall): Promise<{ proc: PolicyHandle; contained: Contained }> {
    if (this.ended) throw new Error(`session ${JSON.stringify(this.id)} has ended: ${this.ended}`);
    this.#calls++;
    if (!this.#proc) {
      const contained = await call.contain();
      this.#contained = contained;
      this.outputDir = call.outputDir;
      this.#apiDir = call.apiDir;
      const proc = new PolicyProcess({
        argv: contained.argv,
        cwd: contained.cwd,
        env: contained.env,
        sandboxed: contained.sandbox === "bwrap",
        stdin: true,
        onStdout: (c) => this.#output(1, c),
        onStderr: (c) => this.#output(2, c),
      });
      this.#proc = proc;
      void proc.done.then((s) => this.#exited(s));
    }
    this.staleApi = call.apiDir !== this.#apiDir;
    const proc = this.#proc;
    const nonce = crypto.randomUUID().replaceAll("-", "");
    let settle!: (s: ExitStatus) => void;
    const done = new Promise<ExitStatus>((r) => settle = r);
    this.#current = { call, out: new EndMarker(nonce), err: new EndMarker(nonce), errEnded: false, settle };
    const between = this.#between;
    this.#between = [];
    this.#betweenBytes = 0;
    for (const chunk of between) await call.onStdout(chunk);
    const request = {
      code: call.code,
      path: join(this.runDir, `call-${this.#calls}.py`),
      token: call.token,
      run_id: call.runId,
      nonce,
    };
    // A process that died before reading it settles the call through #exited.
    await proc.write(enc.encode(JSON.stringify(request) + "\n")).catch(() => {});
    if (this.ended) settle({ code: 1, signal: null });
    // The cgroup is the session's: it outlives the call, so the executor must not close it.
    return {
      proc: { done, interrupt: () => proc.interrupt(), kill: () => proc.kill() },
      contained: { ...this.#contained!, cgroup: undefined, lease: undefined },
    };
  }

  async #output(fd: 1 | 2, chunk: Uint8Array): Promise<void> {
    const cur = this.#current;
    if (!cur) {
      if (this.#betweenBytes + chunk.length <= BETWEEN_MAX) {
        this.#between.push(chunk);
        this.#betweenBytes += chunk.length;
      }
      return;
    }
    const { out, end } = (fd === 1 ? cur.out : cur.err).push(chunk);
    if (out.length) await (fd === 1 ? cur.call.onStdout(out) : cur.call.onStderr(out));
    if (!end) return;
    if (fd === 1) {
      try {
        cur.result = JSON.parse(end.payload);
      } catch {
        cur.result = { returncode: 1 };
      }
    } else cur.errEnded = true;
    if (end.rest.length) this.#between.push(end.rest);
    if (cur.result && cur.errEnded && this.#current === cur) {
      this.#current = undefined;
      this.vars = cur.result.session_vars ?? [];
      this.rssKb = cur.result.rss_kb ?? undefined;
      this.lastUsed = Date.now();
      cur.settle({ code: cur.result.returncode, signal: null });
    }
  }

  #exited(status: ExitStatus): void {
    this.#finish(`its process ended (${describeExit(status)})`);
    const cur = this.#current;
    this.#current = undefined;
    cur?.settle(status);
  }

  #finish(why: string): void {
    if (!this.ended) {
      this.ended = why;
      this.vars = [];
      this.#onEnd(why);
    }
    if (this.#cleaned) return;
    this.#cleaned = true;
    rmSync(this.runDir, { recursive: true, force: true });
    void this.#cleanUp().finally(this.#cleanedUp);
  }

  /**
   * After the process is gone and its cgroup killed: the output it wrote through every call goes to the
   * client's folder now (never while the untrusted process lives), then its uid is given back.
   */
  async #cleanUp(): Promise<void> {
    const contained = this.#contained;
    try {
      await contained?.cgroup?.close();
    } catch (err) {
      this.#log(`session ${this.id}: cannot close its cgroup: ${errorText(err)}`);
    }
    if (contained?.staging) {
      const { files, skipped } = handOver(contained.staging);
      if (files || skipped.length) {
        this.#log(`session ${this.id}: output: ${files} file(s) handed to ${contained.staging.dest}`);
      }
      if (skipped.length) this.#log(`session ${this.id}: output: left out ${skipped.join(", ")}`);
    }
    contained?.lease?.release();
  }

  /** Ends the session: its process and everything it started are killed, its folder removed. */
  end(why: string): void {
    if (!this.ended) {
      this.ended = why;
      this.vars = [];
      this.#onEnd(why);
    }
    if (this.#proc) this.#proc.kill();
    else this.#finish(why);
  }

  get calls(): number {
    return this.#calls;
  }
}

/** A session is running another call. */
export class SessionBusyError extends Error {}

/** What a call's answer says about its session. */
export interface SessionReport {
  session_id: string;
  session_vars: string[];
  /** Set when the session is new because an earlier one ended, or when it ended with this call. */
  session_note?: string;
}

/** The live sessions of one `orch serve`, bounded in count, idle time and memory. */
export class SessionPool {
  readonly #live = new Map<string, SessionWorker>();
  readonly #gone = new Map<string, string>();
  readonly #timers = new Map<string, ReturnType<typeof setTimeout>>();
  #closed = false;

  constructor(readonly limits: SessionLimits, readonly log: (line: string) => void) {}

  /**
   * The session `id` of `owner` (the MCP session, when the transport has one, so two clients' ids
   * never meet), started when there is none; throws SessionBusyError while it runs a call.
   */
  acquire(id: string, owner = ""): { worker: SessionWorker; note?: string } {
    if (this.#closed) throw new Error("orch is shutting down");
    const key = `${owner}\0${id}`;
    clearTimeout(this.#timers.get(key));
    const live = this.#live.get(key);
    if (live && !live.ended) {
      if (live.busy) {
        throw new SessionBusyError(
          `session ${JSON.stringify(id)} is running another call: wait for it, or use another session_id`,
        );
      }
      live.busy = true;
      return { worker: live };
    }
    let note: string | undefined;
    const gone = this.#gone.get(key);
    if (gone) note = `session ${JSON.stringify(id)} had ended (${gone}); this call started it again, empty`;
    this.#gone.delete(key);
    this.#makeRoom();
    const worker = new SessionWorker(id, key, (why) => {
      this.#live.delete(key);
      this.#remember(key, why);
      clearTimeout(this.#timers.get(key));
      this.log(`session ${id} ended: ${why}`);
    }, this.log);
    worker.busy = true;
    this.#live.set(key, worker);
    return { worker, ...(note ? { note } : {}) };
  }

  /** After a call: ends the session when the call did not end on its own or it grew too big; says what the answer reports. */
  release(worker: SessionWorker, result: RunResult | undefined, note?: string): SessionReport {
    worker.busy = false;
    const notes = note ? [note] : [];
    if (!worker.ended) {
      if (!result || result.status === "timeout" || result.status === "aborted") {
        const why = result
          ? `the call ${result.status === "timeout" ? "timed out" : "was aborted"}`
          : "the call failed";
        worker.end(`${why}; its state is gone`);
      } else if (worker.rssKb !== undefined && worker.rssKb > this.limits.memoryMb * 1024) {
        worker.end(`it uses ${Math.round(worker.rssKb / 1024)} MiB, over sessions.memoryMb ${this.limits.memoryMb}`);
      } else {
        this.#armIdle(worker);
      }
    }
    if (worker.ended) notes.push(`session ended: ${worker.ended}`);
    else if (worker.staleApi) {
      notes.push(
        "the tools changed since this session started: it still has the old functions (a new session_id gets the new ones)",
      );
    }
    return {
      session_id: worker.id,
      session_vars: worker.ended ? [] : worker.vars,
      ...(notes.length ? { session_note: notes.join("; ") } : {}),
    };
  }

  /** Ends every session (orch is shutting down); resolves when their output folders are handed over. */
  close(): Promise<void> {
    this.#closed = true;
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
    const live = [...this.#live.values()];
    for (const w of live) w.end("orch shut down");
    return Promise.all(live.map((w) => w.finished)).then(() => {});
  }

  /** True while `owner` (an MCP session) has a live session. */
  owns(owner: string): boolean {
    for (const key of this.#live.keys()) if (key.startsWith(`${owner}\0`)) return true;
    return false;
  }

  /** Live sessions (for tests and logs). */
  get size(): number {
    return this.#live.size;
  }

  #armIdle(worker: SessionWorker): void {
    const ms = this.limits.idleSeconds * 1000;
    this.#timers.set(
      worker.key,
      setTimeout(() => {
        this.#timers.delete(worker.key);
        if (!worker.busy) worker.end(`idle for ${this.limits.idleSeconds} s (sessions.idleSeconds)`);
      }, ms),
    );
  }

  #makeRoom(): void {
    while (this.#live.size >= this.limits.max) {
      const idle = [...this.#live.values()].filter((w) => !w.busy).sort((a, b) => a.lastUsed - b.lastUsed)[0];
      if (!idle) {
        throw new SessionBusyError(
          `${this.#live.size} sessions are running calls (sessions.max ${this.limits.max}): wait for one to finish`,
        );
      }
      idle.end(`made room for a new session (sessions.max ${this.limits.max})`);
    }
  }

  #remember(id: string, why: string): void {
    this.#gone.set(id, why);
    while (this.#gone.size > GONE_MAX) this.#gone.delete(this.#gone.keys().next().value!);
  }
}
