import assert from "node:assert/strict";
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { spawn } from "node:child_process";
import { handOver, makeStaging } from "./output_handover.ts";

const root = process.getuid?.() === 0;

Deno.test({
  name: "handOver() copies files and folders to the client's folder, owned by its owner, never through a link",
  ignore: !root,
  fn() {
    const dest = mkdtempSync(join(tmpdir(), "orch-client-out-"));
    chownSync(dest, 1234, 1234);
    chmodSync(dest, 0o755);
    const secret = join(mkdtempSync(join(tmpdir(), "orch-secret-")), "secret");
    writeFileSync(secret, "keep");
    // Planted in the client's folder: a link where the policy writes a file of the same name.
    symlinkSync(secret, join(dest, "report.txt"));
    const staging = makeStaging(dest, { uid: 65534, gid: 65534 });
    assert.equal(lstatSync(staging.dir).uid, 65534);
    writeFileSync(join(staging.dir, "report.txt"), "new report", { mode: 0o4755 });
    mkdirSync(join(staging.dir, "frames"));
    writeFileSync(join(staging.dir, "frames", "f1.json"), "{}");
    symlinkSync("/etc/shadow", join(staging.dir, "shadow"));
    const out = handOver(staging);
    assert.equal(out.files, 2);
    assert.deepEqual(out.skipped, ["shadow (a symbolic link)"]);
    assert.equal(readFileSync(secret, "utf8"), "keep");
    const report = lstatSync(join(dest, "report.txt"));
    assert.equal(report.isFile(), true);
    assert.equal(readFileSync(join(dest, "report.txt"), "utf8"), "new report");
    assert.equal(report.uid, 1234);
    assert.equal(report.mode & 0o7777, 0o755);
    assert.equal(lstatSync(join(dest, "frames")).uid, 1234);
    assert.equal(lstatSync(join(dest, "frames", "f1.json")).uid, 1234);
    assert.equal(existsSync(join(dest, "shadow")), false);
    assert.equal(existsSync(staging.dir), false);
  },
});

/** A policy left alive (a setsid daemon) that swaps `dir/x` (a real folder) and `dir/y` (a link) over and over. */
const SWAPPER = `
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD, RENAME_EXCHANGE = -100, 2
a, b = os.path.join(sys.argv[1], "x").encode(), os.path.join(sys.argv[1], "y").encode()
print("ready", flush=True)
while True:
    libc.renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE)
`;

Deno.test({
  name: "handOver() never copies or removes through a folder swapped for a link at a middle component",
  ignore: !root,
  sanitizeResources: false,
  sanitizeOps: false,
  fn() {
    const base = mkdtempSync(join(tmpdir(), "orch-swap-"));
    chmodSync(base, 0o755);
    // Root's own folder, closed to everyone else, with a root-only file of the same name as the policy's.
    const secret = mkdtempSync(join(tmpdir(), "orch-secret-"));
    chmodSync(secret, 0o700);
    // Many entries, so the old copy's window between deciding on x and opening x/f<n> is wide.
    const names = Array.from({ length: 40 }, (_, n) => `f${n}`);
    for (const n of names) writeFileSync(join(secret, n), "root secret", { mode: 0o600 });
    writeFileSync(join(secret, "keep"), "root file", { mode: 0o600 });
    const dir = join(base, "staging");
    // It runs as root here (uid 65534 may not reach this python); the swap is the same for any uid owning `dir`.
    const swapper = spawn("python3", ["-c", SWAPPER, dir], { stdio: ["ignore", "pipe", "ignore"] });
    try {
      for (let i = 0; i < 100; i++) {
        const dest = mkdtempSync(join(tmpdir(), "orch-client-out-"));
        chownSync(dest, 1234, 1234);
        mkdirSync(join(dir, "x"), { recursive: true });
        for (const n of names) writeFileSync(join(dir, "x", n), "policy file");
        try {
          symlinkSync(secret, join(dir, "y"));
        } catch {
          // The swapper moved the folder there: the link is at x, which is as good.
        }
        chownSync(dir, 65534, 65534);
        const out = handOver({ dir, dest });
        for (const sub of ["x", "y"]) {
          for (const n of names) {
            const f = join(dest, sub, n);
            if (existsSync(f)) assert.equal(readFileSync(f, "utf8"), "policy file", `round ${i}: ${out.skipped}`);
          }
        }
        assert.equal(readFileSync(join(secret, "keep"), "utf8"), "root file", `round ${i}: removed through a link`);
        for (const n of names) assert.equal(readFileSync(join(secret, n), "utf8"), "root secret");
        rmSync(dest, { recursive: true, force: true });
        // What handOver could not remove in the race: moved out of the swapper's reach, then removed.
        if (existsSync(dir)) {
          const away = join(base, `gone-${i}`);
          renameSync(dir, away);
          rmSync(away, { recursive: true, force: true });
        }
      }
    } finally {
      swapper.kill("SIGKILL");
      rmSync(base, { recursive: true, force: true });
    }
  },
});

Deno.test({
  name: "handOver() skips a middle folder that is a link, and never throws when the staging folder cannot be removed",
  ignore: !root,
  fn() {
    const dest = mkdtempSync(join(tmpdir(), "orch-client-out-"));
    chownSync(dest, 1234, 1234);
    const secret = mkdtempSync(join(tmpdir(), "orch-secret-"));
    writeFileSync(join(secret, "f"), "root secret", { mode: 0o600 });
    const staging = makeStaging(dest, { uid: 65534, gid: 65534 });
    mkdirSync(join(staging.dir, "a"));
    symlinkSync(secret, join(staging.dir, "a", "b"));
    writeFileSync(join(staging.dir, "a", "ok.txt"), "fine");
    const out = handOver(staging);
    assert.equal(out.files, 1);
    assert.deepEqual(out.skipped, ["a/b (a symbolic link)"]);
    assert.equal(existsSync(join(dest, "a", "b")), false);
    assert.equal(readFileSync(join(secret, "f"), "utf8"), "root secret");
    assert.equal(existsSync(staging.dir), false);
    // A staging folder that is gone already: said, not thrown.
    const gone = handOver({ dir: join(tmpdir(), `orch-out-gone-${crypto.randomUUID()}`), dest });
    assert.equal(gone.files, 0);
    assert.match(gone.skipped.join(" "), /everything: /);
  },
});
