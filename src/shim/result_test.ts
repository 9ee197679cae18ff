import assert from "node:assert/strict";
import { convertResult, toolResultBody } from "./result.ts";

const text = (t: string) => ({ type: "text" as const, text: t });

Deno.test("convertResult() prefers structuredContent", () => {
  assert.deepEqual(convertResult({ content: [text("ignored")], structuredContent: { a: 1 } }), { a: 1 });
});

Deno.test("convertResult() JSON-decodes exactly one text item when it parses", () => {
  assert.deepEqual(convertResult({ content: [text(' {"a": [1, 2]}')] }), { a: [1, 2] });
  assert.equal(convertResult({ content: [text("42")] }), 42);
  assert.equal(convertResult({ content: [text("null")] }), null);
  assert.equal(convertResult({ content: [text('"quoted"')] }), "quoted");
  assert.equal(convertResult({ content: [text("moved to x=1")] }), "moved to x=1");
  assert.equal(convertResult({ content: [text("12 cm")] }), "12 cm");
  assert.equal(convertResult({ content: [text("")] }), "");
});

Deno.test("convertResult() answers null for no items, several items or a non-text item", () => {
  assert.equal(convertResult({ content: [] }), null);
  assert.equal(convertResult({ content: [text("a"), text("b")] }), null);
  assert.equal(convertResult({ content: [{ type: "image", data: "AA==", mimeType: "image/png" }] }), null);
});

Deno.test("toolResultBody() turns isError into success false with the joined text", () => {
  assert.deepEqual(toolResultBody({ isError: true, content: [text("a"), text("b")] }), {
    success: false,
    isError: true,
    error: "a\nb",
    content: [text("a"), text("b")],
  });
  const silent = toolResultBody({ isError: true, content: [] });
  assert.equal(silent.success === false && silent.error, "the tool reported an error without a message");
});
