/**
 * The MCP server side of stdio on the runtime adapter: newline-delimited
 * JSON-RPC on stdin and stdout. stdout carries nothing but these messages.
 */
import { type JSONRPCMessage, JSONRPCMessageSchema, type Transport } from "../deps/mcp_sdk.ts";
import { rt } from "../runtime/mod.ts";

/** Longest line accepted on stdin (a policy travels inside one message). */
const MAX_LINE_BYTES = 64 * 1024 * 1024;

/** A Transport over orch's own stdin and stdout. */
export class StdioServerTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  #closed = false;
  #writes: Promise<void> = Promise.resolve();
  #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;

  start(): Promise<void> {
    void this.#read();
    return Promise.resolve();
  }

  async #read(): Promise<void> {
    const decoder = new TextDecoder();
    let buf = "";
    this.#reader = rt.stdin().getReader();
    try {
      for (;;) {
        const { value, done } = await this.#reader.read();
        if (done) break;
        buf += decoder.decode(value, { stream: true });
        let nl: number;
        while ((nl = buf.indexOf("\n")) >= 0) {
          this.#handle(buf.slice(0, nl));
          buf = buf.slice(nl + 1);
        }
        if (buf.length > MAX_LINE_BYTES) {
          this.onerror?.(new Error(`a message on stdin is longer than ${MAX_LINE_BYTES} bytes; dropped`));
          buf = "";
        }
      }
      if (buf.trim()) this.#handle(buf);
    } catch (err) {
      if (!this.#closed) this.onerror?.(err as Error);
    }
    await this.close();
  }

  #handle(line: string): void {
    const text = line.replace(/\r$/, "").trim();
    if (!text) return;
    let message: JSONRPCMessage;
    try {
      const parsed = JSONRPCMessageSchema.safeParse(JSON.parse(text));
      if (!parsed.success) throw new Error("not a JSON-RPC 2.0 message");
      message = parsed.data;
    } catch (err) {
      this.onerror?.(new Error(`ignored a line on stdin: ${(err as Error).message}: ${text.slice(0, 200)}`));
      return;
    }
    this.onmessage?.(message);
  }

  send(message: JSONRPCMessage): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("stdout is closed"));
    const line = JSON.stringify(message) + "\n";
    const write = this.#writes.then(() => rt.write(1, line));
    this.#writes = write.catch(() => {});
    return write;
  }

  /** Stops reading; waits for messages already queued on stdout. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#reader?.cancel().catch(() => {});
    await this.#writes;
    this.onclose?.();
  }
}
