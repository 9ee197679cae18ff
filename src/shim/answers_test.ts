/**
 * The shim's answer contract, end to end: each kind of SHIM_ANSWERS, produced by the real app,
 * has the table's status and flag, and the real policy runtime (templates/orch_runtime.py, run by
 * python3) returns or raises what the table says for it.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { UpstreamError } from "../errors.ts";
import { harness } from "./_harness.ts";
import { SHIM_ANSWERS, type ShimAnswer, type ShimAnswerKind } from "./answers.ts";

const ROS = "ros-mcp-server";
const call = { server: ROS, tool: "get_pose", arguments: {} };

/** One real answer of each kind. */
const produce: Record<ShimAnswerKind, () => Promise<Response>> = {
  result: () => harness().call(call),
  toolError: () => {
    const h = harness();
    h.source.handler = () => Promise.resolve({ isError: true, content: [{ type: "text", text: "gripper jammed" }] });
    return h.call(call);
  },
  badRequest: () => harness().call("{not json"),
  unauthorized: () => harness().call(call, { authorization: "Bearer not-a-live-token" }),
  forbidden: () => harness({ deps: { tcp: true } }).call(call, { host: "evil.example" }),
  denied: () => harness({ scope: { deny: [`${ROS}/get_pose`] } }).call(call),
  unknown: () => harness().call({ ...call, tool: "get_posе" }),
  wrongMethod: () => harness().get("/call_tool"),
  aborted: () => {
    const h = harness();
    h.scope.abort("user pressed Ctrl-C");
    return h.call(call);
  },
  tooLarge: () => harness({ deps: { maxBodyBytes: 16 } }).call({ ...call, arguments: { pad: "x".repeat(64) } }),
  internal: () => {
    const h = harness();
    h.source.handler = () => Promise.reject(new TypeError("a bug"));
    return h.call(call);
  },
  upstream: () => {
    const h = harness();
    h.source.handler = () => Promise.reject(new UpstreamError(ROS, "server exited with code 1"));
    return h.call(call);
  },
};

/** What orch_runtime.py does with each (status, body): "value" or the exception's class name. */
function runtimeVerdicts(answers: [number, string][]): string[] {
  const script = `
import json, sys
sys.path.insert(0, sys.argv[1])
import orch_runtime as rt
out = []
for status, body in json.load(sys.stdin):
    try:
        rt._answer(status, body.encode("utf-8"), "${ROS}", "get_pose")
        out.append("value")
    except BaseException as e:
        out.append(type(e).__name__)
print(json.dumps(out))
`;
  const templates = join(import.meta.dirname!, "..", "..", "templates");
  const r = spawnSync("python3", ["-I", "-c", script, templates], {
    input: JSON.stringify(answers),
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

Deno.test("every kind of shim answer has the contract's status and flag, and the runtime raises what it says", async () => {
  const kinds = Object.keys(SHIM_ANSWERS) as ShimAnswerKind[];
  const answers: [number, string][] = [];
  for (const kind of kinds) {
    const res = await produce[kind]();
    const text = await res.text();
    const want: ShimAnswer = SHIM_ANSWERS[kind];
    assert.equal(res.status, want.status, `${kind}: ${text}`);
    assert.match(res.headers.get("content-type") ?? "", /^application\/json/, kind);
    const body = JSON.parse(text);
    assert.equal(body.success, kind === "result", kind);
    for (const flag of ["isError", "denied", "aborted", "upstream"]) {
      assert.equal(body[flag] === true, want.flag === flag, `${kind}: flag ${flag} in ${text}`);
    }
    if (kind !== "result") assert.equal(typeof body.error, "string", kind);
    answers.push([res.status, text]);
  }
  const verdicts = runtimeVerdicts(answers);
  assert.deepEqual(
    Object.fromEntries(kinds.map((k, i) => [k, verdicts[i]])),
    Object.fromEntries(kinds.map((k) => [k, SHIM_ANSWERS[k].raises])),
  );
});
