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

/** Wrong command-line usage. */
export class UsageError extends OrchError {
  override exitCode = 2;
}

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

/** A call the MCP client refused (hybrid mode: tool disabled, or its call budget spent); policies get ToolDenied. */
export class UpstreamDeniedError extends OrchError {
  constructor(readonly server: string, readonly tool: string, readonly reason: string) {
    super(reason);
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

/** A policy run that could not be started or was refused. */
export class PolicyError extends OrchError {}

/** Text of any thrown value, for messages. */
export function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
