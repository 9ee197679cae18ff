/**
 * Issue 10, the upstream side: guards against lax type coercion (#1), a Streamable HTTP server that
 * restarts under `orch serve` (#3), server names and patterns checked at load (#7), a tool without
 * inputSchema (#14) and a hung server a run never calls (#15). Real processes throughout: the
 * built binary (ORCH_BIN), the simulated robot, and stdlib fixture servers that misbehave on demand.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { FIXTURE_SERVERS, newTag, pyServer, survivors, tempDir, writeConfig } from "./helpers.ts";
import { outcomes, policy, securityConfig, slowEvents, spawnOrch } from "./security_helpers.ts";
import { connectStdio, eventually, structured } from "./serve_helpers.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test("#1 guard: numeric strings and JSON text never move the base past the guard", opts, async () => {
  const cfg = securityConfig({
    guards: { "ros-mcp-server/pub_twist": { properties: { linear: { items: { minimum: -0.5, maximum: 0.5 } } } } },
  });
  const r = await spawnOrch([
    "run",
    "-c",
    cfg.path,
    policy("calls.py"),
    "--",
    'ros-mcp-server.pub_twist:{"linear": ["0.9", 0, 0], "angular": [0, 0, 0], "duration": 1}',
    'ros-mcp-server.pub_twist:{"linear": "[0.9, 0, 0]", "angular": [0, 0, 0], "duration": 1}',
    'ros-mcp-server.pub_twist:{"linear": [0.1, 0, 0], "angular": "[0, 0, 0]"}',
    'slow.sleep:{"seconds": "0"}',
    "ros-mcp-server.get_robot_state:{}",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  assert.match(
    lines[0]!,
    /^ros-mcp-server\.pub_twist: error .*invalid arguments .*linear\[0\] must be number \(got "0\.9"\)/,
  );
  assert.match(
    lines[1]!,
    /^ros-mcp-server\.pub_twist: error .*argument linear must be array \(got "\[0\.9, 0, 0\]"\)/,
  );
  assert.match(lines[2]!, /^ros-mcp-server\.pub_twist: error .*argument angular must be array/);
  assert.match(lines[3]!, /^slow\.sleep: error .*argument seconds must be number \(got "0"\)/);
  const state = JSON.parse((outcomes(r.stdout)["ros-mcp-server.get_robot_state"] ?? "").slice(3));
  assert.deepEqual([state.mobile_base.x, state.mobile_base.y], [0, 0], JSON.stringify(state.mobile_base));
  assert.equal(state.last_command, null);
  assert.deepEqual(slowEvents(cfg.log), []);
  assert.deepEqual(await survivors(cfg.tag), []);
});

Deno.test("#1 guard: an overflowing number (1e400, inf, Unicode digits) never passes a bound", opts, async () => {
  // bad_output's inputSchema is a bare object, so only the guard stands between the policy and the server.
  const dir = tempDir();
  const guard = { properties: { linear: { items: { minimum: -0.5, maximum: 0.5 } } } };
  const path = writeConfig(dir, {
    mcpServers: { odd: pyServer(join(FIXTURE_SERVERS, "odd_tools.py")) },
    orchestrator: { guards: { "odd/bad_output": guard } },
  });
  const highs = ['"[1e400, 0, 0]"', '["1e400", 0, 0]', '[" 1e400 ", 0, 0]', '["+inf", 0, 0]', '["Infinity", 0, 0]'];
  const more = ['["1_0", 0, 0]', '["\u0669", 0, 0]', `["1${"0".repeat(400)}", 0, 0]`];
  const lows = ['["-1e999", 0, 0]', '"[-1e999, 0, 0]"', '["-inf", 0, 0]'];
  const call = (linear: string) => `odd.bad_output:{"linear": ${linear}}`;
  const r = await spawnOrch([
    "run",
    "-c",
    path,
    policy("calls.py"),
    "--",
    ...[...highs, ...more, ...lows].map(call),
    call('["0.1", 0, 0]'),
  ]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  assert.equal(lines.length, highs.length + more.length + lows.length + 1, r.stdout);
  lines.slice(0, highs.length + more.length).forEach((l) =>
    assert.match(l, /^odd\.bad_output: denied .*must be <= 0\.5/)
  );
  lines.slice(highs.length + more.length, -1).forEach((l) =>
    assert.match(l, /^odd\.bad_output: denied .*must be >= -0\.5/)
  );
  assert.match(lines.at(-1)!, /^odd\.bad_output: ok /);
});

Deno.test("#1 guard: a server whose discovery failed is discovered again before its first call", opts, async () => {
  const dir = tempDir();
  const server = (fails: string) => ({
    ...pyServer(join(FIXTURE_SERVERS, "odd_tools.py"), undefined, { LIST_FAILS: fails }),
    introspect: "mcp",
  });
  const path = writeConfig(dir, {
    mcpServers: { late: server("1"), down: server("always") },
    orchestrator: { guards: { "*/echo": { properties: { text: { maxLength: 8 } } } } },
  });
  const r = await spawnOrch([
    "run",
    "-c",
    path,
    policy("calls.py"),
    "--",
    'late.echo:{"text": 5}',
    'late.echo:{"text": "hi"}',
    'down.echo:{"text": "hi"}',
    'down.bad_output:{"any": "thing"}',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  // late answered tools/list the second time: its inputSchema is checked (types first, then the guard).
  assert.match(lines[0]!, /^late\.echo: error .*invalid arguments for late\.echo: argument text must be string/);
  assert.match(lines[1]!, /^late\.echo: ok "echo: hi"/);
  // down never lists its tools: a guarded call is refused, naming why; an unguarded one goes with a warning.
  assert.match(
    lines[2]!,
    /^down\.echo: denied down\.echo is guarded, but down's tool schemas are unknown \(its discovery failed: .*drivers still loading.*\), so the guard cannot be enforced reliably/,
  );
  assert.match(lines[3]!, /^down\.bad_output: ok /);
  assert.match(r.stderr, /calls to down are forwarded without an inputSchema check: its discovery failed/);
});

