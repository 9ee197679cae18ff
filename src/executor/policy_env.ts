/** The policy's environment: an allow-list, never orch's whole environment. */

/** Names passed through from orch's environment when set. */
const ALLOWED = new Set(["PATH", "LANG", "LANGUAGE", "TZ", "TERM", "MCP_CLIENT_OUTPUT_DIR"]);
const ALLOWED_PREFIXES = ["LC_"];

export interface PolicyEnvInput {
  /** orch's own environment. */
  parent: Record<string, string>;
  /** Extra names the config lists under `orchestrator.env`. */
  passNames: readonly string[];
  runDir: string;
  outputDir: string;
  /** `ORCH_*` values orch sets for the run (socket, token, run id...). */
  orch: Record<string, string>;
}

/** Builds the policy's whole environment. Secrets in orch's environment or in servers' `env` never get in. */
export function policyEnv(input: PolicyEnvInput): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.parent)) {
    if (ALLOWED.has(k) || ALLOWED_PREFIXES.some((p) => k.startsWith(p))) env[k] = v;
  }
  for (const name of input.passNames) {
    const v = input.parent[name];
    if (v !== undefined) env[name] = v;
  }
  env.PATH ??= "/usr/local/bin:/usr/bin:/bin";
  env.HOME = input.runDir;
  env.TMPDIR = input.runDir;
  env.PYTHONUNBUFFERED = "1";
  env.PYTHONDONTWRITEBYTECODE = "1";
  env.PYTHONIOENCODING = "utf-8";
  env.ORCH_OUTPUT_DIR = input.outputDir;
  for (const [k, v] of Object.entries(input.orch)) env[k] = v;
  return env;
}
