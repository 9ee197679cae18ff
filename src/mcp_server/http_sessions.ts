/**
 * The open MCP sessions of `orch serve --http`, with expiry. Real clients (Claude Code, the Inspector,
 * mcp-remote, the SDK's close()) never DELETE their session, so a session idle for `idleMs` with no
 * event stream open (its client is gone: a live SDK client keeps one, and a dead one's stream breaks on
 * the next keep-alive) is closed, and at the cap the session idle longest is closed to make room for a
 * new client, one without a stream first. A session with a request in flight, or that owns live work
 * (a run that answered `running` and goes on, a persistent session's process), is never closed here.
 */
import type { JSONRPCMessage, Transport } from "../deps/mcp_sdk.ts";

type RequestId = string | number;

/** One session as the table sees it. */
export interface TrackedSession {
  /** Ends the session (its server and transport). */
  close(): Promise<void>;
}

interface Entry<T extends TrackedSession> {
  session: T;
  lastActive: number;
  inflight: Set<RequestId>;
  /** Event streams open to the client (a GET stream, the old SSE transport's stream). */
  streams: number;
}

export interface SessionTableOptions {
  /** Most sessions open at once. */
  maxSessions: number;
  /** A session with no request in flight for this long is closed. */
  idleMs: number;
  /** Milliseconds now; injectable for tests. */
  now: () => number;
  /** True while session `id` owns live work no request is waiting on (its runs, its persistent sessions). */
  busy?: (id: string) => boolean;
  /** Told when a session is closed for being idle. */
  onExpire?: (id: string, why: "idle" | "evicted") => void;
}

/** Sessions by id, with their activity. */
export class SessionTable<T extends TrackedSession> {
  readonly #entries = new Map<string, Entry<T>>();

  constructor(readonly opts: SessionTableOptions) {}

  get size(): number {
    return this.#entries.size;
  }

  get(id: string): T | undefined {
    const entry = this.#entries.get(id);
    if (entry) entry.lastActive = this.opts.now();
    return entry?.session;
  }

  /** Request ids still unanswered in session `id`. */
  inflight(id: string): RequestId[] {
    return [...this.#entries.get(id)?.inflight ?? []];
  }

  add(id: string, session: T): void {
    this.#entries.set(id, { session, lastActive: this.opts.now(), inflight: new Set(), streams: 0 });
  }

  /** An event stream to session `id` opened; returns the function to call when it ends. */
  streamOpened(id: string): () => void {
    const entry = this.#entries.get(id);
    if (!entry) return () => {};
    entry.streams++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      entry.streams--;
      entry.lastActive = this.opts.now();
    };
  }

  delete(id: string): void {
    this.#entries.delete(id);
  }

  /** Counts requests in and answers out on `transport` (call after the server connected to it). */
  watch(id: () => string | undefined, transport: Transport): void {
    const entry = () => {
      const sid = id();
      return sid === undefined ? undefined : this.#entries.get(sid);
    };
    const receive = transport.onmessage;
    transport.onmessage = (message, extra) => {
      const e = entry();
      if (e) {
        e.lastActive = this.opts.now();
        const m = message as { id?: RequestId; method?: string; params?: { requestId?: RequestId } };
        if (m.method !== undefined && m.id !== undefined) e.inflight.add(m.id);
        // A cancelled request gets no answer: it no longer counts as in flight.
        if (m.method === "notifications/cancelled" && m.params?.requestId !== undefined) {
          e.inflight.delete(m.params.requestId);
        }
      }
      receive?.(message, extra);
    };
    const send = transport.send.bind(transport);
    transport.send = (message: JSONRPCMessage, options) => {
      const m = message as { id?: RequestId; method?: string };
      const e = entry();
      if (e && m.method === undefined && m.id !== undefined) {
        e.inflight.delete(m.id);
        e.lastActive = this.opts.now();
      }
      return send(message, options);
    };
  }

  /** Closes every session idle for `idleMs` or longer. */
  async sweep(): Promise<void> {
    const now = this.opts.now();
    const expired = [...this.#entries].filter(([id, e]) =>
      !this.#busy(id, e) && e.streams === 0 && now - e.lastActive >= this.opts.idleMs
    );
    await Promise.allSettled(expired.map(([id]) => this.#close(id, "idle")));
  }

  /**
   * Room for one more session: at the cap the session idle longest is closed, one whose client holds no
   * stream first. False when every session has a request in flight or owns live work.
   */
  async makeRoom(): Promise<boolean> {
    await this.sweep();
    if (this.#entries.size < this.opts.maxSessions) return true;
    let oldest: [string, Entry<T>] | undefined;
    const rank = (e: Entry<T>) => [e.streams > 0 ? 1 : 0, e.lastActive] as const;
    for (const pair of this.#entries) {
      if (this.#busy(...pair)) continue;
      const [a, b] = rank(pair[1]);
      const best = oldest && rank(oldest[1]);
      if (!best || a < best[0] || (a === best[0] && b < best[1])) oldest = pair;
    }
    if (!oldest) return false;
    await this.#close(oldest[0], "evicted");
    return true;
  }

  #busy(id: string, e: Entry<T>): boolean {
    return e.inflight.size > 0 || (this.opts.busy?.(id) ?? false);
  }

  async #close(id: string, why: "idle" | "evicted"): Promise<void> {
    const entry = this.#entries.get(id);
    if (!entry) return;
    this.#entries.delete(id);
    this.opts.onExpire?.(id, why);
    await entry.session.close();
  }

  /** Closes every session. */
  async closeAll(): Promise<void> {
    const all = [...this.#entries.values()];
    this.#entries.clear();
    await Promise.allSettled(all.map((e) => e.session.close()));
  }
}
