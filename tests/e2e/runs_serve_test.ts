/**
 * Runs as objects through orch serve, against the real SDK Client: a policy longer than the client's
 * request timeout finishes through the non-task path (execute_composed_code answers `running`, get_run
 * long-polls) and through MCP Tasks; cancel of both mid-call reaches the server as notifications/cancelled
 * followed by the onAbort stop; the journal of such a run shows the in-flight call cancelled and the stop ok.
 *
 * RUNS_POLICY_S (default 6) is how long the policy sleeps in one tool call and RUNS_CLIENT_TIMEOUT_S
 * (default 3) the client's request timeout: the same shape as the 90 s policy vs the seed
 * client's 60 s, kept quick. `RUNS_POLICY_S=90 RUNS_CLIENT_TIMEOUT_S=60` runs the real case.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import process from "node:process";
import { CallToolResultSchema, type Client, LoggingMessageNotificationSchema } from "../../src/deps/mcp_sdk.ts";
import { survivors, tempDir } from "./helpers.ts";
import { robotEvents, securityConfig, slowEvents, until } from "./security_helpers.ts";
import { connectStdio, startHttp, structured, textOf } from "./serve_helpers.ts";

const POLICY_S = Number(process.env.RUNS_POLICY_S ?? 6);
const CLIENT_TIMEOUT_MS = Number(process.env.RUNS_CLIENT_TIMEOUT_S ?? 3) * 1000;
// The wait bound sits below the client's timeout, as the default 50 s sits below 60 s.
const WAIT_S = Math.max(1, Math.floor(CLIENT_TIMEOUT_MS / 1000 / 2));
const opts = { sanitizeOps: false, sanitizeResources: false };

const ON_ABORT = [{ server: "ros-mcp-server", tool: "stop", arguments: { reason: "orch abort" } }];

function config() {
  return securityConfig({ onAbort: ON_ABORT, runs: { waitSeconds: WAIT_S } });
}

const longPolicy = (s: number) =>
  `print("start", flush=True)\nprint(slow__sleep(seconds=${s}))\nprint("done", flush=True)\n`;

/** The robot's stop count; 0 before its world exists. */
function stops(world: string): number {
  try {
    return robotEvents(world).stop_count;
  } catch {
    return 0;
  }
}

async function call(client: Client, name: string, args: Record<string, unknown>) {
  return await client.callTool({ name, arguments: args }, CallToolResultSchema, { timeout: CLIENT_TIMEOUT_MS });
}

/** Polls get_run until the run has ended; returns every answer. */
async function pollToEnd(client: Client, runId: string) {
  const answers: Record<string, unknown>[] = [];
  for (let i = 0; i < 1000; i++) {
    const r = await call(client, "get_run", { run_id: runId, wait_seconds: WAIT_S });
    const sc = structured(r);
    answers.push({ ...sc, isError: r.isError === true });
    if (sc.status !== "running") return answers;
  }
  throw new Error("the run never ended");
}

Deno.test(
  "runs: a policy longer than the client's timeout answers running, then get_run fetches its result",
  opts,
  async () => {
    const cfg = config();
    const orch = await connectStdio(["serve", "-c", cfg.path]);
    try {
      const started = structured(await call(orch.client, "execute_composed_code", { code: longPolicy(POLICY_S) }));
      assert.equal(started.status, "running", JSON.stringify(started));
      const runId = started.run_id as string;
      assert.match(runId, /^[0-9a-f-]{36}$/);
      const answers = await pollToEnd(orch.client, runId);
      const last = answers.at(-1)!;
      assert.equal(last.status, "success", JSON.stringify(last));
      assert.equal(last.isError, false);
      const all = String(started.output) + answers.map((a) => a.output).join("");
      assert.match(all, /start\n\{'slept': \d+(\.\d+)?\}\ndone\n/, all);
      const summary = last.summary as { tools: Record<string, Record<string, number>> };
      assert.deepEqual(summary.tools["slow.sleep"], { ok: 1 });
      // An ended run: cancel_run says so without an error.
      const c = await call(orch.client, "cancel_run", { run_id: runId });
      assert.equal(c.isError, undefined);
      assert.match(structured(c).message as string, /already ended \(success\)/);
    } finally {
      await orch.close();
    }
    assert.deepEqual(await survivors(cfg.tag), []);
  },
);

