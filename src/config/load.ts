/** Finds, reads and validates the config file. */
import { readFileSync, statSync } from "node:fs";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import type { z } from "zod";
import { ConfigError, ConfigNotFoundError } from "../errors.ts";
import { expandVars, MissingVariable } from "./expand.ts";
import { findJsonError } from "./json_error.ts";
import { badServerName, checkPatterns } from "./patterns.ts";
import {
  type Config,
  KNOWN_ORCH_KEYS,
  KNOWN_SERVER_KEYS,
  OrchestratorSchema,
  type ServerConfig,
  ServerSchema,
} from "./schema.ts";

export interface LookupContext {
  /** `--config PATH`, when given. */
  explicit?: string;
  env: (name: string) => string | undefined;
  cwd: string;
  platform?: string;
}

/** Every place orch looks for a config, in order, with how each was chosen. */
export function configCandidates(ctx: LookupContext): { path: string; why: string }[] {
  const out: { path: string; why: string }[] = [];
  if (ctx.explicit) return [{ path: resolve(ctx.cwd, ctx.explicit), why: "--config" }];
  const fromEnv = ctx.env("ORCH_CONFIG");
  if (fromEnv) return [{ path: resolve(ctx.cwd, fromEnv), why: "$ORCH_CONFIG" }];
  out.push({ path: join(ctx.cwd, "mcp_servers_config.json"), why: "current directory" });
  out.push({ path: join(ctx.cwd, "mcp_config.json"), why: "current directory" });
  const home = ctx.env("HOME") ?? "";
  const xdg = ctx.env("XDG_CONFIG_HOME") || (home ? join(home, ".config") : "");
  if (xdg) out.push({ path: join(xdg, "orch", "config.json"), why: "user config dir" });
  if (ctx.platform === "darwin" && home) {
    out.push({ path: join(home, "Library", "Application Support", "orch", "config.json"), why: "user config dir" });
  }
  return out;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The path of the config to use; a ConfigError lists every place looked when there is none. */
export function findConfig(ctx: LookupContext): string {
  const candidates = configCandidates(ctx);
  for (const c of candidates) if (isFile(c.path)) return c.path;
  if (candidates.length === 1 && candidates[0]!.why !== "current directory") {
    throw new ConfigError(`Cannot read config "${candidates[0]!.path}" (from ${candidates[0]!.why}): no such file`);
  }
  throw new ConfigNotFoundError(candidates.map((c) => c.path));
}

function describeIssue(issue: z.core.$ZodIssue, prefix: string): string {
  const path = [prefix, ...issue.path.map(String)].filter(Boolean).join(".");
  if (issue.code === "invalid_type") {
    const expected = String(issue.expected);
    const article = /^[aeiou]/.test(expected) ? "an" : "a";
    return `${path} must be ${article} ${expected}`;
  }
  if (issue.code === "invalid_value" && "values" in issue) {
    return `${path} must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
  }
  if (issue.code === "invalid_union" && (issue.path.length === 0 || issue.path.at(-1) === "type")) {
    return `${issue.path.length === 0 ? `${path}.type` : path} must be "stdio", "http" or "sse"`;
  }
  return `${path}: ${issue.message}`;
}

/** True when a server entry would start orch itself (a client config that registers orch). */
function launchesOrch(entry: Record<string, unknown>, selfPath: string | undefined): boolean {
  const command = entry.command;
  if (typeof command !== "string") return false;
  if (basename(command) === "orch") return true;
  return selfPath !== undefined && isAbsolute(command) && resolve(command) === selfPath;
}

export interface LoadOptions {
  env: (name: string) => string | undefined;
  /** The running orch binary, when compiled: entries that launch it are skipped. */
  selfPath?: string;
}

/** Reads and validates one config file. Throws ConfigError naming file, server and field. */
export function loadConfig(path: string, opts: LoadOptions): Config {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigError(`Cannot read config "${path}": ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    const at = findJsonError(text);
    const where = at ? `:${at.line}:${at.column}` : "";
    throw new ConfigError(`Cannot parse config "${path}${where}": ${at?.message ?? "invalid JSON"}`);
  }
  const fail = (msg: string): never => {
    throw new ConfigError(`Cannot parse config "${path}": ${msg}`);
  };
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) fail("the file must hold a JSON object");
  const root = raw as Record<string, unknown>;
  const warnings: string[] = [];
  const rawServers = root.mcpServers ?? root.servers;
  if (rawServers === undefined) fail(`mcpServers is missing (it maps server names to how to start them)`);
  if (rawServers === null || typeof rawServers !== "object" || Array.isArray(rawServers)) {
    fail("mcpServers must be an object");
  }

  const servers = new Map<string, ServerConfig>();
  const skipped: { name: string; reason: string }[] = [];
  for (const [name, entryRaw] of Object.entries(rawServers as Record<string, unknown>)) {
    const field = `mcpServers.${name}`;
    if (entryRaw === null || typeof entryRaw !== "object" || Array.isArray(entryRaw)) {
      fail(`${field} must be an object`);
    }
    const entry = entryRaw as Record<string, unknown>;
    if (entry.disabled === true) {
      skipped.push({ name, reason: "disabled" });
      continue;
    }
    if (launchesOrch(entry, opts.selfPath)) {
      skipped.push({ name, reason: "it launches orch itself" });
      continue;
    }
    // Disabled entries are never matched, so only enabled ones need a name patterns can reach.
    const badName = badServerName(name);
    if (badName !== undefined) fail(`mcpServers[${JSON.stringify(name)}]: ${badName}`);
    for (const key of Object.keys(entry)) {
      if (!KNOWN_SERVER_KEYS.has(key)) warnings.push(`${path}: ${field}.${key} is not an orch setting and is ignored`);
    }
    let expanded: Record<string, unknown>;
    try {
      expanded = expandVars(entry, opts.env, field) as Record<string, unknown>;
    } catch (err) {
      if (err instanceof MissingVariable) fail(err.message);
      throw err;
    }
    if (expanded.type === undefined) {
      if (expanded.command !== undefined) expanded.type = "stdio";
      else if (expanded.url !== undefined) expanded.type = "http";
      else fail(`${field} needs "command" (a local server) or "url" (a remote one)`);
    } else if (expanded.type === "streamableHttp" || expanded.type === "streamable-http") {
      expanded.type = "http";
    }
    if (expanded.type === "stdio" && expanded.command === undefined) fail(`${field}.command is missing`);
    if ((expanded.type === "http" || expanded.type === "sse") && expanded.url === undefined) {
      fail(`${field}.url is missing`);
    }
    const parsed = ServerSchema.safeParse(expanded);
    if (!parsed.success) fail(describeIssue(parsed.error.issues[0]!, field));
    const server = parsed.data!;
    if (server.type === "stdio" && server.cwd !== undefined) server.cwd = resolve(dirname(path), server.cwd);
    servers.set(name, server);
  }

  const orchRaw = root.orchestrator ?? {};
  if (orchRaw === null || typeof orchRaw !== "object" || Array.isArray(orchRaw)) fail("orchestrator must be an object");
  for (const key of Object.keys(orchRaw as object)) {
    if (!KNOWN_ORCH_KEYS.has(key)) warnings.push(`${path}: orchestrator.${key} is not an orch setting and is ignored`);
  }
  const orch = OrchestratorSchema.safeParse(orchRaw);
  if (!orch.success) fail(describeIssue(orch.error.issues[0]!, "orchestrator"));
  const known = [...servers.keys(), ...skipped.map((s) => s.name)];
  const patternWarnings: string[] = [];
  const badPattern = checkPatterns(orch.data!, known, patternWarnings);
  if (badPattern !== undefined) fail(badPattern);
  for (const w of patternWarnings) warnings.push(`${path}: ${w}`);
  for (const key of Object.keys(root)) {
    if (!["mcpServers", "servers", "orchestrator"].includes(key)) {
      warnings.push(`${path}: top-level key "${key}" is not an orch setting and is ignored`);
    }
  }
  return freezeDeep({
    path,
    baseDir: dirname(path),
    servers,
    skipped,
    orchestrator: orch.data!,
    warnings,
  });
}

/** Freezes plain objects, arrays and a Map's values all the way down (the Map itself is typed read-only). */
function freezeDeep<T>(value: T): T {
  if (value instanceof Map) {
    for (const v of value.values()) freezeDeep(v);
  } else if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) freezeDeep(v);
    Object.freeze(value);
  }
  return value;
}
