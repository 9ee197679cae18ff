/**
 * A run's journal: one JSON line per event in `<run folder>/journal.jsonl` (the run's start, every
 * tool call's admission, sending and outcome, the abort, the onAbort calls, the end), and the compact
 * summary a run's result carries. Writing never throws: a full disk costs the journal, never a stop.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import type { CallToolResult } from "../deps/mcp_sdk.ts";
import { CallDeniedError, errorText, RunAbortedError } from "../errors.ts";
import type { CallObserver, CallWatch } from "../shim/scope.ts";

/** How one call ended (or how far it got: `sent` means no answer yet). */
export type CallOutcome = "denied" | "not_sent" | "sent" | "ok" | "error" | "cancelled";

/** One call as the journal and the summary know it. */
export interface CallRecord {
  id: number;
  server: string;
  tool: string;
  outcome: CallOutcome;
  /** Milliseconds from admission to the end (absent while in flight). */
  ms?: number;
  /** The refusal's reason or the error's text. */
  text?: string;
  /** An onAbort call (made by orch after the abort, not by the policy). */
  onAbort?: boolean;
}

/** What a run's result says about its calls, in few tokens. */
export interface JournalSummary {
  /** Per `server.tool`: how many calls ended each way. */
  tools: Record<string, Partial<Record<CallOutcome, number>>>;
  /** Calls that were denied or failed (the first few). */
  failed: CallRecord[];
  /** Calls cut short by the abort (the first few). */
  cancelled: CallRecord[];
  /** The last calls before the end. */
  last: CallRecord[];
  /** The onAbort calls and how they went. */
  on_abort?: CallRecord[];
  /** Why the journal file is incomplete, when it is. */
  journal_error?: string;
}

/** Argument names whose values never reach the journal (matched case-insensitively, at any depth). */
export const DEFAULT_SECRET_ARGS = ["password", "passwd", "token", "secret", "api_key", "apikey", "authorization"];
export const REDACTED = "[redacted]";

const LIST_MAX = 5;
const ARGS_MAX_CHARS = 2000;
const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;
/** Milliseconds call lines wait to be written together (what a crash of orch can lose). */
const FLUSH_MS = 20;
const enc = new TextEncoder();

/** Writes lines to a file; throws what the file system says (tests inject a failing one). */
export type LineWriter = { write(line: string): void; close(): void };

/** Appends to `path` with plain synchronous writes (each line is on disk when the call goes on). */
export function fileWriter(path: string): LineWriter {
  const fd = openSync(path, "a", 0o600);
  return {
    write: (line) => {
      const bytes = enc.encode(line);
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off);
    },
    close: () => closeSync(fd),
  };
}

/** `args` with the values of secret names replaced, at any depth. */
export function redact(value: unknown, secret: ReadonlySet<string>): unknown {
  if (Array.isArray(value)) return value.map((v) => redact(v, secret));
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = secret.has(k.toLowerCase()) ? REDACTED : redact(v, secret);
  return out;
}

let isoMs = 0;
let isoText = "";
/** The time as ISO 8601, formatted once per millisecond (formatting costs more than the rest of a line). */
function isoNow(): string {
  const now = Date.now();
  if (now !== isoMs) {
    isoMs = now;
    isoText = new Date(now).toISOString();
  }
  return isoText;
}

/** True when a secret name occurs anywhere in `value` (most calls have none: nothing is copied then). */
function hasSecret(value: unknown, secret: ReadonlySet<string>): boolean {
  if (value === null || typeof value !== "object") return false;
  if (Array.isArray(value)) return value.some((v) => hasSecret(v, secret));
  for (const [k, v] of Object.entries(value)) if (secret.has(k.toLowerCase()) || hasSecret(v, secret)) return true;
  return false;
}

