/**
 * Operating-system errors, told apart by errno name on both runtimes. Deno throws its own classes
 * (`Deno.errors.NotFound`, `AddrInUse`: `code` set on recent versions), Bun and node:fs throw an Error
 * with `code`; their messages differ. Callers test `errnoOf(err)`, never a message.
 */

/** Deno's error class names, for a Deno error without `code`. */
const DENO_NAMES: Record<string, string> = {
  NotFound: "ENOENT",
  PermissionDenied: "EACCES",
  AlreadyExists: "EEXIST",
  AddrInUse: "EADDRINUSE",
  AddrNotAvailable: "EADDRNOTAVAIL",
  ConnectionRefused: "ECONNREFUSED",
  ConnectionReset: "ECONNRESET",
  NotADirectory: "ENOTDIR",
  IsADirectory: "EISDIR",
  NotSupported: "ENOTSUP",
};

/** The errno name (`ENOENT`, `EADDRINUSE`, ...) a thrown value carries, or undefined. */
export function errnoOf(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string" && /^E[A-Z0-9]+$/.test(code)) return code;
  return DENO_NAMES[err.name];
}

/** errnoOf(err) is one of `codes`. */
export function isErrno(err: unknown, ...codes: string[]): boolean {
  const code = errnoOf(err);
  return code !== undefined && codes.includes(code);
}

/**
 * An error of the runtime adapter with its errno name in `code` on both runtimes; the message is the
 * runtime's own (people read it), the cause the original error.
 */
export class OsError extends Error {
  constructor(readonly code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "OsError";
  }
}

/**
 * `err` with its errno name in `code`: an OsError when it carries one (or, with `fallback`, when it
 * carries none), else `err` unchanged.
 */
export function toOsError(err: unknown, fallback?: string): unknown {
  if (err instanceof OsError) return err;
  const code = errnoOf(err) ?? fallback;
  if (code === undefined) return err;
  return new OsError(code, err instanceof Error ? err.message : String(err), { cause: err });
}

/** A failure to serve on a Unix socket, with ENOTSUP when the runtime or platform has none. */
export function unixServeError(err: unknown): unknown {
  // Runtimes without Unix sockets (Deno on Windows, older Bun) say so only in words.
  if (errnoOf(err) === undefined && err instanceof Error && /unix|not supported/i.test(err.message)) {
    return new OsError("ENOTSUP", err.message, { cause: err });
  }
  return toOsError(err);
}
