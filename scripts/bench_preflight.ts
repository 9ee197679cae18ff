/**
 * Benchmark of the preflight and of typed returns (not a test): `deno run -A scripts/bench_preflight.ts [N]`.
 *
 * 1. Preflight cost on a 200-line policy against the example robot API (generated/orch_catalog.json): the check
 *    itself in-process (parse + check, median of N, CPU and wall time), and the CPU time it adds to a policy's
 *    start (`orch_bootstrap.py --check` with and without ORCH_PREFLIGHT, mean of N/5 fresh interpreters). CPU time
 *    is reported because the wall time on a shared machine measures the neighbours.
 * 2. Tokens (js-tiktoken o200k_base) of what an agent reads for the example servers before and after typed returns:
 *    orch's tools/list, get_api_documentation, search_tools "signatures" and "full" for every tool; "before" is the
 *    same catalog with every outputSchema removed (every return `-> Any`).
 * Prints markdown for docs/BENCHMARKS.md.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { Tiktoken } from "js-tiktoken/lite";
import o200k from "js-tiktoken/ranks/o200k_base";
import type { Catalog } from "../src/catalog/types.ts";
import { apiModel, entrySignature, generateApi, renderDocs, renderEntry } from "../src/codegen/mod.ts";
import { ORCH_TOOLS } from "../src/mcp_server/tools.ts";
import { loadCatalog, withContext } from "../src/cli/context.ts";

const N = Number(process.argv[2] ?? Deno.args[0] ?? 50);
const ROOT = join(import.meta.dirname ?? ".", "..");
const enc = new Tiktoken(o200k);
const tokens = (text: string) => enc.encode(text).length;

/** A 200-line policy in the style of the examples: loops, helpers, try/except, ~100 tool calls. */
function policy200(): string {
  const lines = [
    '"""A long pick-and-place session (benchmark input)."""',
    "import time",
    "",
    "",
    "def pick(name, grasp):",
    "    ros_mcp_server__move_to_grasp(name, grasp, move_to_object=True)",
    '    ros_mcp_server__control_gripper("close")',
    '    ok = ros_mcp_server__verify_grasp(object_name=name)["result"] == "SUCCESS"',
    "    ros_mcp_server__move_to_grasp(name, grasp, move_to_safe_height=True)",
    "    return ok",
    "",
    "",
  ];
  let i = 0;
  while (lines.length < 196) {
    const name = ["gear", "block_1", "base"][i % 3];
    lines.push(
      `scene_${i} = isaac_sim__save_scene_state(label="step ${i}")`,
      `if pick("${name}", ${i % 4}):`,
      `    ros_mcp_server__place_object("${name}", "tray")`,
      "else:",
      `    isaac_sim__restore_scene_state(scene_id=scene_${i}["scene_id"])`,
      `    ros_mcp_server__pub_twist([0.1, 0, 0], [0, 0, 0.2], duration=0.5)`,
      `call_tool("ros-mcp-server", "control_gripper", {"state": "open"})`,
    );
    i++;
  }
  lines.push("ros_mcp_server__move_home()", 'ros_mcp_server__stop(reason="done")', "print(time.time())", "");
  return lines.slice(0, 200).join("\n") + "\n";
}

