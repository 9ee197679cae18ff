import assert from "node:assert/strict";
import { checkInputSchema } from "./arguments.ts";

const pubTwist = {
  type: "object",
  properties: {
    linear: { type: "array", items: { type: "number" } },
    angular: { type: "array", items: { type: "number" } },
    duration: { type: "number", default: 0 },
  },
  required: ["linear", "angular"],
};

Deno.test("checkInputSchema() refuses a numeric string or JSON text where the schema wants numbers, naming tool and argument", () => {
  assert.equal(
    checkInputSchema("ros", "pub_twist", pubTwist, { linear: ["0.9", 0, 0], angular: [0, 0, 0] }),
    `invalid arguments for ros.pub_twist: argument linear[0] must be number (got "0.9") (checked against the tool's inputSchema; not sent)`,
  );
  assert.equal(
    checkInputSchema("ros", "pub_twist", pubTwist, { linear: "[0.9, 0, 0]", angular: [0, 0, 0] }),
    `invalid arguments for ros.pub_twist: argument linear must be array (got "[0.9, 0, 0]") (checked against the tool's inputSchema; not sent)`,
  );
  assert.match(checkInputSchema("ros", "pub_twist", pubTwist, { linear: [0, 0, 0] }) ?? "", /angular is required/);
  assert.match(
    checkInputSchema("ros", "pub_twist", pubTwist, { linear: [true, 0, 0], angular: [0, 0, 0] }) ?? "",
    /linear\[0\] must be number \(got true\)/,
  );
  assert.equal(checkInputSchema("ros", "pub_twist", pubTwist, { linear: [0.1, 0, 0], angular: [0, 0, 0] }), undefined);
});

Deno.test("checkInputSchema() reads 2020-12 and draft-07 schemas and lets an uncompilable one through", () => {
  const tuple = { type: "object", properties: { p: { type: "array", prefixItems: [{ type: "number" }] } } };
  assert.match(checkInputSchema("s", "t", tuple, { p: ["x"] }) ?? "", /p\[0\] must be number/);
  const old = {
    $schema: "http://json-schema.org/draft-07/schema#",
    type: "object",
    properties: { p: { type: "array", items: [{ type: "number" }] } },
  };
  assert.match(checkInputSchema("s", "t", old, { p: ["x"] }) ?? "", /p\[0\] must be number/);
  const remote = { type: "object", properties: { p: { $ref: "https://example.invalid/x.json" } } };
  assert.equal(checkInputSchema("s", "t", remote, { p: 1 }), undefined);
  assert.equal(checkInputSchema("s", "t", undefined, { p: 1 }), undefined);
});
