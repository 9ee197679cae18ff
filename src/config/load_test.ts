import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "../errors.ts";
import { configCandidates, findConfig, loadConfig } from "./load.ts";
import { KNOWN_SERVER_KEYS } from "./schema.ts";

function write(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "orch-config-"));
  const path = join(dir, "mcp_servers_config.json");
  writeFileSync(path, text);
  return path;
}

const env = (vars: Record<string, string> = {}) => (name: string) => vars[name];

function loadError(text: string, vars: Record<string, string> = {}): string {
  const path = write(text);
  try {
    loadConfig(path, { env: env(vars) });
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.message.replace(path, "FILE");
  }
  throw new Error("expected a ConfigError");
}

Deno.test("loadConfig() reads stdio, http and sse servers and defaults cwd to the config's folder", () => {
  const path = write(JSON.stringify({
    mcpServers: {
      ros: { command: "python3", args: ["server.py"], env: { ROS_DOMAIN_ID: "7" }, cwd: "sub" },
      isaac: { type: "http", url: "http://127.0.0.1:8766/mcp", headers: { Authorization: "Bearer t" } },
      old: { type: "sse", url: "http://127.0.0.1:9/sse" },
      bare: { url: "http://127.0.0.1:9/mcp" },
      streamy: { type: "streamableHttp", url: "http://127.0.0.1:9/mcp" },
    },
  }));
  const cfg = loadConfig(path, { env: env() });
  const ros = cfg.servers.get("ros")!;
  assert.equal(ros.type, "stdio");
  assert.ok(ros.type === "stdio" && ros.cwd === join(cfg.baseDir, "sub"));
  assert.equal(cfg.servers.get("isaac")!.type, "http");
  assert.equal(cfg.servers.get("old")!.type, "sse");
  assert.equal(cfg.servers.get("bare")!.type, "http");
  assert.equal(cfg.servers.get("streamy")!.type, "http");
  assert.equal(cfg.orchestrator.python, "python3");
  assert.equal(cfg.orchestrator.sandbox, "auto");
});

Deno.test("loadConfig() skips disabled servers and servers that launch orch itself", () => {
  const path = write(JSON.stringify({
    mcpServers: {
      a: { command: "x", disabled: true },
      me: { command: "/usr/local/bin/orch", args: ["serve"] },
      b: { command: "y" },
    },
  }));
  const cfg = loadConfig(path, { env: env() });
  assert.deepEqual([...cfg.servers.keys()], ["b"]);
  assert.deepEqual(cfg.skipped.map((s) => s.name), ["a", "me"]);
});

Deno.test("loadConfig() expands ${VAR} and ${VAR:-default}", () => {
  const path = write(JSON.stringify({
    mcpServers: {
      isaac: { url: "http://${HOST:-127.0.0.1}:8766/mcp", headers: { Authorization: "Bearer ${TOKEN}" } },
    },
  }));
  const cfg = loadConfig(path, { env: env({ TOKEN: "s3cret" }) });
  const isaac = cfg.servers.get("isaac")!;
  assert.ok(isaac.type === "http");
  assert.equal(isaac.url, "http://127.0.0.1:8766/mcp");
  assert.equal(isaac.headers.Authorization, "Bearer s3cret");
});

Deno.test("loadConfig() names server and field of an unknown ${VAR}", () => {
  assert.equal(
    loadError(JSON.stringify({ mcpServers: { isaac: { url: "http://x", headers: { Authorization: "${NOPE}" } } } })),
    `Cannot parse config "FILE": mcpServers.isaac.headers.Authorization uses \${NOPE}, which is not set`,
  );
});

Deno.test("loadConfig() gives line and column of invalid JSON", () => {
  assert.equal(
    loadError('{\n  "mcpServers": {\n    "a": {"command": "x",}\n  }\n}'),
    `Cannot parse config "FILE:3:26": trailing comma before '}'`,
  );
  assert.equal(loadError('{"mcpServers": {"a": }}'), `Cannot parse config "FILE:1:22": unexpected character "}"`);
  assert.equal(loadError(""), `Cannot parse config "FILE:1:1": unexpected end of file`);
});

