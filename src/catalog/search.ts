/** Finds tools by words, so an agent reads a few schemas instead of all of them. */
import type { Catalog } from "./types.ts";
import type { ToolInfo } from "../sources/types.ts";

export interface SearchHit {
  server: string;
  tool: ToolInfo;
  score: number;
}

/** Lower-case word pieces of a name or text: `move_to_grasp`, `moveToGrasp` and `move-to grasp` agree. */
export function words(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

function stem(w: string): string {
  return w.length > 4 ? w.replace(/(ing|ed|es|s)$/, "") : w;
}

/**
 * Tools ranked by how well they match `query`; nothing is filtered out but tools no word matches.
 * The whole query naming a tool or `server/tool` exactly ranks first, a part of that name next (so
 * `memory/` ranks that server's tools first, without dropping others'); then each word scores by
 * where it matches: a word of the tool's name, the start of one, the server's name, a parameter
 * name, the title or description. An empty query matches every tool (`limit` still applies).
 */
export function searchTools(catalog: Catalog, query: string, limit = 20): SearchHit[] {
  const q = query.trim();
  const terms = words(q).map(stem);
  const hits: SearchHit[] = [];
  for (const s of catalog.servers) {
    const serverTerms = new Set(words(s.server).map(stem));
    for (const tool of s.tools) {
      const full = `${s.server}/${tool.name}`.toLowerCase();
      const nameTerms = new Set(words(tool.name).map(stem));
      const descTerms = new Set(words(`${tool.title ?? ""} ${tool.description ?? ""}`).map(stem));
      const paramTerms = new Set(words(Object.keys((tool.inputSchema.properties ?? {}) as object).join(" ")).map(stem));
      let score = 0;
      if (!terms.length) score = 1;
      if (tool.name.toLowerCase() === q.toLowerCase() || full === q.toLowerCase()) score += 100;
      else if (q && (tool.name.toLowerCase().includes(q.toLowerCase()) || full.includes(q.toLowerCase()))) score += 20;
      let matched = 0;
      for (const t of terms) {
        let m = 0;
        if (nameTerms.has(t)) m = 10;
        else if ([...nameTerms].some((n) => n.startsWith(t) || t.startsWith(n))) m = 6;
        else if (serverTerms.has(t)) m = 4;
        else if (paramTerms.has(t)) m = 3;
        else if (descTerms.has(t)) m = 2;
        if (m) matched++;
        score += m;
      }
      // Every word matching somewhere beats a few words matching well.
      if (terms.length > 1 && matched === terms.length) score += 5;
      if (score > 0) hits.push({ server: s.server, tool, score });
    }
  }
  hits.sort((a, b) => b.score - a.score || a.server.localeCompare(b.server) || a.tool.name.localeCompare(b.tool.name));
  return hits.slice(0, Math.max(0, limit));
}
