/** Approvals: calls of `confirm` tools need a yes at the terminal; without one they are denied unless --yes. */
import assert from "node:assert/strict";
import { outcomes, policy, securityConfig, skip, slowEvents, spawnOrch } from "./security_helpers.ts";
import { which } from "../../src/contain/sandbox.ts";

const CALLS = ['slow.sleep:{"seconds": 0}', "slow.count:{}"];

function approvalConfig() {
  return securityConfig({ confirm: ["slow/sleep"] });
}

/** orch on a fresh pseudo-terminal; `answers` are typed at each "[y/N]" prompt. */
function onTty(answers: string[], args: string[]) {
  return spawnOrch(args, { wrapper: ["python3", policy("pty_answer.py"), answers.join(",") || ",", "--"] });
}

Deno.test("approval: yes at the terminal lets the call through", async () => {
  const cfg = approvalConfig();
  const r = await onTty(["y"], ["run", "-c", cfg.path, policy("calls.py"), "--", ...CALLS]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /orch: approve slow\.sleep\(\{"seconds":0\}\)\? \[y\/N\]/);
  assert.match(r.stdout, /slow\.sleep: ok/);
  assert.match(r.stdout, /slow\.count: ok/);
  assert.equal(r.stdout.match(/\[y\/N\]/g)?.length, 1, "count is not a confirm tool: asked once");
  assert.deepEqual(slowEvents(cfg.log).filter((e) => e.event === "call").map((e) => e.tool), ["sleep", "count"]);
});

Deno.test("approval: no at the terminal denies the call, which never reaches the server", async () => {
  const cfg = approvalConfig();
  const r = await onTty(["n"], ["run", "-c", cfg.path, policy("calls.py"), "--", ...CALLS]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /slow\.sleep: denied slow\.sleep was not approved at the terminal/);
  assert.deepEqual(slowEvents(cfg.log).filter((e) => e.event === "call").map((e) => e.tool), ["count"]);
});

Deno.test("approval: without a terminal the call is denied, unless --yes", async () => {
  if (!which("setsid")) return skip("approval without a terminal", "setsid (util-linux) not found");
  const cfg = approvalConfig();
  const r = await spawnOrch(["run", "-c", cfg.path, policy("calls.py"), "--", ...CALLS], { noTty: true });
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    outcomes(r.stdout)["slow.sleep"] ?? "",
    /^denied slow\.sleep needs approval: no terminal to ask on .*--yes/,
  );
  const y = await spawnOrch(["run", "--yes", "-c", cfg.path, policy("calls.py"), "--", ...CALLS], { noTty: true });
  assert.equal(y.code, 0, y.stderr);
  assert.match(outcomes(y.stdout)["slow.sleep"] ?? "", /^ok /);
  assert.deepEqual(slowEvents(cfg.log).filter((e) => e.event === "call").map((e) => e.tool), [
    "count",
    "sleep",
    "count",
  ]);
});
