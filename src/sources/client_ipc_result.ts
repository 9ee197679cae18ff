/**
 * Hybrid mode: turning the MCP client's flattened `POST /call_tool` answer back into the MCP result
 * the tool most likely sent, so a policy sees the same Python value as in standalone mode.
 *
 * What the seed's client (mcp-client-example) does to a result before orch sees it: it joins the
 * text blocks with newlines, writes `[Image: mime]` for an image, drops `isError` and
 * `structuredContent`, and answers `result` = the joined text JSON-parsed when it parses, else the
 * one-element list `["text"]`. What can and cannot be told apart is listed in README.md ("Hybrid
 * mode: what a policy sees").
 */
import type { CallToolResult } from "../deps/mcp_sdk.ts";
import { UpstreamAbortedError, UpstreamError } from "../errors.ts";

/** Why an image is missing, as the policy's DroppedImage says it. */
export const IMAGE_DROPPED =
  'the MCP client dropped the image data (its IPC passes text only, an image becomes "[Image: mime]"); ' +
  "run orch standalone to get images";

/** The text the client answers every call with while its user's abort (Ctrl+A) is in progress. */
export const CLIENT_SOFT_ABORT = "[Tool execution cancelled - abort requested]";
const CLIENT_NO_SESSION = "[Tool execution failed - no active session]";
const PLACEHOLDER = /^\[Image: ([^\]\n]+)\]$/;

type Content = CallToolResult["content"];

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** The text item a JSON value came from: the string itself when it is not JSON, so it decodes back unchanged. */
function textFor(value: unknown): string {
  if (typeof value === "string") {
    try {
      JSON.parse(value);
    } catch {
      return value;
    }
  }
  return JSON.stringify(value ?? null) ?? "null";
}

/**
 * Two or more JSON objects/arrays one per block, as FastMCP sends a list of dicts (one text item per
 * element) and the client joined them; undefined when the text is anything else.
 */
function splitJsonBlocks(text: string): string[] | undefined {
  if (!/^\s*[[{]/.test(text) || !text.includes("\n")) return undefined;
  const blocks: string[] = [];
  let start = 0;
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) {
    const piece = text.slice(start, i);
    if (/^\s*[[{]/.test(piece) && parses(piece)) {
      blocks.push(piece);
      start = i + 1;
    }
  }
  const last = text.slice(start);
  if (!/^\s*[[{]/.test(last) || !parses(last)) return undefined;
  blocks.push(last);
  return blocks.length >= 2 ? blocks : undefined;
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** The content items behind a joined text: images as dropped placeholders, JSON blocks split again. */
function contentOf(text: string): Content {
  const lines = text.split("\n");
  if (!lines.some((l) => PLACEHOLDER.test(l))) {
    const blocks = splitJsonBlocks(text);
    return (blocks ?? [text]).map((t) => ({ type: "text" as const, text: t }));
  }
  const content: Content = [];
  let pending: string[] = [];
  const flush = () => {
    if (pending.length) content.push({ type: "text", text: pending.join("\n") });
    pending = [];
  };
  for (const line of lines) {
    const image = PLACEHOLDER.exec(line);
    if (!image) {
      pending.push(line);
      continue;
    }
    flush();
    // An image item without data; the runtime turns it into a DroppedImage that says why.
    content.push({ type: "image", data: "", mimeType: image[1]!, _meta: { "orch/dropped": IMAGE_DROPPED } });
  }
  flush();
  return content;
}

/**
 * The MCP result for a 200 `{success: true, result}` of `server.tool`. Throws UpstreamAbortedError
 * for the client's abort answer and UpstreamError when it has no session.
 */
export function resultFromClient(server: string, tool: string, result: unknown): CallToolResult {
  if (result === CLIENT_SOFT_ABORT) {
    throw new UpstreamAbortedError(
      server,
      `the MCP client's user asked to abort: it answers every call with "${CLIENT_SOFT_ABORT}"`,
    );
  }
  if (result === CLIENT_NO_SESSION) {
    throw new UpstreamError(server, `${server}.${tool}: the MCP client has no active session (${CLIENT_NO_SESSION})`);
  }
  // Non-JSON text: the client wrapped it as ["text"].
  // (A string that is JSON itself cannot come from that wrapping: then the tool really sent ["..."].)
  if (Array.isArray(result) && result.length === 1 && typeof result[0] === "string" && !parses(result[0])) {
    const text = result[0];
    // FastMCP's failure text; the client dropped its isError.
    if (text.startsWith(`Error executing tool ${tool}: `)) return { content: [{ type: "text", text }], isError: true };
    return { content: contentOf(text) };
  }
  // The client's own timeout, which it answers as a JSON result (tool-executor.ts:552-578).
  if (
    isPlainObject(result) && result.error === "timeout" && typeof result.message === "string" &&
    result.message.startsWith("Tool execution timed out.") && Object.keys(result).length === 3 && "details" in result
  ) {
    const text = `the MCP client's call timed out (its mcpTimeout, 60 s unless raised with /set-timeout): ${
      String(result.details)
    }`;
    return { content: [{ type: "text", text }], isError: true };
  }
  return {
    content: [{ type: "text", text: textFor(result) }],
    ...(isPlainObject(result) ? { structuredContent: result } : {}),
  };
}

/** True for a 500 the client sends when its user force-stopped the call (it then kills the server). */
export function isForceStop(error: string): boolean {
  return error.includes("was force stopped by the user") || /force stopped by user after \d+ seconds/.test(error);
}
