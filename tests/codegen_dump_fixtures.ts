/**
 * Refreshes tests/fixtures/codegen/*.json: the real tools/list answers of the dev MCP servers in node_modules.
 * Run: deno run -A tests/codegen_dump_fixtures.ts
 */
import { spawn } from "node:child_process";
import process from "node:process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const scratch = mkdtempSync(join(tmpdir(), "orch-fixtures-"));

const servers: Record<string, { script: string; args: string[]; env?: Record<string, string> }> = {
  "everything": { script: "server-everything/dist/index.js", args: ["stdio"] },
  "memory": {
    script: "server-memory/dist/index.js",
    args: [],
    env: { MEMORY_FILE_PATH: join(scratch, "memory.jsonl") },
  },
  "filesystem": { script: "server-filesystem/dist/index.js", args: [scratch] },
};

function listTools(script: string, args: string[], env: Record<string, string> = {}): Promise<unknown> {
  const child = spawn("node", [join(root, "node_modules/@modelcontextprotocol", script), ...args], {
    env: { ...process.env, ...env },
    stdio: ["pipe", "pipe", "inherit"],
  });
  const send = (msg: unknown) => child.stdin.write(JSON.stringify(msg) + "\n");
  return new Promise((resolve, reject) => {
    let buf = "";
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`${script} did not answer tools/list`));
    }, 15_000);
    child.stdout.on("data", (chunk: Uint8Array) => {
      buf += new TextDecoder().decode(chunk);
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const msg = JSON.parse(line);
        if (msg.id === 1) {
          send({ jsonrpc: "2.0", method: "notifications/initialized" });
          send({ jsonrpc: "2.0", id: 2, method: "tools/list", params: {} });
        } else if (msg.id === 2) {
          clearTimeout(timer);
          child.kill();
          resolve(msg.result);
        }
      }
    });
    send({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "orch-fixtures", version: "0" } },
    });
  });
}

for (const [name, s] of Object.entries(servers)) {
  const result = await listTools(s.script, s.args, s.env);
  const out = join(root, "tests/fixtures/codegen", `${name}.json`);
  writeFileSync(out, JSON.stringify(result, null, 2) + "\n");
  console.log(`wrote ${out}`);
}
