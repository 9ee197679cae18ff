/**
 * The bubblewrap sandbox: whether it works here (probed once by really running it), and the bwrap
 * command line for one contained command. `sandboxArgv()` is pure, so other parts of orch (static
 * introspection) can contain their own helpers the same way.
 *
 * What the command sees: no network (its own empty network namespace), its own pid, IPC and UTS
 * namespaces, a read-only view of `/`, fresh /proc and /dev, empty tmpfs over /tmp, /var/tmp, /run,
 * /home, /root and $HOME (so ~/.ssh and friends are gone), no capabilities, a new session, and it
 * dies with orch. Only what the caller binds back is visible or writable.
 */
import { existsSync, readFileSync } from "node:fs";
import { delimiter, dirname, join, resolve } from "node:path";
import process from "node:process";
import { errorText } from "../errors.ts";
import { rt } from "../runtime/mod.ts";
import { mtimeOf, readProbe, writeProbe } from "./probe_cache.ts";
import { currentUid } from "./proc.ts";

export type SandboxMode = "auto" | "bwrap" | "none";

/** The uid and gid a root orch runs policies as. */
export const NOBODY = { uid: 65534, gid: 65534 } as const;

/** How a root orch leaves root inside the sandbox: setpriv (util-linux) after bwrap has set up the mounts. */
export interface UidDrop {
  uid: number;
  gid: number;
  setpriv: string;
}

export interface SandboxSupport {
  available: boolean;
  bwrap?: string;
  version?: string;
  /** Set when orch is root and policies run as uid 65534 inside the sandbox. */
  dropTo?: UidDrop;
  /** Why bubblewrap cannot be used, or what it cannot do here, in words. */
  reason?: string;
}

/** Folders always replaced by an empty tmpfs inside the sandbox. */
export const HIDDEN_ROOTS = ["/tmp", "/var/tmp", "/run", "/home", "/root"] as const;

export interface SandboxSpec {
  /** bwrap's path. */
  bwrap: string;
  /** The command to run inside. */
  argv: readonly string[];
  /** Working directory inside; it must be visible there. */
  cwd: string;
  /** Bound read-write at the same path. */
  writable?: readonly string[];
  /** Made visible read-only at the same path when they sit under a hidden folder. */
  readable?: readonly string[];
  /** Bound at another path inside (e.g. the IPC socket at /run/orch/ipc.sock). */
  mounts?: readonly { from: string; to: string; writable?: boolean }[];
  /** Folders hidden besides HIDDEN_ROOTS (e.g. $HOME, orch's cache folder). */
  hide?: readonly string[];
  /** orch runs as root: run the command as this uid through setpriv. */
  dropTo?: UidDrop;
  /**
   * Size of each memory-backed folder inside (/tmp and /dev/shm are writable, the other hidden
   * folders read-only), so files there cannot hold more memory than this; default 256 MiB.
   */
  tmpfsBytes?: number;
}

/** The default size of each tmpfs the sandbox makes. */
export const DEFAULT_TMPFS_BYTES = 256 * 1024 * 1024;

/** True when `path` is `root` or inside it. */
export function isUnder(path: string, root: string): boolean {
  return path === root || root === "/" || path.startsWith(root.endsWith("/") ? root : root + "/");
}

function depth(path: string): number {
  return path.split("/").filter(Boolean).length;
}

/** The hidden folders that exist; `mounts` leaves out ones inside another (one tmpfs hides both). */
function hiddenRoots(extra: readonly string[]): { all: string[]; mounts: string[] } {
  const all = [...new Set([...HIDDEN_ROOTS, ...extra].map((p) => resolve(p)))]
    .filter((p) => p !== "/" && existsSync(p))
    .sort((a, b) => depth(a) - depth(b));
  return { all, mounts: all.filter((p, i) => !all.slice(0, i).some((q) => isUnder(p, q))) };
}

