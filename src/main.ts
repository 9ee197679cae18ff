/** orch's entry point. */
import { main } from "./cli/main.ts";
import { rt } from "./runtime/mod.ts";

rt.exit(await main(rt.args()));
