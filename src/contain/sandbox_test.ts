import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isUnder, sandboxArgv } from "./sandbox.ts";

/** The pairs that follow each occurrence of `flag` in argv. */
function after(argv: string[], flag: string, n = 1): string[][] {
  const out: string[][] = [];
  argv.forEach((a, i) => a === flag && out.push(argv.slice(i + 1, i + 1 + n)));
  return out;
}

Deno.test("isUnder() matches whole path components only", () => {
  assert.ok(isUnder("/home/u/x", "/home/u"));
  assert.ok(isUnder("/home/u", "/home/u"));
  assert.ok(!isUnder("/home/user", "/home/u"));
  assert.ok(isUnder("/anything", "/"));
});

Deno.test("sandboxArgv() hides /tmp, /home, /root and $HOME, then binds back only what the run needs", () => {
  const home = mkdtempSync(join(tmpdir(), "orch-sbx-home-"));
  const project = join(home, "robot");
  mkdirSync(project);
  writeFileSync(join(project, "policy.py"), "");
  const run = mkdtempSync(join(tmpdir(), "orch-sbx-run-"));
  const argv = sandboxArgv({
    bwrap: "/usr/bin/bwrap",
    argv: ["python3", "policy.py"],
    cwd: project,
    writable: [run],
    readable: [join(project, "policy.py"), project, home],
    mounts: [{ from: "/x/ipc.sock", to: "/run/orch/ipc.sock" }],
    hide: [home],
  });
  assert.deepEqual(argv.slice(0, 4), ["/usr/bin/bwrap", "--unshare-all", "--cap-drop", "ALL"]);
  assert.ok(argv.includes("--die-with-parent") && argv.includes("--new-session"));
  const tmpfs = after(argv, "--tmpfs").map(([p]) => p);
  for (const h of ["/tmp", "/run", "/root"]) assert.ok(tmpfs.includes(h), h);
  const ro = after(argv, "--ro-bind", 2).map(([from]) => from);
  assert.ok(ro.includes(project), "the policy's folder is shown");
  assert.ok(!ro.includes(home), "$HOME itself is never shown again");
  assert.ok(!ro.includes(join(project, "policy.py")), "a file inside a shown folder needs no bind of its own");
  assert.deepEqual(after(argv, "--bind", 2), [[run, run]]);
  assert.ok(argv.indexOf("/run/orch/ipc.sock") > argv.lastIndexOf("--tmpfs"), "binds come after the tmpfs mounts");
  assert.ok(after(argv, "--dir").some(([d]) => d === "/run/orch"), "parents are made 0755");
  assert.deepEqual(argv.slice(-3), ["--", "python3", "policy.py"]);
  assert.deepEqual(argv.slice(argv.indexOf("--chdir"), argv.indexOf("--chdir") + 2), ["--chdir", project]);
});

Deno.test("sandboxArgv() for a root orch keeps out of a user namespace and changes uid with setpriv", () => {
  const argv = sandboxArgv({
    bwrap: "bwrap",
    argv: ["python3", "p.py"],
    cwd: "/srv/robot",
    dropTo: { uid: 65534, gid: 65534, setpriv: "/usr/bin/setpriv" },
  });
  assert.ok(!argv.includes("--unshare-all") && !argv.includes("--unshare-user"));
  assert.ok(argv.includes("--unshare-net") && argv.includes("--unshare-pid"));
  const sep = argv.indexOf("--");
  assert.deepEqual(argv.slice(sep + 1, sep + 3), ["/usr/bin/setpriv", "--reuid=65534"]);
  assert.deepEqual(argv.slice(-3), ["/srv/robot", "python3", "p.py"]);
});

Deno.test("sandboxArgv() sizes every tmpfs, gives /dev/shm to every uid, and leaves only /tmp and /dev/shm writable", () => {
  const argv = sandboxArgv({ bwrap: "bwrap", argv: ["true"], cwd: "/", tmpfsBytes: 1234 });
  const tmpfs = after(argv, "--tmpfs").map(([p]) => p!);
  assert.ok(tmpfs.includes("/dev/shm") && tmpfs.includes("/tmp"));
  for (const p of tmpfs) {
    const i = argv.indexOf(p, argv.indexOf("--tmpfs") - 3);
    assert.deepEqual(argv.slice(i - 3, i), ["--size", "1234", "--tmpfs"], `${p} is not sized`);
  }
  assert.deepEqual(argv.slice(argv.indexOf("/dev/shm") - 5, argv.indexOf("/dev/shm") - 3), ["--perms", "01777"]);
  const ro = after(argv, "--remount-ro").map(([p]) => p);
  assert.ok(ro.includes("/dev") && ro.includes("/run") && !ro.includes("/tmp") && !ro.includes("/dev/shm"), ro.join());
  assert.ok(argv.lastIndexOf("--remount-ro") < argv.indexOf("--chdir"));
});
