/** "Did you mean" for unknown servers and tools: the 404 messages of the shim. */
import { listNames, unknownServerMessage as unknownServerText } from "../errors.ts";

/** Levenshtein distance, giving up (returning `limit + 1`) once it must exceed `limit`. */
export function editDistance(a: string, b: string, limit = Infinity): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      row.push(d);
      if (d < best) best = d;
    }
    if (best > limit) return limit + 1;
    prev = row;
  }
  return prev[b.length]!;
}

/** The closest name within a distance that grows with the name's length, or undefined. */
export function closestName(name: string, candidates: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  const limit = Math.max(2, Math.floor(name.length / 3));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of candidates) {
    const c = candidate.toLowerCase();
    // Case or separator slips (`moveTo` vs `move_to`) count as near misses.
    const d = c === lower || squash(c) === squash(lower) ? 0 : editDistance(lower, c, limit);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function squash(name: string): string {
  return name.replace(/[-_.\s]/g, "");
}

/** The shim's message for a server no source knows: errors.ts's wording, naming the close one when there is one. */
export function unknownServerMessage(server: string, servers: readonly string[]): string {
  return unknownServerText(server, servers, { near: closestName(server, servers), listedAs: "servers" });
}

/** Message for a tool the server does not have, naming the close one or listing a few tools. */
export function unknownToolMessage(
  server: string,
  tool: string,
  tools: readonly string[],
): string {
  const near = closestName(tool, tools);
  if (near !== undefined) return `unknown tool ${server}.${tool}; did you mean ${near}?`;
  return `unknown tool ${server}.${tool}; ${server} has: ${listNames(tools)}`;
}
