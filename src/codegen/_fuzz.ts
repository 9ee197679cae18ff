/** Seeded random catalogs full of hostile names, descriptions, schemas and defaults, for codegen tests. */
import type { Catalog } from "../catalog/types.ts";
import type { ToolInfo } from "../sources/types.ts";

/** Strings that have broken code generators: keywords, dunders, quotes, escapes, controls, odd unicode. */
export const NASTY: readonly string[] = [
  "",
  " ",
  "x",
  "from",
  "class",
  "lambda",
  "None",
  "True",
  "async",
  "await",
  "match",
  "type",
  "id",
  "__debug__",
  "_args",
  "_call_tool",
  "__all__",
  "__name__",
  "__init__",
  "all__",
  "123abc",
  "9",
  "a-b",
  "a.b",
  "a b",
  "a_b",
  "a\nb",
  'quote"s',
  "single'quote",
  "both'\"quotes",
  'tri"""ple',
  "'''",
  '"',
  '""',
  'ends with quote"',
  "back\\slash",
  "trailing\\",
  "\\",
  "\\N{EM DASH}",
  "\\u0041\\x41\\0",
  "uni°C",
  "名前",
  "emoji😀",
  "lone\ud800surrogate",
  "\udc00",
  "nul\x00byte",
  "cr\rlf\r\n",
  "\x0c\x0b\x1b[31m",
  "\u2028sep\u2029",
  "\u0085nel",
  "\ufeffbom",
  "tab\there",
  "{{header}}",
  "{{functions}}",
  "%s %d",
  "${x}",
  "x".repeat(300),
  "Args:",
  "\n\n  indented\n\ttabbed\n",
  "#!comment",
];

/** mulberry32: a small deterministic PRNG, so a failing seed can be replayed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Gen {
  constructor(readonly r: () => number) {}
  int(n: number): number {
    return Math.floor(this.r() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.r() < p;
  }
  text(): string {
    const n = 1 + this.int(3);
    return Array.from({ length: n }, () => this.pick(NASTY)).join(this.pick(["", " ", "\n", "-"]));
  }
  json(depth = 0): unknown {
    const k = this.int(depth > 2 ? 5 : 7);
    if (k === 0) return null;
    if (k === 1) return this.chance(0.5);
    if (k === 2) return this.pick([0, -1, 3, 0.5, -2.25, 1e21, 5e-7, 2 ** 53 - 1, -0]);
    if (k === 3 || k === 4) return this.text();
    if (k === 5) return Array.from({ length: this.int(4) }, () => this.json(depth + 1));
    return Object.fromEntries(Array.from({ length: this.int(4) }, () => [this.text(), this.json(depth + 1)]));
  }
  schema(depth = 0): unknown {
    const kinds = [
      "string",
      "integer",
      "number",
      "boolean",
      "null",
      "array",
      "object",
      "enum",
      "const",
      "anyOf",
      "oneOf",
      "allOf",
      "types",
      "ref",
      "empty",
      "true",
    ];
    const kind = this.pick(depth > 2 ? kinds.slice(0, 5) : kinds);
    let s: Record<string, unknown>;
    switch (kind) {
      case "array":
        s = { type: "array", items: this.schema(depth + 1) };
        break;
      case "object":
        s = { type: "object", properties: { [this.text()]: this.schema(depth + 1) }, required: [this.text()] };
        break;
      case "enum":
        s = { enum: Array.from({ length: this.int(4) }, () => this.json(2)) };
        break;
      case "const":
        s = { const: this.json(2) };
        break;
      case "anyOf":
      case "oneOf":
      case "allOf":
        s = { [kind]: Array.from({ length: this.int(3) }, () => this.schema(depth + 1)) };
        break;
      case "types":
        s = { type: [this.pick(["string", "integer", "null"]), this.pick(["array", "object", "null", "bogus"])] };
        break;
      case "ref":
        s = {
          $ref: this.pick(["#/$defs/Node", "#/$defs/Leaf", "#/definitions/Old", "#/$defs/Missing", "#", "http://x/y"]),
        };
        break;
      case "empty":
        s = {};
        break;
      case "true":
        return true;
      default:
        s = { type: kind };
    }
    if (this.chance(0.6)) s.description = this.text();
    if (this.chance(0.4)) s.default = this.json();
    if (this.chance(0.2)) Object.assign(s, { minimum: 1, maximum: 10, pattern: '^\\d+"""$', format: this.text() });
    return s;
  }
  tool(name: string): ToolInfo {
    const properties: Record<string, unknown> = {};
    for (let i = this.int(8); i > 0; i--) properties[this.text()] = this.schema();
    const names = Object.keys(properties);
    const required: unknown[] = names.filter(() => this.chance(0.4));
    if (this.chance(0.2)) required.push(this.text()); // required but undescribed
    if (this.chance(0.1)) required.push(42); // junk a server should not send
    const tool: ToolInfo = {
      name,
      inputSchema: {
        type: "object",
        properties,
        required,
        $defs: {
          Node: { type: "object", properties: { next: { $ref: "#/$defs/Node" } }, description: this.text() },
          Leaf: { anyOf: [{ type: "string" }, { type: "array", items: { $ref: "#/$defs/Leaf" } }] },
        },
        definitions: { Old: { type: "integer", description: this.text() } },
      },
    };
    if (this.chance(0.8)) tool.description = this.text();
    if (this.chance(0.3)) tool.title = this.text();
    if (this.chance(0.3)) {
      tool.outputSchema = { type: "object", properties: { result: this.schema() }, required: ["result"] };
    }
    return tool;
  }
}

/** A catalog of `servers` servers with `tools` tools each, names drawn from NASTY so that many collide. */
export function fuzzCatalog(seed: number, servers: number, tools: number): Catalog {
  const g = new Gen(rng(seed));
  const serverNames = [...new Set(Array.from({ length: servers }, () => g.text()))];
  return {
    servers: serverNames.map((server) => ({
      server,
      status: "ok" as const,
      origin: "mcp" as const,
      durationMs: 0,
      tools: Array.from({ length: tools }, () => g.tool(g.text())),
    })),
  };
}
