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
        // One pass over the buffer, one copy of the rest: linear in the input.
        let from = 0;
        for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n", from)) {
          this.#handle(buf.slice(from, nl));
          from = nl + 1;
        }
        buf = from === 0 ? buf : buf.slice(from);
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
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      this.onerror?.(new Error(`a line on stdin is not JSON: ${(err as Error).message}: ${text.slice(0, 200)}`));
      this.#refuse(null, -32700, `Parse error: ${(err as Error).message}`);
      return;
    }
    const parsed = JSONRPCMessageSchema.safeParse(json);
    if (!parsed.success) {
      this.onerror?.(new Error(`a line on stdin is not a JSON-RPC 2.0 message: ${text.slice(0, 200)}`));
      const id = (json as { id?: unknown } | null)?.id;
      this.#refuse(
        typeof id === "string" || typeof id === "number" ? id : null,
        -32600,
        "Invalid Request: not a JSON-RPC 2.0 message",
      );
      return;
    }
    this.onmessage?.(parsed.data);
  }

  /** The JSON-RPC error answer to a line that is not a message (JSON-RPC 2.0, section 5.1). */
  #refuse(id: string | number | null, code: number, message: string): void {
    this.send({ jsonrpc: "2.0", id, error: { code, message } } as unknown as JSONRPCMessage).catch(() => {});
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