Deno.test("runs: bad ids for get_run and cancel_run are clear tool errors", opts, async () => {
  const cfg = config();
  const orch = await connectStdio(["serve", "-c", cfg.path]);
  try {
    const r = await call(orch.client, "get_run", { run_id: "no-such-run" });
    assert.equal(r.isError, true);
    assert.match(textOf(r), /unknown run_id "no-such-run"/);
    const c = await call(orch.client, "cancel_run", { run_id: "../../etc" });
    assert.equal(c.isError, true);
    assert.match(textOf(c), /unknown run_id/);
    const bad = await call(orch.client, "get_run", {});
    assert.match(textOf(bad), /Invalid arguments for get_run: run_id/);
  } finally {
    await orch.close();
  }
});

Deno.test("runs: a failed run is a tool error with its structured content kept", opts, async () => {
  const cfg = config();
  const orch = await connectStdio(["serve", "-c", cfg.path]);
  try {
    const r = await orch.client.callTool({
      name: "execute_composed_code",
      arguments: { code: "raise SystemExit(3)", wait: 120 },
    });
    assert.equal(r.isError, true);
    const sc = structured(r);
    assert.equal(sc.status, "failed");
    assert.equal(sc.returncode, 3);
  } finally {
    await orch.close();
  }
});

Deno.test(
  "runs: cancel_run mid-call cancels the call at the server, sends the stop, and the journal says so",
  opts,
  async () => {
    const cfg = config();
    const orch = await connectStdio(["serve", "-c", cfg.path]);
    try {
      const started = structured(await call(orch.client, "execute_composed_code", { code: longPolicy(600) }));
      assert.equal(started.status, "running");
      await until(() => slowEvents(cfg.log).some((e) => e.event === "call" && e.tool === "sleep"), 20_000, "the call");
      const c = await orch.client.callTool({ name: "cancel_run", arguments: { run_id: started.run_id } });
      const sc = structured(c);
      assert.equal(sc.cancelled, true);
      assert.equal(sc.status, "aborted");
      const events = slowEvents(cfg.log);
      const sent = events.find((e) => e.event === "call" && e.tool === "sleep")!;
      assert.ok(events.some((e) => e.event === "cancelled" && e.requestId === sent.id), JSON.stringify(events));
      assert.equal(robotEvents(cfg.world).stop_count, 1);
      const summary = sc.summary as { cancelled: { tool: string; outcome: string }[]; on_abort: unknown[] };
      assert.deepEqual(summary.cancelled.map((x) => [x.tool, x.outcome]), [["sleep", "cancelled"]]);
      assert.deepEqual((summary.on_abort as { tool: string; outcome: string }[]).map((x) => [x.tool, x.outcome]), [[
        "stop",
        "ok",
      ]]);
      // The journal on disk: the in-flight call cancelled, then the stop ok.
      const done = structured(await call(orch.client, "get_run", { run_id: started.run_id }));
      const journal = readFileSync(String(done.log_path).replace(/output\.log$/, "journal.jsonl"), "utf8")
        .trim().split("\n").map((l) => JSON.parse(l));
      assert.equal(journal[0].type, "run");
      assert.equal(journal.at(-1).type, "end");
      assert.equal(journal.at(-1).status, "aborted");
      const abort = journal.find((e) => e.type === "abort");
      const sleepEnd = journal.find((e) => e.type === "call" && e.tool === "sleep" && e.outcome === "cancelled");
      assert.ok(sleepEnd, JSON.stringify(journal));
      assert.deepEqual(abort.in_flight, [sleepEnd.id]);
      const stop = journal.find((e) => e.type === "call" && e.tool === "stop" && e.outcome === "ok");
      assert.equal(stop.onAbort, true);
    } finally {
      await orch.close();
    }
    assert.deepEqual(await survivors(cfg.tag), []);
  },
);

