import assert from "node:assert/strict";
import { closestName, editDistance, unknownServerMessage, unknownToolMessage } from "./suggest.ts";

Deno.test("editDistance() counts edits and stops past the limit", () => {
  assert.equal(editDistance("move_to_grsp", "move_to_grasp"), 1);
  assert.equal(editDistance("kitten", "sitting"), 3);
  assert.equal(editDistance("", "abc"), 3);
  assert.equal(editDistance("abcdef", "uvwxyz", 2), 3);
});

Deno.test("closestName() finds near misses, case and separator slips, and nothing far", () => {
  const tools = ["move_to_grasp", "get_pose", "stop"];
  assert.equal(closestName("move_to_grsp", tools), "move_to_grasp");
  assert.equal(closestName("MoveToGrasp", tools), "move_to_grasp");
  assert.equal(closestName("getpose", tools), "get_pose");
  assert.equal(closestName("launch_rocket", tools), undefined);
});

Deno.test("unknownToolMessage() lists at most eight tools and says how many there are", () => {
  const tools = Array.from({ length: 12 }, (_, i) => `tool${String.fromCharCode(97 + i)}xyz_long_name`);
  assert.equal(
    unknownToolMessage("s", "zzz", tools),
    `unknown tool s.zzz; s has: ${tools.slice(0, 8).join(", ")}, ... (12 in all)`,
  );
  assert.equal(unknownToolMessage("s", "zzz", []), "unknown tool s.zzz; s has: none");
  assert.equal(unknownServerMessage("x", ["alpha", "beta"]), 'unknown server "x" (servers: alpha, beta)');
});
