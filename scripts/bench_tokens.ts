/**
 * Benchmark of orch's MCP face (not a test): run with `deno run -A scripts/bench_tokens.ts [N]`.
 *
 * 1. Tokens an agent must hold: orch's tools/list payload vs the union of the
 *    downstream servers' tools/list (server-everything, -memory, -filesystem
 *    and the three simulated robot servers), counted with js-tiktoken
 *    (o200k_base; Claude's tokenizer is not public, the ratio is what matters),
 *    as servers are added one by one.
 * 2. Latency: an execute_composed_code round trip for a one-call policy
 *    (median over N after warm-up) vs `orch run` of the same policy.
 * Prints markdown tables for docs/BENCHMARKS.md.
 */
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { Tiktoken } from "js-tiktoken/lite";
import o200k from "js-tiktoken/ranks/o200k_base";
import { Client, StdioClientTransport } from "../src/deps/mcp_sdk.ts";
import { npmServer, orchArgv, pyServer, PYTHON_SERVERS, runOrch, tempDir, writeConfig } from "../tests/e2e/helpers.ts";

const N = Number(process.argv[2] ?? Deno.args[0] ?? 20);
const enc = new Tiktoken(o200k);
const tokens = (value: unknown) => enc.encode(JSON.stringify(value)).length;

const dir = tempDir("orch-bench-");
const world = { ROBOT_SIM_DIR: join(dir, "world") };
type Entry = { command: string; args: string[]; env: Record<string, string> };
const SERVERS: [string, Entry][] = [
  ["ros-mcp-server", pyServer(join(PYTHON_SERVERS, "ros_mcp_server.py"), undefined, world)],
  ["isaac-sim", pyServer(join(PYTHON_SERVERS, "isaac_sim.py"), undefined, world)],
  ["Resources", pyServer(join(PYTHON_SERVERS, "resources.py"), undefined, world)],
  ["memory", npmServer("memory")],
  ["filesystem", npmServer("filesystem", [dir])],
  ["everything", npmServer("everything", ["stdio"])],
];

function env(extra: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) out[k] = v;
  return { ...out, ...extra };
}

async function connect(command: string, args: string[], extra: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: "orch-bench", version: "1" });
  await client.connect(new StdioClientTransport({ command, args, env: env(extra), stderr: "ignore" }), {
    timeout: 60_000,
  });
  return client;
}

/** The tools/list result a client receives from one server. */
async function listOf(entry: Entry): Promise<unknown> {
  const client = await connect(entry.command, entry.args, entry.env);
  try {
    return await client.listTools();
  } finally {
    await client.close();
  }
}

async function orchList(config: string, expose = "code"): Promise<unknown> {
  const [cmd, ...pre] = orchArgv();
  const client = await connect(cmd!, [...pre, "serve", "--config", config, "--expose", expose], {
    ORCH_CACHE_DIR: join(dir, "cache"),
  });
  try {
    return await client.listTools();
  } finally {
    await client.close();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

// ---- tokens
const perServer: { name: string; tools: number; tokens: number }[] = [];
for (const [name, entry] of SERVERS) {
  const list = await listOf(entry) as { tools: unknown[] };
  perServer.push({ name, tools: list.tools.length, tokens: tokens(list) });
}
const rows: string[] = [];
let bothTokens = 0;
let union = 0;
let toolTotal = 0;
for (let i = 0; i < SERVERS.length; i++) {
  union += perServer[i]!.tokens;
  toolTotal += perServer[i]!.tools;
  const config = writeConfig(dir, { mcpServers: Object.fromEntries(SERVERS.slice(0, i + 1)) }, `bench_${i}.json`);
  const orch = tokens(await orchList(config));
  if (i === SERVERS.length - 1) bothTokens = tokens(await orchList(config, "both"));
  rows.push(
    `| + ${perServer[i]!.name} | ${i + 1} | ${toolTotal} | ${union} | ${orch} | ${(100 * orch / union).toFixed(1)}% |`,
  );
}
console.log(`## tools/list tokens (js-tiktoken o200k_base, JSON of the tools/list result)\n`);
console.log("| servers | count | tools | union of downstream tools/list | orch serve (code) | orch / union |");
console.log("|---|---|---|---|---|---|");
for (const r of rows) console.log(r);
console.log(
  `\nWith all six servers, \`--expose both\` (orch's tools + every tool as server__tool): ${bothTokens} tokens.`,
);
console.log("\nPer server:\n");
console.log("| server | tools | tokens |");
console.log("|---|---|---|");
for (const s of perServer) console.log(`| ${s.name} | ${s.tools} | ${s.tokens} |`);

// ---- latency
const robots = writeConfig(dir, { mcpServers: Object.fromEntries(SERVERS.slice(0, 3)) }, "bench_robots.json");
const policyCall = "s = ros_mcp_server__get_robot_state()\nprint('ok')\n";
const policyPath = join(dir, "policy.py");
writeFileSync(policyPath, policyCall);
// The sandbox may run the policy as another user: it must be able to read the file.
chmodSync(dir, 0o755);
chmodSync(policyPath, 0o644);

const [cmd, ...pre] = orchArgv();
const serve = await connect(cmd!, [...pre, "serve", "--config", robots], { ORCH_CACHE_DIR: join(dir, "cache") });
const serveMs: number[] = [];
for (let i = 0; i < N + 3; i++) {
  const t0 = performance.now();
  const r = await serve.callTool({ name: "execute_composed_code", arguments: { code: policyCall } });
  const ms = performance.now() - t0;
  const status = (r.structuredContent as { status?: string } | undefined)?.status;
  if (status !== "success") throw new Error(`execute_composed_code failed: ${JSON.stringify(r)}`);
  if (i >= 3) serveMs.push(ms);
}
await serve.close();

const runMs: number[] = [];
const runs = Math.max(3, Math.ceil(N / 2));
for (let i = 0; i < runs + 1; i++) {
  const t0 = performance.now();
  const r = await runOrch(["run", "--config", robots, policyPath], { env: { ORCH_CACHE_DIR: join(dir, "cache") } });
  const ms = performance.now() - t0;
  if (r.code !== 0) throw new Error(`orch run failed: ${r.stderr}`);
  if (i >= 1) runMs.push(ms);
}
const how = orchArgv()[0]!.endsWith("orch") ? "the built binary (ORCH_BIN)" : "deno run src/main.ts";
console.log(`\n## One-call policy round trip (${how}, sandbox as configured by default)\n`);
console.log("| path | runs | median ms | min ms | max ms |");
console.log("|---|---|---|---|---|");
const line = (name: string, xs: number[]) =>
  `| ${name} | ${xs.length} | ${median(xs).toFixed(0)} | ${Math.min(...xs).toFixed(0)} | ${
    Math.max(...xs).toFixed(0)
  } |`;
console.log(line("execute_composed_code via orch serve (warm servers)", serveMs));
console.log(line("orch run policy.py (new process, servers started, catalog cached)", runMs));
Deno.exit(0);
