/** The few things orch needs from its host runtime; implemented once for Deno and once for Bun. */

export type Signal = "SIGINT" | "SIGTERM" | "SIGKILL" | "SIGHUP" | "SIGQUIT";
export type Stdio = "pipe" | "inherit" | "null";

export interface SpawnOptions {
  cmd: string;
  args: string[];
  cwd?: string;
  /** The child's whole environment: nothing is inherited beyond it. */
  env: Record<string, string>;
  stdin?: Stdio;
  stdout?: Stdio;
  stderr?: Stdio;
  /** Start the child in a new session and process group, so the whole group can be signalled. */
  newSession?: boolean;
}

export interface ExitStatus {
  code: number | null;
  signal: string | null;
}

export interface ChildProcess {
  readonly pid: number;
  readonly stdin: WritableStream<Uint8Array> | null;
  readonly stdout: ReadableStream<Uint8Array> | null;
  readonly stderr: ReadableStream<Uint8Array> | null;
  readonly exited: Promise<ExitStatus>;
  /** Signal the child; with `group`, its whole process group (needs `newSession`). Never throws. */
  kill(signal?: Signal, group?: boolean): void;
  /** Lets orch exit while this child still runs (e.g. the watchdog). */
  unref?(): void;
}

export interface ServeOptions {
  /** Serve on this Unix socket path (preferred). */
  unixPath?: string;
  /** Otherwise serve TCP on this host (127.0.0.1 unless told) and port (0 = any). */
  hostname?: string;
  port?: number;
  /**
   * Every answer is a whole body (no event streams), as the IPC shim's are: the runtime may serve it
   * with its lean HTTP/1.1 server (Bun: Bun.listen and http1.ts).
   */
  plain?: boolean;
  /**
   * One route the runtime's lean HTTP/1.1 server may answer without building a Request and a
   * Response (Bun: the shim's `POST /call_tool`); every other request still goes to `fetch`. A
   * runtime without such a server ignores it, so `fetch` must answer this route too.
   */
  direct?: DirectRoute;
}

/** A parsed request handed straight to a DirectRoute. */
export interface PlainRequest {
  method: string;
  /** The whole URL as `fetch` would see it (`http://localhost/call_tool`). */
  url: string;
  /** A header's value, several of one name joined by ", " as `Headers.get` does; null when absent. */
  header(name: string): string | null;
  body: Uint8Array;
}

/** A DirectRoute's answer: the status, the content type and the body as chunks written in turn. */
export interface PlainAnswer {
  status: number;
  contentType: string;
  body: Uint8Array[];
}

export interface DirectRoute {
  method: string;
  path: string;
  handle(req: PlainRequest): Promise<PlainAnswer>;
}

export interface Served {
  /** `unix:/path` or `http://host:port`. */
  readonly address: string;
  readonly port?: number;
  close(): Promise<void>;
}

export type FetchHandler = (req: Request) => Response | Promise<Response>;

export interface Runtime {
  readonly name: "deno" | "bun";
  readonly version: string;
  /** Command-line arguments after the program (and script, when not compiled). */
  args(): string[];
  env(name: string): string | undefined;
  envObject(): Record<string, string>;
  exit(code: number): never;
  /** Starts a child; a failure to start throws an OsError (`code`: ENOENT, EACCES, ...). */
  spawn(opts: SpawnOptions): ChildProcess;
  /** Serves `fetch`; a failure to listen rejects with an OsError (EADDRINUSE, ENOTSUP for no Unix sockets, ...). */
  serve(opts: ServeOptions, fetch: FetchHandler): Promise<Served>;
  /** Run `fn` on the signal; returns a function that removes the listener. */
  onSignal(signal: "SIGINT" | "SIGTERM" | "SIGHUP", fn: () => void): () => void;
  isatty(fd: 0 | 1 | 2): boolean;
  /** Path of the running executable (the compiled orch, or deno/bun). */
  execPath(): string;
  /** True when running as a compiled single binary. */
  isCompiled(): boolean;
  /** Write bytes to stdout or stderr, waiting until they are handed to the OS. */
  write(fd: 1 | 2, data: Uint8Array | string): Promise<void>;
  /** Stdin as a byte stream. */
  stdin(): ReadableStream<Uint8Array>;
  /**
   * Collects garbage now, where the runtime lets a program ask (Bun); a no-op elsewhere. For the
   * moment a large message starts: the copies the one before left are freed before new ones pile up.
   */
  collectGarbage(): void;
}
