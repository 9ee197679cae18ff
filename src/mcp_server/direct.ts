/**
 * `--expose direct|both`: every downstream tool re-exposed as `server__tool`
 * (the generated Python name), its call forwarded through the ToolSource
 * under the config's allow/deny list, argument guards and approvals. Tools of
 * `exclusive` servers are not re-exposed: a direct call could interleave with
 * a policy run that holds the server, so they are reachable through policies only.
 */
import type { Catalog } from "../catalog/types.ts";
import { functionNames } from "../codegen/names.ts";
import type { CallToolResult, Tool } from "../deps/mcp_sdk.ts";
import { errorText } from "../errors.ts";
import { inputSchemaOf } from "../shim/host.ts";
import { type ConfirmHook, RunScope } from "../shim/scope.ts";
import type { CallExtra } from "./handlers.ts";
import { textResult } from "./handlers.ts";
import type { OrchService } from "./service.ts";

interface Target {
  server: string;
  tool: string;
}

/** The downstream tools of one catalog as MCP tools, and where each name goes. */
export class DirectTools {
  readonly #service: OrchService;
  #catalog: Catalog | undefined;
  #tools: Tool[] = [];
  #targets = new Map<string, Target>();
  readonly #scope: RunScope;

  constructor(service: OrchService, confirm?: ConfirmHook) {
    this.#service = service;
    const orch = service.config.orchestrator;
    // One long-lived scope: allow/deny, guards and approvals apply as in runs; no call budget.
    this.#scope = new RunScope({
      allow: orch.allow,
      deny: orch.deny,
      guards: orch.guards,
      confirmTools: orch.confirm,
      confirm,
      inputSchema: (server, tool) => inputSchemaOf(this.#catalog, server, tool),
    });
  }

  async #index(): Promise<void> {
    const catalog = await this.#service.catalog();
    if (catalog === this.#catalog) return;
    const tools: Tool[] = [];
    const targets = new Map<string, Target>();
    for (const t of functionNames(catalog).tools) {
      if (!this.#scope.allows(t.server, t.tool.name)) continue;
      if (this.#service.config.servers.get(t.server)?.exclusive) continue;
      targets.set(t.pyName, { server: t.server, tool: t.tool.name });
      tools.push({
        name: t.pyName,
        ...(t.tool.title ? { title: t.tool.title } : {}),
        description: t.tool.description ?? "",
        inputSchema: { type: "object", ...t.tool.inputSchema } as Tool["inputSchema"],
        ...(t.tool.outputSchema ? { outputSchema: { type: "object", ...t.tool.outputSchema } } : {}),
        ...(t.tool.annotations ? { annotations: t.tool.annotations } : {}),
      } as Tool);
    }
    this.#catalog = catalog;
    this.#tools = tools;
    this.#targets = targets;
  }

  /** The re-exposed tools (discovers the catalog on first use). */
  async list(): Promise<Tool[]> {
    await this.#index();
    return this.#tools;
  }

  /** True when `name` is a re-exposed tool. */
  async has(name: string): Promise<boolean> {
    await this.#index();
    return this.#targets.has(name);
  }

  /** Forwards one call; refusals and failures come back as error results, never as thrown errors. */
  async call(name: string, args: Record<string, unknown>, extra: CallExtra): Promise<CallToolResult> {
    await this.#index();
    const target = this.#targets.get(name);
    if (!target) return textResult(`Unknown tool "${name}"`, true);
    const { server, tool } = target;
    const token = extra._meta?.progressToken;
    const onProgress = token === undefined
      ? undefined
      : (p: { progress: number; total?: number; message?: string }) => {
        extra.sendNotification({ method: "notifications/progress", params: { progressToken: token, ...p } })
          .catch(() => {});
      };
    try {
      return await this.#scope.call(server, tool, args, (call) => {
        const both = AbortSignal.any([call.signal, extra.signal]);
        return this.#service.callTool(server, tool, args, { signal: both, onProgress });
      });
    } catch (err) {
      return textResult(`${server}.${tool} failed: ${errorText(err)}`, true);
    }
  }
}