Deno.test("loadConfig() names file, server and field of wrong types", () => {
  assert.equal(
    loadError(JSON.stringify({ mcpServers: { ros: { command: "x", args: "server.py" } } })),
    `Cannot parse config "FILE": mcpServers.ros.args must be an array`,
  );
  assert.equal(
    loadError(JSON.stringify({ mcpServers: { ros: { command: 5 } } })),
    `Cannot parse config "FILE": mcpServers.ros.command must be a string`,
  );
  assert.equal(
    loadError(JSON.stringify({ mcpServers: { ros: { args: [] } } })),
    `Cannot parse config "FILE": mcpServers.ros needs "command" (a local server) or "url" (a remote one)`,
  );
  assert.equal(
    loadError(JSON.stringify({ mcpServers: { ros: { type: "stdio" } } })),
    `Cannot parse config "FILE": mcpServers.ros.command is missing`,
  );
  assert.equal(
    loadError(JSON.stringify({ mcpServers: { ros: { type: "carrier-pigeon", command: "x" } } })),
    `Cannot parse config "FILE": mcpServers.ros.type must be "stdio", "http" or "sse"`,
  );
  assert.equal(
    loadError(JSON.stringify({ mcpServers: {}, orchestrator: { sandbox: "maybe" } })),
    `Cannot parse config "FILE": orchestrator.sandbox must be one of "auto", "bwrap", "none"`,
  );
  assert.equal(
    loadError(JSON.stringify({ servers: [] })),
    `Cannot parse config "FILE": mcpServers must be an object`,
  );
  assert.match(loadError(JSON.stringify({ other: 1 })), /mcpServers is missing/);
});

Deno.test("loadConfig() warns about unknown keys instead of failing", () => {
  const path = write(JSON.stringify({ mcpServers: { a: { command: "x", autoApprove: [] } }, orchestrator: { x: 1 } }));
  const cfg = loadConfig(path, { env: env() });
  assert.equal(cfg.warnings.length, 2);
  assert.match(cfg.warnings[0]!, /mcpServers\.a\.autoApprove is not an orch setting/);
});

Deno.test("loadConfig() knows every key of a stdio and a remote server entry", () => {
  const common = { disabled: false, timeout: 5, maxMessageMb: 8, introspect: "mcp", exclusive: true };
  const stdio = { type: "stdio", command: "x", args: [], env: {}, cwd: "/tmp", ...common };
  const remote = { type: "http", url: "http://127.0.0.1:1/mcp", headers: {}, ...common };
  const cfg = loadConfig(write(JSON.stringify({ mcpServers: { a: stdio, b: remote } })), { env: env() });
  assert.deepEqual(cfg.warnings, []);
  assert.deepEqual([...KNOWN_SERVER_KEYS].sort(), [...new Set([...Object.keys(stdio), ...Object.keys(remote)])].sort());
});

Deno.test("findConfig() lists every place it looked when there is no config", () => {
  const cwd = mkdtempSync(join(tmpdir(), "orch-cwd-"));
  try {
    findConfig({ env: env({ HOME: "/home/u" }), cwd });
    assert.fail("expected ConfigError");
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    assert.match(err.message, /No config found/);
    assert.ok(err.message.includes(join(cwd, "mcp_servers_config.json")));
    assert.ok(err.message.includes(join(cwd, "mcp_config.json")));
    assert.ok(err.message.includes("/home/u/.config/orch/config.json"));
  }
});