Deno.test(
  "#7 config: a server name with '/' and a bad pattern fail orch list and orch doctor, naming file and field",
  opts,
  async () => {
    const dir = tempDir();
    const slashed = writeConfig(dir, {
      mcpServers: { "robot/arm": pyServer(join(FIXTURE_SERVERS, "slow.py")) },
      orchestrator: { deny: ["robot/arm/move"] },
    }, "slashed.json");
    const bad = writeConfig(dir, {
      mcpServers: { slow: pyServer(join(FIXTURE_SERVERS, "slow.py")) },
      orchestrator: {
        deny: ["slow/sleep", "/sleep"],
        guards: { "slow/sleep": { properties: { seconds: { maximun: 1 } } } },
      },
    }, "bad.json");
    for (const command of ["list", "doctor"]) {
      // list exits 2 (a config error); doctor reports it as a failed check and exits 1.
      const code = command === "list" ? 2 : 1;
      const a = await spawnOrch([command, "-c", slashed]);
      assert.equal(a.code, code, `${command}: ${a.stdout}${a.stderr}`);
      assert.match(
        a.stdout + a.stderr,
        /Cannot parse config ".*slashed\.json": mcpServers\["robot\/arm"\]: the server name "robot\/arm" contains "\/"/,
      );
      const b = await spawnOrch([command, "-c", bad]);
      assert.equal(b.code, code, `${command}: ${b.stdout}${b.stderr}`);
      assert.match(
        b.stdout + b.stderr,
        /Cannot parse config ".*bad\.json": orchestrator\.deny\[1\]: Invalid tool pattern "\/sleep"/,
      );
    }
  },
);

Deno.test(
  "#14 list: a tool without inputSchema is skipped with a warning naming it; the others work",
  opts,
  async () => {
    const dir = tempDir();
    const path = writeConfig(dir, { mcpServers: { odd: pyServer(join(FIXTURE_SERVERS, "odd_tools.py")) } });
    const list = await spawnOrch(["list", "-c", path]);
    assert.equal(list.code, 0, list.stdout + list.stderr);
    assert.match(list.stdout, /^odd\s+ok\s+2 tools/m);
    assert.match(list.stdout, /tool "no_schema" skipped: inputSchema is missing/);
    assert.doesNotMatch(list.stdout + list.stderr, /invalid_type|"path":/);
    const pol = join(dir, "p.py");
    writeFileSync(pol, 'print(odd__echo(text="hi"))\n');
    const run = await spawnOrch(["run", "-c", path, pol]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), "echo: hi");
  },
);

Deno.test("#15 lazy: a run never starts a hung server its policy does not name", opts, async () => {
  const dir = tempDir();
  const cache = tempDir("orch-cache-");
  const tag = newTag();
  const path = writeConfig(dir, {
    mcpServers: {
      hung: pyServer(join(FIXTURE_SERVERS, "hang_init.py"), tag),
      slow: pyServer(join(FIXTURE_SERVERS, "slow.py"), tag),
    },
  });
  const pol = join(dir, "p.py");
  writeFileSync(pol, "print(slow__count())\n");
  const r = await spawnOrch(["run", "-c", path, pol], { env: { ORCH_CACHE_DIR: cache } });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), "1");
  assert.doesNotMatch(r.stderr, /hung/);
  // The hung server was never started: it never wrote a line to its log.
  const log = join(cache, "logs", "hung.log");
  const written = existsSync(log) ? readFileSync(log, "utf8") : "";
  assert.doesNotMatch(written, /ignoring/);
  assert.deepEqual(await survivors(tag), []);
});

