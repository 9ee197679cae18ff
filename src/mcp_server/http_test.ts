/**
 * createHttpApp() in-process on a real TCP port, with real SDK clients: session expiry and eviction
 * (an injected clock), a dropped request stream as a cancel, what a client without the token is told,
 * `--auth none`, the old SSE transport, the unknown-tool error and logging/setLevel.
 */
import assert from "node:assert/strict";
import type { Config } from "../config/schema.ts";
import { Client, SSEClientTransport, StreamableHTTPClientTransport } from "../deps/mcp_sdk.ts";
import type { RunRequest, RunResult } from "../executor/run.ts";
import { rt } from "../runtime/mod.ts";
import type { Engine } from "../engine.ts";
import { createHttpApp, type HttpAppOptions } from "./http.ts";
import { TOKEN_HINT } from "./http_auth.ts";
import { OrchService } from "./service.ts";
import { postToSession } from "../../tests/e2e/serve_helpers.ts";
// @ts-types="@modelcontextprotocol/sdk/client/auth.d.ts"
import { auth, type OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js";

const opts = { sanitizeOps: false, sanitizeResources: false };
const TOKEN = "unit-test-token-0123456789";

/** A run that lasts until the test releases it or its signal aborts. */
interface HeldRun {
  req: RunRequest;
  release: () => void;
  ended: Promise<"released" | "aborted">;
}

function fakeService(runs: HeldRun[]): OrchService {
  const config = { servers: new Map(), orchestrator: { limits: {} } } as unknown as Config;
  const session = {
    config,
    catalog: () => Promise.resolve({ servers: [] }),
    refresh: () => Promise.resolve({ servers: [] }),
    close: () => Promise.resolve(),
    run: (req: RunRequest): Promise<RunResult> => {
      const done = Promise.withResolvers<"released" | "aborted">();
      runs.push({ req, release: () => done.resolve("released"), ended: done.promise });
      req.signal?.addEventListener("abort", () => done.resolve("aborted"));
      return done.promise.then((how) => ({
        status: how === "aborted" ? "aborted" : "success",
        returncode: how === "aborted" ? 130 : 0,
        output: how,
        error: "",
        runId: `run-${runs.length}`,
        durationMs: 1,
        logPath: "",
        outputDir: "",
        calls: 0,
        denied: 0,
        sandbox: "none",
        limits: {},
      } as unknown as RunResult));
    },
  } as unknown as Engine;
  return new OrchService(session, { expose: "code", log: () => {} });
}

async function serveApp(extra: Partial<HttpAppOptions> = {}) {
  const runs: HeldRun[] = [];
  const service = fakeService(runs);
  let clock = 1_000_000;
  const face = createHttpApp({ service, token: TOKEN, hostname: "127.0.0.1", now: () => clock, ...extra });
  const served = await rt.serve({ hostname: "127.0.0.1", port: 0 }, face.app.fetch);
  const url = new URL(`${served.address}/mcp`);
  const headers = { authorization: `Bearer ${TOKEN}` };
  let streamsOpened = 0;
  // Counts the event streams clients open with GET (the SDK opens one after initialize, in the background).
  const countingFetch = async (input: string | URL | Request, init?: RequestInit) => {
    const res = await fetch(input, init);
    if ((init?.method ?? "GET") === "GET" && res.status === 200) streamsOpened++;
    return res;
  };
  const connect = async () => {
    const client = new Client({ name: "unit", version: "1" });
    await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers }, fetch: countingFetch }));
    return client;
  };
  return {
    url,
    headers,
    runs,
    service,
    face,
    connect,
    tick: (ms: number) => clock += ms,
    streamsOpened: () => streamsOpened,
    close: async () => {
      await face.close();
      await service.close();
      await served.close();
    },
  };
}

