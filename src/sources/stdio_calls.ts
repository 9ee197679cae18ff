/**
 * The lean tools/call path over orch's own stdio transport. Requests are written as one line and
 * their answers taken from this id map with a structural check; the SDK's Client, which keeps
 * initialize, listing, notifications and progress, never sees them. Per call there is one
 * promise and one map entry: no AbortSignal, listener or timer (one deadline sweep serves all).
 */
import type { CallToolResult } from "../deps/mcp_sdk.ts";
import type { CallCancel } from "./types.ts";
import { callResultProblem, responseProblem } from "./call_check.ts";
import { keepRawResult } from "./raw_result.ts";

/** The request never reached the server (it had exited, or the write failed): safe to send again. */
export class NotSentError extends Error {}
/** The server ended after the request was written: it may have run. */
export class CallGoneError extends Error {}
/** No answer within the call's timeout. */
export class CallTimeoutError extends Error {}
/** The caller cancelled (the run was aborted). */
export class CallCancelledError extends Error {}
/** The server's answer is not a tools/call answer, or is over the size cap. */
export class InvalidResponseError extends Error {}

interface Pending {
  tool: string;
  deadline: number;
  timeoutMs: number;
  resolve: (result: CallToolResult) => void;
  reject: (err: Error) => void;
  cancel: CallCancel | undefined;
  /** The handler this call set on `cancel` (taken off again only while it is still the one set). */
  oncancel: ((reason: string) => void) | undefined;
}

/** How often deadlines are checked: a call times out at most this late. */
const SWEEP_MS = 100;
// Far above the SDK's own ids (0, 1, 2, ...), so the two never meet on one connection.
const FIRST_ID = 1_000_000_000;

export class StdioCalls {
  readonly #pending = new Map<number, Pending>();
  #nextId = FIRST_ID;
  #sweep: ReturnType<typeof setInterval> | undefined;
  /** Set once the server has ended: later calls are refused as never sent. */
  #gone: string | undefined;

  /** `write` sends one line, throwing or rejecting when it cannot reach the server. */
  constructor(readonly server: string, readonly write: (line: string) => Promise<void>) {}

  /** Calls in flight. */
  get size(): number {
    return this.#pending.size;
  }

  /** The id of the call in flight when there is exactly one. */
  onlyId(): number | undefined {
    return this.#pending.size === 1 ? this.#pending.keys().next().value : undefined;
  }

  /** The tool a request id of this map is calling, or undefined when the id is not ours. */
  toolOf(id: unknown): string | undefined {
    return typeof id === "number" ? this.#pending.get(id)?.tool : undefined;
  }

  /** Sends one tools/call; settles with the result, a JSON-RPC error as an `isError` result, or one of the errors above. */
  call(tool: string, args: Record<string, unknown>, timeoutMs: number, cancel?: CallCancel): Promise<CallToolResult> {
    if (this.#gone !== undefined) return Promise.reject(new NotSentError(this.#gone));
    if (cancel?.cancelled !== undefined) return Promise.reject(new CallCancelledError(cancel.cancelled));
    const id = this.#nextId++;
    const line = `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":${
      JSON.stringify({ name: tool, arguments: args })
    }}\n`;
    return new Promise<CallToolResult>((resolve, reject) => {
      const p: Pending = {
        tool,
        deadline: Date.now() + timeoutMs,
        timeoutMs,
        resolve,
        reject,
        cancel,
        oncancel: undefined,
      };
      this.#pending.set(id, p);
      if (cancel !== undefined) cancel.oncancel = p.oncancel = (reason) => this.#cancel(id, p, reason);
      this.#sweep ??= setInterval(() => this.#expire(), SWEEP_MS);
      const failed = (err: unknown) => {
        if (this.#pending.get(id) !== p) return;
        this.#forget(id, p);
        reject(new NotSentError(err instanceof Error ? err.message : String(err)));
      };
      try {
        cancel?.sent?.();
        this.write(line).catch(failed);
      } catch (err) {
        failed(err);
      }
    });
  }

  /**
   * Settles the call a response answers; false when the id is not one of ours. `line`, when given, is
   * the valid UTF-8 the message was parsed from: a result's bytes are kept from it (raw_result.ts).
   */
  take(msg: Record<string, unknown>, line?: Uint8Array): boolean {
    const id = msg.id;
    if (typeof id !== "number") return false;
    const p = this.#pending.get(id);
    if (p === undefined) return false;
    this.#forget(id, p);
    const problem = responseProblem(msg) ??
      ("result" in msg ? callResultProblem(msg.result as Record<string, unknown>) : undefined);
    if (problem !== undefined) {
      p.reject(new InvalidResponseError(`invalid response from ${this.server} to ${p.tool}: ${problem}`));
      return true;
    }
    if ("error" in msg) {
      const e = msg.error as { code: number; message: string };
      // The same words the SDK gives a JSON-RPC error, so both paths read alike.
      p.resolve({ content: [{ type: "text", text: `MCP error ${e.code}: ${e.message}` }], isError: true });
      return true;
    }
    const result = msg.result as CallToolResult;
    if (result.content === undefined) result.content = [];
    else if (line !== undefined) keepRawResult(result, line);
    p.resolve(result);
    return true;
  }

  /** Fails one call (e.g. its answer was over the size cap); false when the id is not ours. */
  fail(id: unknown, err: Error): boolean {
    if (typeof id !== "number") return false;
    const p = this.#pending.get(id);
    if (p === undefined) return false;
    this.#forget(id, p);
    p.reject(err);
    return true;
  }

  /** The server has ended: every call in flight fails (it may have run), later ones are never sent. */
  end(why: string): void {
    this.#gone = why;
    for (const [id, p] of [...this.#pending]) {
      this.#forget(id, p);
      p.reject(new CallGoneError(why));
    }
    this.#stopSweep();
  }

  #forget(id: number, p: Pending): void {
    this.#pending.delete(id);
    if (p.cancel !== undefined && p.cancel.oncancel === p.oncancel) p.cancel.oncancel = undefined;
  }

  #stopSweep(): void {
    if (this.#sweep === undefined) return;
    clearInterval(this.#sweep);
    this.#sweep = undefined;
  }

  #cancel(id: number, p: Pending, reason: string): void {
    if (this.#pending.get(id) !== p) return;
    this.#forget(id, p);
    this.#notifyCancelled(id, reason);
    p.reject(new CallCancelledError(reason));
  }

  // The sweep stops once a round finds nothing in flight, not when each call ends: sequential calls
  // would otherwise make and clear a timer apiece.
  #expire(): void {
    if (this.#pending.size === 0) return this.#stopSweep();
    const now = Date.now();
    for (const [id, p] of this.#pending) {
      if (p.deadline > now) continue;
      this.#forget(id, p);
      this.#notifyCancelled(id, `timed out after ${p.timeoutMs / 1000} s`);
      p.reject(new CallTimeoutError(`${this.server}.${p.tool} timed out after ${p.timeoutMs / 1000} s`));
    }
  }

  #notifyCancelled(id: number, reason: string): void {
    const note = { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: id, reason } };
    try {
      this.write(JSON.stringify(note) + "\n").catch(() => {});
    } catch {
      // The server is gone: nothing to cancel.
    }
  }
}