Deno.test("runs: the same long policy through MCP Tasks, and tasks/cancel mid-call stops it", opts, async () => {
  const cfg = config();
  const orch = await connectStdio(["serve", "-c", cfg.path]);
  try {
    const tools = await orch.client.listTools();
    const exec = tools.tools.find((t) => t.name === "execute_composed_code")!;
    assert.equal(exec.execution?.taskSupport, "optional");
    const stream = orch.client.experimental.tasks.callToolStream(
      { name: "execute_composed_code", arguments: { code: longPolicy(POLICY_S) } },
      CallToolResultSchema,
      { timeout: CLIENT_TIMEOUT_MS, task: { ttl: 60_000 } },
    );
    let taskId = "";
    let result: Record<string, unknown> | undefined;
    for await (const m of stream) {
      if (m.type === "taskCreated") taskId = m.task.taskId;
      if (m.type === "result") result = structured(m.result);
      if (m.type === "error") throw m.error;
    }
    assert.ok(taskId);
    assert.equal(result?.status, "success", JSON.stringify(result));
    assert.match(String(result?.output), /done/);
    const listed = await orch.client.experimental.tasks.listTasks();
    assert.ok(listed.tasks.some((t) => t.taskId === taskId && t.status === "completed"));

    // Cancel mid-call.
    const created = await orch.client.request(
      {
        method: "tools/call",
        params: { name: "execute_composed_code", arguments: { code: longPolicy(600) }, task: { ttl: 60_000 } },
      },
      (await import("@modelcontextprotocol/sdk/types.js")).CreateTaskResultSchema,
    );
    const id = created.task.taskId;
    await until(() => slowEvents(cfg.log).filter((e) => e.event === "call" && e.tool === "sleep").length === 2);
    const cancelled = await orch.client.experimental.tasks.cancelTask(id);
    assert.equal(cancelled.status, "cancelled");
    const final = await orch.client.experimental.tasks.getTaskResult(id, CallToolResultSchema);
    assert.equal(final.isError, true);
    assert.equal(structured(final).status, "aborted");
    const events = slowEvents(cfg.log);
    const sent = events.filter((e) => e.event === "call" && e.tool === "sleep").at(-1)!;
    assert.ok(events.some((e) => e.event === "cancelled" && e.requestId === sent.id), JSON.stringify(events));
    assert.equal(robotEvents(cfg.world).stop_count, 1);
  } finally {
    await orch.close();
  }
  assert.deepEqual(await survivors(cfg.tag), []);
});

Deno.test(
  "runs: over HTTP a run outlives its client: a second client polls it, two readers both get the output",
  opts,
  async () => {
    const cfg = config();
    const orch = await startHttp(["-c", cfg.path]);
    try {
      const a = await orch.connect();
      const started = structured(await call(a, "execute_composed_code", { code: longPolicy(POLICY_S) }));
      assert.equal(started.status, "running");
      await a.close();
      const b = await orch.connect();
      const c = await orch.connect();
      const [fromB, fromC] = await Promise.all([
        pollToEnd(b, started.run_id as string),
        pollToEnd(c, started.run_id as string),
      ]);
      for (const answers of [fromB, fromC]) {
        assert.equal(answers.at(-1)!.status, "success");
        assert.match(answers.map((x) => x.output).join(""), /done\n/);
      }
      await b.close();
      await c.close();
    } finally {
      await orch.stop();
    }
    assert.deepEqual(await survivors(cfg.tag), []);
  },
);

Deno.test(
  "runs: with a progress token each tool call is a progress message; stderr lines are log notifications",
  opts,
  async () => {
    const cfg = config();
    const orch = await connectStdio(["serve", "-c", cfg.path]);
    try {
      const logs: { level: string; logger?: string; data: unknown }[] = [];
      orch.client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
        logs.push(n.params);
      });
      const messages: string[] = [];
      const code = 'import sys\nprint("hi", flush=True)\nprint("careful", file=sys.stderr, flush=True)\n' +
        "slow__sleep(seconds=0)\n";
      const r = await orch.client.callTool(
        { name: "execute_composed_code", arguments: { code, wait: 120 } },
        CallToolResultSchema,
        {
          onprogress: (p) => messages.push(String(p.message)),
        },
      );
      assert.equal(structured(r).status, "success");
      assert.ok(messages.includes("hi"), JSON.stringify(messages));
      assert.ok(messages.some((m) => /^slow\.sleep ok \d+\.\d s$/.test(m)), JSON.stringify(messages));
      await until(
        () => logs.some((l) => l.logger === "policy" && l.data === "careful"),
        10_000,
        "the log notification",
      );
      assert.ok(logs.some((l) => l.logger === "orch" && /run .* success/.test(String(l.data))), JSON.stringify(logs));
    } finally {
      await orch.close();
    }
  },
);

Deno.test(
  "runs: a client cancel while execute_composed_code waits aborts the run mid-call and sends the stop",
  opts,
  async () => {
    const cfg = config();
    const orch = await connectStdio(["serve", "-c", cfg.path]);
    try {
      const ac = new AbortController();
      const pending = orch.client.callTool(
        { name: "execute_composed_code", arguments: { code: longPolicy(600), wait: 600 } },
        CallToolResultSchema,
        { signal: ac.signal, timeout: 600_000 },
      );
      await until(() => slowEvents(cfg.log).some((e) => e.event === "call" && e.tool === "sleep"), 20_000, "the call");
      ac.abort("the agent gave up");
      await assert.rejects(pending);
      await until(() => stops(cfg.world) === 1, 20_000, "the stop");
      const events = slowEvents(cfg.log);
      const sent = events.find((e) => e.event === "call" && e.tool === "sleep")!;
      assert.ok(events.some((e) => e.event === "cancelled" && e.requestId === sent.id), JSON.stringify(events));
    } finally {
      await orch.close();
    }
  },
);

