/**
 * The operator's board: every orch process of this user lists its runs in one private folder, and
 * answers `orch stop` on its own control socket there.
 *
 *   $ORCH_RUNTIME_DIR, else $XDG_RUNTIME_DIR/orch, else /tmp/orch-<uid>   (0700, owned by the user)
 *     runs/<run id>.json   one small entry per run: who started it, when, and its run folder
 *     procs/<pid>.sock     the control socket of one orch process (newline-delimited JSON)
 *
 * The journal in the run folder is the truth about a run; the entry only says where it is and which
 * process owns it, so runs of an orch that exited (or was killed) are still listed.
 */
import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { errorText, OrchError } from "../errors.ts";
import { pidAlive } from "../runtime/pid.ts";
import { currentUid } from "../contain/proc.ts";
import { rt } from "../runtime/mod.ts";

/** One run as the board lists it. */
export interface BoardEntry {
  run_id: string;
  pid: number;
  by: "run" | "serve";
  started: string;
  title: string;
  /** The run folder: journal.jsonl and output.log. */
  folder: string;
}

/** A control request: stop one run, or every run of the process. */
export type ControlRequest = { op: "stop"; run_id?: string; all?: boolean; reason?: string } | { op: "ping" };

/** What a process answers a stop with. */
export interface StopAnswer {
  stopped: { run_id: string; status: string }[];
  unknown?: string[];
}

/** Stops a run and resolves once it has ended, with its status. */
export type StopRun = (reason: string) => Promise<string>;

/** The board folder for this user (created 0700; refused when someone else could read it). */
export function boardDir(create = true): string {
  const uid = currentUid();
  const explicit = rt.env("ORCH_RUNTIME_DIR");
  const xdg = rt.env("XDG_RUNTIME_DIR");
  const dir = explicit || (xdg ? join(xdg, "orch") : join(tmpdir(), `orch-${uid ?? "user"}`));
  if (!create) return dir;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (!st.isDirectory() || (uid !== undefined && st.uid !== uid)) {
    throw new OrchError(`the run board ${dir} is not a folder of this user; set ORCH_RUNTIME_DIR to another`);
  }
  if ((st.mode & 0o077) !== 0) chmodSync(dir, 0o700);
  for (const sub of ["runs", "procs"]) mkdirSync(join(dir, sub), { recursive: true, mode: 0o700 });
  return dir;
}

/** The control socket of process `pid`. */
export function socketPath(dir: string, pid: number): string {
  return join(dir, "procs", `${pid}.sock`);
}

/** True when process `pid` exists. */
export const alive = pidAlive;

/** Every entry on the board, oldest first; unreadable entries are skipped. */
export function boardEntries(dir: string): BoardEntry[] {
  let names: string[];
  try {
    names = readdirSync(join(dir, "runs")).filter((n) => n.endsWith(".json"));
  } catch {
    return [];
  }
  const out: BoardEntry[] = [];
  for (const n of names) {
    try {
      out.push(JSON.parse(readFileSync(join(dir, "runs", n), "utf8")));
    } catch {
      // Half-written or removed meanwhile.
    }
  }
  return out.sort((a, b) => a.started.localeCompare(b.started));
}

/** Removes a run's entry (retention). */
export function dropEntry(dir: string, runId: string): void {
  rmSync(join(dir, "runs", `${runId}.json`), { force: true });
}

/** This process's runs on the board and its control socket. */
export class RunBoard {
  readonly #runs = new Map<string, StopRun>();
  #dir: string | undefined;
  #server: Server | undefined;
  #warned = false;

  constructor(readonly warn: (line: string) => void = () => {}) {}

  /** Lists a run and makes it stoppable from other shells; the returned function takes it off the live list. */
  add(entry: Omit<BoardEntry, "pid" | "started">, stop: StopRun): () => void {
    try {
      const dir = this.#dir ??= boardDir();
      const full: BoardEntry = { ...entry, pid: process.pid, started: new Date().toISOString() };
      writeFileSync(join(dir, "runs", `${entry.run_id}.json`), JSON.stringify(full), { mode: 0o600 });
      this.#listen(dir);
    } catch (err) {
      // The board is for people at the workstation; a run never fails because of it.
      if (!this.#warned) this.warn(`orch runs / orch stop will not see this process: ${errorText(err)}`);
      this.#warned = true;
    }
    this.#runs.set(entry.run_id, stop);
    return () => this.#runs.delete(entry.run_id);
  }

  #listen(dir: string): void {
    if (this.#server) return;
    const path = socketPath(dir, process.pid);
    rmSync(path, { force: true });
    const server = createServer((sock) => this.#serve(sock));
    server.on("error", (err) => this.warn(`control socket ${path}: ${errorText(err)}`));
    server.listen(path);
    server.unref?.();
    this.#server = server;
  }

  #serve(sock: Socket): void {
    let buf = "";
    sock.on("error", () => {});
    sock.on("data", (d) => {
      buf += d.toString();
      if (buf.length > 65536) return sock.destroy();
      const nl = buf.indexOf("\n");
      if (nl < 0) return;
      let req: ControlRequest;
      try {
        req = JSON.parse(buf.slice(0, nl));
      } catch {
        sock.end(JSON.stringify({ error: "not JSON" }) + "\n");
        return;
      }
      this.#answer(req).then(
        (a) => sock.end(JSON.stringify(a) + "\n"),
        (err) => sock.end(JSON.stringify({ error: errorText(err) }) + "\n"),
      );
    });
  }

  async #answer(req: ControlRequest): Promise<unknown> {
    if (req.op === "ping") return { pid: process.pid, runs: [...this.#runs.keys()] };
    if (req.op !== "stop") return { error: `unknown op` };
    const reason = req.reason ?? "stopped by orch stop";
    const ids = req.all ? [...this.#runs.keys()] : req.run_id ? [req.run_id] : [];
    const answer: StopAnswer = { stopped: [] };
    await Promise.all(ids.map(async (id) => {
      const stop = this.#runs.get(id);
      if (!stop) {
        (answer.unknown ??= []).push(id);
        return;
      }
      answer.stopped.push({ run_id: id, status: await stop(reason) });
    }));
    return answer;
  }

  /** Ids of this process's runs still going. */
  active(): Set<string> {
    return new Set(this.#runs.keys());
  }

  /** The board folder, or undefined when it cannot be used. */
  get dir(): string | undefined {
    try {
      return this.#dir ??= boardDir();
    } catch {
      return undefined;
    }
  }

  /** Closes the control socket. */
  close(): void {
    if (!this.#server || !this.#dir) return;
    this.#server.close();
    rmSync(socketPath(this.#dir, process.pid), { force: true });
    this.#server = undefined;
  }
}
