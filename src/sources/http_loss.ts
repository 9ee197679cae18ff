/**
 * Tells, from a failed request to a remote (HTTP) server, whether its session or connection is gone,
 * and whether the request can have reached the tool. A Streamable HTTP server that restarts forgets
 * every session and answers 404 (the spec's "start a new session"); one that is down refuses the
 * connection. Either way the request never ran, so it may be sent again on a new session.
 */

import { SseError, StreamableHTTPError } from "../deps/mcp_sdk.ts";

/** `unsent`: the session or server is gone and the request did not run; `lost`: it may have run. */
export type HttpLoss = "unsent" | "lost";

const REFUSED = /ECONNREFUSED|connection refused|Connection refused|ENOTFOUND|EHOSTUNREACH|ENETUNREACH/;
const LOST =
  /ECONNRESET|EPIPE|socket hang up|other side closed|connection reset|connection closed before|broken pipe|SSE stream disconnected|terminated|error sending request|fetch failed/i;

/** The HTTP status the SDK's transport saw, when the error carries one. */
function status(err: unknown): number | undefined {
  const code = err instanceof StreamableHTTPError || err instanceof SseError ? err.code : undefined;
  return typeof code === "number" && code >= 100 && code < 600 ? code : undefined;
}

/** Every message in the error's cause chain, joined (fetch hides ECONNREFUSED in a cause). */
function messages(err: unknown): string {
  const out: string[] = [];
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 8; depth++) {
    out.push(e instanceof Error ? `${e.message} ${(e as { code?: unknown }).code ?? ""}` : String(e));
    e = e instanceof Error ? e.cause : undefined;
  }
  return out.join(" | ");
}

/** How a remote request failed, or undefined when the server answered (an error of its own). */
export function httpLoss(err: unknown): HttpLoss | undefined {
  const code = status(err);
  const text = messages(err);
  if (code === 404) return "unsent";
  if (code === 400 && /session/i.test(text)) return "unsent";
  if (code !== undefined) return undefined;
  if (REFUSED.test(text)) return "unsent";
  if (LOST.test(text)) return "lost";
  return undefined;
}
