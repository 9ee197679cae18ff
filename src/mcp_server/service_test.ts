import assert from "node:assert/strict";
import type { Catalog } from "../catalog/types.ts";
import type { Config } from "../config/schema.ts";
import type { Engine } from "../engine.ts";
import { ClientIpc } from "../sources/client_ipc.ts";
import { startMcpClient } from "../../tests/fixtures/client_ipc_double.ts";
import { FIXTURE_SERVERS, pyServer, tempDir } from "../../tests/e2e/helpers.ts";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { OrchService } from "./service.ts";

/** Just enough of an Engine: counts refreshes and records the servers discovery would ask for. */
function fakeSession(servers: Config["servers"] = new Map()) {
  const config = { servers } as unknown as Config;
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
  } as unknown as Engine;
  return { session, seen, refreshes: () => refreshes };
}

/**
 * A hand-driven clock for setTimeout/clearTimeout: a timer fires only in `runAll()`, so a test
 * sees which timers exist instead of sleeping past them. `restore()` gives the real ones back.
 */
function fakeTimers() {
  const real = { setTimeout: globalThis.setTimeout, clearTimeout: globalThis.clearTimeout };
  const timers = new Map<number, () => void>();
  let next = 1;
  globalThis.setTimeout = ((fn: () => void) => {
    timers.set(next, fn);
    return next++;
  }) as unknown as typeof setTimeout;
  globalThis.clearTimeout = ((id?: number) => {
    if (id !== undefined) timers.delete(id);
  }) as unknown as typeof clearTimeout;
  return {
    pending: () => timers.size,
    runAll() {
      const due = [...timers.values()];
      timers.clear();
      for (const fn of due) fn();
    },
    restore() {
      Object.assign(globalThis, real);
    },
  };
}

Deno.test("OrchService refreshes once for a burst of tools/list_changed and tells direct sessions", async () => {
  const fake = fakeSession();
  const logs: string[] = [];
  const { promise: logged, resolve: onLog } = Promise.withResolvers<void>();
  const service = new OrchService(fake.session, {
    expose: "both",
    log: (line) => {
      logs.push(line);
      onLog();
    },
  });
  let told = 0;
  service.onListChanged(() => told++);
  const clock = fakeTimers();
  try {
    service.toolsChanged("a");
    service.toolsChanged("a");
    service.toolsChanged("b");
    // Debounced: each change replaced the timer of the one before, and nothing refreshed yet.
    assert.equal(clock.pending(), 1);
    assert.equal(fake.refreshes(), 0);
    clock.runAll();
  } finally {
    clock.restore();
  }
  await logged;
  assert.equal(fake.refreshes(), 1);
  assert.equal(told, 1);
  assert.deepEqual(logs, ["tools changed on b; catalog refreshed (0 servers)"]);
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

Deno.test("OrchService in hybrid mode leaves the config alone and refuses a policy that calls a missing server", {
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const clientDir = tempDir("orch-client-");
  writeFileSync(
    join(clientDir, "mcp_config.json"),
    JSON.stringify({ mcpServers: { "ros-mcp-server": pyServer(join(FIXTURE_SERVERS, "fidelity.py")) } }),
  );
  const double = await startMcpClient({ clientDir, enableOrchestratorIPC: true });
  const ipc = new ClientIpc({ url: double.ipcUrl!, expected: ["ros-mcp-server", "isaac-sim"], waitMs: 300 });
  const fake = fakeSession(new Map([["ros-mcp-server", { type: "stdio", command: "x", args: [], env: {} }]]));
  const logs: string[] = [];
  const service = new OrchService(fake.session, { ipc, expose: "code", log: (l) => logs.push(l) });
  try {
    await service.catalog();
    assert.deepEqual([...fake.session.config.servers.keys()], ["ros-mcp-server"]);
    assert.equal(fake.session.config.servers.get("ros-mcp-server")?.type, "stdio");
    assert.match(logs.join("\n"), /offers 1 server\(s\) \(ros-mcp-server\); still missing: isaac-sim/);
    await assert.rejects(
      service.run({ code: "isaac_sim__save_scene_state()" }),
      /the MCP client does not list "isaac-sim", which this policy calls/,
    );
  } finally {
    await service.close();
    await ipc.close();
    await double.stop();
  }
});
