/**
 * A cgroup per run, where orch may create one (root, or a delegated cgroup v2 subtree): `pids`
 * bounds the run's processes even when the policy runs as root (RLIMIT_NPROC does not apply to
 * uid 0, and it is shared by every run of one uid), `memory` bounds all memory the run holds
 * (memfd files, shared memory and tmpfs included, which RLIMIT_AS does not count). The cgroup also
 * names every process of the run, so none survives it: not even one that called setsid().
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { rt } from "../runtime/mod.ts";
import { unwatchCgroup, watchCgroup } from "../runtime/watchdog.ts";
import { signalAll } from "./proc.ts";
import { pidAlive } from "../runtime/pid.ts";
import { delay } from "../runtime/delay.ts";

export type Controller = "pids" | "memory";

/** Where one controller's run cgroups are made. */
export interface CgroupPlace {
  version: 1 | 2;
  /** The cgroup folder runs' cgroups are made in. */
  parent: string;
}

export interface CgroupSupport {
  available: boolean;
  version?: 1 | 2;
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

/** Where orch's own cgroup of `controller` lives, from /proc/self/cgroup and the mount table. */
function locate(controller: Controller): CgroupPlace | string {
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
    if (fsType === "cgroup" && opts?.split(",").includes(controller)) v1 = mountPoint;
    if (fsType === "cgroup2") v2 ??= mountPoint;
  }
  for (const line of own.trim().split("\n")) {
    const [, controllers, path] = line.split(":");
    if (path === undefined) continue;
    if (v1 && controllers?.split(",").includes(controller)) return { version: 1, parent: join(v1, path) };
  }
  const unified = own.trim().split("\n").find((l) => l.startsWith("0::"));
  if (v2 && unified) {
    const dir = join(v2, unified.slice(3));
    const enabled = read(join(dir, "cgroup.subtree_control"))?.split(/\s+/) ?? [];
    if (enabled.includes(controller)) return { version: 2, parent: dir };
    return `the ${controller} controller is not enabled for orch's cgroup (${dir}/cgroup.subtree_control)`;
  }
  return `no ${controller} cgroup controller is mounted`;
}

let probed: Promise<Record<Controller, CgroupSupport>> | undefined;

/** Which run cgroups orch can make here; probed once per process by really putting a process in one. */
export function probeCgroups(): Promise<Record<Controller, CgroupSupport>> {
  probed ??= Promise.all([probeOne("pids"), probeOne("memory")]).then(([pids, memory]) => ({ pids, memory }));
  return probed;
}

/** Whether runs get a pids cgroup. */
export async function probePidsCgroup(): Promise<CgroupSupport> {
  return (await probeCgroups()).pids;
}

/** Whether runs get a memory cgroup. */
export async function probeMemoryCgroup(): Promise<CgroupSupport> {
  return (await probeCgroups()).memory;
}

