/** Timers every layer waits with. */

/**
 * Resolves after `ms`, or as soon as `signal` aborts (it never rejects: a caller that must stop
 * on abort checks the signal after waiting).
 */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