function argsForJournal(args: Record<string, unknown>, secret: ReadonlySet<string>): unknown {
  const clean = hasSecret(args, secret) ? redact(args, secret) : args;
  // A cheap bound first: only arguments that may be long are measured.
  if (
    Object.keys(args).length < 16 && Object.values(args).every((v) => typeof v !== "object" && String(v).length < 100)
  ) {
    return clean;
  }
  const text = JSON.stringify(clean) ?? "{}";
  return text.length > ARGS_MAX_CHARS ? { "[truncated]": text.slice(0, ARGS_MAX_CHARS) } : clean;
}

function resultText(result: CallToolResult): string {
  const parts = (result.content ?? []).map((c) => c.type === "text" ? c.text : `[${c.type}]`);
  return short(parts.join(" ") || "(no text)");
}

function short(text: string): string {
  return text.length > 300 ? text.slice(0, 297) + "..." : text;
}

export interface JournalOptions {
  /** Where lines go; a writer that cannot be opened is reported in the summary. */
  open: () => LineWriter;
  /** Names whose values are redacted (added to DEFAULT_SECRET_ARGS). */
  secretArgs?: readonly string[];
  /** Largest journal file; later lines are dropped (the summary keeps counting). */
  maxBytes?: number;
  /** Hears every call record when it changes (live views: progress, `orch run` on a terminal). */
  onCall?: (record: CallRecord) => void;
}

/** One run's journal; its observer goes into the run's scope. */
export class Journal implements CallObserver {
  readonly #secret: ReadonlySet<string>;
  readonly #maxBytes: number;
  readonly #onCall: ((record: CallRecord) => void) | undefined;
  readonly #open: () => LineWriter;
  #writer: LineWriter | undefined;
  #bytes = 0;
  #error: string | undefined;
  #closed = false;
  readonly #queue: string[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #nextId = 1;
  readonly #counts = new Map<string, Partial<Record<CallOutcome, number>>>();
  readonly #failed: CallRecord[] = [];
  readonly #cancelled: CallRecord[] = [];
  readonly #last: CallRecord[] = [];
  readonly #onAbort: CallRecord[] = [];
  readonly #inFlight = new Map<number, CallRecord>();

  constructor(opts: JournalOptions) {
    this.#open = opts.open;
    this.#secret = new Set([...DEFAULT_SECRET_ARGS, ...(opts.secretArgs ?? [])].map((s) => s.toLowerCase()));
    this.#maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
    this.#onCall = opts.onCall;
  }

