/**
 * Static introspection: reads a Python FastMCP server's tools from its
 * source with templates/introspect_fastmcp.py, never importing or starting
 * it. The reader runs as `python3 -I` with an empty environment, a timeout
 * and an output cap, and, where bubblewrap works, in the same sandbox as
 * policies: no network, read-only root, homes hidden but the server's folder.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { ASSETS } from "../assets.ts";
import type { ToolInfo } from "../sources/types.ts";
import type { ServerConfig } from "../config/schema.ts";
import { IntrospectError } from "../errors.ts";
import { probePython } from "../contain/python_probe.ts";
import { probeSandbox, sandboxArgv } from "../contain/sandbox.ts";
import { rt } from "../runtime/mod.ts";
import { resolveServerScript } from "./resolve.ts";

export const INTROSPECT_TIMEOUT_MS = 20_000;
const OUTPUT_CAP = 64 * 1024 * 1024;
/** Local modules beside a server that count towards its cache key. */
const MAX_KEY_FILES = 500;

export interface StaticTools {
  tools: ToolInfo[];
  warnings: string[];
  files: string[];
}

/** The reader script, written once per content under `dir`. */
function readerPath(dir: string): string {
  const text = ASSETS["introspect_fastmcp.py"] ?? "";
  const hash = createHash("sha256").update(text).digest("hex").slice(0, 16);
  const path = join(dir, `introspect_fastmcp-${hash}.py`);
  if (!existsSync(path)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = `${path}.${crypto.randomUUID()}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  }
  return path;
}

async function readCapped(stream: ReadableStream<Uint8Array> | null, cap: number): Promise<string> {
  if (!stream) return "";
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of stream) {
    if (size < cap) parts.push(chunk.subarray(0, cap - size));
    size += chunk.length;
  }
  return new TextDecoder().decode(await new Blob(parts as BlobPart[]).arrayBuffer());
}

export interface IntrospectOptions {
  python?: string;
  cacheDir: string;
  serverName?: string;
  timeoutMs?: number;
  /** `auto` (default): bubblewrap when it works here; `bwrap`: required; `none`: never. */
  sandbox?: "auto" | "bwrap" | "none";
  /** Folders the reader may see besides the script's own (e.g. the server's cwd for `-m` packages). */
  roots?: string[];
}

const INSIDE_READER = "/run/orch/introspect_fastmcp.py";

/** The reader's command line inside bubblewrap, or undefined to run it bare. */
async function sandboxed(
  python: string,
  reader: string,
  script: string,
  tail: string[],
  opts: IntrospectOptions,
): Promise<string[] | undefined> {
  const mode = opts.sandbox ?? "auto";
  if (mode === "none") return undefined;
  const support = await probeSandbox();
  if (!support.available) {
    if (mode === "bwrap") throw new IntrospectError(`sandbox "bwrap" is required but ${support.reason}`);
    return undefined;
  }
  const env = { PATH: rt.env("PATH") ?? "/usr/bin:/bin" };
  const info = await probePython(python, env).catch((err) => {
    throw new IntrospectError(`cannot introspect "${script}": ${python} does not run: ${(err as Error).message}`);
  });
  return sandboxArgv({
    bwrap: support.bwrap!,
    argv: [info.executable, "-I", INSIDE_READER, script, ...tail],
    // The folder may be one the sandbox must keep hidden ($HOME itself): the file is then bound alone.
    cwd: "/",
    readable: [script, dirname(script), ...(opts.roots ?? []), ...info.prefixes, ...info.path],
    mounts: [{ from: reader, to: INSIDE_READER }],
    hide: [rt.env("HOME"), tmpdir(), opts.cacheDir].flatMap((p) => p ? [p] : []),
  });
}

/** Reads the tools of the Python file `script` without running it. */
export async function introspectFile(
  script: string,
  opts: IntrospectOptions,
): Promise<StaticTools> {
  if (!existsSync(script)) throw new IntrospectError(`cannot introspect "${script}": no such file`);
  const reader = readerPath(join(opts.cacheDir, "introspect"));
  const tail = opts.serverName ? ["--server-name", opts.serverName] : [];
  const python = opts.python ?? "python3";
  const argv = await sandboxed(python, reader, script, tail, opts) ?? [python, "-I", reader, script, ...tail];
  const child = rt.spawn({
    cmd: argv[0]!,
    args: argv.slice(1),
    cwd: dirname(script),
    env: { PATH: rt.env("PATH") ?? "/usr/bin:/bin", LANG: "C.UTF-8" },
    stdout: "pipe",
    stderr: "pipe",
    newSession: true,
  });
  const timeoutMs = opts.timeoutMs ?? INTROSPECT_TIMEOUT_MS;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL", true);
  }, timeoutMs);
  const [stdout, stderr, status] = await Promise.all([
    readCapped(child.stdout, OUTPUT_CAP),
    readCapped(child.stderr, 64 * 1024),
    child.exited,
  ]);
  clearTimeout(timer);
  if (timedOut) throw new IntrospectError(`introspection of "${script}" took longer than ${timeoutMs / 1000} s`);
  if (status.code !== 0) {
    throw new IntrospectError(stderr.trim() || `introspection of "${script}" failed (exit ${status.code})`);
  }
  try {
    const doc = JSON.parse(stdout) as StaticTools;
    return { tools: doc.tools ?? [], warnings: doc.warnings ?? [], files: doc.files ?? [script] };
  } catch {
    throw new IntrospectError(`introspection of "${script}" printed no valid JSON`);
  }
}

/** The script a server entry runs, or an IntrospectError saying what was tried. */
export function serverScript(entry: ServerConfig, baseDir: string): string {
  if (entry.type !== "stdio") throw new IntrospectError("static introspection needs a local (stdio) Python server");
  const found = resolveServerScript(entry, baseDir);
  if ("error" in found) throw new IntrospectError(found.error);
  return found.script;
}

/**
 * The cache-key input of a Python server: hashes of its script and of the
 * Python files in the script's folder (what it can import from there).
 * Undefined when the entry is not a Python server.
 */
export function staticKey(entry: ServerConfig, baseDir: string): string | undefined {
  if (entry.type !== "stdio") return undefined;
  const found = resolveServerScript(entry, baseDir);
  if ("error" in found) return undefined;
  const hash = createHash("sha256");
  try {
    hash.update(readFileSync(found.script));
    const dir = dirname(found.script);
    const names = readdirSync(dir).filter((n) => n.endsWith(".py")).sort().slice(0, MAX_KEY_FILES);
    for (const n of names) {
      const st = statSync(join(dir, n));
      // Size and mtime stand in for content for the neighbours: cheap, and any edit changes them.
      hash.update(`${n}:${st.size}:${st.mtimeMs}\n`);
    }
  } catch {
    return undefined;
  }
  return hash.digest("hex").slice(0, 32);
}
