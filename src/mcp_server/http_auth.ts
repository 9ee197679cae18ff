/**
 * How `orch serve --http` tells clients it wants a static bearer token. Claude Code and mcp-remote start
 * OAuth discovery and dynamic client registration on any 401 (RFC 9728, then RFC 8414, then RFC 7591):
 * every step they take answers in words that a static token is expected, so the person sees that
 * sentence instead of a failed OAuth flow.
 */
import type { Hono } from "hono";

/** What to do, in one sentence. */
export const TOKEN_HINT = "orch serve expects a static bearer token, not OAuth: send the header " +
  '"Authorization: Bearer TOKEN" with $ORCH_HTTP_TOKEN (or the token orch printed at start); ' +
  "a client that cannot send headers can use orch serve --auth none on a loopback address";

/** The same as a WWW-Authenticate parameter (no quotes inside). */
const SHORT_HINT = "orch expects a static bearer token (Authorization: Bearer TOKEN), not OAuth";

const PRM = "/.well-known/oauth-protected-resource";

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
}

/** 401 for a request without the right token, as JSON-RPC, with a challenge naming the resource metadata. */
export function unauthorized(req: Request, why: string, tokenGiven: boolean): Response {
  const origin = new URL(req.url).origin;
  const challenge = [
    'Bearer realm="orch"',
    ...(tokenGiven ? ['error="invalid_token"'] : []),
    `error_description="${SHORT_HINT}"`,
    `resource_metadata="${origin}${PRM}/mcp"`,
  ].join(", ");
  return json(401, { jsonrpc: "2.0", error: { code: -32001, message: `${why}: ${TOKEN_HINT}` }, id: null }, {
    "www-authenticate": challenge,
  });
}

/** Answers the OAuth discovery and registration paths clients try; they need no token. */
export function mountOAuthAnswers(app: Hono): void {
  const oauthError = (status: number) => () =>
    json(status, { error: "invalid_request", error_description: TOKEN_HINT });
  // RFC 9728: the resource exists and takes a bearer token in the header; no authorization server is named.
  const metadata = (req: Request) => {
    const origin = new URL(req.url).origin;
    return json(200, {
      resource: `${origin}/mcp`,
      resource_name: "orch",
      bearer_methods_supported: ["header"],
      resource_description: TOKEN_HINT,
    });
  };
  app.get(PRM, (c) => metadata(c.req.raw));
  app.get(`${PRM}/*`, (c) => metadata(c.req.raw));
  for (const path of ["/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"]) {
    app.get(path, oauthError(404));
    app.get(`${path}/*`, oauthError(404));
  }
  app.get("/mcp/.well-known/openid-configuration", oauthError(404));
  app.post("/register", oauthError(400));
  app.post("/token", oauthError(400));
  app.get(
    "/authorize",
    () => new Response(TOKEN_HINT + "\n", { status: 400, headers: { "content-type": "text/plain" } }),
  );
}
