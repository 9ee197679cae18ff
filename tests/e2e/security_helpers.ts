/**
 * Shared by the security tests: configs with the `slow` fixture server and the simulated robot,
 * the hostile policies of tests/fixtures/policies, orch started as another user (root -> nobody),
 * and what this machine can contain (so a test that needs bubblewrap skips, saying why).
 */
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import process from "node:process";
import { probePidsCgroup } from "../../src/contain/cgroup.ts";
import { probeSandbox, type SandboxSupport } from "../../src/contain/sandbox.ts";
import {
  BIN,
  collect,
  newTag,
  orchArgv,
  orchEnv,
  type OrchResult,
  pyServer,
  ROOT,
  type RunOptions,
  tempDir,
  writeConfig,
} from "./helpers.ts";

export const NOBODY = 65534;

/** True when every folder above `path` lets other users through and `path` itself is readable by them. */
function othersReach(path: string): boolean {
  for (let p = resolve(path);; p = dirname(p)) {
    try {
      const mode = statSync(p).mode;
      if (p === resolve(path) ? (mode & 0o004) === 0 : (mode & 0o001) === 0) return false;
    } catch {
      return false;
    }
    if (p === "/") return true;
  }
}

/** Hard-links (or, across file systems, copies) `from` to `to`, keeping modes. */
function mirrorTree(from: string, to: string): void {
  mkdirSync(dirname(to), { recursive: true, mode: 0o755 });
  if (statSync(from).isFile()) {
    // A single file (the deno or orch binary) without cp: Deno's spawnSync rewrites a command line
    // that names its own executable (cp got "-A"), so it is linked or copied here.
    try {
      linkSync(from, to);
    } catch {
      copyFileSync(from, to);
      chmodSync(to, statSync(from).mode & 0o7777);
    }
    return;
  }
  let r = spawnSync("cp", ["-al", from, to]);
  if (r.status !== 0) r = spawnSync("cp", ["-a", from, to]);
  if (r.status !== 0) throw new Error(`cannot mirror ${from} to ${to}: ${r.stderr}`);
}

let mirror: { root: string; argv: string[] } | undefined;

/**
 * The checkout as another user (uid 65534) can read it: ROOT itself when it can, otherwise (the
 * checkout lies under a folder other users cannot enter, e.g. a 0700 home) a mirror under the temp
 * folder of what that user needs: the fixtures and example servers, and orch (the built binary, or
 * deno with src/ and node_modules), hard-linked where it can be. Made once per test process.
 */
function readable(): { root: string; argv: string[] } {
  if (mirror) return mirror;
  const exe = BIN ?? process.execPath;
  if (othersReach(join(ROOT, "tests", "fixtures", "policies")) && othersReach(join(ROOT, "src")) && othersReach(exe)) {
    return mirror = { root: ROOT, argv: orchArgv() };
  }
  const root = mkdtempSync(join(tmpdir(), "orch-e2e-readable-"));
  chmodSync(root, 0o755);
  for (const part of ["tests/fixtures", "examples"]) mirrorTree(join(ROOT, part), join(root, part));
  let argv: string[];
  if (BIN) {
    mirrorTree(BIN, join(root, "bin", "orch"));
    argv = [join(root, "bin", "orch")];
  } else {
    for (const part of ["src", "deno.json", "package.json", "node_modules"]) {
      mirrorTree(join(ROOT, part), join(root, part));
    }
    const deno = othersReach(exe) ? exe : join(root, "bin", "deno");
    if (deno !== exe) mirrorTree(exe, deno);
    argv = [deno, "run", "-A", "--quiet", join(root, "src", "main.ts")];
  }
  globalThis.addEventListener("unload", () => rmSync(root, { recursive: true, force: true }));
  return mirror = { root, argv };
}

/** The folder tests take fixtures from: readable by the user orch runs as in every test. */
export function fixtureRoot(): string {
  return readable().root;
}

export const POLICIES = join(fixtureRoot(), "tests", "fixtures", "policies");
export const FIXTURES = join(fixtureRoot(), "tests", "fixtures", "servers");
export const EXAMPLE_SERVERS = join(fixtureRoot(), "examples", "servers");
export const SLOW = join(FIXTURES, "slow.py");

/** A policy file of tests/fixtures/policies. */
export function policy(name: string): string {
  return join(POLICIES, name);
}

export interface TestConfig {
  dir: string;
  path: string;
  tag: string;
  /** The slow server's FIXTURE_LOG. */
  log: string;
  /** The simulated robot's world folder. */
  world: string;
}

/**
 * A config with the `slow` fixture server (logging to `log`) and the simulated `ros-mcp-server`,
 * plus `orchestrator` settings. `open` makes the folder usable by another user (root -> nobody).
 */
