import assert from "node:assert/strict";
import type { CallToolResult } from "../deps/mcp_sdk.ts";
import { keepRawResult, rawResultOf } from "./raw_result.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** The bytes kept for the result of this JSON-RPC line, as text; undefined when none were kept. */
function kept(line: string): string | undefined {
  const msg = JSON.parse(line);
  keepRawResult(msg.result as CallToolResult, enc.encode(line));
  const raw = rawResultOf(msg.result);
  if (raw !== undefined) assert.deepEqual(JSON.parse(dec.decode(raw)), msg.result);
  return raw === undefined ? undefined : dec.decode(raw);
}

Deno.test("keepRawResult() keeps the bytes of a result with content and structuredContent", () => {
  const result =
    '{"content":[{"type":"text","text":"a \\"quoted\\" \\\\ } ] { [ text"}],"structuredContent":{"x":[1,{}]}}';
  assert.equal(kept(`{"jsonrpc":"2.0","id":7,"result":${result}}`), result);
  assert.equal(kept(`{ "result" : ${result} , "jsonrpc":"2.0", "id":"a\\"b" }\n`), result);
  assert.equal(kept(`{"jsonrpc":"2.0","id":7,"result":{"content":[]}}`), '{"content":[]}');
});

Deno.test("keepRawResult() keeps nothing it cannot vouch for", () => {
  const cases = [
    // Members other than content and structuredContent (they would reach the policy's answer).
    '{"jsonrpc":"2.0","id":1,"result":{"content":[],"success":false}}',
    '{"jsonrpc":"2.0","id":1,"result":{"content":[],"isError":false}}',
    '{"jsonrpc":"2.0","id":1,"result":{"content":[],"_meta":{}}}',
    // A key written with an escape, or twice: what was parsed may not be what the bytes say.
    '{"jsonrpc":"2.0","id":1,"result":{"cont\\u0065nt":[]}}',
    '{"jsonrpc":"2.0","id":1,"res\\u0075lt":{"content":[]}}',
    '{"jsonrpc":"2.0","id":1,"result":{"content":[1],"content":[]}}',
    '{"jsonrpc":"2.0","id":1,"result":{"content":[]},"result":{"content":[]}}',
    // No content.
    '{"jsonrpc":"2.0","id":1,"result":{"structuredContent":{}}}',
  ];
  for (const line of cases) assert.equal(kept(line), undefined, line);
});

Deno.test("keepRawResult() is dropped by a copy of the result", () => {
  const line = '{"jsonrpc":"2.0","id":1,"result":{"content":[]}}';
  const result = JSON.parse(line).result;
  keepRawResult(result, enc.encode(line));
  assert.ok(rawResultOf(result) !== undefined);
  assert.equal(rawResultOf({ ...result }), undefined);
  assert.deepEqual(Object.keys(result), ["content"]);
});