/** Waits (polling, bounded) until `check()` holds. */
async function until(check: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 20_000;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const run = (client: Client, code = "print(1)") =>
  client.callTool({ name: "execute_composed_code", arguments: { code } }, undefined, { timeout: 60_000 });

Deno.test("createHttpApp() closes a session its client abandoned, once idle past sessionIdleMs", opts, async () => {
  const s = await serveApp({ sessionIdleMs: 60_000 });
  try {
    const a = await s.connect();
    const sid = (a.transport as unknown as { sessionId: string }).sessionId;
    s.tick(59_000);
    await a.listTools();
    // The SDK's close() ends the client's streams and never sends DELETE: the session is abandoned.
    await a.close();
    s.tick(59_000);
    const b = await s.connect(); // a was active 59 s ago (injected clock): kept
    assert.equal(s.face.sessions(), 2);
    s.tick(30_000);
    await b.listTools();
    s.tick(31_000);
    await b.listTools(); // sweeps: a has been idle 120 s; b (31 s, and its stream open) stays
    assert.equal(s.face.sessions(), 1);
    const res = await postToSession(s.url, sid, { jsonrpc: "2.0", id: 1, method: "tools/list" }, {
      headers: s.headers,
    });
    assert.equal(res.status, 404);
    await res.body?.cancel();
    await b.close();
  } finally {
    await s.close();
  }
});

Deno.test(
  "createHttpApp() never closes a session whose run answered running and goes on, idle or at the cap",
  opts,
  async () => {
    const s = await serveApp({ sessionIdleMs: 60_000, maxSessions: 1 });
    try {
      const a = await s.connect();
      const sid = (a.transport as unknown as { sessionId: string }).sessionId;
      const first = await a.callTool(
        {
          name: "execute_composed_code",
          arguments: { code: "print(1)", wait: 0 },
        },
        undefined,
        { timeout: 60_000 },
      );
      const answer = first.structuredContent as Record<string, unknown>;
      assert.equal(answer.status, "running", JSON.stringify(first));
      // The answer went out: no request is in flight, and the client is gone (no stream either).
      await a.close();
      s.tick(120_000);
      // At the cap, a new client finds no room: the only session owns a live run.
      const refused = await fetch(s.url, {
        method: "POST",
        headers: { ...s.headers, "content-type": "application/json", accept: "application/json, text/event-stream" },
        body: JSON.stringify({
          jsonrpc: "2.0",
          id: 1,
          method: "initialize",
          params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "b", version: "1" } },
        }),
      });
      assert.equal(refused.status, 503);
      await refused.body?.cancel();
      assert.equal(s.face.sessions(), 1);
      // Its run reachable through that session still.
      const res = await postToSession(s.url, sid, { jsonrpc: "2.0", id: 2, method: "tools/list" }, {
        headers: s.headers,
      });
      assert.equal(res.status, 200);
      await res.body?.cancel();
      // Once the run ended the session is idle like any other: evicted for the next client.
      s.runs[0]!.release();
      await until(() => s.service.runs.list().every((r) => r.result !== undefined), "the run's end");
      s.tick(120_000);
      const b = await s.connect();
      assert.equal(s.face.sessions(), 1);
      await b.close();
    } finally {
      await s.close();
    }
  },
);

Deno.test("createHttpApp() keeps an idle session whose client still holds its event stream", opts, async () => {
  const s = await serveApp({ sessionIdleMs: 60_000 });
  try {
    const live = await s.connect();
    await until(() => s.streamsOpened() === 1, "the client's event stream");
    s.tick(3_600_000);
    const other = await s.connect();
    assert.equal(s.face.sessions(), 2);
    assert.equal((await live.listTools()).tools.length, 7);
    await other.close();
    await live.close();
  } finally {
    await s.close();
  }
});

Deno.test(
  "createHttpApp() at the cap evicts the session idle longest, never one with a run in flight",
  opts,
  async () => {
    const s = await serveApp({ maxSessions: 2, sessionIdleMs: 3_600_000 });
    try {
      const busy = await s.connect();
      const pending = run(busy);
      await until(() => s.runs.length === 1, "the run to start");
      s.tick(1000);
      const idle = await s.connect();
      s.tick(1000);
      // Claude Code, the Inspector and mcp-remote never DELETE: a new client still gets in.
      const fresh = await s.connect();
      assert.equal(s.face.sessions(), 2);
      await assert.rejects(idle.listTools(), /Session not found/);
      assert.equal((await fresh.listTools()).tools.length, 7);
      // Every session busy: the next client is told so, and no run is touched.
      const pending2 = run(fresh);
      await until(() => s.runs.length === 2, "the second run to start");
      await assert.rejects(s.connect(), /too many sessions \(2\), each with a request in flight/);
      s.runs[0]!.release();
      s.runs[1]!.release();
      const [r1, r2] = await Promise.all([pending, pending2]);
      assert.equal((r1.structuredContent as { status: string }).status, "success");
      assert.equal((r2.structuredContent as { status: string }).status, "success");
    } finally {
      await s.close();
    }
  },
);

