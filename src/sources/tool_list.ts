/**
 * A lenient tools/list: the SDK's own parse rejects the whole list when one tool is malformed (a
 * missing inputSchema hid every tool of the server behind a zod dump). Here each tool is checked on
 * its own; a bad one is skipped, or loses only its bad optional field, with a warning naming it.
 */
import { z } from "zod";
import type { ToolInfo } from "./types.ts";
import { ToolSchema } from "../deps/mcp_sdk.ts";

/** tools/list as the wire carries it, before any tool is checked. */
export const LenientToolListSchema = z.looseObject({
  tools: z.array(z.unknown()),
  nextCursor: z.string().optional(),
});

/** Fields a tool can lose and still be called. */
const OPTIONAL = new Set(["title", "description", "outputSchema", "annotations", "icons", "execution", "_meta"]);

/** Tools as the catalog holds them, plus what was skipped or trimmed, in words. */
export interface ToolListing {
  tools: ToolInfo[];
  warnings: string[];
}

/** Checks each listed tool on its own; `seen` keeps names unique across pages. */
export function parseToolList(raw: readonly unknown[], seen = new Set<string>()): ToolListing {
  const tools: ToolInfo[] = [];
  const warnings: string[] = [];
  raw.forEach((item, i) => {
    const name = item !== null && typeof item === "object" && typeof (item as { name?: unknown }).name === "string"
      ? (item as { name: string }).name
      : undefined;
    const label = name !== undefined && name !== "" ? `tool "${name}"` : `tool #${i + 1} of the list`;
    let parsed = ToolSchema.safeParse(item);
    const trimmed: string[] = [];
    if (!parsed.success && item !== null && typeof item === "object") {
      const fields = new Set(parsed.error.issues.map((issue) => String(issue.path[0] ?? "")));
      if ([...fields].every((f) => OPTIONAL.has(f))) {
        const copy = { ...(item as Record<string, unknown>) };
        for (const f of fields) delete copy[f];
        trimmed.push(...[...fields].sort());
        parsed = ToolSchema.safeParse(copy);
      }
    }
    if (!parsed.success) {
      warnings.push(`${label} skipped: ${describe(parsed.error.issues)}`);
      return;
    }
    const tool = parsed.data as unknown as ToolInfo;
    if (tool.name === "") {
      warnings.push(`${label} skipped: its name is empty`);
      return;
    }
    if (seen.has(tool.name)) {
      warnings.push(`${label} skipped: the server lists that name twice`);
      return;
    }
    seen.add(tool.name);
    if (trimmed.length) warnings.push(`${label}: ignored its invalid ${trimmed.join(", ")}`);
    tools.push(tool);
  });
  return { tools, warnings };
}

function describe(issues: readonly z.core.$ZodIssue[]): string {
  const first = issues[0];
  if (first === undefined) return "not a valid tool";
  const path = first.path.map(String).join(".");
  if (first.code === "invalid_type" && /received undefined/.test(first.message)) {
    return `${path || "the tool"} is missing`;
  }
  if (path === "inputSchema.type") return `inputSchema.type must be "object"`;
  if (first.code === "invalid_type") {
    return `${path || "the tool"} must be ${first.expected === "object" ? "an" : "a"} ${first.expected}`;
  }
  return `${path || "the tool"}: ${first.message}`;
}
