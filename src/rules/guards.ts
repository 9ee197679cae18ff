/** Argument guards: JSON Schemas a run applies to the arguments of matching tools before calling them. */
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import type { JsonSchema } from "./json_schema.ts";
import { errorText, PolicyError } from "../errors.ts";
import { compileGlob, type ToolMatcher } from "./glob.ts";
import { type LaxView, laxView } from "./lax_view.ts";

/** One compiled guard: the glob it applies to and its validator. */
export interface Guard {
  readonly pattern: string;
  readonly matches: ToolMatcher;
  readonly validate: ValidateFunction;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const INDEX = /^(0|[1-9][0-9]*)$/;
const MAX_SHOWN = 60;

/**
 * Compiles guards once, at scope creation. Strict schema mode is kept on purpose: a misspelt
 * keyword in a safety limit (`maximun`) must fail loudly instead of silently allowing everything.
 */
export function compileGuards(guards: Readonly<Record<string, JsonSchema>>): Guard[] {
  const entries = Object.entries(guards);
  if (entries.length === 0) return [];
  const ajv = new Ajv({
    allErrors: true,
    strictTypes: false,
    strictTuples: false,
    strictRequired: false,
    logger: false,
  });
  return entries.map(([pattern, schema]) => {
    const matches = compileGlob(pattern);
    try {
      return { pattern, matches, validate: ajv.compile(schema) };
    } catch (err) {
      throw new PolicyError(`Invalid guard "${pattern}": ${errorText(err)}`, { cause: err });
    }
  });
}

/** Keywords about how a value is written, not what it is: a lax reading that changed the value may fail them. */
const REPRESENTATION = new Set(["type", "enum", "const", "pattern", "format", "minLength", "maxLength"]);

/**
 * Runs the guards on one call's arguments; returns why they refuse it, or undefined. A guard must
 * hold for the arguments as sent and for every number a lax server could read from them
 * (`"0.9"`, `"[0.9, 0, 0]"`, `true`): see lax_view.ts.
 */
export function checkGuards(guards: readonly Guard[], args: Record<string, unknown>): string | undefined {
  let problems: string[] | undefined;
  let said = 0;
  const add = (line: string) => {
    said++;
    problems ??= [];
    if (!problems.includes(line)) problems.push(line);
  };
  let views: LaxView[] | undefined;
  for (const guard of guards) {
    let failed = false;
    said = 0;
    if (!guard.validate(args)) {
      failed = true;
      for (const err of guard.validate.errors ?? []) {
        const line = describeGuardError(err, args);
        if (line !== undefined) add(line);
      }
    }
    if (views === undefined) {
      const first = laxView(args);
      views = first.changed.size === 0 ? [] : [first];
      if (first.hasNaN) views.push(laxView(args, -Number.MAX_VALUE));
    }
    for (const view of views) {
      if (guard.validate(view.value)) continue;
      for (const err of guard.validate.errors ?? []) {
        const at = changedAncestor(view.changed, err.instancePath);
        if (at !== undefined && at === err.instancePath && REPRESENTATION.has(err.keyword)) continue;
        const line = describeGuardError(err, at === undefined ? view.value : args, at);
        if (line === undefined) continue;
        failed = true;
        add(line);
      }
    }
    if (failed && said === 0) add(`arguments rejected by guard "${guard.pattern}"`);
  }
  return problems?.join("; ");
}

/** The pointer of the value the lax reading changed that holds `pointer` (itself or an ancestor). */
function changedAncestor(changed: ReadonlySet<string>, pointer: string): string | undefined {
  let p = pointer;
  for (;;) {
    if (changed.has(p)) return p;
    if (p === "") return undefined;
    p = p.slice(0, p.lastIndexOf("/"));
  }
}

/**
 * One Ajv error in words, e.g. `argument linear[0] must be <= 0.5 (got 0.9)`; undefined for noise.
 * With `readFrom` (a lax reading, see lax_view.ts), the value shown is the raw one at that pointer.
 */
export function describeGuardError(err: ErrorObject, args: unknown, readFrom?: string): string | undefined {
  const params = err.params as Record<string, unknown>;
  const segments = pointerSegments(err.instancePath);
  switch (err.keyword) {
    case "if":
      // The branch that failed reports its own errors; "must match then schema" only repeats them.
      return undefined;
    case "required":
      return `argument ${argumentPath([...segments, String(params.missingProperty)])} is required`;
    case "additionalProperties":
      return `argument ${argumentPath([...segments, String(params.additionalProperty)])} is not allowed`;
  }
  const subject = segments.length === 0 ? "arguments" : `argument ${argumentPath(segments)}`;
  let limit: string;
  if (err.keyword === "enum" && Array.isArray(params.allowedValues)) {
    limit = `must be one of ${params.allowedValues.map((v) => show(v)).join(", ")}`;
  } else if (err.keyword === "const") {
    limit = `must be ${show(params.allowedValue)}`;
  } else {
    limit = (err.message ?? `fails "${err.keyword}"`).replace("must NOT", "must not");
  }
  if (readFrom !== undefined) {
    const raw = valueAt(args, pointerSegments(readFrom));
    const whose = readFrom === err.instancePath ? "" : ` in argument ${argumentPath(pointerSegments(readFrom))}`;
    return `${subject} ${limit} as a lax server reads it (got ${show(raw)}${whose})`;
  }
  const value = valueAt(args, segments);
  return value === undefined ? `${subject} ${limit}` : `${subject} ${limit} (got ${show(value)})`;
}

function pointerSegments(pointer: string): string[] {
  if (pointer === "") return [];
  return pointer.slice(1).split("/").map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"));
}

/** `["linear", "0", "a b"]` -> `linear[0]["a b"]`: how a Python author would index it. */
function argumentPath(segments: readonly string[]): string {
  let out = "";
  for (const s of segments) {
    if (INDEX.test(s) && out !== "") out += `[${s}]`;
    else if (IDENTIFIER.test(s)) out += out === "" ? s : `.${s}`;
    else out += out === "" ? JSON.stringify(s) : `[${JSON.stringify(s)}]`;
  }
  return out;
}

function valueAt(root: unknown, segments: readonly string[]): unknown {
  let value = root;
  for (const s of segments) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string, unknown>)[s];
  }
  return value;
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length <= MAX_SHOWN ? text : `${text.slice(0, MAX_SHOWN - 3)}...`;
}
