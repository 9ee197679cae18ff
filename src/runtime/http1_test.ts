/** The shim's HTTP/1.1 connection (http1.ts), fed bytes directly: framing, pipelining, limits, refusals. */
import assert from "node:assert/strict";
import { Http1Connection, type Http1Limits, parseHttp1 } from "./http1.ts";
import type { FetchHandler } from "./types.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function post(path: string, body: string, extra = ""): string {
  return `POST ${path} HTTP/1.1\r\nHost: localhost\r\n${extra}Content-Length: ${
    enc.encode(body).length
  }\r\n\r\n${body}`;
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A connection over an in-memory sink; `answers()` parses what was written so far. */
function connection(fetch: FetchHandler, limits?: Http1Limits) {
  let out = "";
  let ended = false;
  const conn = new Http1Connection(
    fetch,
    {
      write: (b) => void (out += dec.decode(b)),
      end: () => void (ended = true),
    },
    "http://localhost",
    limits,
  );
  function answers(): Answer[] {
    const list: Answer[] = [];
    let rest = out;
    while (rest.length > 0) {
      const end = rest.indexOf("\r\n\r\n");
      assert.ok(end > 0, `unframed output ${JSON.stringify(rest)}`);
      const [status, ...lines] = rest.slice(0, end).split("\r\n");
      const headers: Record<string, string> = {};
      for (const l of lines) headers[l.slice(0, l.indexOf(":")).toLowerCase()] = l.slice(l.indexOf(":") + 1).trim();
      const length = Number(headers["content-length"]);
      list.push({ status: Number(status!.split(" ")[1]), headers, body: rest.slice(end + 4, end + 4 + length) });
      rest = rest.slice(end + 4 + length);
    }
    return list;
  }
  return { conn, answers, ended: () => ended };
}

/** Waits until `cond` holds (bounded by a generous number of macrotask turns). */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 10_000 && !cond(); i++) await new Promise((r) => setTimeout(r, 1));
  assert.ok(cond(), "condition never held");
}

const echo: FetchHandler = async (req) =>
  new Response(JSON.stringify({ path: new URL(req.url).pathname, body: await req.text() }), {
    headers: { "content-type": "application/json" },
  });

Deno.test("http1: a request split across many chunks is answered once it is whole", async () => {
  const { conn, answers } = connection(echo);
  const bytes = enc.encode(post("/call_tool", '{"server":"a","tool":"b"}'));
  for (const b of bytes) conn.push(new Uint8Array([b]));
  await until(() => answers().length === 1);
  const [a] = answers();
  assert.equal(a!.status, 200);
  assert.deepEqual(JSON.parse(a!.body), { path: "/call_tool", body: '{"server":"a","tool":"b"}' });
  assert.equal(a!.headers["content-type"], "application/json");
});

Deno.test("http1: pipelined requests run one at a time and are answered in order", async () => {
  const started: string[] = [];
  const gates: (() => void)[] = [];
  const slow: FetchHandler = async (req) => {
    const body = await req.text();
    started.push(body);
    await new Promise<void>((r) => gates.push(r));
    return new Response(body);
  };
  const { conn, answers, ended } = connection(slow);
  conn.push(enc.encode(post("/call_tool", "first") + post("/call_tool", "second") + post("/call_tool", "third")));
  await until(() => started.length === 1);
  // The second has not started: it waits behind the first, unexecuted.
  assert.deepEqual(started, ["first"]);
  gates.shift()!();
  await until(() => started.length === 2);
  gates.shift()!();
  await until(() => started.length === 3);
  gates.shift()!();
  await until(() => answers().length === 3);
  assert.deepEqual(answers().map((a) => a.body), ["first", "second", "third"]);
  assert.equal(ended(), false, "keep-alive: the connection stays open");
});

Deno.test("http1: Connection: close ends the connection after the answer, and what follows is not run", async () => {
  const seen: string[] = [];
  const { conn, answers, ended } = connection(async (req) => {
    seen.push(await req.text());
    return new Response("ok");
  });
  conn.push(enc.encode(post("/x", "one", "Connection: close\r\n") + post("/x", "two")));
  await until(ended);
  assert.deepEqual(seen, ["one"]);
  assert.equal(answers().length, 1);
  assert.equal(answers()[0]!.headers["connection"], "close");
});

