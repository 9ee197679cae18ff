/**
 * Benchmarks orch against baselines measured in the same run, and writes
 * docs/BENCHMARKS.md. Run: scripts/bench (builds dist/orch first).
 * Every number is a median over repeated runs, after warm-up where it matters.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
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
  const out = execFileSync(argv[0]!, argv.slice(1), {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: "utf8",
    maxBuffer: 64 * 2 ** 20,
    // @utcp/code-mode's MCP plugin never finishes while its stdin is an open pipe.
    stdio: ["ignore", "pipe", "pipe"],
  });
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
/** The numbers the targets are read from, also written as JSON beside the doc. */
const results: Record<string, unknown> = {};
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

// 2. The call path. Each comparison runs pinned to one CPU (`taskset -c 1`: the ping-pong between
// processes costs 2-3 us there) and unpinned (28-38 us when the scheduler puts them on different
// CPUs), the paths interleaved in each of 3 rounds; a row is the median of the 3 round medians and
// their spread.
const PIN = ["taskset", "-c", "1"];
const REGIMES = [{ name: "pinned", pre: PIN }, { name: "unpinned", pre: [] as string[] }];
const ROUNDS = 3;
const BASELINE = process.env.ORCH_BASELINE_BIN;

interface Stat {
  median: number;
  min: number;
  max: number;
}
const stat = (xs: number[]): Stat => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs) });
const spread = (s: Stat, f = f0) => `${f(s.median)} (${f(s.min)}-${f(s.max)})`;

/** Runs `paths` interleaved for ROUNDS rounds in each regime; the order rotates per round. */
function interleaved(paths: Record<string, (pre: string[]) => number>): Record<string, Record<string, Stat>> {
  const out: Record<string, Record<string, number[]>> = {};
  const names = Object.keys(paths);
  for (let round = 0; round < ROUNDS; round++) {
    for (const regime of REGIMES) {
      for (let k = 0; k < names.length; k++) {
        const name = names[(k + round) % names.length]!;
        ((out[regime.name] ??= {})[name] ??= []).push(paths[name]!(regime.pre));
      }
    }
  }
  return Object.fromEntries(
    Object.entries(out).map((
      [r, byPath],
    ) => [r, Object.fromEntries(Object.entries(byPath).map(([k, v]) => [k, stat(v)]))]),
  );
}

/** Runs orch, reads its peak RSS (VmHWM, KiB) when the policy prints a line starting with "D", returns that line. */
function withPeak(argv: string[], env: Record<string, string>): Promise<{ line: string; hwmKiB: number }> {
  return new Promise((ok, fail) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let buf = "";
    let found: { line: string; hwmKiB: number } | undefined;
    let err = "";
    child.stderr.on("data", (d) => err += d);
    child.stdout.on("data", (d) => {
      buf += d;
      const line = buf.split("\n").find((l) => l.startsWith("D "));
      if (line && !found) {
        const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
        found = { line, hwmKiB: Number(/VmHWM:\s+(\d+)/.exec(status)![1]) };
      }
    });
    child.on("close", (code) => found && code === 0 ? ok(found) : fail(new Error(`${argv.join(" ")}: ${code} ${err}`)));
  });
}

const cc = spawnSync("cc", ["--version"]).status === 0;
const relayBin = join(tmp("orch-relay-bin-"), "relay");
if (cc) execFileSync("cc", ["-O2", "-o", relayBin, join(ROOT, "scripts", "bench_py", "relay.c")]);
const utcpBench = join(ROOT, "scripts", "bench_utcp.mjs");
const utcp = existsSync(join(ROOT, "scripts", "bench_peers", "node_modules", "@utcp", "code-mode"));
const load = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const loadBefore = load();

