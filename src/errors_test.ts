import assert from "node:assert/strict";
import { CacheDirError, ConfigError, listNames, UnknownServerError, unknownServerMessage } from "./errors.ts";

Deno.test("unknownServerMessage() names the close server, else lists the known ones", () => {
  assert.equal(
    unknownServerMessage("ros", ["ros2", "sim"], { near: "ros2" }),
    'unknown server "ros"; did you mean "ros2"?',
  );
  assert.equal(unknownServerMessage("x", ["a", "b"]), 'unknown server "x" (configured: a, b)');
  assert.equal(unknownServerMessage(["x", "y"], []), 'unknown servers "x", "y" (configured: none)');
  assert.equal(
    unknownServerMessage("x", ["a"], { listedAs: "the MCP client lists" }),
    'unknown server "x" (the MCP client lists: a)',
  );
});

Deno.test("listNames() shows eight names and the count of the rest", () => {
  const names = Array.from({ length: 10 }, (_, i) => `s${i}`);
  assert.equal(listNames(names), "s0, s1, s2, s3, s4, s5, s6, s7, ... (10 in all)");
});

Deno.test("UnknownServerError carries the server and the one wording", () => {
  const err = new UnknownServerError("x", ["a"]);
  assert.equal(err.server, "x");
  assert.equal(err.message, 'unknown server "x" (configured: a)');
  assert.equal(err.name, "UnknownServerError");
});

Deno.test("CacheDirError names the folder, says what to do and exits as a config error", () => {
  const err = new CacheDirError("/proc/x", "ENOENT");
  assert.ok(err instanceof ConfigError);
  assert.equal(err.exitCode, 2);
  assert.match(err.message, /"\/proc\/x" \(ENOENT\)/);
  assert.match(err.message, /set ORCH_CACHE_DIR/);
});
