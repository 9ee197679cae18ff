/** Environment: secrets in orch's environment or in a server's `env` never reach the policy. */
import assert from "node:assert/strict";
import { noSandboxReason, outcomes, policy, securityConfig, skip, spawnOrch } from "./security_helpers.ts";
import { survivors } from "./helpers.ts";

const SECRETS = ["ORCH_TEST_SECRET_TOKEN", "AWS_SECRET_ACCESS_KEY", "ORCH_TEST_SERVER_SECRET"];

async function readSecrets(sandbox: "auto" | "none") {
  const cfg = securityConfig({ sandbox }, { env: { ORCH_TEST_SERVER_SECRET: "server-side-secret" } });
  const r = await spawnOrch(["run", "-c", cfg.path, policy("env_secret.py"), "--", ...SECRETS], {
    env: { ORCH_TEST_SECRET_TOKEN: "s3cr3t", AWS_SECRET_ACCESS_KEY: "AKIA-secret" },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(await survivors(cfg.tag), []);
  return outcomes(r.stdout);
}

Deno.test("env: a policy cannot read a secret from orch's environment or a server's env", async () => {
  const seen = await readSecrets("none");
  for (const name of SECRETS) assert.equal(seen[`environ ${name}`], "absent", name);
});

Deno.test("env: a sandboxed policy cannot read secrets from /proc/*/environ of orch or the servers", async () => {
  const why = await noSandboxReason();
  if (why) return skip("env /proc", why);
  const seen = await readSecrets("auto");
  for (const name of SECRETS) {
    assert.equal(seen[`environ ${name}`], "absent", name);
    assert.equal(seen[`proc ${name}`], "absent", name);
  }
});
