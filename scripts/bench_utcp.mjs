// @utcp/code-mode as a peer in scripts/bench (never part of orch): the same echo calls, made from
// its isolated-vm sandbox through its MCP plugin to the server's stdio. Runs under node (isolated-vm
// is a V8 addon). Usage: node bench_utcp.mjs N WARM -- COMMAND...; prints {"median_us": mean per call}.
// Date.now() is all the sandbox has, so a round is timed as a whole and divided: the number is a mean.
// The packages live in scripts/bench_peers (its own lockfile, installed by scripts/bench): isolated-vm
// compiles from source, which the project's own `npm ci` should never have to do.
import { createRequire } from "node:module";
import { join } from "node:path";

const peers = createRequire(join(import.meta.dirname, "bench_peers", "package.json"));
const { CodeModeUtcpClient } = await import(peers.resolve("@utcp/code-mode"));
await import(peers.resolve("@utcp/mcp"));

const [n, warm] = process.argv.slice(2, 4).map(Number);
const cmd = process.argv.slice(process.argv.indexOf("--") + 1);
const client = await CodeModeUtcpClient.create(process.cwd(), null);
await client.registerManual({
  name: "bench",
  call_template_type: "mcp",
  config: { mcpServers: { everything: { transport: "stdio", command: cmd[0], args: cmd.slice(1) } } },
});
const tool = (await client.getTools()).find((t) => t.name.endsWith("echo"));
if (!tool) throw new Error("no echo tool registered");
// The name the sandbox exposes: `bench.everything.echo` is called as `bench.everything_echo`.
const [manual, ...rest] = tool.name.split(".");
const call = `${manual}.${rest.join("_")}`;
const loop = (count) => `
  const t0 = Date.now();
  for (let i = 0; i < ${count}; i++) ${call}({ message: "hi" });
  return Date.now() - t0;`;
await client.callToolChain(loop(warm), 600000);
const run = await client.callToolChain(loop(n), 600000);
const result = run.result;
if (typeof result !== "number") throw new Error(`code-mode run failed: ${JSON.stringify(run).slice(0, 500)}`);
console.log(JSON.stringify({ median_us: (result * 1000) / n, mean: true }));
process.exit(0);
