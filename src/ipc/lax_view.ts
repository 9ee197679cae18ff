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
const NON_FINITE = /^[+-]?(?:inf|infinity|nan)$/i;
const MAX_DEPTH = 64;

/** The number a lax server could read from `text` (Python's float(), pydantic's bool), or undefined. */
export function laxNumber(text: string): number | undefined {
  const s = text.trim();
  if (DECIMAL.test(s)) return Number(s.replaceAll("_", ""));
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