Deno.test("http1: HTTP/1.0 closes unless it asks for keep-alive", async () => {
  const a = connection(echo);
  a.conn.push(enc.encode("GET /health HTTP/1.0\r\n\r\n"));
  await until(a.ended);
  assert.equal(a.answers()[0]!.status, 200);
  const b = connection(echo);
  b.conn.push(enc.encode("GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  await until(() => b.answers().length === 1);
  assert.equal(b.ended(), false);
});

function refusal(raw: string, limits?: Http1Limits) {
  const seen: string[] = [];
  const c = connection((req) => {
    seen.push(req.url);
    return new Response("ran");
  }, limits);
  c.conn.push(enc.encode(raw));
  return { ...c, seen };
}

Deno.test("http1: a head over the limit gets 431 and the connection closes, nothing runs", async () => {
  const limits = { maxHeaderBytes: 256, maxBodyBytes: 1024 };
  const r = refusal(`GET /health HTTP/1.1\r\nHost: localhost\r\nX-Pad: ${"a".repeat(400)}\r\n\r\n`, limits);
  await until(r.ended);
  assert.equal(r.answers()[0]!.status, 431);
  assert.match(r.answers()[0]!.body, /request head is larger than 256 bytes/);
  assert.deepEqual(r.seen, []);
});

Deno.test("http1: a body over the limit gets 413 before any of it is read", async () => {
  const limits = { maxHeaderBytes: 1024, maxBodyBytes: 100 };
  const r = refusal("POST /call_tool HTTP/1.1\r\nHost: localhost\r\nContent-Length: 101\r\n\r\n", limits);
  await until(r.ended);
  assert.equal(r.answers()[0]!.status, 413);
  assert.match(r.answers()[0]!.body, /larger than 100 bytes/);
  assert.deepEqual(r.seen, []);
});

Deno.test("http1: bad Content-Length values are refused with 400", async () => {
  for (const value of ["-1", "1e3", "abc", " ", "0x10"]) {
    const r = refusal(`POST /x HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${value}\r\n\r\n`);
    await until(r.ended);
    assert.equal(r.answers()[0]!.status, 400, value);
    assert.match(r.answers()[0]!.body, /Content-Length/, value);
    assert.deepEqual(r.seen, []);
  }
  const twice = refusal("POST /x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab");
  await until(twice.ended);
  assert.match(twice.answers()[0]!.body, /conflicting Content-Length/);
});

Deno.test("http1: chunked bodies are refused with 411, naming Content-Length", async () => {
  const r = refusal("POST /x HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
  await until(r.ended);
  assert.equal(r.answers()[0]!.status, 411);
  assert.match(r.answers()[0]!.body, /Transfer-Encoding chunked is not supported: send the body with a Content-Length/);
  assert.deepEqual(r.seen, []);
});

Deno.test("http1: malformed requests get 400 and close", async () => {
  for (
    const raw of [
      "GARBAGE\r\n\r\n",
      "GET http://evil/ HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET / HTTP/2.0\r\nHost: x\r\n\r\n",
      "GET / HTTP/1.1\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\nX: a\nY: b\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\nX: \u0001\r\n\r\n",
    ]
  ) {
    const r = refusal(raw);
    await until(r.ended);
    assert.equal(r.answers()[0]!.status, 400, JSON.stringify(raw));
    assert.deepEqual(r.seen, [], JSON.stringify(raw));
  }
});

Deno.test("http1: a request behind a malformed one in the same write is not run", async () => {
  const r = refusal("BROKEN\r\n\r\n" + post("/call_tool", "{}"));
  await until(r.ended);
  assert.equal(r.answers().length, 1);
  assert.deepEqual(r.seen, []);
});

Deno.test("http1: a handler that throws gets a 500 answer and the connection goes on", async () => {
  let n = 0;
  const { conn, answers, ended } = connection(() => {
    if (n++ === 0) throw new Error("boom");
    return new Response("fine");
  });
  conn.push(enc.encode(post("/a", "") + post("/b", "")));
  await until(() => answers().length === 2);
  assert.equal(answers()[0]!.status, 500);
  assert.match(answers()[0]!.body, /boom/);
  assert.equal(answers()[1]!.body, "fine");
  assert.equal(ended(), false);
});

Deno.test("http1: the peer closing aborts the running request's signal and nothing more is written", async () => {
  let signal: AbortSignal | undefined;
  let release = () => {};
  const { conn, answers } = connection(async (req) => {
    signal = req.signal;
    await new Promise<void>((r) => (release = r));
    return new Response("late");
  });
  conn.push(enc.encode(post("/a", "") + post("/b", "")));
  await until(() => signal !== undefined);
  conn.peerClosed();
  assert.equal(signal!.aborted, true);
  release();
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(answers().length, 0);
});

Deno.test("http1: parseHttp1 reports incomplete heads and bodies, and what it consumed", () => {
  assert.equal(parseHttp1(enc.encode("POST /x HTTP/1.1\r\nHost: a\r\n")).kind, "incomplete");
  assert.equal(parseHttp1(enc.encode("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nab")).kind, "incomplete");
  const raw = post("/x", "abcd") + "GET";
  const p = parseHttp1(enc.encode(raw));
  assert.equal(p.kind, "request");
  if (p.kind !== "request") return;
  assert.equal(p.consumed, raw.length - 3);
  assert.equal(dec.decode(p.body), "abcd");
  assert.equal(p.head.close, false);
  assert.deepEqual(p.head.headers[0], ["Host", "localhost"]);
});

Deno.test("http1: a large answer goes out whole, with its Content-Length", async () => {
  const big = "x".repeat(200_000);
  const { conn, answers } = connection(() => new Response(big));
  conn.push(enc.encode(post("/a", "") + post("/b", "")));
  await until(() => answers().length === 2);
  assert.equal(answers()[0]!.body.length, 200_000);
  assert.equal(answers()[1]!.headers["content-length"], "200000");
});
