import assert from "node:assert/strict";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import process from "node:process";
import { cleanStaleSocketDirs, createSocketDir, removeSocketDir } from "./socket_dir.ts";

const uid = process.getuid?.() ?? "user";

function withBase(fn: (base: string) => void): void {
  const base = mkdtempSync(`${tmpdir()}/orch-sockdir-test-`);
  try {
    fn(base);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

/** A pid no process has: the child's, once it has exited. */
async function deadPid(): Promise<number> {
  const child = new Deno.Command("true").spawn();
  await child.status;
  return child.pid;
}

Deno.test("createSocketDir() makes a private orch-<uid>-<random> dir with a pid file", () => {
  withBase((base) => {
    const a = createSocketDir({ base });
    const b = createSocketDir({ base });
    assert.notEqual(a.dir, b.dir);
    assert.match(a.dir, new RegExp(`^${base}/orch-${uid}-[A-Za-z0-9]{6}$`));
    assert.equal(a.socketPath, `${a.dir}/ipc.sock`);
    assert.equal(statSync(a.dir).mode & 0o777, 0o700);
    assert.equal(readFileSync(`${a.dir}/pid`, "utf8"), String(process.pid));
    removeSocketDir(a);
    removeSocketDir(a.dir);
    assert.equal(existsSync(a.dir), false);
    assert.equal(existsSync(b.dir), true);
  });
});

Deno.test("createSocketDir() falls back to /tmp when the socket path would be too long", () => {
  withBase((base) => {
    const deep = `${base}/${"d".repeat(100)}`;
    mkdirSync(deep);
    const made = createSocketDir({ base: deep });
    try {
      assert.ok(made.dir.startsWith(`/tmp/orch-${uid}-`), made.dir);
      assert.ok(new TextEncoder().encode(made.socketPath).length <= 103);
    } finally {
      removeSocketDir(made);
    }
  });
});

Deno.test("cleanStaleSocketDirs() removes dirs of dead orch processes and keeps live and fresh ones", async () => {
  const dead = await deadPid();
  withBase((base) => {
    const make = (name: string, pid?: string) => {
      mkdirSync(`${base}/${name}`);
      writeFileSync(`${base}/${name}/ipc.sock`, "");
      if (pid !== undefined) writeFileSync(`${base}/${name}/pid`, pid);
      return `${base}/${name}`;
    };
    const stale = make(`orch-${uid}-dead01`, String(dead));
    const live = make(`orch-${uid}-live01`, String(process.pid));
    const fresh = make(`orch-${uid}-fresh1`);
    const old = make(`orch-${uid}-old001`, "garbage");
    utimesSync(old, new Date(0), new Date(0));
    const other = make("orch-99999-other1", String(dead));
    const target = make("not-orch", String(dead));
    symlinkSync(target, `${base}/orch-${uid}-link01`);
    assert.deepEqual(cleanStaleSocketDirs(base).sort(), [old, stale].sort());
    for (const kept of [live, fresh, other, target, `${base}/orch-${uid}-link01`]) {
      assert.equal(existsSync(kept), true, kept);
    }
    assert.deepEqual(cleanStaleSocketDirs(`${base}/missing`), []);
  });
});

Deno.test("createSocketDir() cleans stale dirs in the same parent first", async () => {
  const dead = await deadPid();
  withBase((base) => {
    mkdirSync(`${base}/orch-${uid}-gone01`);
    writeFileSync(`${base}/orch-${uid}-gone01/pid`, String(dead));
    const made = createSocketDir({ base });
    assert.equal(existsSync(`${base}/orch-${uid}-gone01`), false);
    assert.equal(existsSync(made.dir), true);
  });
});

Deno.test("removeSocketDir() refuses a directory that is not orch's", () => {
  assert.throws(() => removeSocketDir("/home"), /Refusing to remove \/home: not an orch socket directory/);
});
