/**
 * A pids cgroup per run, where orch may create one (root, or a delegated cgroup v2 subtree). It
 * bounds the run's processes even when the policy runs as root (RLIMIT_NPROC does not apply to
 * uid 0), and it names every process of the run, so none survives it: not even one that called
 * setsid() to leave the process group.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { rt } from "../runtime/mod.ts";
import { pidAlive, signalAll } from "./proc.ts";

export interface PidsCgroupSupport {
  available: boolean;
  version?: 1 | 2;
  /** The cgroup folder runs' cgroups are made in. */
  parent?: string;
  /** Why it is not available, in words. */
  reason?: string;
}

const PREFIX = "orch-";

function read(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** Where orch's own pids cgroup lives, from /proc/self/cgroup and the mount table. */
function locate(): { version: 1 | 2; parent: string } | string {
  const own = read("/proc/self/cgroup");
  const mounts = read("/proc/self/mountinfo");
  if (own === undefined || mounts === undefined) return "no /proc/self/cgroup (not Linux)";
  let v1: string | undefined;
  let v2: string | undefined;
  for (const line of mounts.split("\n")) {
    const [pre, post] = line.split(" - ");
    if (!pre || !post) continue;
    const mountPoint = pre.split(" ")[4];
    const [fsType, , opts] = post.split(" ");
    if (fsType === "cgroup" && opts?.split(",").includes("pids")) v1 = mountPoint;
    if (fsType === "cgroup2") v2 ??= mountPoint;
  }
  for (const line of own.trim().split("\n")) {
    const [, controllers, path] = line.split(":");
    if (path === undefined) continue;
    if (v1 && controllers?.split(",").includes("pids")) return { version: 1, parent: join(v1, path) };
  }
  const unified = own.trim().split("\n").find((l) => l.startsWith("0::"));
  if (v2 && unified) {
    const dir = join(v2, unified.slice(3));
    const enabled = read(join(dir, "cgroup.subtree_control"))?.split(/\s+/) ?? [];
    if (enabled.includes("pids")) return { version: 2, parent: dir };
    return `the pids controller is not enabled for orch's cgroup (${dir})`;
  }
  return "no pids cgroup controller is mounted";
}

let probed: Promise<PidsCgroupSupport> | undefined;

/** Whether runs get a pids cgroup; probed once per process by really putting a process in one. */
export function probePidsCgroup(): Promise<PidsCgroupSupport> {
  probed ??= (async (): Promise<PidsCgroupSupport> => {
    if (rt.env("ORCH_NO_CGROUP") === "1") return { available: false, reason: "ORCH_NO_CGROUP=1" };
    const where = locate();
    if (typeof where === "string") return { available: false, reason: where };
    cleanStale(where.parent);
    const group = PidsCgroup.create(where, `probe-${crypto.randomUUID().slice(0, 8)}`, 8);
    if (typeof group === "string") return { available: false, reason: group };
    try {
      const [cmd, ...args] = group.wrap(["true"]);
      const child = rt.spawn({ cmd: cmd!, args, env: { PATH: "/usr/bin:/bin" }, stderr: "null", stdout: "null" });
      const status = await child.exited;
      if (status.code !== 0) return { available: false, reason: `cannot move a process into ${group.dir}` };
      return { available: true, version: where.version, parent: where.parent };
    } catch (err) {
      return { available: false, reason: `cannot start /bin/sh: ${(err as Error).message}` };
    } finally {
      await group.close();
    }
  })();
  return probed;
}

/** Removes run cgroups of orch processes that are gone (rmdir fails on one that still has tasks). */
function cleanStale(parent: string): void {
  let names: string[];
  try {
    names = readdirSync(parent).filter((n) => n.startsWith(PREFIX));
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(name.slice(PREFIX.length).split("-")[0]);
    if (!Number.isSafeInteger(pid) || pidAlive(pid)) continue;
    try {
      rmdirSync(join(parent, name));
    } catch {
      // Still has tasks, or raced with another cleaner.
    }
  }
}

/** One run's pids cgroup. */
export class PidsCgroup {
  private constructor(readonly dir: string, readonly version: 1 | 2) {}

  /** Makes `<parent>/orch-<pid>-<name>` with pids.max = `max`; a string says why it could not. */
  static create(where: { version: 1 | 2; parent: string }, name: string, max: number): PidsCgroup | string {
    const dir = join(where.parent, `${PREFIX}${process.pid}-${name}`);
    try {
      mkdirSync(dir);
    } catch (err) {
      return `cannot create ${dir}: ${(err as Error).message}`;
    }
    const group = new PidsCgroup(dir, where.version);
    try {
      writeFileSync(join(dir, "pids.max"), String(max));
    } catch (err) {
      void group.close();
      return `cannot set pids.max in ${dir}: ${(err as Error).message}`;
    }
    return group;
  }

  /** `argv` behind a shell that joins the cgroup first, so everything it starts is counted and killable. */
  wrap(argv: readonly string[]): string[] {
    const script = 'echo $$ > "$0" || { echo "orch: cannot join the pids cgroup $0" >&2; exit 126; }; exec "$@"';
    return ["/bin/sh", "-c", script, join(this.dir, "cgroup.procs"), ...argv];
  }

  /** Pids still in the cgroup. */
  members(): number[] {
    const text = read(join(this.dir, "cgroup.procs")) ?? "";
    return text.split("\n").filter((l) => l !== "").map(Number);
  }

  /** How often the limit refused a fork (v1 and v2 both keep it in pids.events). */
  refusals(): number {
    return Number(/max (\d+)/.exec(read(join(this.dir, "pids.events")) ?? "")?.[1] ?? 0);
  }

  /** SIGKILLs every process in the cgroup until it is empty (bounded: about 2 s). */
  async killAll(): Promise<void> {
    const kill = join(this.dir, "cgroup.kill");
    if (this.version === 2 && existsSync(kill)) {
      try {
        writeFileSync(kill, "1");
      } catch {
        // Older kernel: fall back to the loop.
      }
    }
    for (let i = 0; i < 100; i++) {
      const left = this.members();
      if (left.length === 0) return;
      signalAll(left, "SIGKILL");
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Kills what is left and removes the cgroup. Idempotent. */
  async close(): Promise<void> {
    await this.killAll();
    for (let i = 0; i < 50; i++) {
      try {
        rmdirSync(this.dir);
        return;
      } catch (err) {
        if ((err as { code?: string }).code === "ENOENT") return;
        // EBUSY while the last tasks are reaped.
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }
}
