/**
 * Issue 10 against the real `orch serve` (from source, or ORCH_BIN): a 200 MB output line streamed as
 * progress (defect 4), a client that drops its request stream instead of sending notifications/cancelled,
 * the old SSE transport, `--auth none`, and a line on stdin that is not JSON.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { CallToolResultSchema, Client, SSEClientTransport } from "../../src/deps/mcp_sdk.ts";
import { orchArgv, runOrch, survivors, tempDir, writeConfig } from "./helpers.ts";
import { eventually, orchEnv, postToSession, robotConfig, startHttp, structured } from "./serve_helpers.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const MB = 1 << 20;

/** Peak resident memory of a process so far, in bytes. */
function peakRss(pid: number): number {
  return Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024;
}

const aborted = (stderr: string) => (stderr.match(/run \S+ aborted/g) ?? []).length;

Deno.test(
  "orch serve streams a 200 MB output line in bounded memory while other runs and aborts are answered",
  opts,
  async () => {
    const cfg = robotConfig();
    const orch = await startHttp(["--config", cfg.path]);
    try {
      const base = peakRss(orch.pid);
      const [a, b, c] = await Promise.all([orch.connect(), orch.connect(), orch.connect()]);
      const lines: string[] = [];
      const huge = [
        "import sys, time",
        "print('start', flush=True)",
        "chunk = 'x' * (1 << 20)",
        "for _ in range(200): sys.stdout.write(chunk)",
        "sys.stdout.write('\\n'); sys.stdout.flush()",
        "print('end', flush=True)",
        "time.sleep(3600)",
      ].join("\n");
      const stopA = new AbortController();
      const runA = a.callTool({ name: "execute_composed_code", arguments: { code: huge } }, CallToolResultSchema, {
        onprogress: (p) => lines.push(p.message ?? ""),
        signal: stopA.signal,
        timeout: 600_000,
      }).catch((err: Error) => err);
      assert.ok(await eventually(() => lines.includes("start"), 60_000), "run A never started");

      // Other runs go on while the line streams: one finishes, one is cancelled and says so.
      const rb = await b.callTool({ name: "execute_composed_code", arguments: { code: "print(6 * 7)" } });
      assert.equal(structured(rb).output, "42\n");
      const stopC = new AbortController();
      const runC = c.callTool(
        { name: "execute_composed_code", arguments: { code: "import time\nprint('c', flush=True)\ntime.sleep(3600)" } },
        CallToolResultSchema,
        { signal: stopC.signal, onprogress: () => stopC.abort() },
      ).catch((err: Error) => err);
      assert.ok(await eventually(() => stopC.signal.aborted, 60_000), "run C never started");
      assert.ok(await eventually(() => aborted(orch.stderr()) === 1, 60_000), orch.stderr());
      await runC;

      assert.ok(
        await eventually(() => lines.includes("end"), 120_000),
        `run A never finished its line: ${lines.length}`,
      );
      assert.equal(lines.length, 3);
      assert.equal(lines[1], `${"x".repeat(2000)} [... ${200 * MB - 2000} bytes cut]`);
      // The line was never held whole: orch grew by far less than the 200 MB it streamed.
      const grew = peakRss(orch.pid) - base;
      assert.ok(grew < 300 * MB, `orch's peak memory grew by ${Math.round(grew / MB)} MB`);
      stopA.abort();
      await runA;
      assert.ok(await eventually(() => aborted(orch.stderr()) === 2, 60_000), orch.stderr());
      await Promise.all([a.close(), b.close(), c.close()]);
    } finally {
      await orch.stop();
    }
    assert.deepEqual(await survivors(cfg.tag), []);
  },
);

