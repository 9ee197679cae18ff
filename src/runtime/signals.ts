/** POSIX signal numbers and the exit status a shell gives a process ended by one. */

/** The numbers (Linux) of the signals a policy or orch may end by. */
export const SIGNAL_NUMBERS: Readonly<Record<string, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGKILL: 9,
  SIGSEGV: 11,
  SIGPIPE: 13,
  SIGTERM: 15,
  SIGXCPU: 24,
  SIGXFSZ: 25,
};

/** 128 + the signal's number, as shells (and bwrap) report a process killed by it; 128 for an unknown one. */
export function signalExitCode(name: string | null): number {
  return 128 + ((name && SIGNAL_NUMBERS[name]) || 0);
}
