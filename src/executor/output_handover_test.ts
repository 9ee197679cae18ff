import assert from "node:assert/strict";
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
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