Deno.test("createHttpApp() cancels the run of a request whose stream the client dropped", opts, async () => {
  const s = await serveApp();
  try {
    const client = await s.connect();
    const sid = (client.transport as unknown as { sessionId: string }).sessionId;
    // What @ai-sdk/mcp does on abort: it closes the request, and sends no notifications/cancelled.
    const aborter = new AbortController();
    const res = await postToSession(s.url, sid, {
      jsonrpc: "2.0",
      id: 77,
      method: "tools/call",
      params: { name: "execute_composed_code", arguments: { code: "import time; time.sleep(3600)" } },
    }, { headers: s.headers, signal: aborter.signal });
    assert.equal(res.status, 200);
    await until(() => s.runs.length === 1, "the run to start");
    aborter.abort();
    assert.equal(await s.runs[0]!.ended, "aborted");
    // The session lives on.
    assert.equal((await client.listTools()).tools.length, 7);
  } finally {
    await s.close();
  }
});

Deno.test("createHttpApp() tells a client without the token that a static bearer token is expected", opts, async () => {
  const s = await serveApp();
  try {
    const res = await fetch(s.url, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    assert.equal(res.status, 401);
    const challenge = res.headers.get("www-authenticate") ?? "";
    assert.match(challenge, /^Bearer realm="orch", error_description="[^"]*static bearer token[^"]*"/);
    assert.match(challenge, new RegExp(`resource_metadata="${s.url.origin}/.well-known/oauth-protected-resource/mcp"`));
    assert.match(
      (await res.json()).error.message,
      /missing Authorization: Bearer <token>: orch serve expects a static/,
    );
    const prm = await (await fetch(new URL("/.well-known/oauth-protected-resource/mcp", s.url))).json();
    assert.equal(prm.resource, s.url.href);
    assert.deepEqual(prm.bearer_methods_supported, ["header"]);
    assert.equal(prm.authorization_servers, undefined);

    // What Claude Code and mcp-remote run on a 401: the SDK's OAuth flow. It ends in the hint, not a browser.
    const provider: OAuthClientProvider = {
      redirectUrl: "http://127.0.0.1:1/callback",
      clientMetadata: { redirect_uris: ["http://127.0.0.1:1/callback"], client_name: "unit" },
      clientInformation: () => undefined,
      saveClientInformation: () => {},
      tokens: () => undefined,
      saveTokens: () => {},
      redirectToAuthorization: () => {
        throw new Error("must not be sent to a browser");
      },
      saveCodeVerifier: () => {},
      codeVerifier: () => "",
    };
    await assert.rejects(auth(provider, { serverUrl: s.url }), (err: Error) => {
      assert.equal(err.message, TOKEN_HINT);
      return true;
    });
  } finally {
    await s.close();
  }
});

Deno.test("createHttpApp() without a token (--auth none) serves clients that send no header", opts, async () => {
  const s = await serveApp({ token: undefined });
  try {
    const client = new Client({ name: "unit", version: "1" });
    await client.connect(new StreamableHTTPClientTransport(s.url));
    assert.equal((await client.listTools()).tools.length, 7);
    await client.close();
  } finally {
    await s.close();
  }
});

Deno.test("createHttpApp() serves the old SSE transport at /sse and at /mcp", opts, async () => {
  const s = await serveApp();
  try {
    for (const path of ["/sse", "/mcp"]) {
      const transport = new SSEClientTransport(new URL(path, s.url), { requestInit: { headers: s.headers } });
      const client = new Client({ name: "old-sse", version: "1" });
      await client.connect(transport);
      assert.equal((await client.listTools()).tools.length, 7, path);
      const pending = run(client);
      await until(() => s.runs.length === 1, "the run over SSE to start");
      s.runs.pop()!.release();
      assert.equal(((await pending).structuredContent as { status: string }).status, "success");
      await client.close();
    }
  } finally {
    await s.close();
  }
});

Deno.test(
  "createHttpApp() names an unknown tool once and declares logging (logging/setLevel answers)",
  opts,
  async () => {
    const s = await serveApp();
    try {
      const client = await s.connect();
      assert.deepEqual(client.getServerCapabilities()?.logging, {});
      await client.setLoggingLevel("warning");
      await assert.rejects(client.callTool({ name: "nope", arguments: {} }), (err: Error) => {
        assert.equal(err.message, 'MCP error -32602: Unknown tool "nope"');
        return true;
      });
    } finally {
      await s.close();
    }
  },
);