/** The bwrap command line for `spec`: mounts in the order bwrap needs (parents before children). */
export function sandboxArgv(spec: SandboxSpec): string[] {
  const { all: hidden, mounts: tmpfs } = hiddenRoots(spec.hide ?? []);
  const isHidden = (p: string) => hidden.some((h) => isUnder(p, h));
  // Showing a folder that holds a hidden one (e.g. $HOME itself) would undo the hiding.
  const exposes = (p: string) => hidden.some((h) => isUnder(h, p));
  const binds: { flag: string; from: string; to: string }[] = [];
  const readable = [...new Set((spec.readable ?? []).map((p) => resolve(p)))]
    .filter((p) => existsSync(p) && isHidden(p) && !exposes(p))
    .sort((a, b) => depth(a) - depth(b));
  readable.forEach((p, i) => {
    if (!readable.slice(0, i).some((q) => isUnder(p, q))) binds.push({ flag: "--ro-bind", from: p, to: p });
  });
  for (const p of spec.writable ?? []) binds.push({ flag: "--bind", from: resolve(p), to: resolve(p) });
  for (const m of spec.mounts ?? []) binds.push({ flag: m.writable ? "--bind" : "--ro-bind", from: m.from, to: m.to });
  // Stable: at equal depth a read-write bind (pushed later) lands on top of a read-only one.
  binds.sort((a, b) => depth(a.to) - depth(b.to));

  const argv = [spec.bwrap];
  if (spec.dropTo) {
    // No user namespace: setpriv must be able to become a real, non-root uid (RLIMIT_NPROC then holds).
    argv.push("--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try");
    argv.push("--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID");
  } else {
    argv.push("--unshare-all", "--cap-drop", "ALL");
  }
  argv.push("--die-with-parent", "--new-session");
  const size = String(spec.tmpfsBytes ?? DEFAULT_TMPFS_BYTES);
  argv.push("--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev");
  // POSIX shared memory (and multiprocessing's semaphores) for any uid, bounded in size.
  argv.push("--perms", "01777", "--size", size, "--tmpfs", "/dev/shm");
  for (const h of tmpfs) argv.push("--size", size, "--tmpfs", h);
  const made = new Set<string>();
  for (const b of binds) {
    // bwrap would make missing parents 0700, which a policy running as uid 65534 could not enter.
    const parents: string[] = [];
    for (let dir = dirname(b.to); dir !== "/" && isHidden(dir) && !tmpfs.includes(dir); dir = dirname(dir)) {
      if (!made.has(dir)) parents.unshift(dir);
      made.add(dir);
    }
    for (const dir of parents) argv.push("--perms", "0755", "--dir", dir);
    argv.push(b.flag, b.from, b.to);
  }
  // Memory-backed folders a policy could fill: only /tmp and /dev/shm stay writable (each sized above).
  for (const h of tmpfs) if (h !== "/tmp") argv.push("--remount-ro", h);
  argv.push("--remount-ro", "/dev");
  if (spec.dropTo) {
    // bwrap keeps no CAP_DAC_OVERRIDE, so it may not enter a folder only the new uid can: change
    // folder after the uid has changed, and to $HOME (the run folder) when the uid may not enter it.
    const { uid, gid, setpriv } = spec.dropTo;
    argv.push("--chdir", "/", "--");
    argv.push(setpriv, `--reuid=${uid}`, `--regid=${gid}`, "--clear-groups", "--inh-caps=-all", "--");
    const enter = `cd "$0" 2>/dev/null || { echo "orch: uid ${uid} may not enter $0; working in $HOME" >&2; cd; }`;
    argv.push("/bin/sh", "-c", `${enter} && exec "$@"`, spec.cwd);
  } else {
    argv.push("--chdir", spec.cwd, "--");
  }
  argv.push(...spec.argv);
  return argv;
}

/** Finds an executable on PATH. */
export function which(name: string, path = rt.env("PATH") ?? "/usr/bin:/bin"): string | undefined {
  if (name.includes("/")) return existsSync(name) ? resolve(name) : undefined;
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const full = join(dir, name);
    if (existsSync(full)) return full;
  }
  return undefined;
}

let probed: Promise<SandboxSupport> | undefined;

/**
 * Whether bubblewrap works here, found by running `bwrap ... true` with the flags runs use.
 * `ORCH_BWRAP` names the bwrap to use (`none`: behave as if there were none). With `cacheDir`, a
 * working sandbox is remembered on disk for this boot, so a warm run starts bubblewrap once (for
 * the policy) instead of twice.
 */
