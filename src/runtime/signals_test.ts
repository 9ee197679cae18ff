import assert from "node:assert/strict";
import { signalExitCode } from "./signals.ts";
import { randomToken } from "./token.ts";

Deno.test("signalExitCode() is 128 + the signal's number, as a shell reports it", () => {
  assert.equal(signalExitCode("SIGINT"), 130);
  assert.equal(signalExitCode("SIGTERM"), 143);
  assert.equal(signalExitCode("SIGHUP"), 129);
  assert.equal(signalExitCode("SIGXCPU"), 152);
  assert.equal(signalExitCode(null), 128);
});

Deno.test("randomToken() gives base64url without padding, fresh each time", () => {
  const a = randomToken(32);
  assert.match(a, /^[A-Za-z0-9_-]{43}$/);
  assert.match(randomToken(24), /^[A-Za-z0-9_-]{32}$/);
  assert.notEqual(a, randomToken(32));
});