{
  log("per-call round trip...");
  const dir = tmp("orch-bench-");
  const cfg = config(dir, { everything: { command: everythingCmd[0], args: everythingCmd.slice(1) } });
  const env = { ORCH_CACHE_DIR: tmp("orch-cache-") };
  const policy = join(ROOT, "scripts", "bench_py", "policy_echo.py");
  const orchCall = (bin: string) => (pre: string[]) =>
    json([...pre, bin, "run", "-c", cfg, policy, "--", `${CALLS}`, `${WARM}`, "1", "orch"], env).median_us!;
  const paths: Record<string, (pre: string[]) => number> = {
    raw: (pre) =>
      json([
        ...pre,
        py,
        join(ROOT, "scripts/bench_py/raw_floor.py"),
        "calls",
        `${CALLS}`,
        `${WARM}`,
        "--",
        ...everythingCmd,
      ])
        .median_us!,
    orch: orchCall(BIN),
  };
  if (cc) {
    paths.relay = (pre) =>
      json([
        ...pre,
        py,
        join(ROOT, "scripts/bench_py/relay_client.py"),
        relayBin,
        `${CALLS}`,
        `${WARM}`,
        "--",
        ...everythingCmd,
      ])
        .median_us!;
  }
  // isolated-vm is a native addon built for one Node ABI: ORCH_BENCH_NODE names the node it was installed with.
  const node = process.env.ORCH_BENCH_NODE ?? "node";
  const utcpWorks = utcp &&
    spawnSync(node, [utcpBench, "5", "1", "--", ...everythingCmd], { stdio: "ignore", timeout: 60_000 }).status === 0;
  if (utcp && !utcpWorks) log(`@utcp/code-mode does not run under ${node} here: its row is left out`);
  if (utcpWorks) {
    paths.utcp = (pre) => json([...pre, node, utcpBench, `${CALLS}`, `${WARM}`, "--", ...everythingCmd]).median_us!;
  }
  if (BASELINE) paths.baseline = orchCall(BASELINE);
  const r = interleaved(paths);
  const label: Record<string, string> = {
    raw: "raw floor: Python speaking JSON-RPC to the server's stdio",
    relay: "floor of orch's architecture: Python -> Unix-socket HTTP -> a C relay -> stdio",
    utcp: "@utcp/code-mode 1.2.12 (isolated-vm), tool calls from its sandbox",
    orch: "**orch: policy -> runtime -> Unix socket -> shim -> server**",
    baseline: "orch before this change (same run, `ORCH_BASELINE_BIN`)",
  };
  const rows = Object.keys(label).filter((k) => k in paths).map((k) => {
    const cells = REGIMES.map(({ name }) => {
      const s = r[name]![k]!;
      return `${spread(s)} us | ${(s.median / r[name]!.raw!.median).toFixed(2)}x`;
    });
    return `| ${label[k]} | ${cells.join(" | ")} |`;
  });
  results.perCall = r;
  sections.push(`## The call path (server-everything \`echo\`, ${CALLS} calls after ${WARM} warm-up)

Each path runs pinned to one CPU (\`taskset -c 1 ...\`, every process of the path on CPU 1) and unpinned, interleaved
with the others in each of ${ROUNDS} rounds; a cell is the median of the ${ROUNDS} round medians, with their range.

| path | pinned per call | vs raw | unpinned per call | vs raw |
|---|---|---|---|---|
${rows.join("\n")}
`);
}

{
  log("throughput...");
  const dir = tmp("orch-bench-");
  const cfg = config(dir, { everything: { command: everythingCmd[0], args: everythingCmd.slice(1) } });
  const env = { ORCH_CACHE_DIR: tmp("orch-cache-") };
  const policy = join(ROOT, "scripts", "bench_py", "policy_echo.py");
  const thr = (threads: number, bin = BIN) => (pre: string[]) =>
    json([...pre, bin, "run", "-c", cfg, policy, "--", `${CALLS * 2}`, `${WARM}`, `${threads}`, "orch"], env)
      .calls_per_s!;
  const paths: Record<string, (pre: string[]) => number> = { t1: thr(1), t16: thr(16) };
  if (BASELINE) paths.b16 = thr(16, BASELINE);
  const r = interleaved(paths);
  results.throughput = r;
  const row = (k: string, what: string) =>
    `| ${what} | ${REGIMES.map(({ name }) => spread(r[name]![k]!)).join(" | ")} |`;
  sections.push(`## Throughput (one policy, warm, calls/s)

| threads | pinned | unpinned |
|---|---|---|
${row("t1", "1 thread")}
${row("t16", "**16 threads** (\`parallel\`-style, one connection each)")}
${BASELINE ? row("b16", "16 threads, orch before this change") : ""}
`);
}

