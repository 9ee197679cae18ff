/** The one place that decides which runtime orch runs on. */
import { bunRuntime } from "./bun.ts";
import { denoRuntime } from "./deno.ts";
import type { Runtime } from "./types.ts";

export type * from "./types.ts";

/** The runtime adapter for the host orch is running on. */
export const rt: Runtime = "Bun" in globalThis ? bunRuntime() : denoRuntime();
export { errnoOf, isErrno, OsError } from "./os_error.ts";