export function probeSandbox(cacheDir?: string): Promise<SandboxSupport> {
  probed ??= cachedProbe(cacheDir);
  return probed;
}

/** What a probe's answer depends on besides the boot: the programs, who runs them, the kernel's namespace switches. */
function probeKey(): unknown[] {
  const wanted = rt.env("ORCH_BWRAP");
  const bwrap = wanted === "none" ? undefined : which(wanted || "bwrap");
  const setpriv = which("setpriv", "/usr/bin:/bin:/usr/sbin:/sbin");
  const sysctl = (p: string) => {
    try {
      return readFileSync(p, "utf8").trim();
    } catch {
      return null;
    }
  };
  return [
    wanted,
    bwrap,
    bwrap && mtimeOf(bwrap),
    setpriv,
    currentUid(),
    sysctl("/proc/sys/user/max_user_namespaces"),
    sysctl("/proc/sys/kernel/unprivileged_userns_clone"),
    sysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns"),
  ];
}

async function cachedProbe(cacheDir: string | undefined): Promise<SandboxSupport> {
  if (cacheDir === undefined || process.platform !== "linux") return await probe();
  const key = probeKey();
  const kept = readProbe<SandboxSupport>(cacheDir, "sandbox", key);
  if (kept?.available) return kept;
  const found = await probe();
  // Only a working sandbox is kept: a failure is probed again, so a fixed machine is seen at once.
  if (found.available) writeProbe(cacheDir, "sandbox", key, found);
  return found;
}

async function probe(): Promise<SandboxSupport> {
  if (process.platform !== "linux") {
    return { available: false, reason: `bubblewrap is Linux-only (this is ${process.platform})` };
  }
  const wanted = rt.env("ORCH_BWRAP");
  if (wanted === "none") return { available: false, reason: "ORCH_BWRAP=none" };
  const bwrap = which(wanted || "bwrap");
  if (!bwrap) {
    return { available: false, reason: `${wanted || "bwrap"} not found on PATH (install the bubblewrap package)` };
  }
  const versionRun = capture([bwrap, "--version"]);
  let dropTo: UidDrop | undefined;
  let note: string | undefined;
  if (currentUid() === 0) {
    const setpriv = which("setpriv", "/usr/bin:/bin:/usr/sbin:/sbin");
    if (setpriv) dropTo = { ...NOBODY, setpriv };
    else note = "setpriv (util-linux) not found: policies run as root inside the sandbox";
  }
  // A bind into a hidden folder exercises what runs need (--perms with --dir came in bubblewrap 0.5).
  const base = { bwrap, cwd: "/", argv: ["true"], mounts: [{ from: "/dev/null", to: "/run/orch/probe" }] };
  let tried = await capture(sandboxArgv({ ...base, dropTo }));
  if (tried.code !== 0 && dropTo) {
    const first = tried.err;
    tried = await capture(sandboxArgv(base));
    if (tried.code === 0) {
      note = `cannot run policies as uid ${dropTo.uid}: ${first}; they run as root inside the sandbox`;
      dropTo = undefined;
    }
  }
  const version = (await versionRun).out.trim().replace(/^bubblewrap\s*/, "") || undefined;
  if (tried.code !== 0) {
    return { available: false, bwrap, version, reason: `bwrap cannot create a sandbox here: ${tried.err}` };
  }
  return { available: true, bwrap, version, ...(dropTo ? { dropTo } : {}), ...(note ? { reason: note } : {}) };
}

async function capture(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  try {
    const child = rt.spawn({
      cmd: argv[0]!,
      args: argv.slice(1),
      env: { PATH: rt.env("PATH") ?? "/usr/bin:/bin" },
      stdout: "pipe",
      stderr: "pipe",
    });
    const [out, err, status] = await Promise.all([
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
      child.exited,
    ]);
    const why = err.trim().split("\n").filter(Boolean).pop() ?? `exit status ${status.code ?? status.signal}`;
    return { code: status.code ?? 128, out, err: why };
  } catch (err) {
    return { code: 127, out: "", err: errorText(err) };
  }
}
