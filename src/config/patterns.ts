/**
 * Load-time checks of what run scopes compile later: server names, and every `allow`, `deny`,
 * `confirm` and `guards` entry. A bad pattern or guard must stop `orch list` and `orch doctor` too,
 * not only the first run; the pattern language itself lives in rules/glob.ts.
 */
import { errorText } from "../errors.ts";
import { compileGlob } from "../rules/glob.ts";
import { compileGuards } from "../rules/guards.ts";
import type { Orchestrator } from "./schema.ts";

/**
 * Why a server name cannot be used, or undefined. Patterns split `server/tool` at the first `/`,
 * so a name with `/` (`robot/arm`) could never be matched by a deny rule.
 */
export function badServerName(name: string): string | undefined {
  if (name.trim() === "") return "a server name cannot be empty";
  if (name.includes("/")) {
    return `the server name "${name}" contains "/", which tool patterns use to split server from tool ` +
      `(a rule like "${name}/tool" would never match it): rename it, e.g. "${name.replaceAll("/", "_")}"`;
  }
  if (name.includes("*")) return `the server name "${name}" contains "*", which tool patterns use as a wildcard`;
  return undefined;
}

/**
 * Compiles every pattern and guard of `orch`; returns the first problem as `field: why`, and, in
 * `warnings`, patterns that name no configured server (a typo in a deny rule denies nothing).
 */
export function checkPatterns(
  orch: Orchestrator,
  serverNames: readonly string[],
  warnings: string[],
): string | undefined {
  const lists: [string, readonly string[]][] = [["allow", orch.allow], ["deny", orch.deny], [
    "confirm",
    orch.confirm,
  ]];
  for (const [field, patterns] of lists) {
    for (const [i, pattern] of patterns.entries()) {
      const problem = checkOne(pattern, serverNames);
      if (problem === "error") return `orchestrator.${field}[${i}]: ${compileError(pattern)}`;
      if (problem) warnings.push(`orchestrator.${field}[${i}]: ${problem}`);
    }
  }
  for (const [pattern, schema] of Object.entries(orch.guards)) {
    const field = `orchestrator.guards[${JSON.stringify(pattern)}]`;
    const problem = checkOne(pattern, serverNames);
    if (problem === "error") return `${field}: ${compileError(pattern)}`;
    if (problem) warnings.push(`${field}: ${problem}`);
    try {
      compileGuards({ [pattern]: schema });
    } catch (err) {
      return `${field}: ${errorText(err).replace(/^Invalid guard "[^"]*": /, "invalid JSON Schema: ")}`;
    }
  }
  return undefined;
}

function compileError(pattern: string): string {
  try {
    compileGlob(pattern);
    return "invalid pattern";
  } catch (err) {
    return errorText(err);
  }
}

/** "error" when the pattern does not compile, a warning text when it names no server, else undefined. */
function checkOne(pattern: string, serverNames: readonly string[]): "error" | string | undefined {
  try {
    compileGlob(pattern);
  } catch {
    return "error";
  }
  const slash = pattern.indexOf("/");
  const serverPart = slash < 0 ? pattern : pattern.slice(0, slash);
  if (serverPart.includes("*")) return undefined;
  if (serverNames.includes(serverPart)) return undefined;
  const known = serverNames.length ? serverNames.map((n) => `"${n}"`).join(", ") : "none";
  return `"${pattern}" names no configured server "${serverPart}" (configured: ${known}), so it matches nothing`;
}
