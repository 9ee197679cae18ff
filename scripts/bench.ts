/**
 * Benchmarks orch against baselines measured in the same run, and writes
 * docs/BENCHMARKS.md. Run: scripts/bench (builds dist/orch first).
 * Every number is a median over repeated runs, after warm-up where it matters.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import process from "node:process";

const ROOT = resolve(import.meta.dirname!, "..");
const BIN = process.env.ORCH_BIN ?? join(ROOT, "dist", "orch");
const QUICK = process.argv.includes("--quick");
const REPS = QUICK ? 3 : 9;
const CALLS = QUICK ? 500 : 3000;
const WARM = QUICK ? 200 : 1000;
const py = "python3";
const mod = (name: string) => join(ROOT, "node_modules", "@modelcontextprotocol", `server-${name}`, "dist", "index.js");
const everythingCmd = ["node", mod("everything"), "stdio"];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function tmp(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Wall milliseconds of one command, which must succeed. */
function wall(argv: string[], env: Record<string, string> = {}, cwd = ROOT): number {
  const t0 = performance.now();
  const r = spawnSync(argv[0]!, argv.slice(1), { cwd, env: { ...process.env, ...env }, stdio: "pipe" });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${argv.join(" ")} failed: ${r.stderr}`);
  return ms;
}

function medianWall(argv: string[], env: () => Record<string, string> = () => ({}), reps = REPS): number {
  wall(argv, env());
  return median(Array.from({ length: reps }, () => wall(argv, env())));
}

function json(argv: string[], env: Record<string, string> = {}): Record<string, number> {
  const out = execFileSync(argv[0]!, argv.slice(1), { cwd: ROOT, env: { ...process.env, ...env }, encoding: "utf8" });
  return JSON.parse(out.trim().split("\n").at(-1)!);
}

function config(dir: string, servers: Record<string, unknown>): string {
  const path = join(dir, "mcp_servers_config.json");
  writeFileSync(path, JSON.stringify({ mcpServers: servers }));
  return path;
}

const f1 = (x: number) => x.toFixed(1);
const f0 = (x: number) => x.toFixed(0);
const sections: string[] = [];
const log = (s: string) => console.error(s);

// 1. Start-up and discovery.
{
  log("start-up and discovery...");
  const dir = tmp("orch-bench-");
  const everything = { command: "node", args: [mod("everything"), "stdio"] };
  const memory = { command: "node", args: [mod("memory")] };
  const filesystem = { command: "node", args: [mod("filesystem"), dir] };
  const all = config(dir, { everything, memory, filesystem });
  const version = medianWall([BIN, "--version"]);
  const cold = () => ({ ORCH_CACHE_DIR: tmp("orch-cache-") });
  const listCold = medianWall([BIN, "list", "-c", all], cold);
  const warmCache = tmp("orch-cache-");
  const listWarm = medianWall([BIN, "list", "-c", all], () => ({ ORCH_CACHE_DIR: warmCache }));
  const singles: Record<string, number> = {};
  for (const [name, entry] of Object.entries({ everything, memory, filesystem })) {
    const d = tmp("orch-bench-");
    singles[name] = medianWall([BIN, "list", "-c", config(d, { [name]: entry })], cold);
  }
  const slowest = Math.max(...Object.values(singles));
  sections.push(`## Start-up and discovery

| what | median |
|---|---|
| \`orch --version\` (binary start-up) | ${f1(version)} ms |
| \`orch list\`, 3 npm servers, cold cache | ${f0(listCold)} ms |
| \`orch list\`, 3 npm servers, warm cache (no server started) | ${f0(listWarm)} ms |
| \`orch list\` of each server alone, cold: ${
    Object.entries(singles).map(([k, v]) => `${k} ${f0(v)} ms`).join(", ")
  } | slowest ${f0(slowest)} ms |
| **parallel discovery of 3 / slowest single** (goal <= 1.3x) | **${(listCold / slowest).toFixed(2)}x** |
| cold / warm cache | ${(listCold / listWarm).toFixed(1)}x |
`);
}

