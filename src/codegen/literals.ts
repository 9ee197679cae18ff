/** JSON values and free text rendered as Python source that is valid whatever the text holds. */

// Characters never written raw into generated source: C0/C1 controls, DEL, line and paragraph separators, BOM, and
// lone UTF-16 surrogates (they cannot be encoded as UTF-8, so writing the file would silently replace them).
const UNSAFE = String.raw`\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff`;
const LONE_SURROGATE = String.raw`[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]`;

const STRING_SPECIAL = new RegExp(String.raw`[\\'"${UNSAFE}]|${LONE_SURROGATE}`, "g");
const DOC_SPECIAL = new RegExp(
  String.raw`\\|"(?="|$)|[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]|${LONE_SURROGATE}`,
  "g",
);
const COMMENT_SPECIAL = new RegExp(String.raw`[${UNSAFE}]|${LONE_SURROGATE}`, "g");

const NAMED_ESCAPES: Record<string, string> = { "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t" };

function escapeChar(c: string): string {
  const named = NAMED_ESCAPES[c];
  if (named) return named;
  const code = c.charCodeAt(0);
  if (code <= 0xff) return "\\x" + code.toString(16).padStart(2, "0");
  return "\\u" + code.toString(16).padStart(4, "0");
}

/** A Python string literal for `s`, quoted like Python's `repr()` (single quotes unless `s` holds one and no double). */
export function pyStr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  const body = s.replace(STRING_SPECIAL, (c) => {
    if (c === "'" || c === '"') return c === quote ? "\\" + c : c;
    return escapeChar(c);
  });
  return quote + body + quote;
}

function pyNumber(n: number): string {
  if (Number.isNaN(n)) return 'float("nan")';
  if (!Number.isFinite(n)) return n > 0 ? 'float("inf")' : '-float("inf")';
  // JavaScript spells exponents `1e+21` and `5e-7`, both valid Python float literals.
  return String(n);
}

/** A Python literal (str, int, float, bool, None, list, dict, nested) equal to the JSON value `v`. */
export function pyLiteral(v: unknown): string {
  if (v === null || v === undefined) return "None";
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "number") return pyNumber(v);
  if (typeof v === "string") return pyStr(v);
  if (Array.isArray(v)) return "[" + v.map(pyLiteral).join(", ") + "]";
  if (typeof v === "object") {
    const items = Object.entries(v as Record<string, unknown>).map(([k, x]) => `${pyStr(k)}: ${pyLiteral(x)}`);
    return "{" + items.join(", ") + "}";
  }
  // bigint, function, symbol: cannot come from JSON.
  return "None";
}

/** Free text as it goes into docs: newlines normalised to `\n`, trailing whitespace dropped. */
export function cleanText(s: unknown): string {
  if (typeof s !== "string") return "";
  return s.replace(/\r\n?/g, "\n").trimEnd();
}

/**
 * The body of a non-raw `"""` docstring that reads back as `s`: backslashes and controls escaped, a quote escaped
 * when another follows it (so `"""` cannot close the string) or when it ends the text; newlines and tabs kept.
 */
export function docText(s: string): string {
  return s.replace(DOC_SPECIAL, (c) => c === '"' ? '\\"' : escapeChar(c));
}

/** Text safe inside a `#` comment: no line breaks or controls, so it cannot end the comment early. */
export function commentText(s: string): string {
  return s.replace(COMMENT_SPECIAL, escapeChar);
}
