/**
 * Globs over `server/tool` names, as run scopes use them for allow, deny, confirm and guard keys.
 *
 * A pattern is split at its first `/` into a server part and a tool part, and each part is matched
 * on its own, so `*` never crosses from the server into the tool name. In a part, `*` matches any
 * run of characters. A pattern without `/` names servers: `ros` means `ros/*`, and `*` alone, like its
 * two-part form, means every tool of every server.
 */
import { PolicyError } from "../errors.ts";

/** Tells whether a glob list matches one tool. */
export type ToolMatcher = (server: string, tool: string) => boolean;

type PartMatcher = (name: string) => boolean;

const anything: PartMatcher = () => true;

function escapeRegExp(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
}

function compilePart(part: string): PartMatcher {
  if (/^\*+$/.test(part)) return anything;
  if (!part.includes("*")) return (name) => name === part;
  const re = new RegExp(`^${part.split(/\*+/).map(escapeRegExp).join(".*")}$`, "s");
  return (name) => re.test(name);
}

/** Compiles one `server/tool` glob; throws PolicyError for an empty pattern or part. */
export function compileGlob(pattern: string): ToolMatcher {
  const slash = pattern.indexOf("/");
  const serverPart = slash < 0 ? pattern : pattern.slice(0, slash);
  const toolPart = slash < 0 ? "*" : pattern.slice(slash + 1);
  if (serverPart === "" || toolPart === "") {
    throw new PolicyError(`Invalid tool pattern "${pattern}": expected "server/tool", "server/*" or "*"`);
  }
  const server = compilePart(serverPart);
  const tool = compilePart(toolPart);
  if (server === anything && tool === anything) return () => true;
  if (tool === anything) return (s) => server(s);
  return (s, t) => server(s) && tool(t);
}

/** True when the pattern matches every tool of every server. */
export function matchesEverything(pattern: string): boolean {
  return /^\*+(\/\*+)?$/.test(pattern);
}

/** Compiles a glob list into one matcher that is true when any pattern matches. */
export function compileGlobs(patterns: readonly string[]): ToolMatcher {
  if (patterns.length === 0) return () => false;
  if (patterns.some(matchesEverything)) return () => true;
  const matchers = patterns.map(compileGlob);
  if (matchers.length === 1) return matchers[0]!;
  return (server, tool) => {
    for (const m of matchers) if (m(server, tool)) return true;
    return false;
  };
}
