/** The bubblewrap sandbox: no network, a read-only root with $HOME hidden, nothing left running. */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { processesWithTag, survivors, tempDir } from "./helpers.ts";
import { noSandboxReason, outcomes, policy, securityConfig, skip, spawnOrch } from "./security_helpers.ts";

Deno.test("sandbox: a policy cannot connect to a TCP listener on 127.0.0.1 outside the sandbox", async () => {
  const why = await noSandboxReason();
  if (why) return skip("sandbox network", why);
  let accepted = 0;
  const server = createServer((sock) => {
    accepted++;
    sock.destroy();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  try {
    const cfg = securityConfig({ sandbox: "bwrap" });
    const r = await spawnOrch(["run", "-c", cfg.path, policy("net_connect.py"), "--", String(port)]);
    assert.equal(r.code, 0, r.stderr);
    const seen = outcomes(r.stdout);
    assert.match(seen["connect 127.0.0.1"] ?? "", /^refused/);
    assert.match(seen["connect 1.1.1.1"] ?? "", /^refused/);
    assert.equal(accepted, 0);
    // The control: the same policy without the sandbox does reach the listener.
    const open = securityConfig({ sandbox: "none" });
    const o = await spawnOrch(["run", "-c", open.path, policy("net_connect.py"), "--", String(port)]);
    assert.equal(outcomes(o.stdout)["connect 127.0.0.1"], "CONNECTED", o.stdout + o.stderr);
  } finally {
    server.close();
  }
});

Deno.test("sandbox: a policy cannot write outside its run and output folders, nor read ~/.ssh", async () => {
  const why = await noSandboxReason();
  if (why) return skip("sandbox filesystem", why);
  const home = tempDir("orch-home-");
  mkdirSync(join(home, ".ssh"));
  writeFileSync(join(home, ".ssh", "id_ed25519"), "PRIVATE KEY");
  const outside = tempDir("orch-outside-");
  const targets = [join(outside, "escaped.txt"), join(home, "escaped.txt"), "/var/tmp/orch-escaped.txt"];
  const cfg = securityConfig({ sandbox: "bwrap" });
  const r = await spawnOrch(["run", "-c", cfg.path, policy("escape_fs.py"), "--", ...targets], {
    env: { HOME: home, ORCH_TEST_REAL_HOME: home },
    cwd: outside,
  });
  assert.equal(r.code, 0, r.stderr);
  const seen = outcomes(r.stdout);
  for (const t of targets) {
    assert.match(seen[`write ${t}`] ?? "", /^refused|^WROTE/);
    // A write may "succeed" into the sandbox's private tmpfs; it must never land outside.
    assert.equal(existsSync(t), false, `${t} was written outside the sandbox`);
  }
  assert.match(seen["read ssh key"] ?? "", /^refused/);
  assert.match(seen["write /usr"] ?? "", /^refused/);
  assert.equal(seen["write $HOME"], "ok");
  assert.equal(seen["write $ORCH_OUTPUT_DIR"], "ok");
  assert.equal(readFileSync(join(home, ".ssh", "id_ed25519"), "utf8"), "PRIVATE KEY");
});

for (const sandbox of ["bwrap", "none"] as const) {
  Deno.test(`sandbox: a double-forked daemon is gone after the run (sandbox ${sandbox})`, async () => {
    if (sandbox === "bwrap") {
      const why = await noSandboxReason();
      if (why) return skip("sandbox daemon", why);
    }
    const cfg = securityConfig({ sandbox });
    const r = await spawnOrch(["run", "-c", cfg.path, policy("daemon.py"), "--", cfg.tag]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /daemon started/);
    assert.deepEqual(await survivors(cfg.tag), [], `left running: ${processesWithTag(cfg.tag)}`);
  });
}

Deno.test(`sandbox: "bwrap" required but unavailable fails the run with the reason; "auto" says it ran without`, async () => {
  const required = securityConfig({ sandbox: "bwrap" });
  const r = await spawnOrch(["run", "-c", required.path, policy("spin.py")], { env: { ORCH_BWRAP: "none" } });
  assert.equal(r.code, 126, r.stderr);
  assert.match(r.stderr, /sandbox "bwrap" is required by the config, but ORCH_BWRAP=none/);
  const auto = securityConfig({ sandbox: "auto" });
  const a = await spawnOrch(["run", "-v", "-c", auto.path, policy("daemon.py"), "--", auto.tag], {
    env: { ORCH_BWRAP: "none" },
  });
  assert.equal(a.code, 0, a.stderr);
  assert.match(a.stderr, /sandbox none: no sandbox \(ORCH_BWRAP=none\): resource limits only/);
});