Deno.test("findConfig() follows --config, then $ORCH_CONFIG, then the current folder", () => {
  const cwd = mkdtempSync(join(tmpdir(), "orch-cwd-"));
  writeFileSync(join(cwd, "mcp_config.json"), "{}");
  assert.equal(findConfig({ env: env(), cwd }), join(cwd, "mcp_config.json"));
  writeFileSync(join(cwd, "mcp_servers_config.json"), "{}");
  assert.equal(findConfig({ env: env(), cwd }), join(cwd, "mcp_servers_config.json"));
  mkdirSync(join(cwd, "x"));
  writeFileSync(join(cwd, "x", "c.json"), "{}");
  assert.equal(findConfig({ env: env({ ORCH_CONFIG: "x/c.json" }), cwd }), join(cwd, "x", "c.json"));
  assert.equal(findConfig({ explicit: "x/c.json", env: env({ ORCH_CONFIG: "nope" }), cwd }), join(cwd, "x", "c.json"));
  assert.throws(() => findConfig({ explicit: "missing.json", env: env(), cwd }), /missing\.json.*no such file/);
  assert.equal(configCandidates({ env: env({ XDG_CONFIG_HOME: "/x" }), cwd }).at(-1)!.path, "/x/orch/config.json");
});

Deno.test("loadConfig() rejects a server name with '/', which deny rules could never match", () => {
  const msg = loadError(JSON.stringify({
    mcpServers: { "robot/arm": { command: "python3" } },
    orchestrator: { deny: ["robot/arm/move"] },
  }));
  assert.match(
    msg,
    /^Cannot parse config "FILE": mcpServers\["robot\/arm"\]: the server name "robot\/arm" contains "\/"/,
  );
  assert.match(msg, /rename it, e\.g\. "robot_arm"/);
});

Deno.test("loadConfig() compiles every allow, deny, confirm and guards entry, naming the field", () => {
  const servers = { ros: { command: "python3" } };
  assert.equal(
    loadError(JSON.stringify({ mcpServers: servers, orchestrator: { deny: ["ros/pub", "/pub"] } })),
    'Cannot parse config "FILE": orchestrator.deny[1]: Invalid tool pattern "/pub": expected "server/tool", "server/*" or "*"',
  );
  assert.match(
    loadError(JSON.stringify({ mcpServers: servers, orchestrator: { allow: ["ros/"] } })),
    /^Cannot parse config "FILE": orchestrator\.allow\[0\]: Invalid tool pattern "ros\/"/,
  );
  assert.match(
    loadError(JSON.stringify({ mcpServers: servers, orchestrator: { confirm: [""] } })),
    /^Cannot parse config "FILE": orchestrator\.confirm\[0\]: Invalid tool pattern ""/,
  );
  assert.match(
    loadError(JSON.stringify({
      mcpServers: servers,
      orchestrator: { guards: { "ros/pub": { properties: { x: { maximun: 1 } } } } },
    })),
    /^Cannot parse config "FILE": orchestrator\.guards\["ros\/pub"\]: invalid JSON Schema: .*maximun/,
  );
});

Deno.test("loadConfig() warns about a pattern that names no configured server", () => {
  const path = write(JSON.stringify({
    mcpServers: { ros: { command: "python3" }, off: { command: "python3", disabled: true } },
    orchestrator: { deny: ["rso/pub_twist", "ros/*", "*/stop", "off/x"] },
  }));
  const cfg = loadConfig(path, { env: env() });
  const w = cfg.warnings.filter((w) => w.includes("orchestrator.deny"));
  assert.deepEqual(w.map((x) => x.replace(path, "FILE")), [
    'FILE: orchestrator.deny[0]: "rso/pub_twist" names no configured server "rso" (configured: "ros", "off"), so it matches nothing',
  ]);
});

Deno.test("loadConfig() gives a frozen config: no layer can invent servers or change settings", () => {
  const path = write(JSON.stringify({
    mcpServers: { ros: { command: "python3", args: ["ros.py"], env: { A: "1" } } },
    orchestrator: { limits: { timeout: 30 } },
  }));
  const cfg = loadConfig(path, { env: env() });
  const ros = cfg.servers.get("ros") as { args: string[]; env: Record<string, string> };
  assert.throws(() => ros.args.push("--evil"), TypeError);
  assert.throws(() => (ros.env.A = "2"), TypeError);
  assert.throws(() => ((cfg.orchestrator.limits as { timeout: number }).timeout = 1), TypeError);
  assert.throws(() => (cfg.warnings as string[]).push("x"), TypeError);
  assert.equal(cfg.orchestrator.limits.timeout, 30);
});
