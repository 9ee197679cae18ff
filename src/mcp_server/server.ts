/** One MCP session's server object: tools/list and tools/call over the shared service. */
import {
  CallToolRequestSchema,
  type CallToolResult,
  ErrorCode,
  ListToolsRequestSchema,
  Server,
  type Tool,
} from "../deps/mcp_sdk.ts";
import { VERSION } from "../version.ts";
import type { ConfirmHook } from "../shim/scope.ts";
import { approvalsVia } from "./approval.ts";
import { DirectTools } from "./direct.ts";
import { apiDocs, type CallExtra, executeCode, listAvailable, refreshTools, search } from "./handlers.ts";
import type { OrchService } from "./service.ts";
import { RunTaskStore } from "./tasks.ts";
import { cancelRun, getRun } from "./tasks_poll.ts";
import { CANCEL_RUN, DOCS, EXECUTE, GET_RUN, LIST, ORCH_TOOLS, REFRESH, SEARCH } from "./tools.ts";

/**
 * A JSON-RPC error whose message is just `message`: an McpError's own message starts with
 * "MCP error CODE: ", which the client's McpError then prefixes a second time.
 */
function protocolError(code: number, message: string): Error & { code: number } {
  return Object.assign(new Error(message), { code });
}

type Handler = (service: OrchService, args: unknown, extra: CallExtra) => Promise<CallToolResult>;

const HANDLERS: Record<string, Handler> = {
  [EXECUTE]: executeCode,
  [LIST]: listAvailable,
  [REFRESH]: refreshTools,
  [DOCS]: apiDocs,
  [SEARCH]: search,
  [GET_RUN]: getRun,
  [CANCEL_RUN]: cancelRun,
};

const INSTRUCTIONS = "Write one Python policy for multi-step work and run it with execute_composed_code; " +
  "find tools with search_tools and read get_api_documentation for just those servers.";

/** A Server for one MCP session (stdio has one; HTTP one per session id); close it to unsubscribe. */
export function createMcpServer(service: OrchService): Server {
  const code = service.expose !== "direct";
  // Approvals of direct calls ask the person through this session's client, like runs do
  // (called only once a call arrives, when `server` below exists).
  const confirm: ConfirmHook = (srv, tool, args) => approvalsVia(server)(srv, tool, args);
  const direct = service.expose !== "code" ? new DirectTools(service, confirm) : undefined;
  const tasks = code ? { list: {}, cancel: {}, requests: { tools: { call: {} } } } : undefined;
  const server = new Server(
    { name: "orch", version: VERSION },
    {
      // logging: the SDK then answers logging/setLevel and filters notifications/message by it.
      capabilities: { tools: { listChanged: direct !== undefined }, logging: {}, ...(tasks ? { tasks } : {}) },
      ...(code ? { instructions: INSTRUCTIONS, taskStore: new RunTaskStore(service) } : {}),
    },
  );
  // get_run keeps one read cursor per session.
  const reader = crypto.randomUUID();
  const log: CallExtra["log"] = (level, logger, data) => {
    server.sendLoggingMessage({ level, logger, data }).catch(() => {});
  };

  // orch's own log lines (warnings, runs that ended) reach the client as log notifications too.
  const offLog = service.onLog((line) => log(/warning|fail|error/i.test(line) ? "warning" : "info", "orch", line));
  const closing = server.onclose;
  server.onclose = () => {
    offLog();
    closing?.();
  };

  server.setRequestHandler(ListToolsRequestSchema, async () => {
    const tools: Tool[] = code ? [...ORCH_TOOLS] : [];
    if (direct) tools.push(...await direct.list());
    return { tools };
  });

  server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
    const { name, arguments: args } = req.params;
    const own = code ? HANDLERS[name] : undefined;
    if (own) {
      const withApproval: CallExtra = {
        ...(extra as CallExtra),
        confirm: approvalsVia(server, extra.signal),
        reader,
        log,
        ...(req.params.task ? { task: req.params.task } : {}),
      };
      return await own(service, args ?? {}, withApproval);
    }
    if (direct && await direct.has(name)) return await direct.call(name, args ?? {}, extra as CallExtra);
    throw protocolError(ErrorCode.InvalidParams, `Unknown tool "${name}"`);
  });

  if (direct) {
    const off = service.onListChanged(() => {
      server.sendToolListChanged().catch(() => {});
    });
    const previous = server.onclose;
    server.onclose = () => {
      off();
      previous?.();
    };
  }
  return server;
}
