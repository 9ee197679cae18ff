/**
 * The bytes a tools/call result came as, kept beside the parsed result so the shim can send a large
 * result on without writing it out again (JSON.stringify) and encoding it (a copy per stage).
 *
 * Only a slice the checks below vouch for is kept: the JSON-RPC line decoded as valid UTF-8, parsed,
 * checked structurally; its `result` member found once at the top level with plain (unescaped) keys;
 * and the result's own members exactly `content` and optionally `structuredContent`, each once. The
 * slice is a symbol-keyed property, so a copy of the result (`{ ...result }`) drops it.
 */
import type { CallToolResult } from "../deps/mcp_sdk.ts";

const RAW = Symbol("orch.rawResult");

/** Members a result may have for its bytes to be sent as they came. */
const PASSABLE = new Set(["content", "structuredContent"]);

interface Member {
  key: string;
  start: number;
  end: number;
}

const latin1 = new TextDecoder("latin1");

function skipSpace(b: Uint8Array, i: number): number {
  while (i < b.length && (b[i] === 32 || b[i] === 9 || b[i] === 10 || b[i] === 13)) i++;
  return i;
}

/** The index after the string starting at `b[i]` (a quote); -1 when it never closes. */
function skipString(b: Uint8Array, i: number): number {
  for (;;) {
    const q = b.indexOf(34, i + 1);
    if (q < 0) return -1;
    let slashes = 0;
    while (b[q - 1 - slashes] === 92) slashes++;
    i = q;
    if (slashes % 2 === 0) return q + 1;
  }
}

/** The index after the value starting at `b[i]`; -1 when the text is not what was expected. */
function skipValue(b: Uint8Array, i: number): number {
  const c = b[i];
  if (c === 34) return skipString(b, i);
  if (c !== 123 && c !== 91) {
    while (
      i < b.length && b[i] !== 44 && b[i] !== 125 && b[i] !== 93 && b[i] !== 32 && b[i] !== 10 && b[i] !== 13 &&
      b[i] !== 9
    ) i++;
    return i;
  }
  let depth = 0;
  while (i < b.length) {
    const d = b[i];
    if (d === 34) {
      i = skipString(b, i);
      if (i < 0) return -1;
      continue;
    }
    if (d === 123 || d === 91) depth++;
    else if (d === 125 || d === 93) {
      depth--;
      if (depth === 0) return i + 1;
    }
    i++;
  }
  return -1;
}

/** The members of the object starting at `b[i]`, or undefined when a key is escaped or the text is odd. */
function members(b: Uint8Array, i: number): Member[] | undefined {
  if (b[i] !== 123) return undefined;
  const out: Member[] = [];
  i = skipSpace(b, i + 1);
  if (b[i] === 125) return out;
  for (;;) {
    if (b[i] !== 34) return undefined;
    const keyEnd = skipString(b, i);
    if (keyEnd < 0) return undefined;
    const raw = b.subarray(i + 1, keyEnd - 1);
    if (raw.includes(92)) return undefined;
    i = skipSpace(b, keyEnd);
    if (b[i] !== 58) return undefined;
    const start = skipSpace(b, i + 1);
    const end = skipValue(b, start);
    if (end < 0) return undefined;
    out.push({ key: latin1.decode(raw), start, end });
    i = skipSpace(b, end);
    if (b[i] === 125) return out;
    if (b[i] !== 44) return undefined;
    i = skipSpace(b, i + 1);
  }
}

/**
 * Keeps the bytes of `result` (parsed from `line`, which decoded as valid UTF-8 and passed the
 * structural check) on it when they can stand for it; otherwise leaves it as it is.
 */
export function keepRawResult(result: CallToolResult, line: Uint8Array): void {
  const keys = Object.keys(result);
  if (!keys.includes("content") || keys.some((k) => !PASSABLE.has(k))) return;
  const top = members(line, skipSpace(line, 0));
  if (top === undefined) return;
  const found = top.filter((m) => m.key === "result");
  if (found.length !== 1) return;
  const { start, end } = found[0]!;
  const inner = members(line, start);
  if (inner === undefined || inner.length !== keys.length) return;
  if (new Set(inner.map((m) => m.key)).size !== inner.length) return;
  Object.defineProperty(result, RAW, { value: line.subarray(start, end), enumerable: false });
}

/** The bytes `result` came as (an object holding `content` and maybe `structuredContent`), if kept. */
export function rawResultOf(result: CallToolResult): Uint8Array | undefined {
  return (result as { [RAW]?: Uint8Array })[RAW];
}