Deno.test("#15 negative cache: a server that timed out is not waited for again for a while", opts, async () => {
  const dir = tempDir();
  const cache = tempDir("orch-cache-");
  const path = writeConfig(dir, {
    mcpServers: { hung: pyServer(join(FIXTURE_SERVERS, "hang_init.py")) },
    orchestrator: { discoveryTimeout: 1 },
  });
  const log = join(cache, "logs", "hung.log");
  const starts = () => existsSync(log) ? (readFileSync(log, "utf8").match(/ignoring/g) ?? []).length : 0;
  const first = await spawnOrch(["list", "-c", path], { env: { ORCH_CACHE_DIR: cache } });
  assert.match(first.stdout, /hung\s+failed/);
  assert.match(first.stdout, /did not answer initialize within 1 s/);
  const seen = starts();
  assert.ok(seen >= 1, "the first list must have tried the server");
  const second = await spawnOrch(["list", "-c", path], { env: { ORCH_CACHE_DIR: cache } });
  assert.match(second.stdout, /did not answer initialize within 1 s \(at \d\d:\d\d:\d\d UTC; not tried again before/);
  assert.equal(starts(), seen, "the second list must not start the server again");
  const refreshed = await spawnOrch(["list", "--refresh", "-c", path], { env: { ORCH_CACHE_DIR: cache } });
  assert.doesNotMatch(refreshed.stdout, /not tried again/);
  assert.ok(starts() > seen, "--refresh tries again");
});

/** The HTTP fixture: its process, URL and everything it wrote to stderr so far. */
interface Web {
  child: ChildProcess;
  url: string;
  stderr: () => string;
}

/** Starts the HTTP fixture on `port` (0: any) and resolves once it serves. */
function startWeb(port: number, tag: string): Promise<Web> {
  const child = spawn("python3", [join(FIXTURE_SERVERS, "http_pid.py")], {
    env: { ...Deno.env.toObject(), FASTMCP_PORT: String(port), ORCH_TEST_TAG: tag },
    stdio: ["ignore", "ignore", "pipe"],
  });
  return new Promise((resolve, reject) => {
    let err = "";
    child.stderr!.on("data", (d: Uint8Array) => {
      err += new TextDecoder().decode(d);
      const m = /serving streamable-http on (\S+)/.exec(err);
      if (m) resolve({ child, url: m[1]!, stderr: () => err });
    });
    child.on("exit", (code) => reject(new Error(`http_pid.py exited with ${code}: ${err}`)));
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.on("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

Deno.test(
  "#3 http: orch serve opens a new session after the server restarts; refresh_tools reports a dead server",
  opts,
  async () => {
    const tag = newTag();
    let web = await startWeb(0, tag);
    const port = Number(new URL(web.url).port);
    const dir = tempDir();
    const path = writeConfig(dir, {
      mcpServers: { web: { type: "http", url: web.url } },
      orchestrator: { onAbort: [{ server: "web", tool: "echo", arguments: { text: "stop" } }] },
    });
    const orch = await connectStdio(["serve", "-c", path]);
    const execute = async (code: string) =>
      structured(
        await orch.client.callTool({ name: "execute_composed_code", arguments: { code } }, undefined, {
          timeout: 120_000,
        }),
      );
    const pidOf = async () => {
      const r = await execute("print(web__pid())");
      assert.equal(r.status, "success", JSON.stringify(r));
      return Number(String(r.output).trim());
    };
    try {
      const before = await pidOf();
      assert.equal(before, web.child.pid);
      await stop(web.child);
      web = await startWeb(port, tag);
      const after = await pidOf();
      assert.equal(after, web.child.pid, "the call after the restart reaches the new server");
      assert.notEqual(after, before);

      // A server that dies mid-answer fails the call in flight (not after its 300 s timeout).
      const inFlight = execute("print(web__sleep(600))");
      const started = web;
      assert.ok(await eventually(() => /sleeping 600/.test(started.stderr()), 60_000), started.stderr());
      await stop(web.child);
      const cut = await inFlight;
      assert.notEqual(cut.status, "success", JSON.stringify(cut));
      assert.match(String(cut.error), /ToolError: web\.sleep failed: .*went away during the call/);

      const refresh = await orch.client.callTool({ name: "refresh_tools", arguments: {} });
      assert.equal(refresh.isError, true, JSON.stringify(refresh));
      const body = structured(refresh);
      assert.equal(body.status, "error");
      assert.match(String((body.errors as Record<string, string>).web), /web|connect|refused/i);
      web = await startWeb(port, tag);
      const again = structured(await orch.client.callTool({ name: "refresh_tools", arguments: {} }));
      assert.equal(again.status, "success", JSON.stringify(again));
      assert.equal(again.tool_count, 3);
      assert.equal(await pidOf(), web.child.pid);
    } finally {
      await orch.close();
      await stop(web.child);
    }
  },
);
