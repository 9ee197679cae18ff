import assert from "node:assert/strict";
import { Ajv2020 } from "ajv/dist/2020.js";
import type { z } from "zod";
import { CancelRunArgs, DocsArgs, ExecuteArgs, GetRunArgs, ListArgs, NoArgs, ORCH_TOOLS, SearchArgs } from "./tools.ts";

const ARGS: Record<string, z.ZodObject> = {
  execute_composed_code: ExecuteArgs,
  get_run: GetRunArgs,
  cancel_run: CancelRunArgs,
  search_tools: SearchArgs,
  get_api_documentation: DocsArgs,
  list_available_tools: ListArgs,
  refresh_tools: NoArgs,
};

// Arguments whose types the wire and the handler must judge alike (bounds are the handler's alone).
const CASES: [string, Record<string, unknown>][] = [
  ["execute_composed_code", { code: "print(1)" }],
  ["execute_composed_code", { code: "x", timeout: 1.5, wait: 0.5, persistent: true, session_id: "s" }],
  ["execute_composed_code", { code: "x", timeout: "60" }],
  ["execute_composed_code", { code: "x", allowed_tools: "ros/*" }],
  ["execute_composed_code", { timeout: 60 }],
  ["get_run", { run_id: "r", wait_seconds: 2.5, offset: 10 }],
  ["get_run", { run_id: "r", offset: 1.5 }],
  ["search_tools", { query: "move", detail: "full", limit: 3 }],
  ["search_tools", { query: "move", detail: "everything" }],
  ["search_tools", { query: "move", limit: 2.5 }],
  ["get_api_documentation", { servers: ["isaac-sim"] }],
  ["get_api_documentation", { servers: [1] }],
  ["list_available_tools", { include_descriptions: "yes" }],
  ["cancel_run", {}],
];

Deno.test("every orch tool's wire schema is generated from the zod schema its handler checks", () => {
  assert.deepEqual(ORCH_TOOLS.map((t) => t.name).sort(), Object.keys(ARGS).sort());
  const ajv = new Ajv2020({ strict: false });
  for (const [name, args] of CASES) {
    const wire = ajv.compile(ORCH_TOOLS.find((t) => t.name === name)!.inputSchema);
    const handler = ARGS[name]!.safeParse(args).success;
    assert.equal(wire(args), handler, `${name} ${JSON.stringify(args)}: wire ${!handler}, handler ${handler}`);
  }
});

Deno.test("the wire shows what was in dispute as the handlers take it", () => {
  const props = (name: string) => ORCH_TOOLS.find((t) => t.name === name)!.inputSchema.properties!;
  assert.deepEqual(props("execute_composed_code").timeout, { type: "number", description: "seconds", default: 3600 });
  assert.deepEqual(props("get_api_documentation").servers, { type: "array", items: { type: "string" } });
  assert.deepEqual(props("get_run").offset, { type: "integer" });
  // One server name as a string is taken too, though the wire shows a list.
  assert.deepEqual(DocsArgs.parse({ servers: "isaac-sim" }), { servers: ["isaac-sim"] });
});
