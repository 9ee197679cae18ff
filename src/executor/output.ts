/**
 * Collects a run's output: every byte to a log file, and up to a cap in
 * memory as head + tail with a marker where the middle was cut.
 */
import { closeSync, openSync, writeSync } from "node:fs";

const dec = new TextDecoder();

/** One stream's capture (stdout or stderr). */
export class OutputCapture {
  #head: Uint8Array[] = [];
  #headBytes = 0;
  #tail: Uint8Array[] = [];
  #tailBytes = 0;
  #total = 0;
  readonly #headCap: number;
  readonly #tailCap: number;

  constructor(readonly cap: number) {
    this.#headCap = Math.floor(cap / 2);
    this.#tailCap = cap - this.#headCap;
  }

  /** Bytes seen so far. */
  get total(): number {
    return this.#total;
  }

  push(chunk: Uint8Array): void {
    this.#total += chunk.length;
    if (this.#headBytes < this.#headCap) {
      const take = Math.min(chunk.length, this.#headCap - this.#headBytes);
      this.#head.push(chunk.subarray(0, take));
      this.#headBytes += take;
      chunk = chunk.subarray(take);
      if (!chunk.length) return;
    }
    this.#tail.push(chunk);
    this.#tailBytes += chunk.length;
    while (this.#tailBytes - (this.#tail[0]?.length ?? 0) >= this.#tailCap) {
      this.#tailBytes -= this.#tail.shift()!.length;
    }
  }

  /** The kept text; `logPath` is named in the marker when the middle was cut. */
  text(logPath?: string): string {
    const head = dec.decode(concat(this.#head));
    let tail = concat(this.#tail);
    const cut = this.#total - this.#headBytes - Math.min(this.#tailBytes, this.#tailCap);
    if (tail.length > this.#tailCap) tail = tail.subarray(tail.length - this.#tailCap);
    if (cut <= 0) return head + dec.decode(tail);
    const where = logPath ? `; full output in ${logPath}` : "";
    return `${head}\n[... ${cut} bytes cut${where} ...]\n${dec.decode(tail)}`;
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Appends to a log file synchronously (small writes, no interleaving between streams), up to a cap. */
export class RunLog {
  #fd: number | undefined;
  #written = 0;
  /** `cap`: bytes kept; past it one marker line is written and the rest dropped (the disk is not the policy's). */
  constructor(readonly path: string, readonly cap = Number.POSITIVE_INFINITY) {
    try {
      this.#fd = openSync(path, "a", 0o600);
    } catch {
      this.#fd = undefined;
    }
  }

  /** True once the cap was reached. */
  get full(): boolean {
    return this.#written >= this.cap;
  }

  write(chunk: Uint8Array): void {
    if (this.#fd === undefined || this.full) return;
    const room = this.cap - this.#written;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.#written += part.length;
    try {
      writeSync(this.#fd, part);
      if (this.full) writeSync(this.#fd, new TextEncoder().encode(`\n[orch: log cut at ${this.cap} bytes]\n`));
    } catch {
      // Disk full: keep running; the in-memory capture still has head and tail.
    }
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}
