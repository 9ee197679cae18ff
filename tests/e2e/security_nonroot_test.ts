/**
 * The same attacks with orch itself running as a non-root user (uid 65534 through setpriv when the
 * tests run as root): there the sandbox is unprivileged bubblewrap in a user namespace, and the
 * process limit is RLIMIT_NPROC counted in that namespace, or the user's own count without it.
 */
import assert from "node:assert/strict";
import { createServer } from "node:net";
import process from "node:process";
import { processesWithTag, survivors } from "./helpers.ts";
import { NOBODY, noSandboxReason, outcomes, policy, securityConfig, skip, spawnOrch } from "./security_helpers.ts";
import { which } from "../../src/contain/sandbox.ts";

/** Why orch cannot be started as another user here, or undefined. */
function noOtherUser(): string | undefined {
  if (process.getuid?.() !== 0) return "the tests already run as a non-root user: every other test covers it";
  if (!which("setpriv")) return "setpriv (util-linux) not found";
  return undefined;
}

for (const sandbox of ["auto", "none"] as const) {
  Deno.test(`non-root orch (sandbox ${sandbox}): secrets, network, files, fork bomb and daemon are contained`, async () => {
    const why = noOtherUser() ?? (sandbox === "auto" ? await noSandboxReason() : undefined);
    if (why) return skip(`non-root (${sandbox})`, why);
    let accepted = 0;
    const listener = createServer((s) => {
      accepted++;
      s.destroy();
    });
    await new Promise<void>((r) => listener.listen(0, "127.0.0.1", r));
    const port = (listener.address() as { port: number }).port;
    try {
      const cfg = securityConfig({ sandbox }, { open: true, env: { ORCH_TEST_SERVER_SECRET: "x" } });
      const run = (file: string, ...args: string[]) =>
        spawnOrch(["run", "-v", "--processes", "32", "-c", cfg.path, policy(file), "--", ...args], {
          asUid: NOBODY,
          env: { ORCH_TEST_SECRET_TOKEN: "s3cr3t" },
        });

      const env = await run("env_secret.py", "ORCH_TEST_SECRET_TOKEN", "ORCH_TEST_SERVER_SECRET");
      assert.equal(env.code, 0, env.stderr);
      const seenEnv = outcomes(env.stdout);
      assert.equal(seenEnv["environ ORCH_TEST_SECRET_TOKEN"], "absent");
      assert.equal(seenEnv["environ ORCH_TEST_SERVER_SECRET"], "absent");
      if (sandbox === "auto") {
        assert.match(env.stderr, /sandbox bwrap/);
        assert.doesNotMatch(env.stderr, /as uid/, "a non-root orch does not change uid");
        assert.equal(seenEnv["proc ORCH_TEST_SECRET_TOKEN"], "absent");
      }

      const net = await run("net_connect.py", String(port));
      assert.equal(net.code, 0, net.stderr);
      if (sandbox === "auto") {
        assert.match(outcomes(net.stdout)["connect 127.0.0.1"] ?? "", /^refused/);
        assert.equal(accepted, 0);
      }

      const fs = await run("escape_fs.py", "/etc/orch-escape", `${cfg.dir}/escape.txt`);
      assert.equal(fs.code, 0, fs.stderr);
      assert.match(outcomes(fs.stdout)["write /etc/orch-escape"] ?? "", /^refused/);
      if (sandbox === "auto") assert.match(outcomes(fs.stdout)[`write ${cfg.dir}/escape.txt`] ?? "", /^refused/);

      const bomb = await run("fork_bomb.py");
      assert.equal(bomb.code, 0, bomb.stdout + bomb.stderr);
      assert.match(bomb.stdout, /refused: [1-9]/);
      assert.match(bomb.stdout, /orch answers: True/);
      assert.match(bomb.stderr, /process limit by rlimit/);

      const daemon = await run("daemon.py", cfg.tag);
      assert.equal(daemon.code, 0, daemon.stderr);
      assert.deepEqual(await survivors(cfg.tag), [], `left running: ${processesWithTag(cfg.tag)}`);
    } finally {
      listener.close();
    }
  });
}
