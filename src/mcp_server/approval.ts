/**
 * Approvals from the MCP face: a tool listed under `orchestrator.confirm`
 * needs a person's yes per call, asked through the client with an MCP
 * elicitation request. A client that cannot elicit means nobody can approve:
 * the call is denied, with that reason.
 */
import type { Server } from "../deps/mcp_sdk.ts";
import { errorText } from "../errors.ts";
import type { ConfirmHook } from "../shim/scope.ts";

/** Seconds a person has to answer before the call is denied. */
export const APPROVAL_TIMEOUT_S = 300;

function describeArgs(args: Record<string, unknown>): string {
  const text = JSON.stringify(args);
  return text.length > 800 ? `${text.slice(0, 800)}...` : text;
}

/** The confirm hook for runs started through `server`'s session. */
export function approvalsVia(server: Server, signal?: AbortSignal): ConfirmHook {
  return async (srv, tool, args) => {
    if (!server.getClientCapabilities()?.elicitation) {
      return `${srv}.${tool} needs a person's approval and this MCP client cannot ask one (no elicitation support)`;
    }
    try {
      const answer = await server.elicitInput({
        message: `A policy run wants to call ${srv}.${tool} with ${describeArgs(args)}. Allow this call?`,
        requestedSchema: {
          type: "object",
          properties: { approve: { type: "boolean", title: "Allow this call", default: false } },
          required: ["approve"],
        },
      }, { signal, timeout: APPROVAL_TIMEOUT_S * 1000 });
      if (answer.action === "accept" && answer.content?.approve === true) return true;
      return `${srv}.${tool} was not approved (the person chose ${
        answer.action === "accept" ? "not to allow it" : answer.action
      })`;
    } catch (err) {
      return `${srv}.${tool} needs approval and asking failed: ${errorText(err)}`;
    }
  };
}
