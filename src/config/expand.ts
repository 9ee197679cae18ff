/** `${VAR}` and `${VAR:-default}` expansion in config strings. */

const PATTERN = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** A `${VAR}` with no value and no default; `field` is the dotted path of the string. */
export class MissingVariable extends Error {
  constructor(readonly variable: string, readonly field: string) {
    super(`${field} uses \${${variable}}, which is not set`);
  }
}

/** Expands every string inside `value` (recursively); throws MissingVariable naming the field. */
export function expandVars(
  value: unknown,
  env: (name: string) => string | undefined,
  field: string,
): unknown {
  if (typeof value === "string") {
    return value.replace(PATTERN, (_m, name: string, fallback: string | undefined) => {
      const v = env(name);
      if (v !== undefined && v !== "") return v;
      if (fallback !== undefined) return fallback;
      if (v !== undefined) return v;
      throw new MissingVariable(name, field);
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => expandVars(v, env, `${field}[${i}]`));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = expandVars(v, env, `${field}.${k}`);
    return out;
  }
  return value;
}
