import assert from "node:assert/strict";
import { checkGuards, compileGuards } from "./guards.ts";

function check(schema: Record<string, unknown>, args: Record<string, unknown>): string | undefined {
  return checkGuards(compileGuards({ "ros/move": schema }), args);
}

const velocity = {
  type: "object",
  properties: {
    linear: { type: "array", items: { type: "number", minimum: -0.5, maximum: 0.5 } },
    mode: { enum: ["slow", "fast"] },
    pose: { type: "object", properties: { z: { type: "number", exclusiveMinimum: 0 } } },
    label: { type: "string", maxLength: 4 },
  },
  required: ["linear"],
  additionalProperties: false,
};

Deno.test("checkGuards() names the argument path and the limit in words", () => {
  assert.equal(check(velocity, { linear: [0.9] }), "argument linear[0] must be <= 0.5 (got 0.9)");
  assert.equal(check(velocity, { linear: [0, -2] }), "argument linear[1] must be >= -0.5 (got -2)");
  assert.equal(check(velocity, { linear: [], pose: { z: 0 } }), "argument pose.z must be > 0 (got 0)");
  assert.equal(
    check(velocity, { linear: [], label: "abcdef" }),
    'argument label must not have more than 4 characters (got "abcdef")',
  );
  assert.equal(
    check(velocity, { linear: [], mode: "turbo" }),
    'argument mode must be one of "slow", "fast" (got "turbo")',
  );
  assert.equal(check(velocity, { linear: ["x"] }), 'argument linear[0] must be number (got "x")');
  assert.equal(check(velocity, { linear: [0.1] }), undefined);
});

Deno.test("checkGuards() reports every violation, missing and extra arguments", () => {
  assert.equal(
    check(velocity, { linear: [0.9, 0.7] }),
    "argument linear[0] must be <= 0.5 (got 0.9); argument linear[1] must be <= 0.5 (got 0.7)",
  );
  assert.equal(check(velocity, {}), "argument linear is required");
  assert.equal(check(velocity, { linear: [], speed: 3 }), "argument speed is not allowed");
  assert.equal(check({ properties: { "a b": { const: 1 } } }, { "a b": 2 }), 'argument "a b" must be 1 (got 2)');
});

Deno.test("checkGuards() applies every guard whose glob matches", () => {
  const guards = compileGuards({
    "ros/*": { properties: { speed: { maximum: 1 } } },
    "ros/move": { properties: { speed: { minimum: 0.5 } } },
    "sim/*": { properties: { speed: { maximum: 0 } } },
  });
  const matching = guards.filter((g) => g.matches("ros", "move"));
  assert.equal(matching.length, 2);
  assert.equal(checkGuards(matching, { speed: 2 }), "argument speed must be <= 1 (got 2)");
  assert.equal(checkGuards(matching, { speed: 0.1 }), "argument speed must be >= 0.5 (got 0.1)");
});

Deno.test("checkGuards() shortens long values it quotes", () => {
  const msg = check({ properties: { s: { maxLength: 2 } } }, { s: "y".repeat(200) }) ?? "";
  assert.ok(msg.length < 140, msg);
  assert.match(msg, /\.\.\.\)$/);
});

Deno.test("compileGuards() rejects a guard with a misspelt keyword, naming the glob", () => {
  assert.throws(
    () => compileGuards({ "ros/move": { properties: { speed: { maximun: 1 } } } }),
    /Invalid guard "ros\/move": strict mode: unknown keyword: "maximun"/,
  );
});

const twist = { properties: { linear: { items: { minimum: -0.5, maximum: 0.5 } } } };

