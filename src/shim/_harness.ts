/** One shim with a fake source and one live scope, for tests, the benchmark and the smoke script. */
import type { Catalog } from "../catalog/types.ts";
import { fakeCatalog, FakeSource } from "./_fake_source.ts";
import { createIpcApp, type IpcAppDeps } from "./app.ts";
import { type RunScope, type ScopeOptions, ScopeRegistry } from "./scope.ts";

export interface Harness {
  app: ReturnType<typeof createIpcApp>;
  source: FakeSource;
  registry: ScopeRegistry;
  scope: RunScope;
  /** Replaces the catalog the app sees. */
  setCatalog(catalog: Catalog | undefined): void;
  /** `POST /call_tool` with the scope's token; a string body is sent as is. */
  call(body: unknown, headers?: Record<string, string>): Promise<Response>;
  /** A request with the scope's token. */
  get(path: string, headers?: Record<string, string>): Promise<Response>;
}

export const TOOLS: Record<string, string[]> = {
  "ros-mcp-server": ["move_to_grasp", "stop", "get_pose", "set_velocity"],
  "isaac-sim": ["reset", "step"],
};

/** Builds the harness; `catalog: undefined` starts without a catalog. */
export function harness(
  opts: { scope?: ScopeOptions; deps?: Partial<IpcAppDeps>; catalog?: Catalog | undefined } = {},
): Harness {
  const source = new FakeSource(TOOLS);
  const registry = new ScopeRegistry();
  const scope = registry.create(opts.scope);
  let catalog = "catalog" in opts ? opts.catalog : fakeCatalog(TOOLS);
  const app = createIpcApp({ registry, source, catalog: () => catalog, ...opts.deps });
  const auth = { authorization: `Bearer ${scope.token}` };
  return {
    app,
    source,
    registry,
    scope,
    setCatalog(next) {
      catalog = next;
    },
    call(body, headers) {
      return Promise.resolve(app.request("/call_tool", {
        method: "POST",
        headers: { ...auth, "content-type": "application/json", ...headers },
        body: typeof body === "string" ? body : JSON.stringify(body),
      }));
    },
    get(path, headers) {
      return Promise.resolve(app.request(path, { headers: { ...auth, ...headers } }));
    },
  };
}
