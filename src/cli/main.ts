/** The command line: dispatches to one file per command; the only layer that prints usage or picks exit codes. */
import { OrchError } from "../errors.ts";
import { rt } from "../runtime/mod.ts";
import { startWatchdog } from "../runtime/watchdog.ts";
import { VERSION } from "../version.ts";
import { docsCommand, genCommand, searchCommand } from "./api.ts";
import { checkCommand } from "./check.ts";
import { introspectCommand } from "./introspect.ts";
import { doctorCommand } from "./doctor.ts";
import { listCommand } from "./list.ts";
import { runCommand } from "./run.ts";
import { serveCommand } from "./serve.ts";
import { runsCommand } from "./runs.ts";
import { stopCommand } from "./stop.ts";

export const HELP = `orch ${VERSION}: run one Python policy that calls tools from many MCP servers

Usage: orch <command> [options]

Commands:
  run         run a Python policy (orch run policy.py)
  check       check a policy against the tools without running it
  serve       be an MCP server (stdio, or --http HOST:PORT); "orch" alone with stdin not a terminal
  list        servers and their tools
  docs        the Python API as documentation
  search Q    find tools by words
  gen         write unified_api.py/.pyi for editors (-o DIR)
  doctor      check python3, the sandbox and every server, and say what is wrong
  introspect  read a Python FastMCP server's tools from its source
  runs        active and recent runs of every orch of this user (show ID, tail ID)
  stop ID     stop a run from any shell (--all: every run)
  help TOPIC  more help (topics: config, or any command)

Global options:
  -h, --help     help (also "orch COMMAND --help")
  -V, --version  print the version

Config lookup: --config FILE, $ORCH_CONFIG, ./mcp_servers_config.json,
./mcp_config.json, then ~/.config/orch/config.json.

With the seed's MCP client (mcp-client-example), register orch in its
mcp_config.json under the name "mcp-tools-orchestrator", not "disabled": only
that entry gets MCP_CLIENT_IPC_URL, so orch uses the client's connections
(hybrid mode) instead of starting a second copy of every server. See
"orch serve --help".`;

export const CONFIG_HELP = `The config file (Claude-style JSON):

{
  "mcpServers": {
    "ros-mcp-server": {"command": "python3", "args": ["server.py"], "env": {"ROS_DOMAIN_ID": "7"}},
    "isaac-sim": {"type": "http", "url": "http://127.0.0.1:8766/mcp", "headers": {"Authorization": "Bearer \${ISAAC_TOKEN}"}},
    "old": {"command": "x", "disabled": true}
  },
  "orchestrator": {"python": "python3", "sandbox": "auto", "limits": {}, "allow": ["*"]}
}

Server fields: command, args, env, cwd (relative to the config file's folder,
which is also the default), type (stdio | http | sse), url, headers,
disabled, timeout (seconds per tool call), introspect (auto | mcp | static),
exclusive. Strings may use \${VAR} and \${VAR:-default}.

orchestrator.mode: auto (hybrid when an MCP client sets MCP_CLIENT_IPC_URL,
else standalone) | hybrid (never start own servers; no URL is an error) |
standalone. orchestrator.clientWait: seconds hybrid mode waits for the client
to list every server of this config (default 30).

orchestrator fields (besides python, sandbox, limits, allow, deny, guards,
confirm, onAbort, env): secretArgs (argument names whose values run journals
redact, besides password, token, secret, api_key...), runs {waitSeconds (50:
execute_composed_code answers "running" after this), keepSeconds (3600: ended
runs kept for get_run), keep (200 run folders), logsMb (256)}; limits.runsTotalMb
bounds the run folders' bytes.
"orchestrator": {"preflight": false} turns off the check of every policy
against the tools before it starts (see "orch check --help").

orch looks for the file in this order: --config FILE, $ORCH_CONFIG,
./mcp_servers_config.json, ./mcp_config.json, $XDG_CONFIG_HOME/orch/config.json
(~/.config/orch/config.json).`;

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  run: runCommand,
  check: checkCommand,
  serve: serveCommand,
  list: listCommand,
  docs: docsCommand,
  search: searchCommand,
  gen: genCommand,
  doctor: doctorCommand,
  introspect: introspectCommand,
  runs: runsCommand,
  stop: stopCommand,
};

async function help(topic: string | undefined): Promise<number> {
  if (!topic) {
    await rt.write(1, HELP + "\n");
    return 0;
  }
  if (topic === "config") {
    await rt.write(1, CONFIG_HELP + "\n");
    return 0;
  }
  const cmd = COMMANDS[topic];
  if (!cmd) {
    await rt.write(2, `orch: no help for "${topic}"; try "orch help"\n`);
    return 2;
  }
  return await cmd(["--help"]);
}

/** Runs orch with `argv` (no program name); returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  // Servers and policies die with orch, even when it is SIGKILLed.
  startWatchdog();
  try {
    if (first === undefined) {
      // An MCP client starts "orch" with pipes: serve it. A person at a terminal gets help.
      if (!rt.isatty(0)) return await serveCommand([]);
      await rt.write(2, HELP + "\n");
      return 2;
    }
    if (first === "-V" || first === "--version" || first === "version") {
      await rt.write(1, `orch ${VERSION} (${rt.name} ${rt.version})\n`);
      return 0;
    }
    if (first === "-h" || first === "--help") return await help(undefined);
    if (first === "help") return await help(rest[0]);
    const cmd = COMMANDS[first];
    if (!cmd) {
      await rt.write(2, `orch: unknown command "${first}"; commands: ${Object.keys(COMMANDS).join(", ")}\n`);
      return 2;
    }
    return await cmd(rest);
  } catch (err) {
    if (err instanceof OrchError) {
      await rt.write(2, `orch: ${err.message}\n`);
      return err.exitCode;
    }
    // node:util parseArgs throws TypeError with a code for bad flags.
    if (err instanceof TypeError && "code" in err && String(err.code).startsWith("ERR_PARSE_ARGS")) {
      await rt.write(2, `orch: ${err.message}\n`);
      return 2;
    }
    await rt.write(2, `orch: internal error: ${(err as Error)?.stack ?? err}\n`);
    return 70;
  }
}
