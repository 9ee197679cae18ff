/**
 * Resource limits of one policy run: safe defaults, overridden by the config's
 * `orchestrator.limits`, then by the run's own request (`orch run --memory-mb ...`).
 * The bootstrap applies them with setrlimit before the policy's first line runs.
 */
import type { Orchestrator } from "../config/schema.ts";

/** Every limit a run has, resolved to a number. */
export interface Limits {
  /** Wall-clock seconds; the run is aborted (status `timeout`) after it. */
  timeoutSec: number;
  /**
   * Memory of the whole run, MiB: a memory cgroup where orch can make one (memfd files, shared
   * memory and tmpfs files included), and RLIMIT_AS of each policy process everywhere.
   */
  memoryMb: number;
  /** CPU seconds of each policy process (RLIMIT_CPU): SIGXCPU, then SIGKILL 5 s later. */
  cpuSeconds: number;
  /** Largest file a policy process may write (RLIMIT_FSIZE), MiB; the run log is capped there too. */
  fileSizeMb: number;
  /** Open file descriptors per process (RLIMIT_NOFILE). */
  openFiles: number;
  /** Processes and threads the run may have at once (pids cgroup, or RLIMIT_NPROC for a non-root uid). */
  processes: number;
  /** Bytes of stdout and of stderr kept in the result (head and tail; the log has everything). */
  outputBytes: number;
  /** Files the run may keep in its run folder and its own output folder together, MiB; past it the run is stopped. */
  diskMb: number;
  /** The run's output.log is cut there (MiB; also never past fileSizeMb). */
  logMb: number;
}

/** Per-run overrides; anything absent comes from the config, then the defaults. */
export type LimitOverrides = Partial<Limits>;

/** The defaults, chosen so a runaway policy cannot hurt a workstation yet a normal one never notices them. */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  timeoutSec: 3600,
  memoryMb: 2048,
  cpuSeconds: 3600,
  fileSizeMb: 1024,
  openFiles: 1024,
  processes: 256,
  outputBytes: 256 * 1024,
  diskMb: 1024,
  logMb: 64,
});

/** Bytes all run folders under the runs folder may hold together before the oldest finished ones go. */
export const DEFAULT_RUNS_TOTAL_MB = 4096;
/** A server's stderr log is rotated at this size (MiB); two older files are kept. */
export const DEFAULT_SERVER_LOG_MB = 16;

export const MAX_TIMEOUT_S = 86400;
/** Seconds between the soft CPU limit (SIGXCPU) and the hard one (SIGKILL). */
export const CPU_GRACE_S = 5;

/** Clamps a requested timeout; says so in `note` when it changed it. */
export function clampTimeout(requested: number | undefined, fallback: number): { seconds: number; note?: string } {
  const want = requested ?? fallback;
  if (!Number.isFinite(want) || want <= 0) {
    return { seconds: fallback, note: `timeout ${requested} is not a positive number; using ${fallback} s` };
  }
  if (want > MAX_TIMEOUT_S) return { seconds: MAX_TIMEOUT_S, note: `timeout ${want} s capped at ${MAX_TIMEOUT_S} s` };
  return { seconds: want };
}

/** Resolves defaults < config < per-run values; `notes` says what was changed on the way. */
export function resolveLimits(
  config: Orchestrator["limits"],
  overrides: LimitOverrides = {},
): { limits: Limits; notes: string[] } {
  const notes: string[] = [];
  const pick = (key: Exclude<keyof Limits, "timeoutSec">): number => {
    const run = overrides[key];
    if (run !== undefined) {
      if (Number.isInteger(run) && run > 0) return run;
      notes.push(`${key} ${run} is not a whole number > 0; using the configured value`);
    }
    return config[key] ?? DEFAULT_LIMITS[key];
  };
  const timeout = clampTimeout(overrides.timeoutSec, config.timeout ?? DEFAULT_LIMITS.timeoutSec);
  if (timeout.note) notes.push(timeout.note);
  const limits: Limits = {
    timeoutSec: timeout.seconds,
    memoryMb: pick("memoryMb"),
    cpuSeconds: pick("cpuSeconds"),
    fileSizeMb: pick("fileSizeMb"),
    openFiles: pick("openFiles"),
    processes: pick("processes"),
    outputBytes: pick("outputBytes"),
    diskMb: pick("diskMb"),
    logMb: pick("logMb"),
  };
  return { limits, notes };
}

/**
 * The `ORCH_RLIMITS` value the bootstrap reads: `name=soft[:hard]` pairs. `nproc` is given
 * separately because it depends on who runs the policy and where (see containment.ts).
 */
export function rlimitSpec(limits: Limits, nproc: number | undefined): string {
  const mib = 1024 * 1024;
  const parts = [
    `as=${limits.memoryMb * mib}`,
    `cpu=${limits.cpuSeconds}:${limits.cpuSeconds + CPU_GRACE_S}`,
    `fsize=${limits.fileSizeMb * mib}`,
    `nofile=${limits.openFiles}`,
    "core=0",
  ];
  if (nproc !== undefined) parts.push(`nproc=${nproc}`);
  return parts.join(",");
}

/** One line for logs and `orch doctor`. */
export function describeLimits(limits: Limits): string {
  return [
    `timeout ${limits.timeoutSec} s`,
    `memory ${limits.memoryMb} MB`,
    `cpu ${limits.cpuSeconds} s`,
    `file size ${limits.fileSizeMb} MB`,
    `open files ${limits.openFiles}`,
    `processes ${limits.processes}`,
    `output ${Math.round(limits.outputBytes / 1024)} KiB`,
    `disk ${limits.diskMb} MB`,
    `log ${Math.min(limits.logMb, limits.fileSizeMb)} MB`,
  ].join(", ");
}