{
  log("large results...");
  const dir = tmp("orch-bench-");
  const wire = [py, join(ROOT, "tests", "fixtures", "servers", "wire.py")];
  const cfg = config(dir, { w: { command: wire[0], args: wire.slice(1) } });
  const env = { ORCH_CACHE_DIR: tmp("orch-cache-") };
  const big = join(ROOT, "scripts", "bench_py", "policy_big.py");
  const n = QUICK ? 3 : 5;
  const rows: string[] = [];
  const per: Record<string, { orch: number; raw: number; rss: number }> = {};
  for (const mb of [1, 10]) {
    const orchMs: number[] = [];
    const rawMs: number[] = [];
    const rss: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      rawMs.push(
        json([...PIN, py, join(ROOT, "scripts/bench_py/raw_floor.py"), "big", `${n}`, `${mb}`, "--", ...wire])
          .median_ms!,
      );
      const got = await withPeak([...PIN, BIN, "run", "-c", cfg, big, "--", `${mb}`, `${n}`], env);
      orchMs.push(Number(got.line.split(" ")[1]));
      rss.push(got.hwmKiB / 1024);
    }
    per[mb] = { orch: median(orchMs), raw: median(rawMs), rss: Math.max(...rss) };
    rows.push(
      `| ${mb} MiB | ${spread(stat(rawMs), f1)} ms | ${spread(stat(orchMs), f1)} ms | ${f0(Math.max(...rss))} MiB |`,
    );
  }
  const added = ((per[10]!.orch - per[10]!.raw) - (per[1]!.orch - per[1]!.raw)) / 9;
  results.large = { added, rss10: per[10]!.rss };
  sections.push(
    `## Large results (wire.py \`big\`: one text item, pinned, median of ${n} calls per round, ${ROUNDS} rounds)

| result | raw floor per call | orch per call | orch peak RSS (VmHWM) |
|---|---|---|---|
${rows.join("\n")}

orch adds **${f1(added)} ms per MiB above 1 MiB** (orch minus the raw floor, 10 MiB against 1 MiB, divided by 9).
`,
  );
}

{
  log("one-call runs and start-up...");
  const dir = tmp("orch-bench-");
  const cfg = config(dir, { everything: { command: everythingCmd[0], args: everythingCmd.slice(1) } });
  const env = { ORCH_CACHE_DIR: tmp("orch-cache-") };
  const ex = join(ROOT, "examples", "servers");
  const robots = config(tmp("orch-bench-"), {
    "ros-mcp-server": { command: py, args: [join(ex, "ros_mcp_server.py")] },
    "isaac-sim": { command: py, args: [join(ex, "isaac_sim.py")] },
    Resources: { command: py, args: [join(ex, "resources.py")] },
  });
  const noop = join(dir, "noop.py");
  writeFileSync(noop, "pass\n");
  const oneCall = join(ROOT, "scripts", "bench_py", "one_call.py");
  // Warm every cache (catalog, API folder, probes) first.
  wall([BIN, "run", "-c", cfg, oneCall], env);
  wall([BIN, "run", "-c", robots, noop], env);
  const reps = QUICK ? 3 : 7;
  const m = (argv: string[], e = {}) => (pre: string[]) =>
    median(Array.from({ length: reps }, () => wall([...pre, ...argv], e)));
  const paths: Record<string, (pre: string[]) => number> = {
    noop: m([BIN, "run", "-c", robots, noop], env),
    py: m([py, noop]),
    once: m([BIN, "run", "-c", cfg, oneCall], env),
    raw: m([py, join(ROOT, "scripts/bench_py/raw_floor.py"), "once", "0", "0", "--", ...everythingCmd]),
  };
  if (BASELINE) {
    const benv = { ORCH_CACHE_DIR: tmp("orch-cache-") };
    wall([BASELINE, "run", "-c", robots, noop], benv);
    paths.bnoop = m([BASELINE, "run", "-c", robots, noop], benv);
  }
  const r = interleaved(paths);
  results.startup = r;
  const row = (k: string, what: string, vs?: string) =>
    `| ${what} | ${
      REGIMES.map(({ name }) => {
        const s = r[name]![k]!;
        return `${spread(s)} ms${vs ? ` (${(s.median / r[name]![vs]!.median).toFixed(2)}x)` : ""}`;
      }).join(" | ")
    } |`;
  sections.push(`## Start-up and one-call runs (warm cache, median of ${reps} per round, ${ROUNDS} rounds)

| what | pinned | unpinned |
|---|---|---|
${row("noop", "**\`orch run\` of a no-op policy**, 3 robot servers, warm cache (no server started)")}
${BASELINE ? row("bnoop", "the same with orch before this change") : ""}
${row("py", "\`python3 noop.py\` for reference")}
${row("raw", "raw Python: start server-everything, initialize, one call")}
${row("once", "**\`orch run\` of a policy making one call** (vs the raw script)", "raw")}
`);
}

