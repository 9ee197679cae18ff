/**
 * Persistent sessions of `orch serve` (execute_composed_code with session_id and persistent=true),
 * driven over stdio by an SDK Client against the simulated robot cell: state across calls, an abort
 * and a timeout in the middle, idle expiry, two sessions apart, and the seed's answer fields.
 */
import assert from "node:assert/strict";
import { chmodSync, chownSync, existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { processesWithTag, survivors, tempDir } from "./helpers.ts";
import {
  callCancelledAtRun,
  connectStdio,
  eventually,
  robotConfig,
  startHttp,
  type StdioOrch,
  structured,
} from "./serve_helpers.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

function exec(orch: StdioOrch, args: Record<string, unknown>) {
  return orch.client.callTool({ name: "execute_composed_code", arguments: args }, undefined, { timeout: 60_000 })
    .then(structured);
}

function inSession(orch: StdioOrch, session_id: string, code: string, extra: Record<string, unknown> = {}) {
  return exec(orch, { code, session_id, persistent: true, ...extra });
}

Deno.test("execute_composed_code sessions keep state across calls and end cleanly", opts, async (t) => {
  const cfg = robotConfig({ orchestrator: { sessions: { idleSeconds: 3 } } });
  const orch = await connectStdio(["serve", "--config", cfg.path]);
  let firstRun = "";
  try {
    await t.step("a session keeps data, functions, classes, imports and unpicklable objects over 3 calls", async () => {
      const one = await inSession(
        orch,
        "cell",
        [
          "import threading, collections as col",
          "count = 1",
          "def twice(n):",
          "    return 2 * n",
          "class Gripper:",
          "    def __init__(self): self.closed = False",
          "g = Gripper()",
          "lock = threading.Lock()",
          "steps = (i for i in range(10))",
          "r = ros-mcp-server__move_home()",
          "print('home', type(r).__name__, next(steps))",
        ].join("\n"),
      );
      assert.equal(one.status, "success", JSON.stringify(one));
      assert.equal(one.session_id, "cell");
      assert.equal(one.output, "home dict 0\n");
      assert.equal(one.calls, 1);
      assert.deepEqual(one.session_vars, ["Gripper", "col", "count", "g", "lock", "r", "steps", "threading", "twice"]);
      assert.equal(one.session_note, undefined);
      firstRun = one.run_id as string; // the session process's environment keeps its first run's id
      assert.ok(processesWithTag(firstRun).length > 0, "the session process is alive between calls");

      const two = await inSession(orch, "cell", "count += 1\ng.closed = lock.acquire()\nprint(next(steps))");
      assert.equal(two.status, "success", JSON.stringify(two));
      assert.equal(two.output, "1\n");
      assert.notEqual(two.run_id, one.run_id, "each call is its own run");

      const three = await inSession(
        orch,
        "cell",
        "print(count, twice(count), g.closed, lock.locked(), next(steps), col.Counter('aab')['a'])\n" +
          "print(str(isaac-sim__save_scene_state(label='s'))[:6])",
      );
      assert.equal(three.status, "success", JSON.stringify(three));
      assert.equal(three.output, "2 4 True True 2 2\nscene_\n");
      assert.equal(three.calls, 1, "the tool budget and count are per call");
    });

    await t.step("a failing call keeps the session (status failed), as an interpreter would", async () => {
      const bad = await inSession(orch, "cell", "count = 10\nraise ValueError('bad grasp')");
      assert.equal(bad.status, "failed");
      assert.equal(bad.returncode, 1);
      assert.match(bad.error as string, /ValueError: bad grasp/);
      assert.match(bad.error as string, /call-\d+\.py", line 2/);
      const after = await inSession(orch, "cell", "print(count)");
      assert.equal(after.output, "10\n");
    });

    await t.step("sys.exit in a session call ends the call, not the session", async () => {
      const r = await inSession(orch, "cell", "import sys\nprint('bye')\nsys.exit(3)");
      assert.equal(r.status, "failed");
      assert.equal(r.returncode, 3);
      assert.equal((await inSession(orch, "cell", "print(count)")).output, "10\n");
    });

    await t.step("two sessions are apart", async () => {
      await inSession(orch, "a", "x = 'a'");
      await inSession(orch, "b", "x = 'b'");
      assert.equal((await inSession(orch, "a", "print(x)")).output, "a\n");
      assert.equal((await inSession(orch, "b", "print(x)")).output, "b\n");
      const plain = await exec(orch, { code: "print('x' in globals())" });
      assert.equal(plain.output, "False\n");
      assert.equal(plain.session_id, undefined);
    });

    await t.step(
      "a client cancel in the middle ends the session: its process dies, the next call says so",
      async () => {
        await inSession(orch, "cancel", "armed = True");
        const code =
          "import os, time\nprint('run', os.environ['ORCH_RUN_ID'], flush=True)\narmed = False\ntime.sleep(60)";
        await callCancelledAtRun(orch.client, { code, session_id: "cancel", persistent: true });
        assert.ok(await eventually(() => /session cancel ended: the call was aborted/.test(orch.stderr()), 15_000));
        const next = await inSession(orch, "cancel", "print(armed)");
        assert.equal(next.status, "failed");
        assert.match(next.error as string, /NameError: name 'armed' is not defined/);
        assert.match(next.session_note as string, /had ended \(the call was aborted; its state is gone\)/);
      },
    );

    await t.step("a timeout ends the session and keeps the partial output with a note", async () => {
      await inSession(orch, "slow", "done = 0");
      const r = await inSession(orch, "slow", "import time\nprint('step 1', flush=True)\ndone = 1\ntime.sleep(60)", {
        timeout: 2,
      });
      assert.equal(r.status, "timeout");
      assert.equal(r.returncode, 124);
      assert.match(r.output as string, /^step 1\n\[Timeout\] timed out after 2 s; the output above/);
      assert.match(r.session_note as string, /session ended: the call timed out; its state is gone/);
      assert.deepEqual(r.session_vars, []);
      const next = await inSession(orch, "slow", "print('done' in globals())");
      assert.equal(next.output, "False\n");
    });

    await t.step("an idle session expires after sessions.idleSeconds and the next call says so", async () => {
      await inSession(orch, "idle", "kept = 1");
      assert.ok(await eventually(() => /session idle ended: idle for 3 s/.test(orch.stderr()), 30_000), orch.stderr());
      const next = await inSession(orch, "idle", "print('kept' in globals())");
      assert.equal(next.output, "False\n");
      assert.match(next.session_note as string, /session "idle" had ended \(idle for 3 s/);
    });

    await t.step("persistent without a session_id, and a bad session_id, are refused with a reason", async () => {
      const r = await orch.client.callTool({
        name: "execute_composed_code",
        arguments: { code: "1", persistent: true },
      });
      assert.equal(r.isError, true);
      assert.match(structured(r).error as string, /persistent=true needs a session_id/);
      const bad = await orch.client.callTool({
        name: "execute_composed_code",
        arguments: { code: "1", persistent: true, session_id: "a b" },
      });
      assert.equal(bad.isError, true);
      assert.match(structured(bad).error as string, /session_id: use 1-128 letters/);
    });
  } finally {
    await orch.close();
  }
  assert.deepEqual(await survivors(cfg.tag), []);
  assert.deepEqual(await survivors(firstRun), [], "a session process outlived orch");
});

Deno.test(
  "sessions.max bounds live sessions: the one idle longest makes room and its next call says so",
  opts,
  async () => {
    const cfg = robotConfig({ orchestrator: { sessions: { max: 2 } } });
    const orch = await connectStdio(["serve", "--config", cfg.path]);
    try {
      for (const id of ["s1", "s2", "s3"]) await inSession(orch, id, `name = '${id}'`);
      assert.equal((await inSession(orch, "s3", "print(name)")).output, "s3\n");
      const first = await inSession(orch, "s1", "print('name' in globals())");
      assert.equal(first.output, "False\n");
      assert.match(first.session_note as string, /made room for a new session \(sessions\.max 2\)/);
    } finally {
      await orch.close();
    }
    assert.deepEqual(await survivors(cfg.tag), []);
  },
);

Deno.test("over Streamable HTTP, two clients using the same session_id get sessions of their own", opts, async () => {
  const cfg = robotConfig();
  const orch = await startHttp(["--config", cfg.path]);
  try {
    const a = await orch.connect();
    const b = await orch.connect();
    const run = async (c: typeof a, code: string) =>
      structured(
        await c.callTool({ name: "execute_composed_code", arguments: { code, session_id: "main", persistent: true } }),
      );
    await run(a, "who = 'a'");
    await run(b, "who = 'b'");
    assert.equal((await run(a, "print(who)")).output, "a\n");
    assert.equal((await run(b, "print(who)")).output, "b\n");
    await a.close();
    await b.close();
  } finally {
    await orch.stop();
  }
  assert.deepEqual(await survivors(cfg.tag), []);
});

Deno.test("sessions work the same without the sandbox (sandbox: none), abort included", opts, async () => {
  const cfg = robotConfig({ orchestrator: { sandbox: "none" } });
  const orch = await connectStdio(["serve", "--config", cfg.path]);
  try {
    const one = await inSession(orch, "plain", "n = 41");
    assert.equal(one.sandbox, "none");
    assert.equal((await inSession(orch, "plain", "n += 1\nprint(n)")).output, "42\n");
    const cut = await inSession(orch, "plain", "import time\ntime.sleep(60)", { timeout: 1 });
    assert.equal(cut.status, "timeout");
    assert.equal((await inSession(orch, "plain", "print('n' in globals())")).output, "False\n");
    assert.deepEqual(await survivors(one.run_id as string), [], "the timed-out session's process is gone");
  } finally {
    await orch.close();
  }
  assert.deepEqual(await survivors(cfg.tag), []);
});

Deno.test(
  "under a root orch a session's files from every call reach MCP_CLIENT_OUTPUT_DIR when the session ends, not before",
  { ...opts, ignore: process.getuid?.() !== 0 },
  async () => {
    const out = tempDir("orch-client-out-");
    chmodSync(out, 0o755);
    chownSync(out, 1234, 1234);
    const cfg = robotConfig({ orchestrator: { sessions: { idleSeconds: 2 } } });
    const orch = await connectStdio(["serve", "--config", cfg.path], { env: { MCP_CLIENT_OUTPUT_DIR: out } });
    try {
      const write = (name: string) =>
        `import os\nopen(os.path.join(os.environ['MCP_CLIENT_OUTPUT_DIR'], '${name}'), 'w').write('${name}')\n` +
        `print(os.getuid())`;
      const one = await inSession(orch, "files", write("one.txt"));
      assert.equal(one.status, "success", JSON.stringify(one));
      // The untrusted process still lives: nothing is copied out of its folder while it can change it.
      assert.equal(existsSync(join(out, "one.txt")), false);
      const two = await inSession(
        orch,
        "files",
        `${write("two.txt")}\nos.makedirs(os.path.join(os.environ['MCP_CLIENT_OUTPUT_DIR'], 'd'))`,
      );
      assert.equal(two.status, "success", JSON.stringify(two));
      const three = await inSession(orch, "files", write("d/three.txt"));
      assert.equal(three.status, "success", JSON.stringify(three));
      assert.ok(
        await eventually(() => existsSync(join(out, "d", "three.txt")), 30_000),
        `the session's files never arrived: ${orch.stderr()}`,
      );
      // The line is written once the whole copy is done: files land in no set order.
      assert.ok(
        await eventually(() => /session files: output: 3 file\(s\) handed to/.test(orch.stderr()), 30_000),
        orch.stderr(),
      );
      for (const f of ["one.txt", "two.txt", "d/three.txt"]) {
        assert.equal(readFileSync(join(out, f), "utf8"), f);
        assert.equal(statSync(join(out, f)).uid, 1234, f);
      }
    } finally {
      await orch.close();
    }
  },
);
