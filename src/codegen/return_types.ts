/**
 * Return annotations from a tool's `outputSchema`: a `TypedDict` per object with known keys (nested objects, arrays
 * of objects and `$ref`s get their own classes; a recursive `$ref` becomes `Any`), `-> Any` without an outputSchema.
 * Class names are assigned over the whole catalog at once, so the generated module, the docs and search agree.
 */
import type { ToolInfo } from "../sources/types.ts";
import { cleanText, commentText, docText, pyStr } from "./literals.ts";
import type { NamedTool } from "./names.ts";
import { PYTHON_KEYWORDS } from "./names.ts";
import { wantsUnwrap } from "./params.ts";
import { formatType, resolveRef, typeAlternatives } from "./schema_types.ts";

type Schema = Record<string, unknown>;

/** A tool's return annotation and the class definitions it needs (in definition order). */
export interface ReturnType {
  annotation: string;
  /** Python source of each TypedDict the annotation uses, dependencies first. */
  classes: string[];
}

const ANY: ReturnType = { annotation: "Any", classes: [] };
const MAX_CLASSES_PER_TOOL = 40;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
// Names a class must not take: the module's own imports and exports.
const RESERVED = new Set([
  "Any",
  "Dict",
  "List",
  "Literal",
  "Optional",
  "Union",
  "TypedDict",
  "Image",
  "Audio",
  "OrchError",
  "ToolError",
  "ToolDenied",
  "PolicyAborted",
]);

