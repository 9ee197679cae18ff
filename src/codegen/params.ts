/** A tool's input schema as Python parameters: names, order, annotations, defaults and what the docs say. */
import type { ToolInfo } from "../sources/types.ts";
import { cleanText, pyLiteral, pyStr } from "./literals.ts";
import { assignParamNames } from "./names.ts";
import { formatType, pythonType, resolveShallow, typeAlternatives } from "./schema_types.ts";

/** One parameter of a generated function. */
export interface Param {
  /** The name in the Python signature. */
  pyName: string;
  /** The name sent to the server. */
  wireName: string;
  required: boolean;
  /** The annotation, e.g. `Optional[List[str]]`. */
  type: string;
  /** The default in the signature (a Python literal), for optional parameters only. */
  defaultLiteral?: string;
  /** The schema's description, cleaned. */
  description: string;
  /** Sentences for the docs: default, allowed values, bounds, format. */
  notes: string[];
  /** For a dict (or list of dicts) with known keys: a heading line, then one line per key. */
  shape: string[];
}

type Schema = Record<string, unknown>;

function isSchema(v: unknown): v is Schema {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function stringList(v: unknown): string[] {
  return Array.isArray(v) ? [...new Set(v.filter((x): x is string => typeof x === "string"))] : [];
}

function num(v: unknown): string | undefined {
  return typeof v === "number" && Number.isFinite(v) ? String(v) : undefined;
}

/** Bounds and formats of `s` in words, e.g. `At least 1, at most 10.` */
function constraints(s: Schema): string[] {
  const bounds: string[] = [];
  const exclusiveMin = s.exclusiveMinimum === true, exclusiveMax = s.exclusiveMaximum === true; // draft 4
  const min = num(s.minimum), max = num(s.maximum);
  const xmin = num(s.exclusiveMinimum), xmax = num(s.exclusiveMaximum);
  if (min !== undefined) bounds.push(exclusiveMin ? `greater than ${min}` : `at least ${min}`);
  if (xmin !== undefined) bounds.push(`greater than ${xmin}`);
  if (max !== undefined) bounds.push(exclusiveMax ? `less than ${max}` : `at most ${max}`);
  if (xmax !== undefined) bounds.push(`less than ${xmax}`);
  const sized = (lo: unknown, hi: unknown, unit: string) => {
    const count = (n: string) => `${n} ${unit}${n === "1" ? "" : "s"}`;
    const lower = num(lo), upper = num(hi);
    if (lower !== undefined) bounds.push(`at least ${count(lower)}`);
    if (upper !== undefined) bounds.push(`at most ${count(upper)}`);
  };
  sized(s.minLength, s.maxLength, "character");
  sized(s.minItems, s.maxItems, "item");
  sized(s.minProperties, s.maxProperties, "key");
  const out: string[] = [];
  if (bounds.length) out.push(bounds.join(", ").replace(/^./, (c) => c.toUpperCase()) + ".");
  if (typeof s.pattern === "string") out.push(`Must match the pattern ${s.pattern}`);
  if (typeof s.format === "string") out.push(`Format: ${s.format}.`);
  return out;
}

/** The notes of one parameter: its default, allowed values and constraints. */
function notesFor(
  prop: Schema,
  resolved: Schema,
  type: string,
  hasDefault: boolean,
  mutableDefault: boolean,
): string[] {
  const notes: string[] = [];
  if (hasDefault) {
    const d = pyLiteral(prop.default);
    notes.push(mutableDefault ? `Default: ${d} (applied by the server when omitted).` : `Default: ${d}.`);
  }
  // A `Literal[...]` annotation already lists the allowed values.
  if (type.includes("Literal[")) return [...notes, ...constraints(resolved)];
  if (Array.isArray(resolved.enum) && resolved.enum.length) {
    notes.push(`One of: ${resolved.enum.map(pyLiteral).join(", ")}.`);
  } else if (Object.hasOwn(resolved, "const")) {
    notes.push(`Always ${pyLiteral(resolved.const)}.`);
  }
  return [...notes, ...constraints(resolved)];
}

const MAX_KEYS = 40;

/** The keys of a dict parameter (or of each item of a list parameter), one level deep, one line each. */
function shapeOf(resolved: Schema, root: unknown): string[] {
  let obj: unknown = resolved;
  let heading = "Keys:";
  if (!isSchema(resolved.properties) && isSchema(resolved.items)) {
    obj = resolveShallow(resolved.items, root);
    heading = "Each item has the keys:";
  }
  if (!isSchema(obj) || !isSchema(obj.properties)) return [];
  const required = new Set(stringList(obj.required));
  const entries = Object.entries(obj.properties);
  const lines = entries.slice(0, MAX_KEYS).map(([key, schema]) => {
    const resolvedKey = resolveShallow(schema, root);
    const about = isSchema(schema) && typeof schema.description === "string"
      ? schema.description
      : isSchema(resolvedKey) && typeof resolvedKey.description === "string"
      ? resolvedKey.description
      : "";
    const text = cleanText(about).replace(/\s*\n\s*/g, " ");
    const head = `${pyStr(key)} (${pythonType(schema, root)}${required.has(key) ? "" : ", optional"})`;
    return text ? `${head}: ${text}` : head;
  });
  if (entries.length > MAX_KEYS) lines.push(`... and ${entries.length - MAX_KEYS} more`);
  return lines.length ? [heading, ...lines] : [];
}

/** The wire names in signature order, their Python names, and the required ones. */
function paramOrder(tool: ToolInfo): { order: string[]; pyNames: string[]; required: Set<string> } {
  const schema: unknown = tool.inputSchema;
  const props: Schema = isSchema(schema) && isSchema(schema.properties) ? schema.properties : {};
  const required = new Set(isSchema(schema) ? stringList(schema.required) : []);
  const propNames = Object.keys(props);
  const order = [
    ...propNames.filter((n) => required.has(n)),
    ...[...required].filter((n) => !Object.hasOwn(props, n)),
    ...propNames.filter((n) => !required.has(n)),
  ];
  return { order, pyNames: assignParamNames(order), required };
}

/** Just the names of `tool`'s parameters, in signature order (what the preflight needs; cheap). */
export function paramNames(tool: ToolInfo): { name: string; wire: string; required: boolean }[] {
  const { order, pyNames, required } = paramOrder(tool);
  return order.map((wire, i) => ({ name: pyNames[i]!, wire, required: required.has(wire) }));
}

/**
 * The parameters of `tool`: required ones first (properties order, then required names the schema does not
 * describe), then optional ones with their default, or `None` meaning "not sent".
 */
export function toolParams(tool: ToolInfo): Param[] {
  const schema: unknown = tool.inputSchema;
  const root = schema;
  const props: Schema = isSchema(schema) && isSchema(schema.properties) ? schema.properties : {};
  const { order, pyNames, required } = paramOrder(tool);

  return order.map((wireName, i) => {
    const prop: Schema = isSchema(props[wireName]) ? props[wireName] as Schema : {};
    const resolvedRaw = resolveShallow(prop, root);
    const resolved: Schema = isSchema(resolvedRaw) ? resolvedRaw : {};
    const isRequired = required.has(wireName);
    const alts = typeAlternatives(prop, root);
    const description = cleanText(
      typeof prop.description === "string"
        ? prop.description
        : typeof resolved.description === "string"
        ? resolved.description
        : "",
    );
    const hasDefault = Object.hasOwn(prop, "default") && prop.default !== null;
    const mutableDefault = hasDefault && typeof prop.default === "object";
    const type = formatType(alts);
    const param: Param = {
      pyName: pyNames[i]!,
      wireName,
      required: isRequired,
      type,
      description,
      notes: notesFor(prop, resolved, type, hasDefault, mutableDefault),
      shape: shapeOf(resolved, root),
    };
    if (!isRequired) {
      // A list or dict default would be one object shared by every call: leave it to the server instead.
      if (hasDefault && !mutableDefault) param.defaultLiteral = pyLiteral(prop.default);
      else {
        param.defaultLiteral = "None";
        param.type = formatType([...alts, "None"]);
      }
    }
    return param;
  });
}

/** Whether `tool` publishes FastMCP's wrapped output (`{"result": X}`, the only property, required). */
export function wantsUnwrap(tool: ToolInfo): boolean {
  const out = tool.outputSchema;
  if (!isSchema(out) || (out.type !== undefined && out.type !== "object")) return false;
  if (out["x-fastmcp-wrap-result"] === true) return true;
  if (!isSchema(out.properties)) return false;
  const keys = Object.keys(out.properties);
  return keys.length === 1 && keys[0] === "result" && stringList(out.required).includes("result");
}
