/**
 * The call path against a server that misbehaves on the wire (tests/fixtures/servers/wire.py):
 * over-long answers (issue 10 #2), malformed answers (#12), a server that ends right after a call
 * (#13), and cancellation and timeouts on the lean stdio path.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import process from "node:process";
import { loadConfig } from "../config/load.ts";
import { UpstreamError } from "../errors.ts";
import { UpstreamPool } from "./upstream_pool.ts";
import type { CallCancel } from "./types.ts";
import { ScopeCall } from "../shim/scope.ts";

const WIRE = resolve(import.meta.dirname!, "..", "..", "tests", "fixtures", "servers", "wire.py");

function wirePool(extra: Record<string, unknown> = {}) {
  const dir = mkdtempSync(join(tmpdir(), "orch-wire-"));
  const log = join(dir, "wire.log");
  const path = join(dir, "c.json");
  const w = { command: "python3", args: [WIRE], env: { WIRE_LOG: log }, ...extra };
  writeFileSync(path, JSON.stringify({ mcpServers: { w } }));
  return { pool: new UpstreamPool(loadConfig(path, { env: () => undefined })), log };
}

function text(r: { content?: unknown[] }): string {
  return (r.content?.[0] as { text: string }).text;
}

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(ok(), what);
}

for (const idLast of [false, true]) {
  Deno.test(`UpstreamPool: an answer over maxMessageMb is an error naming server and size, and the next call works (id ${idLast ? "last" : "first"})`, async () => {
    const { pool } = wirePool({ maxMessageMb: 1 });
    try {
      const err = await pool.callTool("w", "big", { mb: 3, id_last: idLast }).catch((e) => e);
      assert.ok(err instanceof UpstreamError, String(err));
      assert.match(
        err.message,
        /^w: the answer of big is (larger than the|3 MiB, over the) 1 MiB limit for one message \(mcpServers\.w\.maxMessageMb raises it\)$/,
      );
      assert.equal(text(await pool.callTool("w", "echo", { text: "still in sync" })), "still in sync");
      const ok = await pool.callTool("w", "big", { mb: 0.5 });
      assert.equal(text(ok).length, 512 * 1024);
    } finally {
      await pool.close();
    }
  });
}

Deno.test("UpstreamPool: a server writing without end fails the call at once and orch's memory stays bounded", async () => {
  const { pool } = wirePool({ maxMessageMb: 8 });
  try {
    const before = process.memoryUsage().rss;
    const call = pool.callTool("w", "endless", { mb: 400 });
    const err = await call.catch((e) => e);
    assert.ok(err instanceof UpstreamError, String(err));
    assert.match(err.message, /^w: the answer of endless is larger than the 8 MiB limit/);
    // The server keeps writing; orch discards it (the old reader held all of it, and more).
    const grew = () => process.memoryUsage().rss - before;
    await new Promise((r) => setTimeout(r, 1500));
    assert.ok(grew() < 200 * 2 ** 20, `rss grew by ${(grew() / 2 ** 20).toFixed(0)} MiB`);
  } finally {
    await pool.close();
  }
});

for (
  const [tool, why] of <[string, string][]> [
    ["null_result", "its result is null, not an object"],
    ["both", "it has both a result and an error"],
    ["bad_content", 'content[0] (text) has no string "text"'],
    ["not_a_list", "its content is a string, not a list"],
  ]
) {
  Deno.test(`UpstreamPool: an invalid answer (${tool}) fails at once with words, not a timeout`, async () => {
    // A call timeout far longer than the test: only an answer at once can pass.
    const { pool } = wirePool({ timeout: 600 });
    try {
      const err = await pool.callTool("w", tool, {}).catch((e) => e);
      assert.ok(err instanceof UpstreamError, String(err));
      assert.equal(err.message, `invalid response from w to ${tool}: ${why}`);
      assert.equal(text(await pool.callTool("w", "echo", { text: "next" })), "next");
    } finally {
      await pool.close();
    }
  });
}

Deno.test("UpstreamPool: an invalid answer on the SDK's path (a call with progress) fails at once too", async () => {
  const { pool } = wirePool({ timeout: 600 });
  try {
    const err = await pool.callTool("w", "null_result", {}, { onProgress: () => {} }).catch((e) => e);
    assert.ok(err instanceof UpstreamError, String(err));
    assert.equal(err.message, "invalid response from w to tools/call: its result is null, not an object");
  } finally {
    await pool.close();
  }
});

Deno.test("UpstreamPool: a call never written to a server that is ending is sent to its next process", async () => {
  const { pool } = wirePool();
  try {
    for (let i = 0; i < 5; i++) {
      // shutdown closes its stdin before answering: the next write cannot reach it, so it never ran.
      assert.equal(text(await pool.callTool("w", "shutdown", { text: `bye ${i}` })), `bye ${i}`);
      assert.equal(text(await pool.callTool("w", "echo", { text: `after ${i}` })), `after ${i}`);
    }
  } finally {
    await pool.close();
  }
});

Deno.test("UpstreamPool: a call in flight when the server dies still fails (it may have run)", async () => {
  const { pool } = wirePool();
  try {
    const slow = pool.callTool("w", "sleep", { seconds: 30 });
    await new Promise((r) => setTimeout(r, 300));
    const dying = pool.callTool("w", "bye", {});
    await dying;
    const err = await slow.catch((e) => e);
    assert.ok(err instanceof UpstreamError);
    assert.match(err.message, /^w: the server went away during the call \(the process exited with code 0/);
  } finally {
    await pool.close();
  }
});

Deno.test("UpstreamPool: cancelling a lean call sends notifications/cancelled and rejects at once", async () => {
  const { pool, log } = wirePool();
  try {
    await pool.callTool("w", "echo", { text: "up" });
    const cancel: CallCancel & { fire(reason: string): void } = {
      cancelled: undefined,
      oncancel: undefined,
      get signal(): AbortSignal {
        throw new Error("the lean path needs no signal");
      },
      fire(reason: string) {
        (this as { cancelled?: string }).cancelled = reason;
        this.oncancel?.(reason);
      },
    };
    const call = pool.callTool("w", "sleep", { seconds: 30 }, { cancel });
    await until("the call is in flight", () => cancel.oncancel !== undefined);
    cancel.fire("run aborted");
    await assert.rejects(call, /run aborted/);
    await until(
      "the server logged the cancellation",
      () => existsSync(log) && /cancelled \d+/.test(readFileSync(log, "utf8")),
    );
    assert.equal(text(await pool.callTool("w", "echo", { text: "again" })), "again");
  } finally {
    await pool.close();
  }
});

Deno.test("UpstreamPool: the first call, which starts the server, is cancelled at the server too", async () => {
  // No warm-up: the call waits for the connection first, and the handler of that wait must not
  // wipe the lean call's own (issue 13 review, item 1).
  const { pool, log } = wirePool();
  try {
    const call = new ScopeCall("w", "sleep");
    const pending = pool.callTool("w", "sleep", { seconds: 30 }, { cancel: call });
    pending.catch(() => {});
    await until("the call was written", () => existsSync(log) && /call sleep/.test(readFileSync(log, "utf8")));
    assert.ok(call.oncancel !== undefined, "the lean call listens for the cancellation");
    call.cancel("run aborted");
    await assert.rejects(pending, /run aborted/);
    await until(
      "the server logged the cancellation",
      () => /cancelled \d+/.test(readFileSync(log, "utf8")),
    );
    assert.equal(text(await pool.callTool("w", "echo", { text: "again" })), "again");
  } finally {
    await pool.close();
  }
});

Deno.test("UpstreamPool: a lean call times out by the deadline sweep and tells the server", async () => {
  const { pool, log } = wirePool({ timeout: 0.5 });
  try {
    const err = await pool.callTool("w", "sleep", { seconds: 30 }).catch((e) => e);
    assert.ok(err instanceof UpstreamError);
    assert.equal(err.message, "w.sleep timed out after 0.5 s");
    await until(
      "the server logged the cancellation",
      () => existsSync(log) && /cancelled \d+/.test(readFileSync(log, "utf8")),
    );
  } finally {
    await pool.close();
  }
});
