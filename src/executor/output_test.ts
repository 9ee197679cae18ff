import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OutputCapture, RunLog } from "./output.ts";

const enc = new TextEncoder();

Deno.test("OutputCapture keeps head and tail within its cap and names the log for the middle", () => {
  const cap = new OutputCapture(20);
  for (let i = 0; i < 1000; i++) cap.push(enc.encode(`line ${i}\n`));
  const text = cap.text("/x/output.log");
  assert.match(text, /^line 0\nlin\n/);
  assert.match(text, /bytes cut; full output in \/x\/output\.log/);
  assert.match(text, /line 999\n$/);
  assert.ok(text.length < 120, text);
});

Deno.test("RunLog stops at its cap and says so once", () => {
  const path = join(mkdtempSync(join(tmpdir(), "orch-log-")), "output.log");
  const log = new RunLog(path, 10);
  log.write(enc.encode("12345678"));
  log.write(enc.encode("abcdef"));
  log.write(enc.encode("more"));
  log.close();
  assert.equal(log.full, true);
  assert.equal(readFileSync(path, "utf8"), "12345678ab\n[orch: log cut at 10 bytes]\n");
});