  /**
   * Queues one event line; call ends reach the file together at most FLUSH_MS later (one write for a
   * burst of calls); a call's sending, the run's start, abort and end at once. A failure is remembered, never thrown.
   */
  event(type: string, fields: Record<string, unknown>): void {
    if (this.#error !== undefined || this.#closed) return;
    const line = JSON.stringify({ t: isoNow(), type, ...fields }) + "\n";
    if (this.#bytes + line.length > this.#maxBytes) {
      this.#queue.push(JSON.stringify({ t: isoNow(), type: "truncated" }) + "\n");
      this.flush();
      this.#error = `the journal reached ${this.#maxBytes} bytes; later events are only counted`;
      return;
    }
    this.#bytes += line.length;
    this.#queue.push(line);
    if (type !== "call") this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  /** Writes the queued lines now. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#queue.length === 0) return;
    const text = this.#queue.join("");
    this.#queue.length = 0;
    if (this.#error !== undefined && !text.includes('"type":"truncated"')) return;
    try {
      this.#writer ??= this.#open();
      this.#writer.write(text);
    } catch (err) {
      this.#error = `cannot write the journal: ${errorText(err)}`;
    }
  }

  denied(server: string, tool: string, args: Record<string, unknown>, reason: string): void {
    const record: CallRecord = { id: this.#nextId++, server, tool, outcome: "denied", text: short(reason) };
    this.event("call", { ...record, args: argsForJournal(args, this.#secret) });
    this.#finish(record);
  }

  admitted(server: string, tool: string, args: Record<string, unknown>, onAbort = false): CallWatch {
    const record: CallRecord = {
      id: this.#nextId++,
      server,
      tool,
      outcome: "not_sent",
      ...(onAbort ? { onAbort } : {}),
    };
    const started = performance.now();
    let logged = false;
    const line = () => logged ? {} : (logged = true, { server, tool, args: argsForJournal(args, this.#secret) });
    const end = (outcome: CallOutcome, text?: string) => {
      if (record.outcome !== "not_sent" && record.outcome !== "sent") return;
      record.outcome = outcome;
      record.ms = Math.round(performance.now() - started);
      if (text !== undefined) record.text = short(text);
      this.#inFlight.delete(record.id);
      this.event("call", { ...line(), ...record });
      this.#finish(record);
    };
    return {
      sent: () => {
        if (record.outcome !== "not_sent") return;
        record.outcome = "sent";
        this.#inFlight.set(record.id, record);
        this.event("call", { ...line(), ...record });
        // On disk before the call goes out: after a crash the journal still says what was in flight.
        this.flush();
        this.#tell(record);
      },
      done: (result) => result.isError === true ? end("error", resultText(result)) : end("ok"),
      failed: (err, aborted) => {
        if (err instanceof CallDeniedError) end("denied", err.reason);
        else if (record.outcome === "not_sent") end("not_sent", errorText(err));
        else if (aborted || err instanceof RunAbortedError) end("cancelled", errorText(err));
        else end("error", errorText(err));
      },
    };
  }

  /** The calls sent and not answered yet. */
  inFlight(): CallRecord[] {
    return [...this.#inFlight.values()].map((r) => ({ ...r }));
  }

  #finish(record: CallRecord): void {
    const name = `${record.server}.${record.tool}`;
    if (record.onAbort) {
      this.#onAbort.push({ ...record });
    } else {
      const counts = this.#counts.get(name) ?? {};
      counts[record.outcome] = (counts[record.outcome] ?? 0) + 1;
      this.#counts.set(name, counts);
      if ((record.outcome === "error" || record.outcome === "denied") && this.#failed.length < LIST_MAX) {
        this.#failed.push({ ...record });
      }
      if ((record.outcome === "cancelled" || record.outcome === "not_sent") && this.#cancelled.length < LIST_MAX) {
        this.#cancelled.push({ ...record });
      }
      this.#last.push({ ...record });
      if (this.#last.length > LIST_MAX) this.#last.shift();
    }
    this.#tell(record);
  }

  #tell(record: CallRecord): void {
    try {
      this.#onCall?.({ ...record });
    } catch {
      // A live view that fails must not change the run.
    }
  }

  /** The compact summary for a run's result (live while the run goes on). */
  summary(): JournalSummary {
    this.flush();
    return {
      tools: Object.fromEntries(this.#counts),
      failed: [...this.#failed],
      cancelled: [...this.#cancelled],
      last: [...this.#last],
      ...(this.#onAbort.length ? { on_abort: [...this.#onAbort] } : {}),
      ...(this.#error !== undefined ? { journal_error: this.#error } : {}),
    };
  }

  /** Closes the file (later events are dropped). */
  close(): void {
    this.flush();
    try {
      this.#writer?.close();
    } catch {
      // Nothing left to save.
    }
    this.#closed = true;
    this.#writer = undefined;
  }

  /** Why the journal is incomplete, or undefined. */
  get error(): string | undefined {
    return this.#error;
  }
}

/** One call as a short line: `ros-mcp-server.move_to_grasp ok 1.2 s` (progress, terminals, `orch runs`). */
export function callLine(call: CallRecord): string {
  const secs = call.ms === undefined ? "" : ` ${(call.ms / 1000).toFixed(1)} s`;
  const text = call.text && call.outcome !== "ok" ? `: ${call.text.slice(0, 120)}` : "";
  return `${call.onAbort ? "onAbort " : ""}${call.server}.${call.tool} ${call.outcome}${secs}${text}`;
}
