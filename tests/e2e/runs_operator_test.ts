/**
 * The operator's view from other shells: `orch runs` lists runs of every orch process of this user,
 * `orch stop` from a second process stops a served run (the server sees the cancel and the stop),
 * `orch runs show` / `tail`, a run whose orch died, `orch stop` with nothing running, `orch run --json`
 * with its summary, and the call lines `orch run` prints on a terminal (never on a pipe).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import process from "node:process";
import { processesWithTag, runOrch, tempDir, writeConfig } from "./helpers.ts";
import { policy, robotEvents, securityConfig, slowEvents, spawnOrch, until } from "./security_helpers.ts";
import { connectStdio, structured } from "./serve_helpers.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const ON_ABORT = [{ server: "ros-mcp-server", tool: "stop", arguments: { reason: "orch abort" } }];

function board() {
  return { ORCH_RUNTIME_DIR: tempDir("orch-board-") };
}

async function runsJson(env: Record<string, string>) {
  const r = await runOrch(["runs", "--json"], { env });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
}

Deno.test("operator: orch stop from a second process stops a served run; orch runs lists it", opts, async () => {
  const env = board();
  const cfg = securityConfig({ onAbort: ON_ABORT, runs: { waitSeconds: 1 } });
  const orch = await connectStdio(["serve", "-c", cfg.path], { env });
  try {
    const code = 'print("moving", flush=True)\nslow__sleep(seconds=600)\n';
    const started = structured(await orch.client.callTool({ name: "execute_composed_code", arguments: { code } }));
    assert.equal(started.status, "running");
    await until(() => slowEvents(cfg.log).some((e) => e.event === "call" && e.tool === "sleep"), 20_000, "the call");
    const listed = await runsJson(env);
    const mine = listed.find((r) => r.run_id === started.run_id);
    assert.ok(mine, JSON.stringify(listed));
    assert.equal(mine.status, "running");
    assert.equal(mine.by, "serve");
    assert.match(mine.title, /print\("moving"/);
    const stop = await runOrch(["stop", String(started.run_id).slice(0, 8)], { env });
    assert.equal(stop.code, 0, stop.stderr);
    assert.match(stop.stdout, /stopped run .*: aborted/);
    const events = slowEvents(cfg.log);
    const sent = events.find((e) => e.event === "call" && e.tool === "sleep")!;
    assert.ok(events.some((e) => e.event === "cancelled" && e.requestId === sent.id), JSON.stringify(events));
    assert.equal(robotEvents(cfg.world).stop_count, 1);
    const after = structured(await orch.client.callTool({ name: "get_run", arguments: { run_id: started.run_id } }));
    assert.equal(after.status, "aborted");
    assert.match(String(after.reason), /stopped by orch stop/);
    assert.equal((await runsJson(env)).find((r) => r.run_id === started.run_id).status, "aborted");
    const again = await runOrch(["stop", String(started.run_id)], { env });
    assert.equal(again.code, 0);
    assert.match(again.stdout, /is not active \(aborted\): nothing to stop/);
  } finally {
    await orch.close();
  }
});

Deno.test("operator: orch stop with no orch running says so", opts, async () => {
  const env = board();
  const all = await runOrch(["stop", "--all"], { env });
  assert.equal(all.code, 0);
  assert.match(all.stdout, /no orch process is running: nothing to stop/);
  const one = await runOrch(["stop", "1234abcd"], { env });
  assert.equal(one.code, 2);
  assert.match(one.stderr, /no orch process is running, and no run "1234abcd" on this machine/);
  const usage = await runOrch(["stop"], { env });
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /stop needs one run id or --all/);
  const none = await runOrch(["runs"], { env });
  assert.match(none.stdout, /no runs/);
});

Deno.test(
  "operator: orch run --json carries the summary; finished runs stay listed after orch exits",
  opts,
  async () => {
    const env = board();
    const cfg = securityConfig();
    const r = await spawnOrch(
      [
        "run",
        "--json",
        "--allow",
        "slow/sleep",
        "-c",
        cfg.path,
        policy("calls.py"),
        "--",
        'slow.sleep:{"seconds": 0}',
        "slow.count:{}",
      ],
      { env },
    );
    assert.equal(r.code, 0, r.stderr);
    const res = JSON.parse(r.stdout);
    assert.equal(res.status, "success");
    assert.match(res.output, /slow\.sleep: ok/);
    assert.deepEqual(res.summary.tools["slow.sleep"], { ok: 1 });
    assert.deepEqual(res.summary.tools["slow.count"], { denied: 1 });
    assert.match(res.summary.failed[0].text, /not in this run's allowed tools/);
    assert.deepEqual(res.summary.last.map((c: { tool: string }) => c.tool), ["sleep", "count"]);
    // The second orch process lists the first one's run.
    const listed = await runsJson(env);
    assert.equal(listed.length, 1);
    assert.equal(listed[0].run_id, res.run_id);
    assert.equal(listed[0].status, "success");
    assert.equal(listed[0].by, "run");
    const show = await runOrch(["runs", "show", res.run_id], { env });
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /slow\.sleep ok/);
    assert.match(show.stdout, /slow\.count denied/);
    assert.match(show.stdout, /end: success/);
    assert.match(show.stdout, /--- output/);
  },
);

Deno.test("operator: a run active when its orch died is shown as ended by orch's exit", opts, async () => {
  const env = board();
  const cfg = securityConfig();
  let pid = 0;
  const run = spawnOrch(["run", "-c", cfg.path, policy("calls.py"), "--", 'slow.sleep:{"seconds": 600}'], {
    env,
    onStart: (p) => (pid = p),
  });
  await until(() => slowEvents(cfg.log).some((e) => e.event === "call" && e.tool === "sleep"), 20_000, "the call");
  process.kill(pid, "SIGKILL");
  await run;
  try {
    const listed = await runsJson(env);
    assert.equal(listed[0].status, "orch exited", JSON.stringify(listed));
    assert.equal(listed[0].open, 1);
    const show = await runOrch(["runs", "show", listed[0].run_id], { env });
    assert.match(show.stdout, /exited while the run was active; 1 call\(s\) had no answer yet/);
    assert.match(show.stdout, /slow\.sleep sent/);
  } finally {
    // orch was killed outright: what it started is ours to end here.
    for (const p of processesWithTag(cfg.tag)) {
      try {
        process.kill(p, "SIGKILL");
      } catch {
        // Gone.
      }
    }
  }
});

Deno.test("operator: orch runs tail follows a live run to its end", opts, async () => {
  const env = board();
  const cfg = securityConfig();
  const file = join(cfg.dir, "p.py");
  writeConfig(cfg.dir, 'print("one", flush=True)\nslow__sleep(seconds=1.5)\nprint("two", flush=True)\n', "p.py");
  const run = spawnOrch(["run", "-c", cfg.path, file], { env });
  await until(() => slowEvents(cfg.log).some((e) => e.event === "call"), 20_000, "the call");
  const [entry] = await runsJson(env);
  const tail = await runOrch(["runs", "tail", entry.run_id], { env });
  assert.equal((await run).code, 0);
  assert.equal(tail.code, 0, tail.stderr);
  assert.match(tail.stdout, /one\n/);
  assert.match(tail.stdout, /slow\.sleep ok/);
  assert.match(tail.stdout, /two\n/);
  assert.match(tail.stdout, /end: success/);
});

Deno.test("operator: orch run prints a line per call on a terminal, none on a pipe or with --quiet", opts, async () => {
  const env = board();
  const cfg = securityConfig();
  const args = ["run", "-c", cfg.path, policy("calls.py"), "--", 'slow.sleep:{"seconds": 0}'];
  const piped = await spawnOrch(args, { env });
  assert.equal(piped.code, 0, piped.stderr);
  assert.doesNotMatch(piped.stderr, /slow\.sleep ok/);
  const wrapper = ["python3", policy("pty_answer.py"), ",", "--"];
  const tty = await spawnOrch(args, { env, wrapper });
  assert.match(tty.stdout, /· slow\.sleep ok \d+\.\d s/, tty.stdout);
  const quiet = await spawnOrch([...args.slice(0, 1), "--quiet", ...args.slice(1)], { env, wrapper });
  assert.doesNotMatch(quiet.stdout, /· slow\.sleep/);
  assert.match(quiet.stdout, /slow\.sleep: ok/);
});

Deno.test(
  "operator: orch stop --all stops an orch run mid-call: cancel at the server, then the stop",
  opts,
  async () => {
    const env = board();
    const cfg = securityConfig({ onAbort: ON_ABORT });
    const run = spawnOrch(["run", "-c", cfg.path, policy("calls.py"), "--", 'slow.sleep:{"seconds": 600}'], { env });
    await until(() => slowEvents(cfg.log).some((e) => e.event === "call" && e.tool === "sleep"), 20_000, "the call");
    const stop = await runOrch(["stop", "--all"], { env });
    assert.equal(stop.code, 0, stop.stderr);
    assert.match(stop.stdout, /stopped run \S+ \(orch pid \d+\): aborted/);
    const r = await run;
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, /run aborted: stopped by orch stop --all/);
    assert.equal(robotEvents(cfg.world).stop_count, 1);
    const events = slowEvents(cfg.log);
    assert.ok(events.some((e) => e.event === "cancelled"), JSON.stringify(events));
  },
);
