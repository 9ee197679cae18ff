import { runUnixSocketSmoke } from "./unix_smoke.ts";

Deno.test("createIpcApp() served by rt.serve() answers HTTP/1.1 over a Unix socket", async () => {
  await runUnixSocketSmoke();
});
