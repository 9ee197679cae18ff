import assert from "node:assert/strict";
import { NASTY } from "./_fuzz.ts";
import { python } from "./_testing.ts";
import { cleanText, commentText, docText, pyLiteral, pyStr } from "./literals.ts";

Deno.test("pyStr() quotes like Python's repr()", () => {
  assert.equal(pyStr("abc"), "'abc'");
  assert.equal(pyStr("it's"), `"it's"`);
  assert.equal(pyStr(`a'b"c`), `'a\\'b"c'`);
  assert.equal(pyStr(""), "''");
});

Deno.test("pyStr() escapes backslashes, newlines, controls and lone surrogates but keeps printable unicode", () => {
  assert.equal(pyStr("a\\b\nc\r\td"), "'a\\\\b\\nc\\r\\td'");
  assert.equal(pyStr("\x00\x1b\x7f\x85"), "'\\x00\\x1b\\x7f\\x85'");
  assert.equal(pyStr("\u2028\ufeff"), "'\\u2028\\ufeff'");
  assert.equal(pyStr("x\ud800y\udc00"), "'x\\ud800y\\udc00'");
  assert.equal(pyStr("°C 名前 😀"), "'°C 名前 😀'");
});

Deno.test("pyLiteral() renders JSON values as Python literals", () => {
  assert.equal(pyLiteral(null), "None");
  assert.equal(pyLiteral(true), "True");
  assert.equal(pyLiteral(false), "False");
  assert.equal(pyLiteral(3), "3");
  assert.equal(pyLiteral(-0.5), "-0.5");
  assert.equal(pyLiteral(1e21), "1e+21");
  assert.equal(pyLiteral([1, "a", [null]]), "[1, 'a', [None]]");
  assert.equal(pyLiteral({ "k'": { x: [] } }), `{"k'": {'x': []}}`);
});

Deno.test("docText() keeps a docstring from closing early and reads back exactly in Python", () => {
  assert.equal(docText('say """hi"""'), 'say \\"\\""hi\\"\\"\\"');
  assert.equal(docText('ends"'), 'ends\\"');
  assert.equal(docText("c:\\dir\\"), "c:\\\\dir\\\\");
  assert.equal(docText("two\nlines\tand\rcr"), "two\nlines\tand\\rcr");
  const texts = [...NASTY, NASTY.join("")];
  const sources = texts.map((s) => `"""${docText(s)}"""`);
  const r = python(
    [
      "-c",
      `import ast, json, sys
texts, sources = json.load(sys.stdin)
for t, s in zip(texts, sources):
    assert ast.literal_eval(s) == t, (s, t)
print("ok")`,
    ],
    undefined,
    JSON.stringify([texts, sources]),
  );
  assert.equal(r.stdout.trim(), "ok", r.stderr);
});

Deno.test("pyLiteral() output evaluates in Python to the same JSON value", () => {
  const values: unknown[] = [...NASTY, 0, -1, 0.1, 1e21, 5e-7, 2 ** 53 - 1, true, false, null, [NASTY], {
    [NASTY.join("")]: [{ a: null, b: [1.5, "\\"] }],
  }];
  const r = python(
    [
      "-c",
      `import ast, json, sys
values, sources = json.load(sys.stdin)
for v, s in zip(values, sources):
    assert ast.literal_eval(s) == v, (s, v)
print("ok")`,
    ],
    undefined,
    JSON.stringify([values, values.map(pyLiteral)]),
  );
  assert.equal(r.stdout.trim(), "ok", r.stderr);
});

Deno.test("commentText() leaves no line break or control character", () => {
  const out = commentText(NASTY.join(""));
  for (const c of out) {
    const code = c.codePointAt(0)!;
    assert.ok(code >= 0x20 && (code < 0x7f || code > 0x9f) && code !== 0x2028 && code !== 0x2029, `U+${code}`);
  }
});

Deno.test("cleanText() normalises newlines and trims the end", () => {
  assert.equal(cleanText("a\r\nb\rc \n\n"), "a\nb\nc");
  assert.equal(cleanText(undefined), "");
  assert.equal(cleanText(42), "");
});
