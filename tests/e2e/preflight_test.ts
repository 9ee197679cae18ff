/**
 * The preflight end to end: `orch check` over the 40+-policy corpus (tests/fixtures/preflight), `orch run` and
 * execute_composed_code refusing a policy before its first call, the switches that turn it off, and typed returns
 * from outputSchema at run time (the example robot servers, server-everything).
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { npmServer, ROOT, runOrch, tempDir, writeConfig } from "./helpers.ts";
import { connectStdio, robotConfig, structured, textOf } from "./serve_helpers.ts";
import type { PreflightProblem as Problem } from "../../src/preflight/check.ts";

const CORPUS = join(ROOT, "tests", "fixtures", "preflight");
const opts = { sanitizeOps: false, sanitizeResources: false };

function planted(path: string): string[] {
  return readFileSync(path, "utf8").split("\n").flatMap((line, i) => {
    const m = /# planted: (\S+)/.exec(line);
    return m ? [`${m[1]}@${i + 1}`] : [];
  });
}

const BAD = `print("moving")
ros_mcp_server__move_home()
ros_mcp_server__control_gripper("bogus")
`;

function policyFile(text: string): string {
  const path = join(tempDir(), "policy.py");
  writeFileSync(path, text);
  return path;
}

Deno.test("orch check --json catches every planted mistake of the corpus and flags no control", opts, async () => {
  const dir = join(CORPUS, "policies");
  const files = readdirSync(dir).filter((f) => f.endsWith(".py")).sort();
  assert.ok(files.length >= 40, `${files.length} policies`);
  // The hyphen fix off: the checker then reports hyphenated names itself (with the fix on they simply run).
  const r = await runOrch(["check", "--json", "-c", join(CORPUS, "mcp_config.json"), ...files], {
    cwd: dir,
    env: { ROBOT_SIM_DIR: tempDir(), DISABLE_HYPHEN_FIX: "1" },
  });
  assert.equal(r.code, 1, r.stderr);
  const doc = JSON.parse(r.stdout) as { ok: boolean; problems: Problem[] };
  assert.equal(doc.ok, false);
  for (const f of files) {
    const got = doc.problems.filter((p) => p.file === f).map((p) => `${p.kind}@${p.line}`).sort();
    assert.deepEqual(
      got,
      planted(join(dir, f)).sort(),
      `${f}: ${JSON.stringify(doc.problems.filter((p) => p.file === f))}`,
    );
  }
  const controls = files.filter((f) => f.startsWith("control_"));
  assert.ok(controls.length >= 10);
  assert.ok(doc.problems.every((p) => !p.file.startsWith("control_")));
});

Deno.test(
  "with the hyphen fix on, orch check sees the fixed names: hyphenated calls pass, their arguments are checked",
  opts,
  async () => {
    const cfg = robotConfig();
    const ok = policyFile("ros-mcp-server__move_home()\nisaac-sim__reset_scene()\n");
    const r = await runOrch(["check", "-c", cfg.path, ok]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const bad = policyFile('ros-mcp-server__control_gripper("bogus")\n');
    const r2 = await runOrch(["check", "-c", cfg.path, bad]);
    assert.equal(r2.code, 1);
    assert.match(r2.stdout, /:1:1: ros_mcp_server__control_gripper\("bogus"\): argument state must be one of/);
  },
);

Deno.test("the corpus catalog fixture is what orch gen writes for the corpus config", opts, async () => {
  const out = tempDir();
  const r = await runOrch(["gen", "-c", join(CORPUS, "mcp_config.json"), "-o", out], {
    env: { ROBOT_SIM_DIR: tempDir() },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    readFileSync(join(out, "orch_catalog.json"), "utf8"),
    readFileSync(join(CORPUS, "catalog.json"), "utf8"),
    "tests/fixtures/preflight/catalog.json is stale: copy orch_catalog.json from orch gen -c tests/fixtures/preflight/mcp_config.json",
  );
});

Deno.test("orch check names file:line:col, the call and the reason; exit 0 for a correct policy", opts, async () => {
  const cfg = robotConfig();
  const bad = policyFile(BAD);
  const r = await runOrch(["check", "-c", cfg.path, bad]);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(
    r.stdout,
    `${bad}:3:1: ros_mcp_server__control_gripper("bogus"): argument state must be one of "open", "close" (got "bogus")\n`,
  );
  assert.match(r.stderr, /1 problem in /);
  const good = policyFile("ros_mcp_server__move_home()\nros_mcp_server__control_gripper('open')\n");
  const ok = await runOrch(["check", "-c", cfg.path, good]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, "");
  // Nothing ran: the robot never moved.
  const state = await runOrch([
    "run",
    "-c",
    cfg.path,
    policyFile("print(ros_mcp_server__get_robot_state()['last_command'])"),
  ]);
  assert.equal(state.stdout, "None\n", state.stderr);
});

Deno.test("orch run refuses a policy with a problem before its first call", opts, async () => {
  const cfg = robotConfig();
  const r = await runOrch(["run", "-v", "-c", cfg.path, policyFile(BAD)]);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, "", "the policy's first line did not run");
  assert.match(r.stderr, /preflight found 1 problem in .*policy\.py; the policy did not start and no tool was called/);
  assert.match(r.stderr, /policy\.py:3:1: ros_mcp_server__control_gripper\("bogus"\): argument state must be one of/);
  assert.match(r.stderr, /run \S+: error, 0 calls/);
});

Deno.test("--no-preflight and orchestrator.preflight: false let the same policy start", opts, async () => {
  const cfg = robotConfig();
  const r = await runOrch(["run", "-v", "--no-preflight", "-c", cfg.path, policyFile(BAD)]);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, "moving\n");
  assert.match(r.stderr, /ToolError: ros-mcp-server\.control_gripper failed/);
  // move_home went out; the shim may refuse the bogus call itself (checked against the inputSchema, not sent).
  assert.match(r.stderr, /run \S+: error, [12] calls/);
  const off = robotConfig({ orchestrator: { preflight: false } });
  const r2 = await runOrch(["run", "-c", off.path, policyFile(BAD)]);
  assert.equal(r2.stdout, "moving\n", r2.stderr);
});

Deno.test(
  "execute_composed_code returns the problems in error with status error and makes no call",
  opts,
  async (t) => {
    const cfg = robotConfig();
    const orch = await connectStdio(["serve", "--config", cfg.path]);
    try {
      await t.step("a refused policy", async () => {
        const res = structured(await orch.client.callTool({ name: "execute_composed_code", arguments: { code: BAD } }));
        assert.equal(res.status, "error");
        assert.equal(res.returncode, 1);
        assert.equal(res.output, "");
        assert.equal(res.calls, 0);
        assert.match(res.error as string, /policy\.py:3:1: ros_mcp_server__control_gripper\("bogus"\): argument state/);
      });

      await t.step("the docs, search and the generated API agree on a typed return", async () => {
        const docs = textOf(await orch.client.callTool({ name: "get_api_documentation", arguments: {} }));
        const head = /def ros_mcp_server__list_objects\(\) -> RosMcpServerListObjectsResult:/;
        assert.match(docs, head);
        assert.match(
          docs,
          /class RosMcpServerListObjectsResult\(TypedDict\):\n {4}objects: List\[RosMcpServerListObjectsResultObjectsItem\]/,
        );
        const full = textOf(
          await orch.client.callTool({
            name: "search_tools",
            arguments: { query: "list_objects", detail: "full", limit: 1 },
          }),
        );
        assert.ok(docs.includes(full), `search_tools full:\n${full}`);
        const sig = textOf(
          await orch.client.callTool({ name: "search_tools", arguments: { query: "list_objects", limit: 1 } }),
        );
        assert.match(sig, /^ros_mcp_server__list_objects\(\) -> RosMcpServerListObjectsResult\n/);
        const pyi = readFileSync(join(ROOT, "generated", "unified_api.pyi"), "utf8");
        assert.ok(pyi.includes(full), "the committed .pyi has the same block");
      });

      await t.step("the value is the structuredContent, and a field the TypedDict lacks still reads", async () => {
        const code = [
          "r = ros_mcp_server__list_objects()",
          "print(type(r).__name__, r['count'] == len(r['objects']), sorted(r['objects'][0])[:2], r.get('nope'))",
        ].join("\n");
        const res = structured(await orch.client.callTool({ name: "execute_composed_code", arguments: { code } }));
        assert.equal(res.status, "success", JSON.stringify(res));
        assert.equal(res.output, "dict True ['attached_to', 'fixed'] None\n");
      });
    } finally {
      await orch.close();
    }
  },
);

Deno.test("server-everything's structured tool returns its structuredContent as the typed dict", opts, async () => {
  const dir = tempDir();
  const config = writeConfig(dir, { mcpServers: { everything: npmServer("everything", ["stdio"]) } });
  const gen = await runOrch(["gen", "-c", config, "-o", join(dir, "api")]);
  assert.equal(gen.code, 0, gen.stderr);
  const pyi = readFileSync(join(dir, "api", "unified_api.pyi"), "utf8");
  assert.match(pyi, /class EverythingGetStructuredContentResult\(TypedDict\):\n {4}temperature: float/);
  assert.match(
    pyi,
    /def everything__get_structured_content\(\s*location: Literal\['New York', 'Chicago', 'Los Angeles'\],?\s*\) -> EverythingGetStructuredContentResult:/,
  );
  const policy = policyFile(
    "w = everything__get_structured_content(location='Chicago')\n" +
      "print(sorted(w), isinstance(w['temperature'], (int, float)), w.get('wind'))\n",
  );
  const r = await runOrch(["run", "-c", config, policy]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "['conditions', 'humidity', 'temperature'] True None\n");
  const refused = await runOrch([
    "check",
    "-c",
    config,
    policyFile("everything__get_structured_content(location='Paris')\n"),
  ]);
  assert.equal(refused.code, 1);
  assert.match(refused.stdout, /argument location must be one of "New York", "Chicago", "Los Angeles" \(got "Paris"\)/);
});
