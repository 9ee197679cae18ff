import assert from "node:assert/strict";
import { errnoOf, isErrno, OsError, toOsError, unixServeError } from "./os_error.ts";
import { rt } from "./mod.ts";

Deno.test("errnoOf() reads the code, or a Deno error class without one", () => {
  assert.equal(errnoOf(Object.assign(new Error("x"), { code: "EACCES" })), "EACCES");
  const notFound = new Error("gone");
  notFound.name = "NotFound";
  assert.equal(errnoOf(notFound), "ENOENT");
  assert.equal(errnoOf(new Error("ENOENT: no such file")), undefined);
  assert.equal(errnoOf("ENOENT"), undefined);
  assert.ok(isErrno(new OsError("EADDRINUSE", "busy"), "EPERM", "EADDRINUSE"));
});

Deno.test("toOsError() keeps the message and the cause, and leaves errors without errno alone", () => {
  const cause = Object.assign(new Error("posix_spawn failed"), { code: "ENOENT" });
  const err = toOsError(cause);
  assert.ok(err instanceof OsError);
  assert.equal(err.code, "ENOENT");
  assert.equal(err.message, "posix_spawn failed");
  assert.equal(err.cause, cause);
  const plain = new Error("boom");
  assert.equal(toOsError(plain), plain);
});

Deno.test("unixServeError() says ENOTSUP for a runtime that has no Unix sockets", () => {
  assert.equal((unixServeError(new Error("Unix sockets are not supported")) as OsError).code, "ENOTSUP");
  assert.equal((unixServeError(Object.assign(new Error("x"), { code: "ENOENT" })) as OsError).code, "ENOENT");
});

Deno.test("rt.spawn() and rt.serve() throw OsErrors with errno codes", async () => {
  assert.throws(() => rt.spawn({ cmd: "/nonexistent/orch-test-cmd", args: [], env: {} }), (e) => isErrno(e, "ENOENT"));
  const first = await rt.serve({ hostname: "127.0.0.1", port: 0 }, () => new Response("x"));
  try {
    for (const plain of [false, true]) {
      await assert.rejects(
        rt.serve({ hostname: "127.0.0.1", port: first.port, plain }, () => new Response("x")),
        (e) => e instanceof OsError && e.code === "EADDRINUSE",
      );
    }
    await assert.rejects(
      rt.serve({ unixPath: "/nonexistent/orch-test/s.sock", plain: true }, () => new Response("x")),
      (e) => e instanceof OsError && e.code === "ENOENT",
    );
  } finally {
    await first.close();
  }
});
