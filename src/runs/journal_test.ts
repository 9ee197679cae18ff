import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RunScope } from "../ipc/scope.ts";
import { fileWriter, Journal, redact, REDACTED } from "./journal.ts";

function journalIn(secretArgs: string[] = []) {
  const path = join(mkdtempSync(join(tmpdir(), "orch-journal-")), "journal.jsonl");
  const journal = new Journal({ open: () => fileWriter(path), secretArgs });
  return { path, journal, lines: () => readFileSync(path, "utf8").trim().split("\n").map((l) => JSON.parse(l)) };
}

Deno.test("journal: each call's outcome through the scope: ok, error, denied, cancelled in flight", async () => {
  const { journal, lines } = journalIn();
  const scope = new RunScope({ allow: ["r/*"], observer: journal });
  await scope.call("r", "ok", {}, () => Promise.resolve({ content: [{ type: "text", text: "fine" }] }));
  await scope.call(
    "r",
    "bad",
    {},
    () => Promise.resolve({ content: [{ type: "text", text: "no arm" }], isError: true }),
  );
  await assert.rejects(scope.call("x", "y", {}, () => Promise.resolve({ content: [] })));
  const hang = scope.call("r", "move", {}, () => new Promise(() => {}));
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
