/** The config file's shape: zod schemas first, TypeScript types inferred from them. */
import { z } from "zod";

const introspectMode = z.enum(["auto", "mcp", "static"]);

const common = {
  disabled: z.boolean().optional(),
  /** Seconds one tool call may take. */
  timeout: z.number().positive().optional(),
  /** Largest answer (one JSON-RPC message, so one tool result) the server may send, in MiB; default 64. */
  maxMessageMb: z.number().positive().optional(),
  introspect: introspectMode.optional(),
  /** Two runs never use this server at once. */
  exclusive: z.boolean().optional(),
};

export const StdioServerSchema = z.object({
  type: z.literal("stdio"),
  command: z.string().min(1),
  args: z.array(z.string()).default([]),
  env: z.record(z.string(), z.string()).default({}),
  cwd: z.string().optional(),
  ...common,
});

export const RemoteServerSchema = z.object({
  /** `http` is Streamable HTTP; `sse` the old HTTP+SSE transport. */
  type: z.enum(["http", "sse"]),
  url: z.url(),
  headers: z.record(z.string(), z.string()).default({}),
  ...common,
});

export const ServerSchema = z.discriminatedUnion("type", [StdioServerSchema, RemoteServerSchema]);

export const ToolCallSchema = z.object({
  server: z.string().min(1),
  tool: z.string().min(1),
  arguments: z.record(z.string(), z.unknown()).default({}),
});

export const LimitsSchema = z.object({
  /** Wall-clock seconds for one policy run. */
  timeout: z.number().positive().optional(),
  memoryMb: z.number().int().positive().optional(),
  cpuSeconds: z.number().int().positive().optional(),
  fileSizeMb: z.number().int().positive().optional(),
  openFiles: z.number().int().positive().optional(),
  processes: z.number().int().positive().optional(),
  /** Bytes of stdout+stderr kept in a run's result (head and tail). */
  outputBytes: z.number().int().positive().optional(),
  /** Tool calls one run may make. */
  calls: z.number().int().positive().optional(),
  /** MiB one run may keep in its run and output folders; MiB its output.log keeps. */
  diskMb: z.number().int().positive().optional(),
  logMb: z.number().int().positive().optional(),
  /** MiB all run folders may hold together (the oldest finished ones are removed); MiB per server log before rotation. */
  runsTotalMb: z.number().int().positive().optional(),
  serverLogMb: z.number().int().positive().optional(),
});

/** Persistent sessions (`execute_composed_code(session_id=..., persistent=true)`, `orch run --session`). */
export const SessionsSchema = z.object({
  /** Live sessions at once per `orch serve`; the one idle longest makes room for a new one. */
  max: z.number().int().positive().default(8),
  /** Seconds a session may sit unused before it is ended (`orch run --session` snapshots: 7 days). */
  idleSeconds: z.number().positive().default(1800),
  /** A session whose process grows past this (MiB resident) is ended after its call; also caps a snapshot. */
  memoryMb: z.number().int().positive().default(1024),
});

export const RunsSchema = z.object({
  /** Seconds execute_composed_code waits before answering `status: running` (get_run follows it). */
  waitSeconds: z.number().positive().default(50),
  /** Seconds an ended run stays in memory for get_run, tasks/get and tasks/result. */
  keepSeconds: z.number().positive().default(3600),
  /** Run folders (journal, log, outputs) kept on disk, newest first. */
  keep: z.number().int().positive().default(200),
  /** Megabytes the servers' stderr logs may use; the oldest go first. */
  logsMb: z.number().positive().default(256),
});

export const OrchestratorSchema = z.object({
  python: z.string().min(1).default("python3"),
  sandbox: z.enum(["auto", "bwrap", "none"]).default("auto"),
  limits: LimitsSchema.default({}),
  allow: z.array(z.string()).default(["*"]),
  deny: z.array(z.string()).default([]),
  /** Per `server/tool`: a JSON Schema the arguments must also satisfy. */
  guards: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
  /** `server/tool` globs that need a human yes per call. */
  confirm: z.array(z.string()).default([]),
  onAbort: z.array(ToolCallSchema).default([]),
  /** Names of environment variables passed on to policies. */
  env: z.array(z.string()).default([]),
  /** Seconds one server may take to start and list its tools. */
  discoveryTimeout: z.number().positive().default(30),
  /** Argument names whose values run journals redact (besides password, token, secret, api_key...). */
  secretArgs: z.array(z.string()).default([]),
  /** Long runs and what is kept of ended ones. */
  runs: RunsSchema.prefault({}),
  cacheDir: z.string().optional(),
  sessions: SessionsSchema.default({ max: 8, idleSeconds: 1800, memoryMb: 1024 }),
  /**
   * `auto`: hybrid when the MCP client sets MCP_CLIENT_IPC_URL, else standalone; `hybrid`: never start
   * own servers (no URL is an error); `standalone`: always own servers.
   */
  mode: z.enum(["auto", "hybrid", "standalone"]).default("auto"),
  /** Hybrid mode: seconds to wait for the MCP client to list every server of this config. */
  clientWait: z.number().nonnegative().default(30),
  /** Check every policy against the catalog before it starts (templates/orch_preflight.py). */
  preflight: z.boolean().default(true),
});

export type StdioServer = z.infer<typeof StdioServerSchema>;
export type RemoteServer = z.infer<typeof RemoteServerSchema>;
export type ServerConfig = z.infer<typeof ServerSchema>;
export type Orchestrator = z.infer<typeof OrchestratorSchema>;
export type ToolCall = z.infer<typeof ToolCallSchema>;
export type RunsConfig = z.infer<typeof RunsSchema>;

/** A loaded, validated config: read-only (loadConfig freezes it), so no layer can invent servers or settings. */
export interface Config {
  /** Absolute path of the file it came from. */
  readonly path: string;
  /** Folder relative paths (cwd, static scripts) resolve against. */
  readonly baseDir: string;
  /** Enabled servers, in file order; `name` is the config key. */
  readonly servers: ReadonlyMap<string, ServerConfig>;
  /** Servers left out (disabled, or launching orch itself), with why. */
  readonly skipped: readonly { readonly name: string; readonly reason: string }[];
  readonly orchestrator: Orchestrator;
  readonly warnings: readonly string[];
}

/** Keys each part of the file knows; anything else is a warning, not a failure. */
export const KNOWN_SERVER_KEYS: ReadonlySet<string> = new Set([
  ...Object.keys(StdioServerSchema.shape),
  ...Object.keys(RemoteServerSchema.shape),
]);
export const KNOWN_ORCH_KEYS = new Set(Object.keys(OrchestratorSchema.shape));
