/** Terminal styling: colour only when the stream is a TTY and NO_COLOR is unset. */
import { rt } from "../runtime/mod.ts";

export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
}

const plain: Style = { bold: (s) => s, dim: (s) => s, red: (s) => s, green: (s) => s, yellow: (s) => s };

const wrap = (open: number, close: number) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`;

const ansi: Style = {
  bold: wrap(1, 22),
  dim: wrap(2, 22),
  red: wrap(31, 39),
  green: wrap(32, 39),
  yellow: wrap(33, 39),
};

/** The style for stdout (fd 1) or stderr (fd 2). */
export function styleFor(fd: 1 | 2): Style {
  if (rt.env("NO_COLOR") !== undefined || rt.env("TERM") === "dumb") return plain;
  if (rt.env("FORCE_COLOR")) return ansi;
  return rt.isatty(fd) ? ansi : plain;
}
