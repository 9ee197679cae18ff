import assert from "node:assert/strict";
import type { RunResult } from "../executor/types.ts";
import { refusedAnswer, runAnswer, seedStatus } from "./answer.ts";

const base = {
  output: "",
  error: "",
  runId: "r",
  durationMs: 1,
  calls: 0,
  logPath: "/l",
  sandbox: "none",
} as unknown as RunResult;

Deno.test("seedStatus() maps orch's outcomes to the seed's words", () => {
  assert.equal(seedStatus({ status: "success" }), "success");
  assert.equal(seedStatus({ status: "error" }), "failed");
  assert.equal(seedStatus({ status: "error", refused: "preflight" }), "error");
  assert.equal(seedStatus({ status: "timeout" }), "timeout");
  assert.equal(seedStatus({ status: "aborted" }), "aborted");
  assert.equal(refusedAnswer("bad").status, "error");
});

Deno.test("runAnswer() keeps a timeout's partial output and ends it with a note", () => {
  const a = runAnswer({ ...base, status: "timeout", returncode: 124, output: "step 1", reason: "timed out after 2 s" });
  assert.equal(a.output, "step 1\n[Timeout] timed out after 2 s; the output above is what the policy printed before.");
  assert.equal(a.reason, "timed out after 2 s");
  const ok = runAnswer({ ...base, status: "success", returncode: 0, output: "x\n" }, {
    session_id: "s",
    session_vars: ["x"],
  });
  assert.deepEqual([ok.output, ok.status, ok.session_id, ok.session_vars, "reason" in ok], [
    "x\n",
    "success",
    "s",
    ["x"],
    false,
  ]);
});
