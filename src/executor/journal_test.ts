import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { RunScope } from "../shim/scope.ts";
import { loadConfig } from "../config/load.ts";
import { UpstreamPool } from "../sources/upstream_pool.ts";
import { fileWriter, Journal, redact, REDACTED } from "./journal.ts";

function journalIn(secretArgs: string[] = []) {
  const path = join(mkdtempSync(join(tmpdir(), "orch-journal-")), "journal.jsonl");
  const journal = new Journal({ open: () => fileWriter(path), secretArgs });
  return { path, journal, lines: () => readFileSync(path, "utf8").trim().split("\n").map((l) => JSON.parse(l)) };
}

Deno.test("journal: each call's outcome through the scope: ok, error, denied, cancelled in flight", async () => {
  const { journal, lines } = journalIn();
  const scope = new RunScope({ allow: ["r/*"], observer: journal });
  // Each source says when it sends (`call.sent()`), as the real ones do.
  await scope.call("r", "ok", {}, (call) => {
    call.sent();
    return Promise.resolve({ content: [{ type: "text", text: "fine" }] });
  });
  await scope.call("r", "bad", {}, (call) => {
    call.sent();
    return Promise.resolve({ content: [{ type: "text", text: "no arm" }], isError: true });
  });
  await assert.rejects(scope.call("x", "y", {}, () => Promise.resolve({ content: [] })));
  const hang = scope.call("r", "move", {}, (call) => {
    call.sent();
    return new Promise(() => {});
  });
  await Promise.resolve();
  assert.deepEqual(journal.inFlight().map((c) => c.tool), ["move"]);
  scope.abort("stopped");
  await assert.rejects(hang);
  await assert.rejects(scope.call("r", "late", {}, () => Promise.resolve({ content: [] })));
  const s = journal.summary();
  assert.deepEqual(s.tools, {
    "r.ok": { ok: 1 },
    "r.bad": { error: 1 },
    "x.y": { denied: 1 },
    "r.move": { cancelled: 1 },
  });
  assert.deepEqual(s.failed.map((c) => [c.tool, c.outcome, c.text]), [["bad", "error", "no arm"], [
    "y",
    "denied",
    "x.y is not in the config's allowed tools",
  ]]);
  assert.deepEqual(s.cancelled.map((c) => c.tool), ["move"]);
  journal.close();
  const outcomes = lines().map((l) => `${l.tool}:${l.outcome}`);
  assert.deepEqual(outcomes, ["ok:sent", "ok:ok", "bad:sent", "bad:error", "y:denied", "move:sent", "move:cancelled"]);
});

Deno.test("journal: values of secret argument names are redacted at any depth, the config adds names", async () => {
  const { journal, lines } = journalIn(["pin"]);
  const scope = new RunScope({ observer: journal });
  const args = { target: "bin", password: "hunter2", nested: { PIN: 1234, list: [{ api_key: "k" }] } };
  await scope.call("r", "t", args, () => Promise.resolve({ content: [] }));
  journal.close();
  const first = lines()[0];
  assert.deepEqual(first.args, {
    target: "bin",
    password: REDACTED,
    nested: { PIN: REDACTED, list: [{ api_key: REDACTED }] },
  });
  assert.deepEqual(redact([{ token: "t" }], new Set(["token"])), [{ token: REDACTED }]);
});

Deno.test("journal: a full disk (/dev/full) costs the journal, never the call or the summary", async () => {
  const journal = new Journal({ open: () => fileWriter("/dev/full") });
  const scope = new RunScope({ observer: journal });
  const r = await scope.call("r", "stop", {}, () => Promise.resolve({ content: [{ type: "text", text: "stopped" }] }));
  assert.equal(r.isError, undefined);
  const watch = journal.admitted("r", "stop", {}, true);
  watch.sent();
  watch.done({ content: [] });
  const s = journal.summary();
  assert.match(s.journal_error ?? "", /cannot write the journal: .*(ENOSPC|space)/i);
  assert.deepEqual(s.tools, { "r.stop": { ok: 1 } });
  assert.deepEqual(s.on_abort?.map((c) => c.outcome), ["ok"]);
});

