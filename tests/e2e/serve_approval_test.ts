/** Approvals through the MCP face: `confirm` tools ask the client's person with an elicitation request. */
import assert from "node:assert/strict";
import { Client, ElicitRequestSchema, StdioClientTransport } from "../../src/deps/mcp_sdk.ts";
import { orchArgv, survivors, tempDir } from "./helpers.ts";
import { orchEnv, robotConfig, structured } from "./serve_helpers.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const CODE = "print(ros_mcp_server__move_home()['success'])";

async function agent(configPath: string, answer?: (message: string) => "yes" | "no" | "decline") {
  const [command, ...pre] = orchArgv();
  const transport = new StdioClientTransport({
    command: command!,
    args: [...pre, "serve", "--config", configPath],
    env: orchEnv(),
    cwd: tempDir(),
    stderr: "pipe",
  });
  const client = new Client(
    { name: "orch-test-agent", version: "1.0.0" },
    { capabilities: answer ? { elicitation: { form: {} } } : {} },
  );
  const asked: string[] = [];
  if (answer) {
    client.setRequestHandler(ElicitRequestSchema, (req) => {
      const message = (req.params as { message: string }).message;
      asked.push(message);
      const a = answer(message);
      if (a === "decline") return { action: "decline" };
      return { action: "accept", content: { approve: a === "yes" } };
    });
  }
  await client.connect(transport, { timeout: 60_000 });
  const run = async () =>
    structured(await client.callTool({ name: "execute_composed_code", arguments: { code: CODE } }));
  return { client, asked, run };
}

Deno.test("orch serve asks the client's person before a confirm tool runs, and obeys the answer", opts, async () => {
  const cfg = robotConfig({ orchestrator: { confirm: ["ros-mcp-server/move_home"] } });
  let reply: "yes" | "no" | "decline" = "yes";
  const a = await agent(cfg.path, () => reply);
  try {
    const yes = await a.run();
    assert.equal(yes.status, "success", JSON.stringify(yes));
    assert.equal(yes.output, "True\n");
    assert.match(a.asked[0]!, /ros-mcp-server\.move_home/);
    reply = "no";
    const no = await a.run();
    assert.equal(no.status, "failed");
    assert.match(no.error as string, /ToolDenied: ros-mcp-server\.move_home denied: .*not approved/);
    reply = "decline";
    const declined = await a.run();
    assert.match(declined.error as string, /not approved \(the person chose decline\)/);
    assert.equal(a.asked.length, 3);
  } finally {
    await a.client.close();
  }
  assert.deepEqual(await survivors(cfg.tag), []);
});

Deno.test("orch serve denies a confirm tool when the client cannot ask a person", opts, async () => {
  const cfg = robotConfig({ orchestrator: { confirm: ["ros-mcp-server/*"] } });
  const a = await agent(cfg.path);
  try {
    const res = await a.run();
    assert.equal(res.status, "failed");
    assert.match(res.error as string, /ToolDenied: .*cannot ask one \(no elicitation support\)/);
  } finally {
    await a.client.close();
  }
  assert.deepEqual(await survivors(cfg.tag), []);
});
