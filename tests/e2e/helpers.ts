/**
 * Shared by the end-to-end tests: they run orch as a real process, from
 * source under Deno, or (ORCH_BIN set) as the compiled binary from an empty
 * folder, against real servers, and check that nothing is left running.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import process from "node:process";

export const ROOT = resolve(import.meta.dirname!, "..", "..");
export const BIN = process.env.ORCH_BIN;
export const PYTHON_SERVERS = join(ROOT, "examples", "servers");
export const FIXTURE_SERVERS = join(ROOT, "tests", "fixtures", "servers");

/** The command that starts orch: the binary under test, or the source under Deno. */
export function orchArgv(): string[] {
  return BIN ? [BIN] : [process.execPath, "run", "-A", "--quiet", join(ROOT, "src", "main.ts")];
}

/** A fresh empty folder (the binary must work with nothing beside it). */
export function tempDir(prefix = "orch-e2e-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A tag for server env entries, to find leftover processes afterwards. */
export function newTag(): string {
  return `orch-test-${crypto.randomUUID()}`;
}

/** A config entry for an npm reference server, started from node_modules. */
export function npmServer(pkg: "everything" | "memory" | "filesystem", args: string[] = [], tag?: string) {
  const entry = join(ROOT, "node_modules", "@modelcontextprotocol", `server-${pkg}`, "dist", "index.js");
  return { command: "node", args: [entry, ...args], env: tag ? { ORCH_TEST_TAG: tag } : {} };
}

/** A config entry for one of the Python servers (examples/servers or tests/fixtures/servers). */
export function pyServer(path: string, tag?: string, env: Record<string, string> = {}) {
  return { command: "python3", args: [path], env: { ...env, ...(tag ? { ORCH_TEST_TAG: tag } : {}) } };
}

/** Writes `config` as JSON into `dir`; returns its path. */
export function writeConfig(dir: string, config: unknown, name = "mcp_servers_config.json"): string {
  const path = join(dir, name);
  writeFileSync(path, typeof config === "string" ? config : JSON.stringify(config, null, 2));
  return path;
}

export interface OrchResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  stdin?: string;
  timeoutMs?: number;
  /** Called with the child once started (to send signals). */
  onStart?: (pid: number) => void;
  /** Called for each stdout chunk. */
  onStdout?: (text: string) => void;
}

/** Runs orch with `args`; the cache goes to a private folder unless ORCH_CACHE_DIR is given. */
export function runOrch(args: string[], opts: RunOptions = {}): Promise<OrchResult> {
  const [cmd, ...pre] = orchArgv();
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...opts.env })) if (v !== undefined) env[k] = v;
  env.ORCH_CACHE_DIR ??= tempDir("orch-cache-");
  env.ORCH_RUNTIME_DIR ??= tempDir("orch-board-");
  env.NO_COLOR = "1";
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd!, [...pre, ...args], { cwd: opts.cwd ?? tempDir(), env, stdio: "pipe" });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Uint8Array) => {
      const text = new TextDecoder().decode(d);
      stdout += text;
      opts.onStdout?.(text);
    });
    child.stderr.on("data", (d: Uint8Array) => (stderr += new TextDecoder().decode(d)));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
    child.on("error", reject);
    child.on("spawn", () => opts.onStart?.(child.pid!));
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
    child.stdin.end(opts.stdin ?? "");
  });
}

/** PIDs of live processes whose environment holds `tag`. */
export function processesWithTag(tag: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const env = readFileSync(`/proc/${entry}/environ`, "latin1");
      const stat = readFileSync(`/proc/${entry}/stat`, "latin1");
      if (env.includes(tag) && !/\) Z /.test(stat)) found.push(Number(entry));
    } catch {
      // Gone or not ours to read.
    }
  }
  return found;
}

/** Waits (briefly) until no process carries `tag`; returns the survivors. */
export async function survivors(tag: string, waitMs = 3000): Promise<number[]> {
  const until = Date.now() + waitMs;
  for (;;) {
    const left = processesWithTag(tag);
    if (!left.length || Date.now() > until) return left;
    await new Promise((r) => setTimeout(r, 100));
  }
}
