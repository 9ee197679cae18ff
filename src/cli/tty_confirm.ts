/**
 * Approvals for `orch run`: a call to a `confirm` tool is put to the person at the controlling
 * terminal (/dev/tty, so it works with stdout and stderr redirected), one question at a time.
 * Without a terminal the call is denied with a reason that names `--yes`.
 */
import { open } from "node:fs/promises";
import type { ConfirmHook } from "../shim/scope.ts";

/** Longest rendering of a call's arguments in the question. */
const MAX_ARGS_TEXT = 300;

type TtyHandle = Awaited<ReturnType<typeof open>>;

/** A hook that asks on the terminal, and `close()` to let go of it when the run is over. */
export interface TtyConfirm {
  hook: ConfirmHook;
  close(): Promise<void>;
}

/** The terminal approval hook; `yes` approves every call without asking. */
export function ttyConfirm(opts: { yes?: boolean } = {}): TtyConfirm {
  if (opts.yes) return { hook: () => Promise.resolve(true), close: () => Promise.resolve() };
  let tty: Promise<TtyHandle | string> | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  const openTty = () =>
    tty ??= open("/dev/tty", "r+").catch((err: { code?: string; message: string }) =>
      `no terminal to ask on (${err.code ?? err.message}); pass --yes to approve calls without asking`
    );

  const ask = async (server: string, tool: string, args: Record<string, unknown>): Promise<boolean | string> => {
    const fh = await openTty();
    if (typeof fh === "string") return `${server}.${tool} needs approval: ${fh}`;
    let shown = JSON.stringify(args);
    if (shown.length > MAX_ARGS_TEXT) shown = shown.slice(0, MAX_ARGS_TEXT) + "...";
    await fh.write(new TextEncoder().encode(`\norch: approve ${server}.${tool}(${shown})? [y/N] `));
    const buf = new Uint8Array(256);
    const { bytesRead } = await fh.read(buf, 0, buf.length, null);
    const answer = new TextDecoder().decode(buf.subarray(0, bytesRead)).trim().toLowerCase();
    if (answer === "y" || answer === "yes") return true;
    return `${server}.${tool} was not approved at the terminal`;
  };

  return {
    hook: (server, tool, args) => {
      const next = queue.then(() => ask(server, tool, args));
      queue = next.catch(() => {});
      return next;
    },
    async close() {
      const fh = await tty;
      if (fh && typeof fh !== "string") await fh.close().catch(() => {});
    },
  };
}
