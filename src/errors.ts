/** Base class for every error orch reports to a person; `exitCode` is what the CLI exits with. */
export class OrchError extends Error {
  exitCode = 1;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A config file that cannot be found, parsed or validated. */
export class ConfigError extends OrchError {
  override exitCode = 2;
}

/** No config file where orch looked (and none was named): hybrid mode runs without one. */
export class ConfigNotFoundError extends ConfigError {
  constructor(readonly looked: readonly string[]) {
    super(
      `No config found. orch looked in:\n${
        looked.map((p) => `  ${p}`).join("\n")
      }\nPass --config FILE or set ORCH_CONFIG (see "orch help config")`,
    );
  }
}

/** orch's cache folder cannot be created or written (`code` is the errno name, e.g. EACCES). */
export class CacheDirError extends ConfigError {
  constructor(readonly dir: string, readonly code: string | undefined, options?: { cause?: unknown }) {
    super(
      `cannot write to the cache folder "${dir}"${
        code ? ` (${code})` : ""
      }: set ORCH_CACHE_DIR (or the config's orchestrator.cacheDir) to a writable folder`,
      options,
    );
  }
}

/** Wrong command-line usage. */
export class UsageError extends OrchError {
  override exitCode = 2;
}

/** A run id that names no run, or several. */
export class UnknownRunError extends UsageError {}

/** A downstream MCP server that failed to start, answer or call a tool. */
export class UpstreamError extends OrchError {
  constructor(
    readonly server: string,
    message: string,
    options?: { cause?: unknown; stderrTail?: string },
  ) {
    super(message, options);
    this.stderrTail = options?.stderrTail;
  }
  readonly stderrTail: string | undefined;
}

/**
 * A call refused, by the run's scope (not allowed, budget spent, guard violated, approval denied) or by
 * the MCP client in hybrid mode (tool disabled, its call budget spent): the shim answers 403, policies
 * get ToolDenied. The message is `reason`.
 */
export class CallDeniedError extends OrchError {
  constructor(readonly server: string, readonly tool: string, readonly reason: string) {
    super(reason);
  }
}

/** A call made after, or cut short by, the run's abort (HTTP 409). */
export class RunAbortedError extends OrchError {
  constructor(readonly reason: string) {
    super(`[ABORTED] ${reason}`);
  }
}

/** The MCP client answered that the user aborted (hybrid mode): the whole run must end. */
export class UpstreamAbortedError extends OrchError {
  /** The client's words without the `[ABORTED]` prefix. */
  readonly reason: string;
  constructor(readonly server: string, text: string) {
    const reason = text.replace(/^\[ABORTED\]\s*/, "") || "aborted";
    super(`[ABORTED] ${reason}`);
    this.reason = reason;
  }
}

/** A tool the catalog does not know. */
export class UnknownToolError extends OrchError {
  constructor(
    readonly server: string,
    readonly tool: string,
    message: string,
  ) {
    super(message);
  }
}

export interface UnknownServerOptions {
  /** The known server the name is close to: named instead of the list. */
  near?: string;
  /** Who knows the servers listed: `configured` unless told (`the MCP client lists`). */
  listedAs?: string;
}

/** A server name that no config entry, catalog or MCP client knows. */
export class UnknownServerError extends OrchError {
  constructor(readonly server: string, known: readonly string[], opts?: UnknownServerOptions) {
    super(unknownServerMessage(server, known, opts));
  }
}

/** A failure of static introspection: a syntax error, a missing file, a timeout. */
export class IntrospectError extends OrchError {}

/** A policy run that could not be started or was refused. */
export class PolicyError extends OrchError {}

const LISTED = 8;

/** Up to eight names, comma-separated, with the count when there are more; `none` for none. */
export function listNames(names: readonly string[]): string {
  if (names.length === 0) return "none";
  const shown = names.slice(0, LISTED).join(", ");
  return names.length > LISTED ? `${shown}, ... (${names.length} in all)` : shown;
}

/** The one wording of "unknown server": names the close one when there is one, else lists the known servers. */
export function unknownServerMessage(
  servers: string | readonly string[],
  known: readonly string[],
  opts: UnknownServerOptions = {},
): string {
  const names = typeof servers === "string" ? [servers] : servers;
  const head = `unknown server${names.length === 1 ? "" : "s"} ${names.map((s) => JSON.stringify(s)).join(", ")}`;
  if (opts.near !== undefined) return `${head}; did you mean ${JSON.stringify(opts.near)}?`;
  return `${head} (${opts.listedAs ?? "configured"}: ${listNames(known)})`;
}

/** Text of any thrown value, for messages. */
export function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
