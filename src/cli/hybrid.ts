/**
 * Choosing hybrid or standalone mode (`orchestrator.mode`), and the client IPC source with its
 * whitelist: the servers of orch's own config, minus those the MCP client's config disables.
 */
import { readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { Config } from "../config/schema.ts";
import { ConfigError, errorText } from "../errors.ts";
import { rt } from "../runtime/mod.ts";
import { ClientIpc, ORCHESTRATOR_ENTRY } from "../sources/client_ipc.ts";

const WHY_NO_URL = `the seed's MCP client (mcp-client-example) sets it only for the entry named exactly ` +
  `"${ORCHESTRATOR_ENTRY}" in its mcp_config.json, and only when that entry is not "disabled"`;

/**
 * True for hybrid mode. Throws ConfigError when the config demands hybrid mode and there is no
 * client IPC; warns when orch looks launched by that client under another name.
 */
export function resolveMode(config: Config, ipcUrl: string | undefined, warn: (text: string) => void): boolean {
  const mode = config.orchestrator.mode;
  if (mode === "standalone") return false;
  if (ipcUrl) return true;
  if (mode === "hybrid") throw noIpcError(config, "orch serve");
  if (rt.env("MCP_CLIENT_OUTPUT_DIR")) {
    warn(
      `MCP_CLIENT_OUTPUT_DIR is set but MCP_CLIENT_IPC_URL is not: ${WHY_NO_URL}. ` +
        `orch runs standalone and starts its own copy of every server`,
    );
  }
  return false;
}

/** Commands that start servers themselves (run, list, docs...) refuse a config that says `mode: "hybrid"`. */
export function refuseOwnServers(config: Config, command: string): void {
  if (config.orchestrator.mode === "hybrid") throw noIpcError(config, command);
}

function noIpcError(config: Config, command: string): ConfigError {
  return new ConfigError(
    `Cannot start ${command} with "${config.path}": orchestrator.mode is "hybrid" but MCP_CLIENT_IPC_URL is not set, ` +
      `so orch would start its own copy of every server. ${WHY_NO_URL[0]!.toUpperCase()}${WHY_NO_URL.slice(1)}; ` +
      `rename the entry, or set orchestrator.mode to "auto" or "standalone"`,
  );
}

/**
 * Servers the seed's client disables in its mcp_config.json, which it keeps beside its data folder
 * (`<client>/mcp_config.json`, `<client>/.mcp-client-data/outputs` = MCP_CLIENT_OUTPUT_DIR).
 */
export function clientDisabledServers(
  outputDir: string | undefined,
): { names: string[]; from?: string; error?: string } {
  if (!outputDir || basename(outputDir) !== "outputs" || basename(dirname(outputDir)) !== ".mcp-client-data") {
    return { names: [] };
  }
  const from = join(dirname(dirname(outputDir)), "mcp_config.json");
  try {
    const raw = JSON.parse(readFileSync(from, "utf8"));
    const servers = raw?.mcpServers;
    if (servers === null || typeof servers !== "object") return { names: [], from };
    const names = Object.entries(servers as Record<string, { disabled?: unknown } | null>)
      .filter(([, e]) => e?.disabled === true).map(([name]) => name);
    return { names, from };
  } catch (err) {
    return { names: [], from, error: errorText(err) };
  }
}

/** The hybrid-mode source: the client's IPC, exposing only what orch's config and the client allow. */
export function hybridSource(url: string, config: Config, say: (line: string) => void): ClientIpc {
  const disabled = new Set(config.skipped.filter((s) => s.reason === "disabled").map((s) => s.name));
  const client = clientDisabledServers(rt.env("MCP_CLIENT_OUTPUT_DIR"));
  if (client.error) say(`warning: cannot read the MCP client's config "${client.from}": ${client.error}`);
  for (const name of client.names) disabled.add(name);
  const envWait = rt.env("ORCH_CLIENT_IPC_WAIT");
  const waitS = envWait !== undefined && Number.isFinite(Number(envWait)) && Number(envWait) >= 0
    ? Number(envWait)
    : config.orchestrator.clientWait;
  return new ClientIpc({
    url,
    waitMs: waitS * 1000,
    expected: config.servers.size ? [...config.servers.keys()] : undefined,
    disabled: [...disabled],
  });
}