function isSchema(v: unknown): v is Schema {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function camel(s: string): string {
  const words = s.replace(/([a-z0-9])([A-Z])/g, "$1 $2").split(/[^A-Za-z0-9]+/).filter(Boolean);
  const out = words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join("");
  return /^[0-9]/.test(out) ? "T" + out : out || "T";
}

interface Build {
  root: unknown;
  classes: string[];
  /** `$ref` -> class name, once built (or being built: recursion becomes Any). */
  refs: Map<string, string | null>;
  taken: Set<string>;
}

function uniqueName(b: Build, base: string): string {
  let name = base;
  for (let n = 2; b.taken.has(name) || RESERVED.has(name); n++) name = `${base}${n}`;
  b.taken.add(name);
  return name;
}

/** The annotation of `schema`, building TypedDicts named from `name` for objects with properties. */
function annotate(schema: unknown, name: string, b: Build, seen: readonly string[]): string {
  if (!isSchema(schema)) return "Any";
  if (typeof schema.$ref === "string") {
    const ref = schema.$ref;
    if (seen.includes(ref)) return "Any"; // recursive
    const known = b.refs.get(ref);
    if (known) return known;
    if (known === null) return "Any";
    const target = resolveRef(b.root, ref);
    const defName = ref.split("/").pop() || name;
    b.refs.set(ref, null);
    const out = annotate(target, camel(defName), b, [...seen, ref]);
    b.refs.set(ref, out);
    return out;
  }
  const nullable = schema.nullable === true || (Array.isArray(schema.type) && schema.type.includes("null"));
  const isObject = schema.type === "object" || (Array.isArray(schema.type) && schema.type.includes("object")) ||
    (schema.type === undefined && isSchema(schema.properties));
  if (isObject && isSchema(schema.properties) && Object.keys(schema.properties).length) {
    if (b.classes.length >= MAX_CLASSES_PER_TOOL) return nullable ? "Optional[Dict[str, Any]]" : "Dict[str, Any]";
    const cls = typedDict(schema, name, b, seen);
    return nullable ? `Optional[${cls}]` : cls;
  }
  const isArray = schema.type === "array" || (Array.isArray(schema.type) && schema.type.includes("array"));
  if (isArray && isSchema(schema.items) && schema.prefixItems === undefined) {
    const item = annotate(schema.items, `${name}Item`, b, seen);
    const inner = `List[${item}]`;
    if (schema.type === "array") return inner;
  }
  for (const key of ["anyOf", "oneOf"] as const) {
    const alts = schema[key];
    if (Array.isArray(alts) && alts.length && alts.some((a) => isSchema(a) && (isSchema(a.properties) || a.$ref))) {
      const types = alts.map((a, i) => annotate(a, `${name}${i + 1}`, b, seen));
      return formatType(types.flatMap((t) => t === "None" ? ["None"] : [t]));
    }
  }
  return formatType(typeAlternatives(schema, b.root));
}

function typedDict(schema: Schema, name: string, b: Build, seen: readonly string[]): string {
  const cls = uniqueName(b, name);
  const props = schema.properties as Schema;
  const required = new Set(Array.isArray(schema.required) ? schema.required.filter((r) => typeof r === "string") : []);
  const fields = Object.entries(props).map(([key, sub]) => ({
    key,
    type: annotate(sub, `${cls}${camel(key)}`, b, seen),
    required: required.has(key),
    about: isSchema(sub) && typeof sub.description === "string" ? cleanText(sub.description).replace(/\s+/g, " ") : "",
  }));
  const description = docText(
    cleanText(typeof schema.description === "string" ? schema.description : "")
      .replace(/\s+/g, " ").slice(0, 300),
  );
  const allRequired = fields.every((f) => f.required);
  const noneRequired = fields.every((f) => !f.required);
  // `__debug__` cannot even be an annotation target.
  const plain = fields.every((f) => IDENTIFIER.test(f.key) && !PYTHON_KEYWORDS.has(f.key) && f.key !== "__debug__");
  const comment = (f: { about: string }) => f.about ? `  # ${commentText(f.about.slice(0, 100))}` : "";
  let text: string;
  if (plain) {
    const body = (fs: typeof fields) => fs.map((f) => `    ${f.key}: ${f.type}${comment(f)}`).join("\n") || "    pass";
    const doc = description ? `    """${description}"""\n` : "";
    if (allRequired || noneRequired) {
      text = `class ${cls}(TypedDict${noneRequired ? ", total=False" : ""}):\n${doc}${body(fields)}`;
    } else {
      // Python 3.8 has no NotRequired: required keys in a base class, optional ones in a total=False subclass.
      const base = uniqueName(b, `_${cls}Required`);
      text = `class ${base}(TypedDict):\n${body(fields.filter((f) => f.required))}\n\n\n` +
        `class ${cls}(${base}, total=False):\n${doc}${body(fields.filter((f) => !f.required))}`;
    }
  } else {
    // Keys that are not identifiers need the functional form; a mix of required and optional keys cannot be
    // said in it on Python 3.8, so then every key is optional (never a promise the server does not make).
    const entries = fields.map((f) => `${pyStr(f.key)}: ${f.type}`).join(", ");
    text = `${cls} = TypedDict(${pyStr(cls)}, {${entries}}${allRequired ? "" : ", total=False"})`;
  }
  b.classes.push(text);
  return cls;
}

function returnTypeOf(tool: ToolInfo, pyName: string, taken: Set<string>): ReturnType {
  const out = tool.outputSchema;
  if (!isSchema(out)) return ANY;
  const b: Build = { root: out, classes: [], refs: new Map(), taken };
  const base = camel(pyName) + "Result";
  let annotation: string;
  if (wantsUnwrap(tool)) {
    annotation = annotate((out.properties as Schema).result, base, b, []);
  } else {
    annotation = annotate(out, base, b, []);
  }
  return { annotation, classes: b.classes };
}

/** Return annotations for every named tool, keyed by Python function name; class names unique across them all. */
export function assignReturnTypes(
  tools: readonly NamedTool[],
  functionNames?: ReadonlySet<string>,
): Map<string, ReturnType> {
  const taken = new Set<string>(functionNames ?? tools.map((t) => t.pyName));
  const out = new Map<string, ReturnType>();
  for (const t of tools) out.set(t.pyName, returnTypeOf(t.tool, t.pyName, taken));
  return out;
}
