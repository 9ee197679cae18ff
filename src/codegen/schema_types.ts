/** JSON Schema -> Python type annotation, in `typing` spellings so the output runs on Python 3.8. */
import { pyStr } from "./literals.ts";

type Schema = Record<string, unknown>;

/** A type as its alternatives: `"None"` marks nullable, `"Any"` absorbs everything else. */
export type TypeAlternatives = string[];

const ANY: TypeAlternatives = ["Any"];
const MAX_DEPTH = 24;
// Schemas whose refs fan out (a DAG of anyOfs) could otherwise expand exponentially.
const MAX_NODES = 2_000;

interface Walk {
  root: unknown;
  refs: readonly string[];
  depth: number;
  budget: { left: number };
}

const PRIMITIVES: Record<string, string> = {
  string: "str",
  integer: "int",
  number: "float",
  boolean: "bool",
  null: "None",
};

function isSchema(v: unknown): v is Schema {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The schema a local `$ref` (`#`, `#/$defs/X`, `#/definitions/X`, any JSON pointer) points to in `root`. */
export function resolveRef(root: unknown, ref: string): unknown {
  if (!ref.startsWith("#")) return undefined;
  let pointer = ref.slice(1);
  try {
    pointer = decodeURIComponent(pointer);
  } catch {
    return undefined;
  }
  if (pointer === "") return root;
  if (!pointer.startsWith("/")) return undefined;
  let node: unknown = root;
  for (const raw of pointer.slice(1).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(node)) node = node[Number(key)];
    else if (isSchema(node) && Object.hasOwn(node, key)) node = node[key];
    else return undefined;
  }
  return node;
}

/** `schema` with `$ref`s and one-member `allOf`s followed, for reading its description and constraints. */
export function resolveShallow(schema: unknown, root: unknown): unknown {
  for (let hops = 0; hops < 8 && isSchema(schema); hops++) {
    if (typeof schema.$ref === "string") schema = resolveRef(root, schema.$ref);
    else if (Array.isArray(schema.allOf) && schema.allOf.length === 1) schema = schema.allOf[0];
    else break;
  }
  return schema;
}

/** Literal-able values (str, int, bool, None) as `Literal[...]`; undefined when any value is not. */
function literal(values: readonly unknown[]): TypeAlternatives | undefined {
  if (values.length === 0) return undefined;
  const lits: string[] = [];
  let nullable = false;
  for (const v of values) {
    if (v === null) nullable = true;
    else if (typeof v === "string") lits.push(pyStr(v));
    else if (typeof v === "boolean") lits.push(v ? "True" : "False");
    else if (typeof v === "number" && Number.isSafeInteger(v)) lits.push(String(v));
    else return undefined;
  }
  const distinct = [...new Set(lits)];
  const out = distinct.length ? [`Literal[${distinct.join(", ")}]`] : [];
  return nullable ? [...out, "None"] : out;
}

function typeName(t: unknown, schema: Schema, w: Walk): TypeAlternatives {
  if (typeof t !== "string") return ANY;
  const primitive = PRIMITIVES[t];
  if (primitive) return [primitive];
  if (t === "array") {
    const items = schema.items;
    // Tuple forms (`items` as a list, `prefixItems`) mix types per position: any element type.
    if (items === undefined || Array.isArray(items) || schema.prefixItems !== undefined) return ["List[Any]"];
    return [`List[${formatType(walk(items, deeper(w)))}]`];
  }
  if (t === "object") {
    const extra = schema.additionalProperties;
    if (!isSchema(schema.properties) && isSchema(extra)) return [`Dict[str, ${formatType(walk(extra, deeper(w)))}]`];
    return ["Dict[str, Any]"];
  }
  return ANY;
}

function deeper(w: Walk, ref?: string): Walk {
  return { ...w, depth: w.depth + 1, refs: ref === undefined ? w.refs : [...w.refs, ref] };
}

function walk(schema: unknown, w: Walk): TypeAlternatives {
  if (!isSchema(schema) || w.depth > MAX_DEPTH || --w.budget.left < 0) return ANY;
  const alts = walkNullable(schema, w);
  return schema.nullable === true ? [...alts, "None"] : alts;
}

function walkNullable(schema: Schema, w: Walk): TypeAlternatives {
  if (typeof schema.$ref === "string") {
    const ref = schema.$ref;
    if (w.refs.includes(ref)) return ANY; // recursive
    const target = resolveRef(w.root, ref);
    return target === undefined ? ANY : walk(target, deeper(w, ref));
  }
  if (Object.hasOwn(schema, "const")) {
    const lit = literal([schema.const]);
    if (lit) return lit;
  }
  if (Array.isArray(schema.enum)) {
    const lit = literal(schema.enum);
    if (lit) return lit;
  }
  const union = Array.isArray(schema.anyOf) && schema.anyOf.length ? schema.anyOf : schema.oneOf;
  if (Array.isArray(union) && union.length) return union.flatMap((s) => walk(s, deeper(w)));
  if (Array.isArray(schema.allOf)) {
    for (const s of schema.allOf) {
      const alts = walk(s, deeper(w));
      if (!alts.includes("Any")) return alts;
    }
  }
  const t = schema.type;
  if (Array.isArray(t)) return t.length ? t.flatMap((x) => typeName(x, schema, w)) : ANY;
  if (t !== undefined) return typeName(t, schema, w);
  if (isSchema(schema.properties) || isSchema(schema.additionalProperties)) return typeName("object", schema, w);
  if (schema.items !== undefined || schema.prefixItems !== undefined) return typeName("array", schema, w);
  return ANY;
}

/** The alternatives of `schema`'s Python type; `root` resolves its `$ref`s. */
export function typeAlternatives(schema: unknown, root: unknown): TypeAlternatives {
  return walk(schema, { root, refs: [], depth: 0, budget: { left: MAX_NODES } });
}

/** Alternatives as one annotation: `Any`, `None`, `T`, `Optional[T]`, `Union[A, B]` or `Optional[Union[A, B]]`. */
export function formatType(alts: TypeAlternatives): string {
  const distinct = [...new Set(alts)];
  if (distinct.length === 0 || distinct.includes("Any")) return "Any";
  const some = distinct.filter((a) => a !== "None");
  const nullable = some.length < distinct.length;
  if (some.length === 0) return "None";
  const inner = some.length === 1 ? some[0]! : `Union[${some.join(", ")}]`;
  return nullable ? `Optional[${inner}]` : inner;
}

/** The Python annotation for `schema` (`root` resolves its `$ref`s; a recursive one becomes `Any`). */
export function pythonType(schema: unknown, root: unknown = schema): string {
  return formatType(typeAlternatives(schema, root));
}
