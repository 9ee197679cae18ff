/**
 * A server's stderr log (`<cache>/logs/<server>.log`), rotated by size: past the cap the file
 * becomes `<server>.log.1` (the one before that `.log.2`, the oldest is dropped), so one chatty
 * or hostile server costs at most three caps of disk however long `orch serve` runs.
 */
import { renameSync, statSync } from "node:fs";
import { appendFile } from "node:fs/promises";

const KEEP = 2;
let cap = 16 * 1024 * 1024;
/** Bytes in each log file as this process knows them (read once per file). */
const sizes = new Map<string, number>();
const enc = new TextEncoder();

/** Sets the size at which server logs rotate (from `orchestrator.limits.serverLogMb`). */
export function setServerLogCap(bytes: number): void {
  if (Number.isFinite(bytes) && bytes > 0) cap = bytes;
}

function rotate(path: string): void {
  for (let i = KEEP - 1; i >= 1; i--) {
    try {
      renameSync(`${path}.${i}`, `${path}.${i + 1}`);
    } catch {
      // Not there yet.
    }
  }
  try {
    renameSync(path, `${path}.1`);
  } catch {
    // Removed meanwhile: start afresh anyway.
  }
}

/** Appends `text` to the log at `path`, rotating first when it would pass the cap. */
export async function appendServerLog(path: string, text: string): Promise<void> {
  let size = sizes.get(path);
  if (size === undefined) {
    try {
      size = statSync(path).size;
    } catch {
      size = 0;
    }
  }
  let bytes = enc.encode(text);
  // One write larger than the cap keeps its tail.
  if (bytes.length > cap) bytes = bytes.subarray(bytes.length - cap);
  if (size + bytes.length > cap) {
    rotate(path);
    size = 0;
  }
  sizes.set(path, size + bytes.length);
  await appendFile(path, bytes);
}