async function probeOne(controller: Controller): Promise<CgroupSupport> {
  if (rt.env("ORCH_NO_CGROUP") === "1") return { available: false, reason: "ORCH_NO_CGROUP=1" };
  const where = locate(controller);
  if (typeof where === "string") return { available: false, reason: where };
  cleanStale(where.parent);
  const limits = controller === "pids" ? { pids: 8 } : { memoryBytes: 64 * 1024 * 1024 };
  const group = RunCgroup.create({ [controller]: where }, `probe-${crypto.randomUUID().slice(0, 8)}`, limits);
  if (typeof group === "string") return { available: false, reason: group };
  try {
    const [cmd, ...args] = group.wrap(["true"]);
    const child = rt.spawn({ cmd: cmd!, args, env: { PATH: "/usr/bin:/bin" }, stderr: "null", stdout: "null" });
    const status = await child.exited;
    if (status.code !== 0) return { available: false, reason: `cannot move a process into ${group.dirs.join(", ")}` };
    return { available: true, version: where.version, parent: where.parent };
  } catch (err) {
    return { available: false, reason: `cannot start /bin/sh: ${(err as Error).message}` };
  } finally {
    await group.close();
  }
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

export interface CgroupLimits {
  /** pids.max */
  pids?: number;
  /** memory.max (v2) / memory.limit_in_bytes (v1), with swap use forbidden where the kernel accounts it. */
  memoryBytes?: number;
}

/** Writes `value` to each file in turn until one takes it; false when none did. */
function writeFirst(dir: string, files: string[], value: string): boolean {
  for (const f of files) {
    try {
      writeFileSync(join(dir, f), value);
      return true;
    } catch {
      // Try the next spelling.
    }
  }
  return false;
}

/** One run's cgroups (one folder per hierarchy: one on cgroup v2, one per controller on v1). */
export class RunCgroup {
  private constructor(
    readonly dirs: string[],
    readonly version: 1 | 2,
    readonly controllers: Partial<Record<Controller, string>>,
  ) {}

  /** Makes `<parent>/orch-<pid>-<name>` per place with the given limits; a string says why it could not. */
  static create(
    places: Partial<Record<Controller, CgroupPlace>>,
    name: string,
    limits: CgroupLimits,
  ): RunCgroup | string {
    const controllers: Partial<Record<Controller, string>> = {};
    const dirs: string[] = [];
    let version: 1 | 2 = 2;
    for (const [controller, place] of Object.entries(places) as [Controller, CgroupPlace][]) {
      const dir = join(place.parent, `${PREFIX}${process.pid}-${name}`);
      controllers[controller] = dir;
      if (place.version === 1) version = 1;
      if (dirs.includes(dir)) continue;
      try {
        mkdirSync(dir);
        dirs.push(dir);
      } catch (err) {
        void new RunCgroup(dirs, version, controllers).close();
        return `cannot create ${dir}: ${(err as Error).message}`;
      }
    }
    const group = new RunCgroup(dirs, version, controllers);
    const fail = (what: string) => {
      void group.close();
      return what;
    };
    if (limits.pids !== undefined && controllers.pids) {
      if (!writeFirst(controllers.pids, ["pids.max"], String(limits.pids))) {
        return fail(`cannot set pids.max in ${controllers.pids}`);
      }
    }
    const mem = controllers.memory;
    if (limits.memoryBytes !== undefined && mem) {
      const bytes = String(limits.memoryBytes);
      if (!writeFirst(mem, ["memory.max", "memory.limit_in_bytes"], bytes)) {
        return fail(`cannot set the memory limit in ${mem}`);
      }
      // No swap: memory pushed to swap would escape the bound (absent when swap is not accounted).
      writeFirst(mem, ["memory.swap.max"], "0");
      writeFirst(mem, ["memory.memsw.limit_in_bytes"], bytes);
    }
    // Should orch die, its watchdog kills what the cgroups still hold.
    for (const dir of dirs) watchCgroup(join(dir, "cgroup.procs"));
    return group;
  }

  /** `argv` behind a shell that joins the cgroups first, so everything it starts is counted and killable. */
  wrap(argv: readonly string[]): string[] {
    const procs = this.dirs.map((d) => join(d, "cgroup.procs"));
    const join1 = 'for f in "$@"; do [ "$f" = -- ] && break; echo $$ > "$f" || ' +
      '{ echo "orch: cannot join the cgroup $f" >&2; exit 126; }; done; ' +
      'while [ "$1" != -- ]; do shift; done; shift; exec "$@"';
    return ["/bin/sh", "-c", join1, "orch-cgroup", ...procs, "--", ...argv];
  }

  /** Pids still in the cgroups. */
  members(): number[] {
    const all = new Set<number>();
    for (const dir of this.dirs) {
      for (const l of (read(join(dir, "cgroup.procs")) ?? "").split("\n")) if (l !== "") all.add(Number(l));
    }
    return [...all];
  }

  /** How often the process limit refused a fork (v1 and v2 both keep it in pids.events). */
  refusals(): number {
    const dir = this.controllers.pids;
    return dir ? Number(/max (\d+)/.exec(read(join(dir, "pids.events")) ?? "")?.[1] ?? 0) : 0;
  }

  /** Processes the kernel killed because the run hit its memory limit. */
  oomKills(): number {
    const dir = this.controllers.memory;
    if (!dir) return 0;
    const text = read(join(dir, this.version === 2 ? "memory.events" : "memory.oom_control")) ?? "";
    return Number(/^oom_kill (\d+)/m.exec(text)?.[1] ?? 0);
  }

  /** Most memory the run held at once, in bytes (undefined where the kernel does not say). */
  peakMemory(): number | undefined {
    const dir = this.controllers.memory;
    if (!dir) return undefined;
    const text = read(join(dir, "memory.peak")) ?? read(join(dir, "memory.max_usage_in_bytes"));
    return text === undefined ? undefined : Number(text.trim());
  }

  /** SIGKILLs every process in the cgroups until they are empty (bounded: about 2 s). */
  async killAll(): Promise<void> {
    for (const dir of this.dirs) {
      const kill = join(dir, "cgroup.kill");
      if (this.version === 2 && existsSync(kill)) {
        try {
          writeFileSync(kill, "1");
        } catch {
          // Older kernel: fall back to the loop.
        }
      }
    }
    for (let i = 0; i < 100; i++) {
      const left = this.members();
      if (left.length === 0) return;
      signalAll(left, "SIGKILL");
      await delay(20);
    }
  }

  /** Kills what is left and removes the cgroups. Idempotent. */
  async close(): Promise<void> {
    await this.killAll();
    for (const dir of this.dirs) {
      unwatchCgroup(join(dir, "cgroup.procs"));
      for (let i = 0; i < 50; i++) {
        try {
          rmdirSync(dir);
          break;
        } catch (err) {
          if ((err as { code?: string }).code === "ENOENT") break;
          // EBUSY while the last tasks are reaped.
          await delay(20);
        }
      }
    }
  }
}