// 2. The hot path: per-call round trip and throughput, against the raw floor and a seed-style client.
{
  log("per-call round trip...");
  const dir = tmp("orch-bench-");
  const cfg = config(dir, { everything: { command: everythingCmd[0], args: everythingCmd.slice(1) } });
  const cache = tmp("orch-cache-");
  const env = { ORCH_CACHE_DIR: cache };
  const policy = join(ROOT, "scripts", "bench_py", "policy_echo.py");
  const floors: number[] = [];
  const orchUnix: number[] = [];
  const orchTcp: number[] = [];
  const requestsTcp: number[] = [];
  const urllibTcp: number[] = [];
  const seedCalls = Math.max(200, CALLS / 10);
  for (let i = 0; i < 3; i++) {
    floors.push(
      json([py, join(ROOT, "scripts/bench_py/raw_floor.py"), "calls", `${CALLS}`, `${WARM}`, "--", ...everythingCmd])
        .median_us!,
    );
    orchUnix.push(json([BIN, "run", "-c", cfg, policy, "--", `${CALLS}`, `${WARM}`, "1", "orch"], env).median_us!);
    const tcp = { ...env, ORCH_IPC_TCP: "1" };
    orchTcp.push(json([BIN, "run", "-c", cfg, policy, "--", `${CALLS}`, `${WARM}`, "1", "orch"], tcp).median_us!);
    requestsTcp.push(
      json([BIN, "run", "-c", cfg, policy, "--", `${seedCalls}`, "100", "1", "requests"], tcp).median_us!,
    );
    urllibTcp.push(json([BIN, "run", "-c", cfg, policy, "--", `${seedCalls}`, "100", "1", "urllib"], tcp).median_us!);
  }
  const floor = median(floors);
  const unix = median(orchUnix);
  const tcp = median(orchTcp);
  const req = median(requestsTcp);
  const url = median(urllibTcp);
  log("throughput...");
  const thr1 = json([BIN, "run", "-c", cfg, policy, "--", `${CALLS}`, `${WARM}`, "1", "orch"], env).calls_per_s!;
  const thr8 = json([BIN, "run", "-c", cfg, policy, "--", `${CALLS}`, `${WARM}`, "8", "orch"], env).calls_per_s!;
  log("one-call runs...");
  const oneCall = join(ROOT, "scripts", "bench_py", "one_call.py");
  const orchOnce = medianWall([BIN, "run", "-c", cfg, oneCall], () => env);
  const rawOnce = medianWall([
    py,
    join(ROOT, "scripts/bench_py/raw_floor.py"),
    "once",
    "0",
    "0",
    "--",
    ...everythingCmd,
  ]);
  sections.push(`## The hot path (server-everything \`echo\`, ${CALLS} calls after ${WARM} warm-up, median of 3 runs)

| path | median per call | vs floor |
|---|---|---|
| raw floor: Python speaking JSON-RPC to the server's stdio | ${f0(floor)} us | 1.00x |
| **policy -> orch runtime -> Unix socket -> shim -> server** (target <= 2.5x) | **${f0(unix)} us** | **${
    (unix / floor).toFixed(2)
  }x** |
| policy -> orch runtime -> 127.0.0.1 TCP -> shim -> server | ${f0(tcp)} us | ${(tcp / floor).toFixed(2)}x |
| seed-style client: \`requests.post\` per call, no Session (TCP) | ${f0(req)} us | ${(req / floor).toFixed(2)}x |
| seed-style client: \`urllib\` per call (TCP) | ${f0(url)} us | ${(url / floor).toFixed(2)}x |

orch's runtime is **${
    (req / unix).toFixed(1)
  }x** faster per call than the seed's \`requests.post\` (target >= 5x) and ${
    (url / unix).toFixed(1)
  }x faster than urllib.

| throughput (one policy, warm) | calls/s |
|---|---|
| 1 thread | ${f0(thr1)} |
| 8 threads (\`parallel\`-style, one connection each) | ${f0(thr8)} |

| one call, whole process, warm cache | median |
|---|---|
| raw Python: start server, initialize, one call | ${f0(rawOnce)} ms |
| **\`orch run\` of a policy making one call** (target <= 1.5x) | **${f0(orchOnce)} ms (${
    (orchOnce / rawOnce).toFixed(2)
  }x)** |
`);
}

// 3. Warm vs cold cache for a no-op policy, and static introspection.
{
  log("cache and introspection...");
  const dir = tmp("orch-bench-");
  const ex = join(ROOT, "examples", "servers");
  const cfg = config(dir, {
    "ros-mcp-server": { command: py, args: [join(ex, "ros_mcp_server.py")] },
    "isaac-sim": { command: py, args: [join(ex, "isaac_sim.py")] },
    Resources: { command: py, args: [join(ex, "resources.py")] },
  });
  const noop = join(dir, "noop.py");
  writeFileSync(noop, "pass\n");
  const warmCache = tmp("orch-cache-");
  const warm = medianWall([BIN, "run", "-c", cfg, noop], () => ({ ORCH_CACHE_DIR: warmCache }));
  const cold = medianWall([BIN, "run", "-c", cfg, noop], () => ({ ORCH_CACHE_DIR: tmp("orch-cache-") }));
  const pyNoop = medianWall([py, noop]);
  const many = join(dir, "many.py");
  execFileSync(py, [join(ROOT, "tests/fixtures/introspect/gen_many_tools.py"), many, "100"]);
  const intro = medianWall([BIN, "introspect", "--json", many]);
  sections.push(`## Cache and static introspection

| what | median |
|---|---|
| \`orch run\` no-op policy, 3 robot servers, warm cache (no server started) | ${f0(warm)} ms |
| \`orch run\` no-op policy, cold cache (3 servers started and listed) | ${f0(cold)} ms |
| \`python3 noop.py\` for reference | ${f0(pyNoop)} ms |
| \`orch introspect\` of a 100-tool FastMCP file (whole command) | ${f0(intro)} ms |
`);
}

const cpu = cpus()[0]?.model ?? "unknown CPU";
const versions = execFileSync(BIN, ["--version"], { encoding: "utf8" }).trim();
const doc = `# Benchmarks

Produced by \`scripts/bench\` (it builds \`dist/orch\` and runs \`deno run -A scripts/bench.ts\`) on
${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores (${cpu}), ${versions}, ${
  execFileSync(py, ["--version"], { encoding: "utf8" }).trim()
}. Every baseline is measured in the same run as the number it is compared with. Numbers move by
10-30% between runs on this shared 2-core machine; ratios move less.

${sections.join("\n")}
${readExtra()}`;

function readExtra(): string {
  try {
    return readFileSync(join(ROOT, "docs", "BENCHMARKS.extra.md"), "utf8");
  } catch {
    return "";
  }
}

writeFileSync(join(ROOT, "docs", "BENCHMARKS.md"), doc);
spawnSync("deno", ["fmt", "--quiet", join(ROOT, "docs", "BENCHMARKS.md")], { stdio: "inherit" });
console.log(doc);
