/**
 * orch's own tools/list stays small with get_run and cancel_run added: the tokens an agent holds for
 * orch's tools (js-tiktoken o200k_base over the JSON of the tools/list result, as scripts/bench_tokens.ts
 * counts them) are pinned under a budget, so a longer description is a decision, not an accident.
 */
import assert from "node:assert/strict";
import { Tiktoken } from "js-tiktoken/lite";
import o200k from "js-tiktoken/ranks/o200k_base";
import { ORCH_TOOLS } from "../../src/mcp_server/tools.ts";

/**
 * 495 tokens with the seed's session fields, 627 with get_run, cancel_run, `wait` and task support, 637 with the
 * schemas generated from zod (get_run's `offset`, search's default detail).
 */
const BUDGET = 640;

Deno.test("runs: orch's tools/list costs at most the pinned token budget", () => {
  const enc = new Tiktoken(o200k);
  const tokens = enc.encode(JSON.stringify({ tools: ORCH_TOOLS })).length;
  assert.ok(tokens <= BUDGET, `orch's tools/list is ${tokens} tokens, over the budget of ${BUDGET}`);
  console.log(`orch tools/list: ${tokens} tokens`);
});