export function securityConfig(
  orchestrator: Record<string, unknown> = {},
  opts: { env?: Record<string, string>; exclusive?: boolean; open?: boolean } = {},
): TestConfig {
  const dir = tempDir("orch-sec-");
  const tag = newTag();
  const log = join(dir, "slow.jsonl");
  const world = join(dir, "world");
  const slow = { ...pyServer(SLOW, tag, { FIXTURE_LOG: log, ...opts.env }), exclusive: opts.exclusive };
  const ros = pyServer(join(EXAMPLE_SERVERS, "ros_mcp_server.py"), tag, { ROBOT_SIM_DIR: world, ...opts.env });
  const path = writeConfig(dir, { mcpServers: { slow, "ros-mcp-server": ros }, orchestrator });
  if (opts.open) openTo(dir, NOBODY);
  return { dir, path, tag, log, world };
}

/** Hands a folder (and what is in it now) to `uid`. */
export function openTo(dir: string, uid: number): void {
  chownSync(dir, uid, uid);
  chmodSync(dir, 0o755);
  chmodSync(join(dir, "mcp_servers_config.json"), 0o644);
}

/** The slow server's log as events. */
export function slowEvents(log: string): { event: string; tool?: string; t: number; [k: string]: unknown }[] {
  if (!existsSync(log)) return [];
  return readFileSync(log, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
}

/** The simulated robot's event counters (stop_count, commands). */
export function robotEvents(world: string): { stop_count: number; commands: number } {
  const doc = JSON.parse(readFileSync(join(world, "world.json"), "utf8"));
  return doc.events;
}

let support: Promise<SandboxSupport> | undefined;

/** Why bubblewrap cannot be tested here, or undefined when it can. */
export async function noSandboxReason(): Promise<string | undefined> {
  support ??= probeSandbox();
  const s = await support;
  return s.available ? undefined : s.reason ?? "bubblewrap is not available";
}

/** Why a fork bomb would not be bounded here (root without a uid-changing sandbox or a pids cgroup). */
export async function unboundedReason(sandboxed: boolean): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  if ((await probePidsCgroup()).available) return undefined;
  support ??= probeSandbox();
  const s = await support;
  if (sandboxed && s.available && s.dropTo) return undefined;
  return "orch runs as root with neither a pids cgroup nor a sandbox that changes uid: nothing would bound it";
}

/** Prints why a test is skipped, so a skip is never silent. */
export function skip(name: string, why: string): void {
  console.log(`SKIP ${name}: ${why}`);
}

export type Spawned = OrchResult;

export interface SpawnOptions extends RunOptions {
  /** Run orch as this user (only when the tests run as root): `setpriv` changes to uid and gid. */
  asUid?: number;
  /** Put orch in a new session without a controlling terminal (`setsid`). */
  noTty?: boolean;
  /** Commands to put in front of orch (e.g. the pty driver). */
  wrapper?: string[];
}

/** orchEnv(), and for another user a HOME, a cache in it and (from source) a DENO_DIR of its own. */
function baseEnv(opts: SpawnOptions): Record<string, string> {
  const env = orchEnv(opts.env);
  if (opts.asUid !== undefined) {
    const home = tempDir("orch-user-");
    chownSync(home, opts.asUid, opts.asUid);
    env.HOME = home;
    env.PATH = "/usr/local/bin:/usr/bin:/bin";
    const denoDir = `/tmp/orch-e2e-deno-${opts.asUid}`;
    mkdirSync(denoDir, { recursive: true, mode: 0o700 });
    chownSync(denoDir, opts.asUid, opts.asUid);
    env.DENO_DIR = denoDir;
    env.ORCH_CACHE_DIR = join(home, "cache");
  }
  return env;
}

/** Runs orch with `args`, as `runOrch` does, with the extras above. */
export function spawnOrch(args: string[], opts: SpawnOptions = {}): Promise<Spawned> {
  const argv = [...(opts.wrapper ?? [])];
  if (opts.noTty) argv.push("setsid", "-w");
  if (opts.asUid !== undefined) {
    argv.push("setpriv", `--reuid=${opts.asUid}`, `--regid=${opts.asUid}`, "--clear-groups", "--");
  }
  // Another user may not reach the checkout: it gets the readable copy.
  argv.push(...(opts.asUid !== undefined ? readable().argv : orchArgv()), ...args);
  const env = baseEnv(opts);
  return collect(argv, env, opts.cwd ?? (opts.asUid !== undefined ? env.HOME! : tempDir()), opts);
}

/** `key: value` lines a fixture policy printed. */
export function outcomes(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of stdout.split("\n")) {
    const m = /^([^:]+): (.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

/** Resolves when `pred` holds (polled every 50 ms), or rejects after `ms`. */
export async function until(pred: () => boolean, ms = 20_000, what = "condition"): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export { ROOT };