Deno.test(
  "runs: after orch restarts, get_run of a run it no longer holds names its journal; run folders survive",
  opts,
  async () => {
    const cfg = config();
    const env = { ORCH_CACHE_DIR: tempDir("orch-cache-") };
    const first = await connectStdio(["serve", "-c", cfg.path], { env });
    let runId = "";
    try {
      const r = structured(
        await first.client.callTool({ name: "execute_composed_code", arguments: { code: "print(1)", wait: 120 } }),
      );
      assert.equal(r.status, "success");
      runId = String(r.run_id);
    } finally {
      await first.close();
    }
    const second = await connectStdio(["serve", "-c", cfg.path], { env });
    try {
      const r = await call(second.client, "get_run", { run_id: runId });
      assert.equal(r.isError, true);
      assert.match(textOf(r), new RegExp(`run ${runId} is no longer kept .*journal\\.jsonl`));
    } finally {
      await second.close();
    }
  },
);

Deno.test(
  "runs: a persistent session call that outlasts the wait bound is followed by get_run, and the session goes on",
  opts,
  async () => {
    const cfg = config();
    const orch = await connectStdio(["serve", "-c", cfg.path]);
    try {
      const first = structured(
        await orch.client.callTool({
          name: "execute_composed_code",
          arguments: { code: "x = 41\nslow__sleep(seconds=1)\n", session_id: "s1", persistent: true, wait: 0 },
        }),
      );
      assert.equal(first.status, "running", JSON.stringify(first));
      const answers = await pollToEnd(orch.client, String(first.run_id));
      const last = answers.at(-1)!;
      assert.equal(last.status, "success", JSON.stringify(last));
      // get_run's end carries the session's report, as a within-bound answer does.
      assert.equal(last.session_id, "s1", JSON.stringify(last));
      assert.deepEqual(last.session_vars, ["x"], JSON.stringify(last));
      const next = structured(
        await orch.client.callTool({
          name: "execute_composed_code",
          arguments: { code: "print(x + 1)", session_id: "s1", persistent: true, wait: 120 },
        }),
      );
      assert.equal(next.status, "success", JSON.stringify(next));
      assert.equal(next.output, "42\n");
      // A call that times out after the wait bound: get_run's end says the session's state is gone.
      const slow = structured(
        await orch.client.callTool({
          name: "execute_composed_code",
          arguments: { code: "import time\ntime.sleep(60)", session_id: "s1", persistent: true, wait: 0, timeout: 2 },
        }),
      );
      assert.equal(slow.status, "running", JSON.stringify(slow));
      const gone = (await pollToEnd(orch.client, String(slow.run_id))).at(-1)!;
      assert.equal(gone.status, "timeout", JSON.stringify(gone));
      assert.equal(gone.session_id, "s1", JSON.stringify(gone));
      assert.deepEqual(gone.session_vars, [], JSON.stringify(gone));
      assert.match(String(gone.session_note), /session ended: the call timed out; its state is gone/);
    } finally {
      await orch.close();
    }
  },
);

Deno.test(
  "runs: over HTTP tasks/list shows a session only its own tasks; a reconnected client follows its task by id",
  opts,
  async () => {
    const cfg = config();
    const orch = await startHttp(["-c", cfg.path]);
    const clients: Client[] = [];
    try {
      const [mine, other] = [await orch.connect(), await orch.connect()];
      clients.push(mine, other);
      const created = await mine.request(
        {
          method: "tools/call",
          params: { name: "execute_composed_code", arguments: { code: 'print("mine")' }, task: { ttl: 60_000 } },
        },
        (await import("@modelcontextprotocol/sdk/types.js")).CreateTaskResultSchema,
      );
      const id = created.task.taskId;
      const done = await mine.experimental.tasks.getTaskResult(id, CallToolResultSchema);
      assert.match(String(structured(done).output), /mine/);
      assert.ok((await mine.experimental.tasks.listTasks()).tasks.some((t) => t.taskId === id));
      assert.deepEqual((await other.experimental.tasks.listTasks()).tasks.map((t) => t.taskId), []);
      // The same client after a reconnect (a new MCP session) still holds the id: get, result and get_run take it.
      const again = await orch.connect();
      clients.push(again);
      assert.equal((await again.experimental.tasks.getTask(id)).status, "completed");
      const result = await again.experimental.tasks.getTaskResult(id, CallToolResultSchema);
      assert.match(String(structured(result).output), /mine/);
      assert.equal(structured(await call(again, "get_run", { run_id: id })).status, "success");
    } finally {
      for (const c of clients) await c.close().catch(() => {});
      await orch.stop();
    }
    assert.deepEqual(await survivors(cfg.tag), []);
  },
);
