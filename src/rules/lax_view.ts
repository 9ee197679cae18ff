/**
 * What a lax server could read: FastMCP parses a JSON string for a parameter that is not a `str`
 * (`"[0.9, 0, 0]"` becomes a list; `"true"` becomes True), and pydantic's lax mode then reads
 * numeric strings, booleans and whole floats as numbers. A guard's bound must hold for that
 * reading too, so guards are also checked on this view, where every such value is the number
 * (or the parsed array or object) the server would see.
 */

/** The view, and the JSON pointers of the values it changed (a type error there is not the policy's). */
export interface LaxView {
  value: unknown;
  changed: Set<string>;
  /** True when a string reads as NaN, which passes every comparison: check the view with NaN as each extreme. */
  hasNaN: boolean;
}

// Python's float() syntax for decimals: digits with single underscores, optional fraction and exponent.
const DECIMAL = /^[+-]?(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?$/;
// "sNaN" too: a pydantic Decimal field reads it (as NaN).
const NON_FINITE = /^[+-]?(?:inf|infinity|s?nan)$/i;
const MAX_DEPTH = 64;
// Python's float() and int() also read any Unicode decimal digit ("١٢" is 12).
const UNICODE_DIGIT = /[^ -~]/u;
const ND = /\p{Nd}/u;

/**
 * A number as the guard sees it: Ajv skips minimum/maximum for a non-finite number (with no `type`),
 * so an overflow (`1e400` is Infinity here, inf to Python) becomes the largest finite one, which
 * fails the same bounds a lax server's inf would.
 */
export function finite(n: number): number {
  if (Number.isFinite(n) || Number.isNaN(n)) return n;
  return n > 0 ? Number.MAX_VALUE : -Number.MAX_VALUE;
}

/** `s` with every Unicode decimal digit as its ASCII digit (a digit's value is its place in its run of ten). */
function asciiDigits(s: string): string {
  if (!UNICODE_DIGIT.test(s)) return s;
  let out = "";
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x80 || !ND.test(ch)) {
      out += ch;
      continue;
    }
    let first = cp;
    while (first > 0 && ND.test(String.fromCodePoint(first - 1))) first--;
    out += String((cp - first) % 10);
  }
  return out;
}

/** The number a lax server could read from `text` (Python's float(), pydantic's bool), or undefined. */
export function laxNumber(text: string): number | undefined {
  const s = asciiDigits(text.trim());
  if (DECIMAL.test(s)) return finite(Number(s.replaceAll("_", "")));
  if (NON_FINITE.test(s)) {
    const sign = s.startsWith("-") ? -1 : 1;
    // Ajv skips bounds for non-finite numbers: the largest finite one fails them the same way.
    return /nan/i.test(s) ? Number.NaN : sign * Number.MAX_VALUE;
  }
  const word = s.toLowerCase();
  if (word === "true") return 1;
  if (word === "false") return 0;
  return undefined;
}

/** Builds the lax view of one call's arguments; a NaN reading becomes `nanAs` (either extreme fails a bound). */
export function laxView(args: unknown, nanAs = Number.MAX_VALUE): LaxView {
  const view: LaxView = { value: undefined, changed: new Set(), hasNaN: false };
  view.value = walk(args, "", view, 0, nanAs);
  return view;
}

function walk(value: unknown, pointer: string, view: LaxView, depth: number, nanAs: number): unknown {
  if (depth > MAX_DEPTH) return value;
  if (typeof value === "boolean") {
    view.changed.add(pointer);
    return value ? 1 : 0;
  }
  if (typeof value === "string") {
    const s = value.trim();
    if (s.startsWith("[") || s.startsWith("{")) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(s);
      } catch {
        return value;
      }
      view.changed.add(pointer);
      return walk(parsed, pointer, view, depth + 1, nanAs);
    }
    const n = laxNumber(s);
    if (n === undefined) return value;
    view.changed.add(pointer);
    if (!Number.isNaN(n)) return n;
    view.hasNaN = true;
    return nanAs;
  }
  if (typeof value === "number") {
    const n = finite(value);
    if (n !== value) view.changed.add(pointer);
    return n;
  }
  if (Array.isArray(value)) return value.map((v, i) => walk(v, `${pointer}/${i}`, view, depth + 1, nanAs));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = walk(v, `${pointer}/${k.replaceAll("~", "~0").replaceAll("/", "~1")}`, view, depth + 1, nanAs);
    }
    return out;
  }
  return value;
}