{
  log("cold cache and introspection...");
  const dir = tmp("orch-bench-");
  const ex = join(ROOT, "examples", "servers");
  const cfg = config(dir, {
    "ros-mcp-server": { command: py, args: [join(ex, "ros_mcp_server.py")] },
    "isaac-sim": { command: py, args: [join(ex, "isaac_sim.py")] },
    Resources: { command: py, args: [join(ex, "resources.py")] },
  });
  const noop = join(dir, "noop.py");
  writeFileSync(noop, "pass\n");
  const cold = medianWall([BIN, "run", "-c", cfg, noop], () => ({ ORCH_CACHE_DIR: tmp("orch-cache-") }));
  const many = join(dir, "many.py");
  execFileSync(py, [join(ROOT, "tests/fixtures/introspect/gen_many_tools.py"), many, "100"]);
  const intro = medianWall([BIN, "introspect", "--json", many]);
  sections.push(`## Cold cache and static introspection (unpinned)

| what | median |
|---|---|
| \`orch run\` no-op policy, cold cache (3 servers started and listed, probes run) | ${f0(cold)} ms |
| \`orch introspect\` of a 100-tool FastMCP file (whole command) | ${f0(intro)} ms |
`);
}

const loadAfter = load();
const cpu = cpus()[0]?.model ?? "unknown CPU";
const versions = execFileSync(BIN, ["--version"], { encoding: "utf8" }).trim();
const doc = `# Benchmarks

Produced by \`scripts/bench\` (it builds \`dist/orch\` and runs \`deno run -A scripts/bench.ts\`) on
${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores (${cpu}), ${versions}, ${
  execFileSync(py, ["--version"], { encoding: "utf8" }).trim()
}. Every baseline is measured in the same run as the number it is compared with. Load average
(1, 5, 15 min) when the run started: ${loadBefore}; when it ended: ${loadAfter}.

Two regimes: on this KVM guest a ping-pong between two processes costs 2-3 us when both sit on one CPU and 28-38 us
when the scheduler puts them on different CPUs, and an unpinned run flips between the two with load. A path with one
more process hop (orch, the relay) pays that hop once or twice per call, so unpinned ratios against the raw floor
swing from about 1.8x to 5.6x between runs; pinned ratios measure the code. Targets are read from the pinned
columns.

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
writeFileSync(join(tmpdir(), "orch-bench-results.json"), JSON.stringify(results, null, 2));
spawnSync("deno", ["fmt", "--quiet", join(ROOT, "docs", "BENCHMARKS.md")], { stdio: "inherit" });
console.log(doc);
