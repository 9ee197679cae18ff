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

/** orch's environment for a test: a private cache and board, no colour, and `env` on top. */
export function orchEnv(env: Record<string, string | undefined> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ORCH_CACHE_DIR: tempDir("orch-cache-"), ...env })) {
    if (v !== undefined) out[k] = v;
  }
  out.ORCH_RUNTIME_DIR ??= tempDir("orch-board-");
  out.NO_COLOR = "1";
  return out;
}

export interface OrchResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** Bytes written to stdout (all of them, also when `keepStdout` limited what was kept). */
  stdoutBytes: number;
  /** Largest resident set of the process seen while it ran, in bytes (0 when not sampled). */
  maxRss: number;
  durationMs: number;
}

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Written to stdin (which is closed after it). */
  stdin?: string;
  timeoutMs?: number;
  /** Called with the child once started (to send signals). */
  onStart?: (pid: number) => void;
  /** Called for each stdout chunk. */
  onStdout?: (text: string) => void;
  /** Keep only the last this-many characters of stdout (the rest is counted). */
  keepStdout?: number;
  /** Sample the process's memory while it runs. */
  sampleRss?: boolean;
}

/** Runs `argv` with exactly `env` in `cwd` and collects what it wrote; SIGKILLed after `timeoutMs` (60 s). */
export function collect(
  argv: string[],
  env: Record<string, string>,
  cwd: string,
  opts: Omit<RunOptions, "cwd" | "env"> = {},
): Promise<OrchResult> {
  const started = performance.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd, env, stdio: "pipe" });
    let stdout = "";
    let stderr = "";
    let stdoutBytes = 0;
    let maxRss = 0;
    const keep = opts.keepStdout ?? Infinity;
    child.stdout.on("data", (d: Uint8Array) => {
      stdoutBytes += d.length;
      const text = new TextDecoder().decode(d);
      stdout = (stdout + text).slice(-keep);
      opts.onStdout?.(text);
    });
    child.stderr.on("data", (d: Uint8Array) => (stderr += new TextDecoder().decode(d)));
    const sampler = opts.sampleRss
      ? setInterval(() => {
        try {
          const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1] ?? 0);
          maxRss = Math.max(maxRss, kb * 1024);
        } catch {
          // Gone.
        }
      }, 50)
      : undefined;
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
    child.on("error", reject);
    child.on("spawn", () => opts.onStart?.(child.pid!));
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      clearInterval(sampler);
      resolvePromise({ code, signal, stdout, stderr, stdoutBytes, maxRss, durationMs: performance.now() - started });
    });
    child.stdin.end(opts.stdin ?? "");
  });
}

/** Runs orch with `args`; the cache goes to a private folder unless `opts.env` names ORCH_CACHE_DIR. */
export function runOrch(args: string[], opts: RunOptions = {}): Promise<OrchResult> {
  return collect([...orchArgv(), ...args], orchEnv(opts.env), opts.cwd ?? tempDir(), opts);
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
