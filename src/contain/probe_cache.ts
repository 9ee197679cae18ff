/**
 * Start-up probes (the Python interpreter, bubblewrap) kept on disk, so a warm `orch run` starts
 * neither. An entry holds only for this boot (`/proc/sys/kernel/random/boot_id` is in its key) and
 * for the files it was made from (their resolved paths and mtimes), so an upgrade, a new venv or
 * a reboot probes again.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { VERSION } from "../version.ts";

let boot: string | undefined;

/** This boot's id ("" where the kernel has none to give). */
export function bootId(): string {
  if (boot === undefined) {
    try {
      boot = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    } catch {
      boot = "";
    }
  }
  return boot;
}

/** A file's mtime in ms, or -1 when it does not exist. */
export function mtimeOf(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
}

function fileFor(dir: string, name: string, key: unknown[]): { path: string; key: string } {
  const text = JSON.stringify([VERSION, bootId(), ...key]);
  const hash = createHash("sha256").update(text).digest("hex").slice(0, 24);
  return { path: join(dir, "probes", `${name}-${hash}.json`), key: text };
}

/** The value stored under `key`, or undefined (missing, corrupt, another key, or no boot id). */
export function readProbe<T>(dir: string | undefined, name: string, key: unknown[]): T | undefined {
  if (dir === undefined || bootId() === "") return undefined;
  const { path, key: text } = fileFor(dir, name, key);
  try {
    const doc = JSON.parse(readFileSync(path, "utf8")) as { key?: string; value?: T };
    return doc.key === text ? doc.value : undefined;
  } catch {
    return undefined;
  }
}

/** Stores `value` under `key` (atomically; a failure to write only costs the next run a probe). */
export function writeProbe(dir: string | undefined, name: string, key: unknown[], value: unknown): void {
  if (dir === undefined || bootId() === "") return;
  const { path, key: text } = fileFor(dir, name, key);
  try {
    mkdirSync(join(dir, "probes"), { recursive: true, mode: 0o700 });
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ key: text, value }), { mode: 0o600 });
    renameSync(tmp, path);
  } catch {
    // Read-only cache folder: probe each time.
  }
}
