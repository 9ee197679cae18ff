/** `orch run policy.py`: runs a policy from a shell with live output and the policy's exit code. */
import { readFileSync } from "node:fs";
import process from "node:process";
import { parseArgs } from "node:util";
import { UsageError } from "../errors.ts";
import { Session } from "../session.ts";
import { rt } from "../runtime/mod.ts";
import { withContext } from "./context.ts";

export const RUN_HELP = `Usage: orch run [options] POLICY.py [-- ARGS...]
       orch run [options] -            (policy on stdin)

Runs a Python policy that calls MCP tools as server__tool(...) functions.
Servers start when the policy first calls them. Exit status is the policy's;
124 on timeout, 130 when interrupted (Ctrl-C: the policy gets
KeyboardInterrupt, then its process group is killed after 2 s).

Options:
  -c, --config FILE    config file (default: see "orch help config")
  -t, --timeout SECS   wall-clock limit (default 3600, or limits.timeout)
      --allow GLOB     only these tools, as server/tool globs (repeatable)
      --refresh        re-discover tools instead of using the cache
  -v, --verbose        say which config, catalog and run folder are used
  -h, --help           this help`;

/** Writes chunks to one fd strictly in order, without blocking the caller. */
function orderedWriter(fd: 1 | 2) {
  let chain = Promise.resolve();
  const write = (chunk: Uint8Array) => {
    chain = chain.then(() => rt.write(fd, chunk)).catch(() => {});
  };
  return { write, flush: () => chain };
}

/** Runs `orch run`; returns the exit code. */
export async function runCommand(argv: string[]): Promise<number> {
  const dashdash = argv.indexOf("--");
  const own = dashdash >= 0 ? argv.slice(0, dashdash) : argv;
  const extra = dashdash >= 0 ? argv.slice(dashdash + 1) : [];
  const { values, positionals } = parseArgs({
    args: own,
    allowPositionals: true,
    options: {
      config: { type: "string", short: "c" },
      timeout: { type: "string", short: "t" },
      allow: { type: "string", multiple: true },
      refresh: { type: "boolean" },
      verbose: { type: "boolean", short: "v" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    await rt.write(1, RUN_HELP + "\n");
    return 0;
  }
  const [file, ...rest] = positionals;
  if (!file) throw new UsageError(`run needs a policy file (or - for stdin); see "orch run --help"`);
  const args = [...rest, ...extra];
  let timeoutSec: number | undefined;
  if (values.timeout !== undefined) {
    timeoutSec = Number(values.timeout);
    if (!Number.isFinite(timeoutSec) || timeoutSec <= 0) {
      throw new UsageError(`--timeout must be a positive number of seconds, not "${values.timeout}"`);
    }
  }
  let code: string;
  if (file === "-") {
    code = await new Response(rt.stdin()).text();
  } else {
    try {
      code = readFileSync(file, "utf8");
    } catch (err) {
      const e = err as { code?: string; message: string };
      throw new UsageError(
        `cannot read policy "${file}": ${e.code === "ENOENT" ? "no such file" : e.code ?? e.message}`,
      );
    }
  }

  return await withContext(values.config, async (ctx) => {
    const out = orderedWriter(1);
    const err = orderedWriter(2);
    const say = (s: string) => err.write(new TextEncoder().encode(`orch: ${s}\n`));
    const session = new Session({ config: ctx.config, source: ctx.source, cacheDir: ctx.cacheDir });
    const catalog = await session.catalog({ refresh: values.refresh });
    for (const s of catalog.servers) {
      if (s.status === "failed") say(`warning: server ${s.server} failed: ${s.error}`);
    }
    const api = session.api(catalog);
    for (const w of api.warnings) say(`warning: ${w}`);
    if (values.verbose) {
      say(`config ${ctx.config.path}`);
      say(`api ${api.dir}`);
    }
    const ac = new AbortController();
    let interrupts = 0;
    const onInterrupt = () => {
      interrupts++;
      if (interrupts === 1) ac.abort("interrupted (Ctrl-C)");
    };
    const offs = [
      rt.onSignal("SIGINT", onInterrupt),
      rt.onSignal("SIGTERM", () => ac.abort("terminated (SIGTERM)")),
      rt.onSignal("SIGHUP", () => ac.abort("terminal closed (SIGHUP)")),
    ];
    try {
      const result = await session.run({
        code,
        path: file === "-" ? undefined : file,
        args,
        timeoutSec,
        allow: values.allow,
        cwd: process.cwd(),
        signal: ac.signal,
        onStdout: out.write,
        onStderr: err.write,
      });
      if (result.status === "timeout") say(`run ${result.reason}`);
      if (result.status === "aborted") say(`run aborted: ${result.reason}`);
      if (values.verbose) say(`run ${result.runId}: ${result.status}, ${result.calls} calls, ${result.durationMs} ms`);
      await out.flush();
      await err.flush();
      return result.returncode;
    } finally {
      for (const off of offs) off();
      await session.host.close();
    }
  }, { ownSignals: true });
}
