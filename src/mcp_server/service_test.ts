import assert from "node:assert/strict";
import type { Catalog } from "../catalog/types.ts";
import type { Config } from "../config/schema.ts";
import type { Session } from "../session.ts";
import { ClientIpc } from "../sources/client_ipc.ts";
import { startClientIpcDouble } from "../../tests/fixtures/client_ipc_double.ts";
import { OrchService } from "./service.ts";

/** Just enough of a Session: counts refreshes and records the servers discovery would ask for. */
function fakeSession() {
  const config = { servers: new Map() } as unknown as Config;
  const seen: string[][] = [];
  let refreshes = 0;
  const catalog = (): Promise<Catalog> => {
    seen.push([...config.servers.keys()]);
    return Promise.resolve({ servers: [] });
  };
  const session = {
    config,
    catalog,
    refresh: () => {
      refreshes++;
      return catalog();
    },
    close: () => Promise.resolve(),
  } as unknown as Session;
  return { session, seen, refreshes: () => refreshes };
}

Deno.test("OrchService refreshes once for a burst of tools/list_changed and tells direct sessions", async () => {
  const fake = fakeSession();
  const service = new OrchService(fake.session, { expose: "both", log: () => {} });
  let told = 0;
  service.onListChanged(() => told++);
  service.toolsChanged("a");
  service.toolsChanged("a");
  service.toolsChanged("b");
  await new Promise((r) => setTimeout(r, 800));
  assert.equal(fake.refreshes(), 1);
  assert.equal(told, 1);
  await service.close();
});

Deno.test("OrchService in code mode refreshes without telling sessions (their tool list stays the same)", async () => {
  const fake = fakeSession();
  const service = new OrchService(fake.session, { expose: "code", log: () => {} });
  let told = 0;
  service.onListChanged(() => told++);
  await service.refresh();
  assert.equal(fake.refreshes(), 1);
  assert.equal(told, 0);
  await service.close();
});

Deno.test("OrchService in hybrid mode discovers exactly the servers the client lists", async () => {
  const double = await startClientIpcDouble();
  const ipc = new ClientIpc({ url: double.url });
  const fake = fakeSession();
  fake.session.config.servers.set("from-file", { type: "stdio", command: "x", args: [], env: {} });
  const service = new OrchService(fake.session, { ipc, expose: "code", log: () => {} });
  try {
    await service.catalog();
    assert.deepEqual(fake.seen.at(-1), ["robot", "camera"]);
    const entry = fake.session.config.servers.get("robot");
    assert.equal(entry?.type, "http");
  } finally {
    await service.close();
    await ipc.close();
    await double.close();
  }
});