Deno.test(
  "orch serve --http cancels a run whose client dropped the request stream (no notifications/cancelled)",
  opts,
  async () => {
    const cfg = robotConfig();
    const orch = await startHttp(["--config", cfg.path]);
    try {
      const client = await orch.connect();
      const sid = (client.transport as unknown as { sessionId: string }).sessionId;
      const dropped = new AbortController();
      const res = await postToSession(orch.url, sid, {
        jsonrpc: "2.0",
        id: 5,
        method: "tools/call",
        params: {
          name: "execute_composed_code",
          arguments: { code: "import time\nprint('started', flush=True)\ntime.sleep(3600)" },
          _meta: { progressToken: "p" },
        },
      }, { headers: { authorization: `Bearer ${orch.token}` }, signal: dropped.signal });
      // Read the stream until the policy runs, then drop it, as @ai-sdk/mcp does on abort.
      const reader = res.body!.getReader();
      let seen = "";
      while (!seen.includes("started")) {
        const { value, done } = await reader.read();
        if (done) break;
        seen += new TextDecoder().decode(value);
      }
      assert.match(seen, /started/);
      dropped.abort();
      assert.ok(await eventually(() => aborted(orch.stderr()) === 1, 60_000), orch.stderr());
      assert.match(orch.stderr(), /the client dropped request 5; cancelling it/);
      await client.close();
    } finally {
      await orch.stop();
    }
    assert.deepEqual(await survivors(cfg.tag), []);
  },
);

Deno.test("orch serve --http serves a client of the old SSE transport at /sse", opts, async () => {
  const cfg = robotConfig();
  const orch = await startHttp(["--config", cfg.path]);
  try {
    const transport = new SSEClientTransport(new URL("/sse", orch.url), {
      requestInit: { headers: { authorization: `Bearer ${orch.token}` } },
    });
    const client = new Client({ name: "old-sse-client", version: "1" });
    await client.connect(transport);
    assert.equal((await client.listTools()).tools.length, 7);
    const r = await client.callTool({ name: "execute_composed_code", arguments: { code: "print(6 * 7)" } });
    assert.equal(structured(r).output, "42\n");
    await client.close();
  } finally {
    await orch.stop();
  }
  assert.deepEqual(await survivors(cfg.tag), []);
});

Deno.test("a type http server that speaks only the old SSE transport is reached over SSE", opts, async () => {
  // orch serve answers a Streamable HTTP POST to /sse with 404: the client must fall back to SSE there.
  const cfg = robotConfig();
  const orch = await startHttp(["--config", cfg.path]);
  try {
    const dir = tempDir();
    const url = new URL("/sse", orch.url).href;
    const headers = { authorization: `Bearer ${orch.token}` };
    writeConfig(dir, { mcpServers: { old: { type: "http", url, headers } } });
    const r = await runOrch(["list"], { cwd: dir });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /old\s+ok\s+7 tools/);
  } finally {
    await orch.stop();
  }
  assert.deepEqual(await survivors(cfg.tag), []);
});

Deno.test(
  "orch serve --auth none serves header-less clients on loopback and refuses any other address",
  opts,
  async () => {
    const cfg = robotConfig();
    const refused = await runOrch(["serve", "--config", cfg.path, "--http", "0.0.0.0:0", "--auth", "none"]);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(
      refused.stderr,
      /--auth none serves without a token, so only on a loopback address .*not "0\.0\.0\.0"/,
    );
    const orch = await startHttp(["--config", cfg.path, "--auth", "none"]);
    try {
      assert.match(orch.stderr(), /warning: --auth none: any process on this machine/);
      const res = await fetch(orch.url, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
        body: JSON.stringify({
          jsonrpc: "2.0",
          id: 1,
          method: "initialize",
          params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "no-header", version: "1" } },
        }),
      });
      assert.equal(res.status, 200);
      assert.ok(res.headers.get("mcp-session-id"));
      await res.body?.cancel();
    } finally {
      await orch.stop();
    }
  },
);

Deno.test("orch serve answers a line on stdin that is not JSON with a -32700 parse error", opts, async () => {
  const cfg = robotConfig();
  const [cmd, ...pre] = orchArgv();
  const child = spawn(cmd!, [...pre, "serve", "--config", cfg.path], {
    cwd: tempDir(),
    env: orchEnv(),
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d) => out += d);
  const closed = new Promise((r) => child.on("close", r));
  child.stdin.write("{this is not json\n");
  child.stdin.write('{"jsonrpc": "2.0", "id": 3, "method": 7}\n');
  try {
    assert.ok(await eventually(() => out.split("\n").length > 2, 60_000), out);
    const [parse, invalid] = out.trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(parse.id, null);
    assert.equal(parse.error.code, -32700);
    assert.match(parse.error.message, /^Parse error: /);
    assert.equal(invalid.id, 3);
    assert.equal(invalid.error.code, -32600);
  } finally {
    child.stdin.end();
    await closed;
  }
  assert.deepEqual(await survivors(cfg.tag), []);
});
