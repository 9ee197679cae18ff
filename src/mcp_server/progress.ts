/** A running policy's output lines as MCP progress notifications, in order, bounded in count and length. */

/** Lines streamed per run before streaming stops (the result still has head and tail). */
export const MAX_STREAMED_LINES = 5000;
const MAX_LINE_CHARS = 2000;

/** Sends one progress notification; `progress` increases by one per line. */
export type SendProgress = (progress: number, message: string) => Promise<void>;

/** Splits stdout and stderr into lines and sends each as one notification. */
export class ProgressLines {
  readonly #send: SendProgress;
  readonly #partial = new Map<string, string>();
  readonly #decoders = new Map<string, TextDecoder>();
  #count = 0;
  #chain: Promise<void> = Promise.resolve();

  constructor(send: SendProgress) {
    this.#send = send;
  }

  /** A sink for one stream's chunks (`stdout` or `stderr` keep separate partial lines). */
  sink(stream: string): (chunk: Uint8Array) => void {
    const decoder = new TextDecoder();
    this.#decoders.set(stream, decoder);
    return (chunk) => {
      const text = (this.#partial.get(stream) ?? "") + decoder.decode(chunk, { stream: true });
      const lines = text.split("\n");
      this.#partial.set(stream, lines.pop() ?? "");
      for (const line of lines) this.#line(line.replace(/\r$/, ""));
    };
  }

  #line(line: string): void {
    this.#count++;
    if (this.#count > MAX_STREAMED_LINES + 1) return;
    const n = this.#count;
    const message = n > MAX_STREAMED_LINES
      ? `[orch: streaming stopped after ${MAX_STREAMED_LINES} lines; the result holds the output]`
      : line.length > MAX_LINE_CHARS
      ? `${line.slice(0, MAX_LINE_CHARS)} [... ${line.length - MAX_LINE_CHARS} characters cut]`
      : line;
    // A client that went away must not stop the run: its notifications are dropped.
    this.#chain = this.#chain.then(() => this.#send(n, message)).catch(() => {});
  }

  /** Sends what is left of unfinished lines and waits until every notification is out. */
  async flush(): Promise<void> {
    for (const [stream, rest] of this.#partial) {
      const tail = rest + (this.#decoders.get(stream)?.decode() ?? "");
      if (tail !== "") this.#line(tail);
    }
    this.#partial.clear();
    await this.#chain;
  }
}
