import assert from "node:assert/strict";
import { McpError, StreamableHTTPError } from "../deps/mcp_sdk.ts";
import { httpLoss } from "./http_loss.ts";

Deno.test("httpLoss() tells a forgotten session and a refused connection (unsent) from a broken one (lost)", () => {
  assert.equal(httpLoss(new StreamableHTTPError(404, "Error POSTing to endpoint: Engine not found")), "unsent");
  assert.equal(httpLoss(new StreamableHTTPError(400, "Error POSTing to endpoint: No valid session ID")), "unsent");
  const refused = new TypeError("fetch failed", {
    cause: Object.assign(new Error("connect"), { code: "ECONNREFUSED" }),
  });
  assert.equal(httpLoss(refused), "unsent");
  assert.equal(httpLoss(new TypeError("error sending request: connection reset")), "lost");
  assert.equal(httpLoss(new StreamableHTTPError(500, "Error POSTing to endpoint: boom")), undefined);
  assert.equal(httpLoss(new McpError(-32602, "Invalid params")), undefined);
});
