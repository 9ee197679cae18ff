/** Whether a process (or, for a negative pid, a process group) still exists. */
import process from "node:process";

/** True while a process with this pid exists (EPERM means it does, owned by someone else); `-pgid` asks for a group. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === "EPERM";
  }
}