function preflightCost(): { lines: number; wall: number; cpu: number; on: number; off: number; load: number } {
  const dir = mkdtempSync(join(tmpdir(), "orch-bench-preflight-"));
  for (const f of ["orch_bootstrap.py", "orch_runtime.py", "orch_http.py", "orch_preflight.py"]) {
    copyFileSync(join(ROOT, "templates", f), join(dir, f));
  }
  for (const f of ["unified_api.py", "orch_catalog.json"]) copyFileSync(join(ROOT, "generated", f), join(dir, f));
  const text = policy200();
  writeFileSync(join(dir, "policy.py"), text);
  const driver = [
    "import json, os, resource, subprocess, sys, time",
    `sys.path.insert(0, ${JSON.stringify(dir)})`,
    "import orch_preflight as p",
    `cat = p.load_catalog(${JSON.stringify(join(dir, "orch_catalog.json"))})`,
    `src = open(${JSON.stringify(join(dir, "policy.py"))}, "rb").read()`,
    "wall, cpu = [], []",
    `for _ in range(${N}):`,
    "    w, c = time.perf_counter(), time.process_time()",
    "    probs = p.check_source(src, 'policy.py', cat)",
    "    wall.append(time.perf_counter() - w); cpu.append(time.process_time() - c)",
    "assert not probs, [x.format('policy.py') for x in probs]",
    "def start(flag):",
    "    env = {'PATH': os.environ.get('PATH', '/usr/bin:/bin'), 'ORCH_PREFLIGHT': flag}",
    "    before = resource.getrusage(resource.RUSAGE_CHILDREN)",
    `    n = max(5, ${N} // 5)`,
    "    for _ in range(n):",
    `        subprocess.run([sys.executable, '-I', ${JSON.stringify(join(dir, "orch_bootstrap.py"))}, '--check',`,
    `                        ${JSON.stringify(join(dir, "policy.py"))}], env=env, check=True)`,
    "    after = resource.getrusage(resource.RUSAGE_CHILDREN)",
    "    return (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / n * 1000",
    "med = lambda xs: sorted(xs)[len(xs) // 2] * 1000",
    "print(json.dumps([med(wall), med(cpu), start('1'), start('0'), os.getloadavg()[0]]))",
  ].join("\n");
  const r = spawnSync("python3", ["-c", driver], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  const [wall, cpu, on, off, load] = JSON.parse(r.stdout) as number[];
  return { lines: text.split("\n").length - 1, wall: wall!, cpu: cpu!, on: on!, off: off!, load: load! };
}

function tokenTable(catalog: Catalog): string[] {
  const before: Catalog = {
    servers: catalog.servers.map((s) => ({ ...s, tools: s.tools.map(({ outputSchema: _, ...t }) => t) })),
  };
  const measure = (c: Catalog) => {
    const model = apiModel(c);
    return {
      docs: tokens(renderDocs(c)),
      signatures: tokens(model.entries.map(entrySignature).join("\n")),
      full: tokens(model.entries.map((e) => renderEntry(e, "stub")).join("\n\n")),
      pyi: tokens(generateApi(c, { version: "bench", configPath: "x", regenerateCommand: "x" }).pyi),
    };
  };
  const b = measure(before), a = measure(catalog);
  const typed = apiModel(catalog).entries.filter((e) => e.returns.annotation !== "Any").length;
  const total = apiModel(catalog).entries.length;
  const row = (what: string, x: number, y: number) =>
    `| ${what} | ${x} | ${y} | ${y - x >= 0 ? "+" : ""}${y - x} (${((100 * (y - x)) / x).toFixed(0)}%) |`;
  return [
    `Example robot servers: ${total} tools, ${typed} with an outputSchema.`,
    "",
    "| what an agent reads | before (every return `Any`) | after (typed returns) | change |",
    "| --- | ---: | ---: | ---: |",
    row(
      "orch's tools/list (5 tools)",
      tokens(JSON.stringify({ tools: ORCH_TOOLS })),
      tokens(JSON.stringify({ tools: ORCH_TOOLS })),
    ),
    row("get_api_documentation (all servers)", b.docs, a.docs),
    row('search_tools "signatures", every tool', b.signatures, a.signatures),
    row('search_tools "full", every tool', b.full, a.full),
    row("unified_api.pyi", b.pyi, a.pyi),
  ];
}

const cost = preflightCost();
const out = [
  `Preflight on a ${cost.lines}-line policy (generated/orch_catalog.json, ${N} runs, load average ${cost.load}):`,
  "",
  "| measure | ms |",
  "| --- | ---: |",
  `| parse + check in-process, CPU time | ${cost.cpu.toFixed(1)} ms |`,
  `| parse + check in-process, wall time | ${cost.wall.toFixed(1)} ms |`,
  `| \`orch_bootstrap.py --check\` in a fresh python3, CPU time, preflight on | ${cost.on.toFixed(1)} ms |`,
  `| \`orch_bootstrap.py --check\` in a fresh python3, CPU time, preflight off | ${cost.off.toFixed(1)} ms |`,
  "",
];
await withContext(join(ROOT, "examples", "mcp_servers_config.json"), async (ctx) => {
  const catalog = await loadCatalog(ctx, {});
  out.push(...tokenTable(catalog));
});
console.log(out.join("\n"));
