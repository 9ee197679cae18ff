import assert from "node:assert/strict";
import { MAX_LINE_BYTES, MAX_STREAMED_LINES, ProgressLines } from "./progress.ts";

const enc = new TextEncoder();

function collect(): { lines: string[]; progress: ProgressLines } {
  const lines: string[] = [];
  return { lines, progress: new ProgressLines((_n, message) => Promise.resolve(void lines.push(message))) };
}

Deno.test("ProgressLines splits lines across chunks, drops a final \\r and keeps streams apart", async () => {
  const { lines, progress } = collect();
  const out = progress.sink("stdout");
  const err = progress.sink("stderr");
  out(enc.encode("he"));
  err(enc.encode("warn"));
  out(enc.encode("llo\r\nwor"));
  // A two-byte character split between chunks is whole in its line.
  const e = enc.encode("é");
  out(e.subarray(0, 1));
  out(e.subarray(1));
  out(enc.encode("ld\n\n"));
  err(enc.encode("ing\r"));
  await progress.flush();
  assert.deepEqual(lines, ["hello", "woréld", "", "warning"]);
});

Deno.test("ProgressLines keeps only the head of a 200 MB line and says how much was cut", async () => {
  const { lines, progress } = collect();
  const out = progress.sink("stdout");
  const chunk = new Uint8Array(64 * 1024).fill(0x78);
  const chunks = Math.ceil(200e6 / chunk.length);
  out(enc.encode("before\n"));
  for (let i = 0; i < chunks; i++) out(chunk);
  out(enc.encode("\r\nafter\n"));
  await progress.flush();
  assert.equal(lines.length, 3);
  assert.equal(lines[0], "before");
  assert.equal(lines[1], `${"x".repeat(MAX_LINE_BYTES)} [... ${chunks * chunk.length - MAX_LINE_BYTES} bytes cut]`);
  assert.equal(lines[2], "after");
});

Deno.test("ProgressLines cuts inside a multi-byte character without a replacement character", async () => {
  const { lines, progress } = collect();
  progress.sink("stdout")(enc.encode("a" + "é".repeat(MAX_LINE_BYTES) + "\n"));
  await progress.flush();
  const [head, marker] = lines[0]!.split(" [... ");
  assert.equal(head, "a" + "é".repeat((MAX_LINE_BYTES - 2) / 2));
  assert.equal(marker, `${MAX_LINE_BYTES + 1} bytes cut]`);
});

Deno.test("ProgressLines stops streaming after MAX_STREAMED_LINES with one notice", async () => {
  const { lines, progress } = collect();
  progress.sink("stdout")(enc.encode("x\n".repeat(MAX_STREAMED_LINES + 10)));
  await progress.flush();
  assert.equal(lines.length, MAX_STREAMED_LINES + 1);
  assert.match(lines.at(-1)!, /streaming stopped after 5000 lines/);
});