Deno.test("journal: a call the inputSchema refuses is in the journal and the summary as the error the policy gets", () => {
  const { journal, lines } = journalIn();
  const schema = { type: "object", properties: { speed: { type: "number" } } };
  const scope = new RunScope({ observer: journal, inputSchema: () => schema });
  return (async () => {
    const r = await scope.call("r", "move", { speed: "fast" }, () => {
      throw new Error("never called");
    });
    assert.equal(r.isError, true);
    const text = (r.content[0] as { text: string }).text;
    assert.match(text, /invalid arguments for r\.move: argument speed must be number/);
    const s = journal.summary();
    assert.deepEqual(s.tools, { "r.move": { error: 1 } });
    assert.deepEqual(s.failed.map((c) => [c.tool, c.outcome, c.text]), [["move", "error", text]]);
    journal.close();
    const logged = lines();
    assert.deepEqual(logged.map((l) => [l.tool, l.outcome, l.args]), [["move", "error", { speed: "fast" }]]);
  })();
});

const WIRE = resolve(import.meta.dirname!, "..", "..", "tests", "fixtures", "servers", "wire.py");

/** A real pool with `w` (the wire fixture, logging to `log`), `gone` (cannot start) and `mute` (never answers). */
function poolFor() {
  const dir = mkdtempSync(join(tmpdir(), "orch-journal-pool-"));
  const log = join(dir, "wire.log");
  const path = join(dir, "c.json");
  writeFileSync(
    path,
    JSON.stringify({
      mcpServers: {
        w: { command: "python3", args: [WIRE], env: { WIRE_LOG: log } },
        gone: { command: join(dir, "no-such-server") },
        mute: { command: "python3", args: ["-c", "import time; time.sleep(60)"] },
      },
    }),
  );
  return { pool: new UpstreamPool(loadConfig(path, { env: () => undefined })), log };
}

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !ok(); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(ok(), what);
}

Deno.test("journal: through a real pool, `sent` only once the request is written; calls that never left are not_sent", async () => {
  const { journal, lines } = journalIn();
  const { pool, log } = poolFor();
  const scope = new RunScope({ observer: journal });
  const call = (server: string, tool: string, args: Record<string, unknown> = {}) =>
    scope.call(server, tool, args, (c) => pool.callTool(server, tool, args, { cancel: c }));
  try {
    // The server cannot start: the request never left orch.
    await assert.rejects(call("gone", "t"));
    // The server starts but never answers initialize: aborted while connecting.
    const connecting = call("mute", "t");
    connecting.catch(() => {});
    // The first call to w starts it (no warm-up), is written, then cancelled with the rest by the abort.
    const sleeping = call("w", "sleep", { seconds: 30 });
    sleeping.catch(() => {});
    await until("the sleep was written", () => existsSync(log) && /call sleep/.test(readFileSync(log, "utf8")));
    assert.deepEqual(journal.inFlight().map((c) => [c.server, c.outcome]), [["w", "sent"]]);
    scope.abort("stopped by the test");
    await assert.rejects(connecting, /ABORTED/);
    await assert.rejects(sleeping, /ABORTED/);
    await until("w heard the cancellation", () => /cancelled \d+/.test(readFileSync(log, "utf8")));
    const s = journal.summary();
    assert.deepEqual(s.tools, { "gone.t": { not_sent: 1 }, "mute.t": { not_sent: 1 }, "w.sleep": { cancelled: 1 } });
    assert.match(s.cancelled.find((c) => c.server === "gone")?.text ?? "", /no-such-server/);
    journal.close();
    assert.deepEqual(lines().map((l) => `${l.server}.${l.tool}:${l.outcome}`), [
      "gone.t:not_sent",
      "w.sleep:sent",
      "mute.t:not_sent",
      "w.sleep:cancelled",
    ]);
  } finally {
    await pool.close();
  }
});
