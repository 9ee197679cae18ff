/**
 * Checks one call's arguments against the tool's own inputSchema, before the guards: a value of
 * the wrong type (`"0.9"` for a number, `"[0.9, 0, 0]"` for an array) never reaches a server that
 * would coerce it past a guard. Validators are compiled once per schema object.
 */
import { Ajv, type ValidateFunction } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";
import type { JsonSchema } from "./json_schema.ts";
import { describeGuardError } from "./guards.ts";

const MAX_PROBLEMS = 5;
const compiled = new WeakMap<JsonSchema, ValidateFunction | null>();
let draft07: Ajv | undefined;
let draft2020: Ajv2020 | undefined;

// No meta-schema: validating a server's schema against it costs ~80 ms per process and buys nothing here
// (a schema Ajv cannot compile is left to the guards anyway).
const options = {
  allErrors: true,
  strict: false,
  validateFormats: false,
  logger: false,
  meta: false,
  validateSchema: false,
} as const;

/**
 * The schema's validator, or null when it cannot be compiled here (a remote `$ref`, a dialect Ajv
 * does not know): such a tool is checked by its guards alone, as before.
 */
function validatorFor(schema: JsonSchema): ValidateFunction | null {
  const known = compiled.get(schema);
  if (known !== undefined) return known;
  const dialect = typeof schema.$schema === "string" ? schema.$schema : "";
  // MCP says 2020-12 by default; draft-07 is what older SDKs emit (and what `items: [...]` means).
  const order = /draft-0[4-7]/.test(dialect) ? ["07", "2020"] : ["2020", "07"];
  let validate: ValidateFunction | null = null;
  for (const which of order) {
    try {
      const ajv = which === "07" ? (draft07 ??= new Ajv(options)) : (draft2020 ??= new Ajv2020(options));
      // The dialect is chosen above; a `$schema` Ajv has no meta-schema for must not fail the compile.
      const { $schema: _, ...rest } = schema;
      validate = ajv.compile(rest);
      break;
    } catch {
      // Try the other dialect.
    }
  }
  compiled.set(schema, validate);
  return validate;
}

/**
 * Why `args` do not match the tool's inputSchema, in words naming argument and expected type, or
 * undefined when they do. The call then fails as a tool error (ToolError, as if the server had
 * refused the arguments) without being sent; guards, not types, are what ToolDenied is for.
 */
export function checkInputSchema(
  server: string,
  tool: string,
  schema: JsonSchema | undefined,
  args: Record<string, unknown>,
): string | undefined {
  if (schema === undefined) return undefined;
  const validate = validatorFor(schema);
  if (validate === null || validate(args)) return undefined;
  const lines: string[] = [];
  for (const err of validate.errors ?? []) {
    const line = describeGuardError(err, args);
    if (line !== undefined && !lines.includes(line)) lines.push(line);
  }
  if (lines.length === 0) lines.push("arguments do not match");
  const more = lines.length > MAX_PROBLEMS ? `; and ${lines.length - MAX_PROBLEMS} more` : "";
  return `invalid arguments for ${server}.${tool}: ${
    lines.slice(0, MAX_PROBLEMS).join("; ")
  }${more} (checked against the tool's inputSchema; not sent)`;
}
