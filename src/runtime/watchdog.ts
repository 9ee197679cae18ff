/**
 * What orch starts dies with orch, even when orch is SIGKILLed or crashes: a tiny `/bin/sh`
 * watchdog, in a session of its own, reads the process groups (and cgroups) of orch's children
 * from a pipe only orch holds. When that pipe closes (orch is gone, however it went), it sends
 * SIGTERM to every group still listed, SIGKILL 2 s later, and kills what the cgroups still hold.
 * A group is a server started through `bash -c` together with everything the wrapper started.
 *
 * JavaScript cannot call prctl(PR_SET_PDEATHSIG), and that signal would reach only the direct
 * child (not a wrapper's children), so a watchdog it is. Only the CLI turns it on
 * (`startWatchdog()`); library use and unit tests spawn as before.
 */
import process from "node:process";
import { rt } from "./mod.ts";
import { pidAlive } from "./pid.ts";
import type { ChildProcess, SpawnOptions } from "./types.ts";

// Lines: "+ PGID" / "- PGID" (process groups), "c FILE" / "u FILE" (a cgroup.procs file).
const SCRIPT = `
trap '' INT HUP TERM PIPE
g=' '; c=' '
while read -r op a; do
  case "$op" in
    +) g="$g$a " ;;
    -) case "$g" in *" $a "*) g="\${g%% $a *} \${g#* $a }" ;; esac ;;
    c) c="$c$a " ;;
    u) case "$c" in *" $a "*) c="\${c%% $a *} \${c#* $a }" ;; esac ;;
  esac
done
for p in $g; do kill -TERM -$p 2>/dev/null; done
i=0
while [ $i -lt 20 ]; do
  left=
  for p in $g; do kill -0 -$p 2>/dev/null && left=1; done
  [ -z "$left" ] && break
  sleep 0.1; i=$((i + 1))
done
for p in $g; do kill -KILL -$p 2>/dev/null; done
for f in $c; do
  i=0
  while [ $i -lt 50 ]; do
    m=$(cat "$f" 2>/dev/null)
    [ -z "$m" ] && break
    kill -KILL $m 2>/dev/null; sleep 0.05; i=$((i + 1))
  done
done
`;

const enc = new TextEncoder();
let enabled = false;
let dog: { child: ChildProcess; writer: WritableStreamDefaultWriter<Uint8Array> } | undefined;
/** Groups whose leader has exited while others in the group lived on: checked again later. */
const lingering = new Set<number>();
let sweepTimer: ReturnType<typeof setInterval> | undefined;

/** Turns the watchdog on for this process (the CLI calls it once; `ORCH_NO_WATCHDOG=1` keeps it off). */
export function startWatchdog(): void {
  if (enabled || process.platform === "win32" || rt.env("ORCH_NO_WATCHDOG") === "1") return;
  enabled = true;
}

/** The watchdog's pid, once it runs (for `orch doctor` and tests). */
export function watchdogPid(): number | undefined {
  return dog?.child.pid;
}

function send(line: string): void {
  if (!enabled) return;
  if (!dog) {
    try {
      const child = rt.spawn({
        cmd: "/bin/sh",
        args: ["-c", SCRIPT, "orch-watchdog"],
        env: { PATH: "/usr/bin:/bin" },
        stdin: "pipe",
        stdout: "null",
        stderr: "null",
        newSession: true,
      });
      const writer = child.stdin!.getWriter();
      writer.closed.catch(() => {});
      dog = { child, writer };
      child.unref?.();
      void child.exited.then(() => {
        if (dog?.child === child) dog = undefined;
      });
    } catch {
      return; // No /bin/sh: children are stopped only by orch's own cleanup.
    }
  }
  dog.writer.write(enc.encode(line + "\n")).catch(() => {});
}

function groupAlive(pgid: number): boolean {
  return pidAlive(-pgid);
}

/** Forgets groups that have emptied since their leader exited (so a reused pgid is never killed). */
function sweepLingering(): void {
  for (const pgid of lingering) {
    if (groupAlive(pgid)) continue;
    lingering.delete(pgid);
    send(`- ${pgid}`);
  }
  if (lingering.size === 0 && sweepTimer !== undefined) {
    clearInterval(sweepTimer);
    sweepTimer = undefined;
  }
}

/** Puts a child started with `newSession` under the watchdog until its process group is empty. */
export function watchGroup(child: ChildProcess): void {
  if (!enabled) return;
  const pgid = child.pid;
  send(`+ ${pgid}`);
  void child.exited.then(() => {
    if (!groupAlive(pgid)) {
      send(`- ${pgid}`);
      return;
    }
    lingering.add(pgid);
    sweepTimer ??= setInterval(sweepLingering, 5000);
    // Where timers can be unref'd (Bun), a lingering group does not keep orch alive; the CLI exits explicitly anyway.
    (sweepTimer as { unref?: () => void }).unref?.();
  });
}

/** `rt.spawn` in a new session, under the watchdog: the child and its whole group die with orch. */
export function spawnGuarded(opts: SpawnOptions): ChildProcess {
  const child = rt.spawn({ ...opts, newSession: true });
  watchGroup(child);
  return child;
}

/** Puts a cgroup's processes under the watchdog (`procsFile` is its cgroup.procs) until `unwatchCgroup`. */
export function watchCgroup(procsFile: string): void {
  if (!/\s/.test(procsFile)) send(`c ${procsFile}`);
}

export function unwatchCgroup(procsFile: string): void {
  if (!/\s/.test(procsFile)) send(`u ${procsFile}`);
}
