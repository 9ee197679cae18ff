/**
 * The IPC shim as a running service: one per orch process, served on a Unix
 * socket in a private 0700 folder (127.0.0.1 TCP where Unix sockets are not
 * available), started on first use and removed on close.
 */
import type { Catalog } from "../catalog/types.ts";
import type { JsonSchema } from "../rules/json_schema.ts";
import { isErrno, rt } from "../runtime/mod.ts";
import type { Served } from "../runtime/mod.ts";
import type { ToolSource } from "../sources/types.ts";
import { createIpcShim } from "./app.ts";
import { ScopeRegistry } from "./scope.ts";
import { createSocketDir, removeSocketDir, type SocketDir } from "./socket_dir.ts";

export interface IpcAddress {
  /** Unix socket path, when served on one. */
  socketPath?: string;
  /** `http://127.0.0.1:PORT`, when served on TCP. */
  url?: string;
}

export interface IpcHostDeps {
  source: ToolSource;
  catalog: () => Catalog | undefined;
  /** Discovers a server the catalog left out (a lazy run), before a call to it is checked. */
  ensureServer?: (server: string) => Promise<void>;
  /** Says a warning (a call forwarded without its inputSchema check); default: stderr. */
  warn?: (line: string) => void;
}

const schemaIndex = new WeakMap<Catalog, Map<string, Map<string, JsonSchema>>>();

/** The tool's inputSchema in the catalog, if the catalog lists the tool (indexed once per catalog). */
export function inputSchemaOf(catalog: Catalog | undefined, server: string, tool: string): JsonSchema | undefined {
  if (catalog === undefined) return undefined;
  let index = schemaIndex.get(catalog);
  if (index === undefined) {
    index = new Map(catalog.servers.map((s) => [s.server, new Map(s.tools.map((t) => [t.name, t.inputSchema]))]));
    schemaIndex.set(catalog, index);
  }
  return index.get(server)?.get(tool);
}

/** Why the catalog does not know the server's tool schemas (its discovery failed), or undefined. */
export function schemaUnknownOf(catalog: Catalog | undefined, server: string): string | undefined {
  const entry = catalog?.servers.find((s) => s.server === server);
  if (entry === undefined || entry.status === "ok") return undefined;
  return `its discovery failed: ${entry.error ?? "no tools/list answer"}`;
}

/** Owns the run-scope registry and the listening shim. */
export class IpcHost {
  readonly registry: ScopeRegistry;
  #started: Promise<{ served: Served; address: IpcAddress; dir?: SocketDir }> | undefined;

  constructor(readonly deps: IpcHostDeps) {
    const warned = new Set<string>();
    this.registry = new ScopeRegistry({
      inputSchema: (server, tool) => inputSchemaOf(deps.catalog(), server, tool),
      schemaUnknown: (server, _tool, guarded) => {
        const why = schemaUnknownOf(deps.catalog(), server);
        if (why !== undefined && !guarded && !warned.has(server)) {
          warned.add(server);
          const line = `calls to ${server} are forwarded without an inputSchema check: ${why}`;
          if (deps.warn) deps.warn(line);
          else rt.write(2, `orch: warning: ${line}\n`).catch(() => {});
        }
        return why;
      },
    });
  }

  /** Where policies reach the shim; serves it on first call. */
  async address(): Promise<IpcAddress> {
    this.#started ??= this.#start();
    return (await this.#started).address;
  }

  async #start(): Promise<{ served: Served; address: IpcAddress; dir?: SocketDir }> {
    const base = {
      registry: this.registry,
      source: this.deps.source,
      catalog: this.deps.catalog,
      ensureServer: this.deps.ensureServer,
    };
    if (rt.env("ORCH_IPC_TCP") !== "1") {
      const dir = createSocketDir();
      try {
        const { app, direct } = createIpcShim(base);
        const served = await rt.serve({ unixPath: dir.socketPath, plain: true, direct }, app.fetch);
        return { served, address: { socketPath: dir.socketPath }, dir };
      } catch (err) {
        removeSocketDir(dir);
        if (!isErrno(err, "ENOTSUP", "EOPNOTSUPP", "EAFNOSUPPORT")) throw err;
      }
    }
    const { app, direct } = createIpcShim({ ...base, tcp: true });
    const served = await rt.serve({ hostname: "127.0.0.1", port: 0, plain: true, direct }, app.fetch);
    return { served, address: { url: served.address } };
  }

  /** Stops serving and removes the socket folder; runs still registered are not aborted. */
  async close(): Promise<void> {
    const started = this.#started;
    this.#started = undefined;
    if (!started) return;
    const { served, dir } = await started;
    await served.close().catch(() => {});
    if (dir) removeSocketDir(dir);
  }
}
