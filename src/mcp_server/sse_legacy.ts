/**
 * The old HTTP+SSE transport (MCP 2024-11-05), for clients that speak only it (`--transport sse`):
 * GET /sse opens an event stream whose first event names the POST endpoint (`/messages?sessionId=ID`);
 * each POST carries one JSON-RPC message, is answered 202, and the answer travels on the stream.
 * Web-standard streams, so it runs inside the Hono app on every runtime.
 */
import { type JSONRPCMessage, JSONRPCMessageSchema, type Transport } from "../deps/mcp_sdk.ts";

const enc = new TextEncoder();
/** A comment line every so often, so a client that went away is noticed by a failed write. */
const KEEPALIVE_MS = 25_000;

/** One legacy SSE session. */
export class LegacySseTransport implements Transport {
  readonly sessionId = crypto.randomUUID();
  readonly stream: ReadableStream<Uint8Array>;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #closed = false;
  #keepalive: ReturnType<typeof setInterval> | undefined;

  constructor(readonly endpoint: string) {
    this.stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
      },
      // The client dropped the stream: the session ends, which aborts its requests in flight.
      cancel: () => void this.close(),
    });
  }

  start(): Promise<void> {
    this.#write(`event: endpoint\ndata: ${this.endpoint}?sessionId=${this.sessionId}\n\n`);
    this.#keepalive = setInterval(() => this.#write(": keepalive\n\n"), KEEPALIVE_MS);
    return Promise.resolve();
  }

  /** A POSTed body: one message or a batch. Returns why it was refused, or undefined. */
  receive(body: unknown): string | undefined {
    const messages = Array.isArray(body) ? body : [body];
    const parsed = messages.map((m) => JSONRPCMessageSchema.safeParse(m));
    if (parsed.some((p) => !p.success)) return "not a JSON-RPC 2.0 message";
    for (const p of parsed) this.onmessage?.(p.data!);
    return undefined;
  }

  send(message: JSONRPCMessage): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("the SSE stream is closed"));
    this.#write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
    return Promise.resolve();
  }

  #write(text: string): void {
    try {
      this.#controller.enqueue(enc.encode(text));
    } catch {
      void this.close();
    }
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    clearInterval(this.#keepalive);
    try {
      this.#controller.close();
    } catch {
      // Already cancelled by the client.
    }
    this.onclose?.();
    return Promise.resolve();
  }
}
