/** MCP tool results in the shape the generated Python runtime reads. */
import type { CallToolResult } from "../deps/mcp_sdk.ts";

/**
 * What `POST /call_tool` answers with status 200. A result is sent once, as the server's content
 * (and structuredContent): the Python runtime decodes a text item itself, so a large result is
 * never parsed here nor sent twice.
 */
export type CallToolBody =
  | { success: true; content: CallToolResult["content"]; structuredContent?: unknown }
  | { success: false; isError: true; error: string; content: CallToolResult["content"] };

// First characters a JSON text can start with; anything else is returned as a string without
// paying for a thrown SyntaxError.
const JSON_START = new Set(["{", "[", '"', "-", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "t", "f", "n"]);

/**
 * The value a policy sees: `structuredContent` when present; else, for exactly one text item, its
 * JSON value when it parses and the string otherwise; else null (no items, several, or non-text).
 */
export function convertResult(result: CallToolResult): unknown {
  if (result.structuredContent !== undefined) return result.structuredContent;
  const content = result.content;
  if (content?.length !== 1) return null;
  const item = content[0];
  if (item?.type !== "text") return null;
  return parseMaybeJson(item.text);
}

/** The text of a tool's own error: its text items joined by newlines. */
export function errorTextOf(result: CallToolResult): string {
  const texts: string[] = [];
  for (const item of result.content ?? []) if (item.type === "text") texts.push(item.text);
  return texts.length > 0 ? texts.join("\n") : "the tool reported an error without a message";
}

/** The 200 body for one tool result: a success, or the tool's own error (`isError`). */
export function toolResultBody(result: CallToolResult): CallToolBody {
  const content = result.content ?? [];
  if (result.isError === true) return { success: false, isError: true, error: errorTextOf(result), content };
  return { success: true, content, structuredContent: result.structuredContent };
}

function parseMaybeJson(text: string): unknown {
  const first = text.trimStart()[0];
  if (first === undefined || !JSON_START.has(first)) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
