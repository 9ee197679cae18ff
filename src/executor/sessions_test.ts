import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { EndMarker, SessionBusyError, SessionPool } from "./sessions.ts";
import type { RunResult } from "./types.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

Deno.test("EndMarker finds a call's end marker split across chunks, and passes on what came before", () => {
  const m = new EndMarker("abc");
  const text = 'hello\nworld\0orch-end:abc:{"returncode":0}\nnext call';
  const parts: string[] = [];
  let end: { payload: string; rest: Uint8Array } | undefined;
  for (let i = 0; i < text.length && !end; i += 3) {
    const r = m.push(enc.encode(text.slice(i, i + 3)));
    parts.push(dec.decode(r.out));
    end = r.end;
  }
  assert.equal(parts.join(""), "hello\nworld");
  assert.equal(end!.payload, '{"returncode":0}');
  assert.ok("next call".startsWith(dec.decode(end!.rest)), "the bytes after the marker belong to what comes next");
});

Deno.test("EndMarker ignores another nonce and a NUL that is not a marker", () => {
  const m = new EndMarker("abc");
  const r = m.push(enc.encode("a\0b\0orch-end:xyz\n"));
  assert.equal(dec.decode(r.out), "a\0b\0orch-end:xyz\n");
  assert.equal(r.end, undefined);
  const e = m.push(enc.encode("\0orch-end:abc\n"));
  assert.equal(e.end?.payload, "");
});

function result(status: RunResult["status"]): RunResult {
  return { status } as RunResult;
}

Deno.test("SessionPool refuses a second call on a busy session and keeps ids of two owners apart", () => {
  const pool = new SessionPool({ max: 4, idleSeconds: 60, memoryMb: 64 }, () => {});
  try {
    const a = pool.acquire("s");
    assert.throws(() => pool.acquire("s"), SessionBusyError);
    const other = pool.acquire("s", "mcp-session-2");
    assert.notEqual(other.worker, a.worker);
    pool.release(a.worker, result("success"));
    assert.equal(pool.acquire("s").worker, a.worker);
  } finally {
    pool.close();
  }
});

Deno.test("SessionPool ends a session after an aborted or timed-out call and says so in the next answer", () => {
  const lines: string[] = [];
  const pool = new SessionPool({ max: 4, idleSeconds: 60, memoryMb: 64 }, (l) => lines.push(l));
  try {
    const { worker } = pool.acquire("s");
    const report = pool.release(worker, result("timeout"));
    assert.match(report.session_note!, /session ended: the call timed out; its state is gone/);
    assert.deepEqual(report.session_vars, []);
    assert.equal(existsSync(worker.runDir), false);
    assert.deepEqual(lines, ["session s ended: the call timed out; its state is gone"]);
    const again = pool.acquire("s");
    assert.notEqual(again.worker, worker);
    assert.match(
      again.note!,
      /session "s" had ended \(the call timed out; its state is gone\); this call started it again/,
    );
  } finally {
    pool.close();
  }
});

Deno.test("SessionPool makes room by ending the session idle longest, and refuses when all are busy", () => {
  const pool = new SessionPool({ max: 2, idleSeconds: 60, memoryMb: 64 }, () => {});
  try {
    const a = pool.acquire("a");
    const b = pool.acquire("b");
    assert.throws(() => pool.acquire("c"), /2 sessions are running calls \(sessions\.max 2\)/);
    pool.release(a.worker, result("success"));
    pool.release(b.worker, result("success"));
    pool.acquire("c");
    assert.match(a.worker.ended!, /made room for a new session/);
    assert.equal(b.worker.ended, undefined);
  } finally {
    pool.close();
  }
});

Deno.test("SessionPool ends a session that grew past sessions.memoryMb", () => {
  const pool = new SessionPool({ max: 2, idleSeconds: 60, memoryMb: 1 }, () => {});
  try {
    const { worker } = pool.acquire("big");
    worker.rssKb = 4096;
    assert.match(pool.release(worker, result("success")).session_note!, /uses 4 MiB, over sessions\.memoryMb 1/);
  } finally {
    pool.close();
  }
});