Deno.test("checkGuards() holds for numbers a lax server reads from strings, JSON text and booleans", () => {
  const g = (args: Record<string, unknown>) => checkGuards(compileGuards({ "ros/pub_twist": twist }), args);
  assert.match(
    g({ linear: ["0.9", 0, 0] }) ?? "",
    /^argument linear\[0\] must be <= 0\.5 as a lax server reads it \(got "0\.9"\)$/,
  );
  assert.match(
    g({ linear: "[0.9, 0, 0]" }) ?? "",
    /linear\[0\] must be <= 0\.5 .*got "\[0\.9, 0, 0\]" in argument linear/,
  );
  assert.match(g({ linear: [" 1_0 ", 0, 0] }) ?? "", /must be <= 0\.5/);
  assert.match(g({ linear: ["-1e3", 0, 0] }) ?? "", /must be >= -0\.5/);
  assert.match(g({ linear: ["inf", 0, 0] }) ?? "", /must be <= 0\.5/);
  assert.match(g({ linear: ["nan", 0, 0] }) ?? "", /must be (<=|>=)/);
  assert.match(g({ linear: ["-sNaN", 0, 0] }) ?? "", /must be (<=|>=)/);
  assert.match(g({ linear: [true, 0, 0] }) ?? "", /must be <= 0\.5/);
  assert.match(g({ linear: ["true", 0, 0] }) ?? "", /must be <= 0\.5/);
  assert.match(g({ linear: '{"0": 0.9}' }) ?? "x", /x/); // an object where a list is wanted: no items to bound
  assert.equal(g({ linear: ["0.1", "-0.2", 0] }), undefined);
  assert.equal(g({ linear: "[0.1, 0, 0]" }), undefined);
});

Deno.test("checkGuards() holds for every overflowing or non-finite number a lax server reads as inf", () => {
  const g = (args: Record<string, unknown>) => checkGuards(compileGuards({ "ros/pub_twist": twist }), args);
  const big = "1" + "0".repeat(400);
  for (
    const high of [
      "1e400",
      " 1e400 ",
      "\u00a01e400\u2003",
      "+inf",
      "Infinity",
      "infinIty",
      "1_0e4_00",
      big,
      "9".repeat(309),
    ]
  ) {
    assert.match(g({ linear: [high, 0, 0] }) ?? "", /must be <= 0\.5/, high);
  }
  for (const low of ["-1e999", "-inf", " -Infinity", "-" + big]) {
    assert.match(g({ linear: [low, 0, 0] }) ?? "", /must be >= -0\.5/, low);
  }
  // JSON text and a plain JSON number overflow too: JSON.parse("1e400") is Infinity.
  assert.match(g({ linear: "[1e400, 0, 0]" }) ?? "", /linear\[0\] must be <= 0\.5/);
  assert.match(g({ linear: "[-1e999, 0, 0]" }) ?? "", /linear\[0\] must be >= -0\.5/);
  assert.match(g(JSON.parse('{"linear": [1e400, 0, 0]}')) ?? "", /linear\[0\] must be <= 0\.5/);
  assert.match(g({ linear: [-Infinity, 0, 0] }) ?? "", /linear\[0\] must be >= -0\.5/);
  // Python's float() reads any Unicode decimal digit: "٩" is 9, "１" is 1.
  assert.match(g({ linear: ["\u0669", 0, 0] }) ?? "", /must be <= 0\.5/);
  assert.match(g({ linear: ["\uff11e400", 0, 0] }) ?? "", /must be <= 0\.5/);
  // Many digits round as Python rounds them; what float() refuses stays a string.
  assert.equal(g({ linear: ["0.4999999999999999999999999", 0, 0] }), undefined);
  assert.equal(g({ linear: ["0x10", "1__0", "1e", 0] }), undefined);
});

Deno.test("checkGuards() does not refuse a string the lax view re-types when the guard only constrains its text", () => {
  const g = compileGuards({
    "ros/say": { properties: { text: { type: "string", maxLength: 8 }, on: { type: "boolean" } } },
  });
  assert.equal(checkGuards(g, { text: "1.5", on: true }), undefined);
  assert.equal(checkGuards(g, { text: "[1, 2]", on: false }), undefined);
  assert.match(checkGuards(g, { text: "123456789" }) ?? "", /must not have more than 8 characters/);
});
