/** Static introspection as discovery uses it. */
import type { DiscoverOptions } from "../catalog/discover.ts";
import type { Config } from "../config/schema.ts";
import { introspectFile, serverScript, staticKey } from "./static.ts";

export { introspectFile, serverScript, staticKey, type StaticTools } from "./static.ts";
export { resolveServerScript } from "./resolve.ts";

/** The discovery hooks that read Python servers from source when they cannot (or should not) be started. */
export function staticHooks(
  config: Config,
  cacheDir: string,
): Pick<DiscoverOptions, "staticIntrospect" | "staticKey"> {
  return {
    staticIntrospect: async (_server, entry) => {
      const script = serverScript(entry, config.baseDir);
      const res = await introspectFile(script, {
        python: config.orchestrator.python,
        cacheDir,
        sandbox: config.orchestrator.sandbox,
        roots: entry.type === "stdio" ? [entry.cwd ?? config.baseDir] : [],
      });
      return { tools: res.tools, warnings: res.warnings };
    },
    staticKey: (_server, entry) => staticKey(entry, config.baseDir),
  };
}
