/** Bridges between the signal-free CallCancel and the places that still hold an AbortSignal. */
import type { CallToolResult } from "../deps/mcp_sdk.ts";
import { CallCancelledError } from "./stdio_calls.ts";
import type { CallCancel } from "./types.ts";

/** A CallCancel that follows `signal` until `done` is called. */
export function cancelFromSignal(signal: AbortSignal): { cancel: CallCancel; done: () => void } {
  const cancel: CallCancel = { cancelled: undefined, oncancel: undefined, signal };
  const onAbort = () => {
    (cancel as { cancelled: string | undefined }).cancelled = String(signal.reason ?? "aborted");
    cancel.oncancel?.(cancel.cancelled!);
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener("abort", onAbort, { once: true });
  return { cancel, done: () => signal.removeEventListener("abort", onAbort) };
}

/**
 * Waits for `p`, but rejects as soon as `cancel` fires (the work behind `p` goes on for others).
 * Its handler is taken off before the waiter resumes, and only while it is still the one set: the
 * next stage of the call (the lean stdio call) sets its own, which must outlive this wait.
 */
export function untilCancelled<T>(p: Promise<T>, cancel: CallCancel | undefined): Promise<T> {
  if (cancel === undefined) return p;
  if (cancel.cancelled !== undefined) return Promise.reject(new CallCancelledError(cancel.cancelled));
  return new Promise<T>((resolve, reject) => {
    const mine = (reason: string) => reject(new CallCancelledError(reason));
    cancel.oncancel = mine;
    p.then((value) => {
      if (cancel.oncancel === mine) cancel.oncancel = undefined;
      resolve(value);
    }, (err) => {
      if (cancel.oncancel === mine) cancel.oncancel = undefined;
      reject(err);
    });
  });
}

/** About how many bytes a result holds (its texts and data), without serializing it. */
export function resultBytes(result: CallToolResult): number {
  let n = 0;
  for (const item of result.content ?? []) {
    const r = item as Record<string, unknown>;
    for (const key of ["text", "data"]) {
      const v = r[key];
      if (typeof v === "string") n += v.length;
    }
    const res = r.resource as Record<string, unknown> | undefined;
    if (res && typeof res.text === "string") n += res.text.length;
    if (res && typeof res.blob === "string") n += res.blob.length;
  }
  if (result.structuredContent !== undefined) n += JSON.stringify(result.structuredContent).length;
  return n;
}
