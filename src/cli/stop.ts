/** `orch stop ID` / `orch stop --all`: aborts runs of any orch process of this user, from any shell. */
import { readdirSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { errorText, UsageError } from "../errors.ts";
import { alive, boardDir, socketPath, type StopAnswer } from "../runs/board.ts";
import { findRun, viewOf } from "../runs/store.ts";
import { rt } from "../runtime/mod.ts";

export const STOP_HELP = `Usage: orch stop ID
       orch stop --all

Stops a run started by any orch process of this user (orch run or orch
serve): its further tool calls are refused, calls in flight are cancelled,
the config's onAbort calls (the robot's safe stop) go out, and the policy
is interrupted, then killed. Waits until the run has ended. ID may be a
prefix ("orch runs" lists the runs).

Options:
      --all     every active run of every orch process
  -h, --help    this help`;

/** Milliseconds to wait for a process to answer (the run's onAbort calls included). */
const ANSWER_MS = 30_000;

/** Sends one request to the control socket of process `pid` and returns its answer. */
export function control(dir: string, pid: number, req: unknown): Promise<StopAnswer & { error?: string }> {
  return new Promise((resolve, reject) => {
    const sock = connect(socketPath(dir, pid));
    let buf = "";
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`orch (pid ${pid}) did not answer within ${ANSWER_MS / 1000} s`));
    }, ANSWER_MS);
    sock.on("connect", () => sock.write(JSON.stringify(req) + "\n"));
    sock.on("data", (d) => buf += d.toString());
    sock.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    sock.on("end", () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(buf));
      } catch {
        reject(new Error(`orch (pid ${pid}) sent an answer that is not JSON`));
      }
    });
  });
}

/** The pids with a control socket whose process lives. */
function liveProcesses(dir: string): number[] {
  let names: string[] = [];
  try {
    names = readdirSync(join(dir, "procs"));
  } catch {
    // No board yet: no orch has run.
  }
  return names.map((n) => /^(\d+)\.sock$/.exec(n)?.[1]).filter((p) => p !== undefined).map(Number).filter(alive);
}

/** Runs `orch stop`; returns the exit code. */
export async function stopCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { all: { type: "boolean" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    await rt.write(1, STOP_HELP + "\n");
    return 0;
  }
  if (!!values.all === (positionals.length > 0) || positionals.length > 1) {
    throw new UsageError(`stop needs one run id or --all; see "orch stop --help"`);
  }
  const dir = boardDir();
  const say = (s: string) => rt.write(1, s + "\n");
  if (values.all) {
    const pids = liveProcesses(dir);
    if (pids.length === 0) {
      await say("no orch process is running: nothing to stop");
      return 0;
    }
    let stopped = 0;
    for (const pid of pids) {
      try {
        const a = await control(dir, pid, { op: "stop", all: true, reason: "stopped by orch stop --all" });
        for (const s of a.stopped) await say(`stopped run ${s.run_id} (orch pid ${pid}): ${s.status}`);
        stopped += a.stopped.length;
      } catch (err) {
        await rt.write(2, `orch: cannot reach orch (pid ${pid}): ${errorText(err)}\n`);
      }
    }
    if (stopped === 0) await say(`no active run in ${pids.length} orch process(es): nothing to stop`);
    return 0;
  }
  let entry;
  try {
    entry = findRun(dir, positionals[0]!);
  } catch (err) {
    if (liveProcesses(dir).length === 0) {
      throw new UsageError(`no orch process is running, and ${errorText(err)}`);
    }
    throw new UsageError(errorText(err));
  }
  const view = viewOf(entry, dir);
  if (view.status !== "running") {
    await say(`run ${entry.run_id} is not active (${view.status}): nothing to stop`);
    return 0;
  }
  const a = await control(dir, entry.pid, { op: "stop", run_id: entry.run_id, reason: "stopped by orch stop" });
  if (a.error) throw new UsageError(`orch (pid ${entry.pid}): ${a.error}`);
  const s = a.stopped[0];
  if (!s) {
    await say(`run ${entry.run_id} had already ended: nothing to stop`);
    return 0;
  }
  await say(`stopped run ${entry.run_id}: ${s.status}`);
  return 0;
}
