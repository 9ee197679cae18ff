/**
 * A running policy's output lines as MCP progress notifications, in order, bounded in count and length.
 * Work per chunk is linear in the chunk and memory per stream is bounded: a line longer than the cap keeps
 * only its first MAX_LINE_BYTES, the rest is counted and dropped as it arrives (a policy printing one
 * 200 MB line must not stall the other runs of `orch serve`).
 */

/** Lines streamed per run before streaming stops (the result still has head and tail). */
export const MAX_STREAMED_LINES = 5000;
/** Bytes of one line kept for its notification; the rest is cut. */
export const MAX_LINE_BYTES = 2000;
const NL = 10;
const CR = 13;

/** Sends one progress notification; `progress` increases by one per line. */
export type SendProgress = (progress: number, message: string) => Promise<void>;

/** The unfinished line of one stream: at most MAX_LINE_BYTES kept, the length of the rest counted. */
class PartialLine {
  readonly #kept = new Uint8Array(MAX_LINE_BYTES);
  #used = 0;
  #cut = 0;
  #lastByte = -1;

  get empty(): boolean {
    return this.#used === 0 && this.#cut === 0;
  }

  append(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    const take = Math.min(bytes.length, MAX_LINE_BYTES - this.#used);
    this.#kept.set(bytes.subarray(0, take), this.#used);
    this.#used += take;
    this.#cut += bytes.length - take;
    this.#lastByte = bytes[bytes.length - 1]!;
  }

  /** The line's text (a final `\r` dropped, a cut marked) and a fresh start. */
  take(): string {
    let used = this.#used;
    let cut = this.#cut;
    if (this.#lastByte === CR) cut > 0 ? cut-- : used--;
    // A multi-byte character split by the cap decodes as U+FFFD: drop it.
    const text = new TextDecoder().decode(this.#kept.subarray(0, used)).replace(/\uFFFD$/, "");
    this.#used = this.#cut = 0;
    this.#lastByte = -1;
    return cut > 0 ? `${text} [... ${cut} bytes cut]` : text;
  }
}

/** Splits stdout and stderr into lines and sends each as one notification. */
export class ProgressLines {
  readonly #send: SendProgress;
  readonly #partial = new Map<string, PartialLine>();
  #count = 0;
  #chain: Promise<void> = Promise.resolve();

  constructor(send: SendProgress) {
    this.#send = send;
  }

  /** A sink for one stream's chunks (`stdout` or `stderr` keep separate partial lines). */
  sink(stream: string): (chunk: Uint8Array) => void {
    const partial = new PartialLine();
    this.#partial.set(stream, partial);
    return (chunk) => {
      let from = 0;
      for (let nl = chunk.indexOf(NL); nl >= 0; nl = chunk.indexOf(NL, from)) {
        partial.append(chunk.subarray(from, nl));
        this.#line(partial.take());
        from = nl + 1;
      }
      partial.append(chunk.subarray(from));
    };
  }

  /** One line of orch's own (a tool call's end), counted like output lines. */
  note(line: string): void {
    this.#line(line);
  }

  #line(line: string): void {
    this.#count++;
    if (this.#count > MAX_STREAMED_LINES + 1) return;
    const n = this.#count;
    const message = n > MAX_STREAMED_LINES
      ? `[orch: streaming stopped after ${MAX_STREAMED_LINES} lines; the result holds the output]`
      : line;
    // A client that went away must not stop the run: its notifications are dropped.
    this.#chain = this.#chain.then(() => this.#send(n, message)).catch(() => {});
  }

  /** Sends what is left of unfinished lines and waits until every notification is out. */
  async flush(): Promise<void> {
    for (const partial of this.#partial.values()) if (!partial.empty) this.#line(partial.take());
    await this.#chain;
  }
}
