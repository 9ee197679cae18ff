/**
 * Finds the Python source file a stdio MCP server command runs, so its tools
 * can be read statically (templates/introspect_fastmcp.py) without starting it.
 *
 * Pure apart from file-existence checks: no process, no environment reads.
 */
import { existsSync } from "node:fs";
import path from "node:path";

/** The part of a configured stdio server that says how it starts. */
export interface ServerCommand {
  command: string;
  args?: string[];
  cwd?: string;
  env?: Record<string, string>;
}

/** The server's source file (for `-m`, the module's file). */
export interface ServerScript {
  script: string;
}

const PYTHON = /^python(\d+(\.\d+)*)?$/;
const SHELLS = new Set(["bash", "sh", "zsh", "dash", "ksh"]);
const KNOWN = "python, uv, bash -c, env, fastmcp or mcp run";
const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s;
const MODULE_NAME = /^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$/;
// Options that take a value, so the word after them is not the command.
const UV_VALUE = new Set(
  "--with --with-editable --with-requirements -w --directory --project --python -p --package --extra --no-extra --group --no-group --only-group --index --default-index --index-url -i --extra-index-url --find-links -f --env-file --config-file --cache-dir --refresh-package --upgrade-package -P --reinstall-package --no-build-package --no-binary-package --resolution --prerelease --fork-strategy --exclude-newer --link-mode --color --keyring-provider --allow-insecure-host --index-strategy --config-setting -C --python-platform"
    .split(" "),
);
const FASTMCP_VALUE = new Set(
  "--transport -t --host --port -p --log-level -l --path --python --with --with-editable -e --with-requirements --project --ui-port --server-port --env-file --server-spec"
    .split(" "),
);

interface Ctx {
  /** Where a relative path is looked up, in order. */
  dirs: string[];
  env: Record<string, string>;
  depth: number;
}

/** A failure; `other` marks a command that is none of the forms this file knows. */
type Failure = { error: string; other?: true };
type Found = ServerScript | Failure;

/** Finds the Python server script that a server command runs, or says what it tried. */
export function resolveServerScript(
  entry: ServerCommand,
  baseDir: string,
): ServerScript | { error: string } {
  const base = path.resolve(baseDir);
  const cwd = entry.cwd === undefined ? undefined : path.resolve(base, entry.cwd);
  const ctx: Ctx = {
    dirs: unique(cwd === undefined ? [base] : [cwd, base]),
    env: { ...entry.env },
    depth: 0,
  };
  const args = entry.args ?? [];
  const shown = [entry.command, ...args].map(quoteWord).join(" ");
  let found: Found;
  if (args.length === 0 && /\s/.test(entry.command.trim()) && !existsSync(entry.command)) {
    // "command": "python3 server.py" with no args: read it as a shell line.
    const parsed = splitShell(entry.command, ctx.env);
    found = "error" in parsed ? parsed : fromCommands(parsed, ctx, "command line");
  } else {
    found = resolveArgv([entry.command, ...args], ctx);
  }
  if ("error" in found) {
    return { error: `cannot find a Python server script in ${JSON.stringify(shown)}: ${found.error}` };
  }
  return found;
}

function resolveArgv(argv: string[], ctx: Ctx): Found {
  const [command, ...rest] = argv;
  if (command === undefined || command === "") return { error: "the command is empty", other: true };
  if (ctx.depth > 8) return { error: "the command wraps itself too deeply" };
  const name = path.basename(command);
  const inner = { ...ctx, depth: ctx.depth + 1 };
  if (PYTHON.test(name)) return fromPython(command, rest, ctx);
  if (name === "uv") return fromUv(rest, inner);
  if (SHELLS.has(name)) return fromShell(name, rest, inner);
  if (name === "env") return fromEnv(rest, inner);
  if (name === "fastmcp" || name === "mcp") return fromFastmcp(name, rest, inner);
  return { error: `the command is not ${KNOWN}`, other: true };
}

function fromPython(command: string, args: string[], ctx: Ctx): Found {
  const name = path.basename(command);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") return scriptIn(args[i + 1], name, ctx);
    if (arg === "-") return { error: `${name} reads the program from standard input` };
    if (arg.startsWith("--")) {
      if (arg === "--check-hash-based-pycs") i++;
      continue;
    }
    if (!arg.startsWith("-")) return scriptIn(arg, name, ctx);
    // Short flags combine (-uB); -c, -m, -W and -X take the rest of the word or the next word.
    for (let j = 1; j < arg.length; j++) {
      const flag = arg[j]!;
      if (!"cmWX".includes(flag)) continue;
      const value = arg.slice(j + 1) || args[++i];
      if (flag === "c") return { error: `${name} -c runs inline code, not a script file` };
      if (flag === "m") return moduleIn(value, ctx);
      break;
    }
  }
  return { error: `${name} is given no script` };
}

function scriptIn(file: string | undefined, what: string, ctx: Ctx): Found {
  if (file === undefined || file === "") return { error: `${what} is given no script` };
  const tried = unique(path.isAbsolute(file) ? [file] : ctx.dirs.map((dir) => path.resolve(dir, file)));
  for (const candidate of tried) {
    // `python DIR` runs DIR/__main__.py.
    const main = path.join(candidate, "__main__.py");
    if (existsSync(main)) return { script: main };
    if (existsSync(candidate)) return { script: candidate };
  }
  return { error: `${file} not found (tried ${tried.join(", ")})` };
}

function moduleIn(module: string | undefined, ctx: Ctx): Found {
  if (module === undefined || !MODULE_NAME.test(module)) {
    return { error: `-m is given no module name${module ? ` (got ${JSON.stringify(module)})` : ""}` };
  }
  const extra = (ctx.env.PYTHONPATH ?? "").split(":").filter((d) => d !== "")
    .map((d) => path.resolve(ctx.dirs[0]!, d));
  const roots = unique([...ctx.dirs, ...extra]);
  const rel = module.split(".").join(path.sep);
  const tried: string[] = [];
  for (const root of [...roots, ...roots.map((r) => path.join(r, "src"))]) {
    for (const candidate of [`${rel}.py`, path.join(rel, "__main__.py"), path.join(rel, "__init__.py")]) {
      const file = path.join(root, candidate);
      tried.push(file);
      if (existsSync(file)) return { script: file };
    }
  }
  return { error: `module ${module} not found (tried ${tried.join(", ")})` };
}

function fromUv(args: string[], ctx: Ctx): Found {
  let dirs = ctx.dirs;
  let sub: string | undefined;
  let module = false;
  let script = false;
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      i++;
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      if (sub !== undefined) break;
      sub = arg;
      if (sub !== "run") return { error: `uv ${sub} does not run a local script (only uv run does)` };
      continue;
    }
    const [flag, inline] = splitOption(arg);
    if (flag === "-m" || flag === "--module") module = true;
    else if (flag === "-s" || flag === "--script") script = true;
    else if (UV_VALUE.has(flag)) {
      const value = inline ?? args[++i] ?? "";
      if (flag === "--directory") dirs = [path.resolve(dirs[0]!, value)];
    }
  }
  if (sub !== "run") return { error: "uv is not given run" };
  const rest = args.slice(i);
  const inner = { ...ctx, dirs };
  if (module) return moduleIn(rest[0], inner);
  if (rest[0] === undefined) return { error: "uv run is given no command" };
  if (script || rest[0].endsWith(".py")) return scriptIn(rest[0], "uv run", inner);
  return resolveArgv(rest, inner);
}

function fromShell(name: string, args: string[], ctx: Ctx): Found {
  let withC = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (["-o", "+o", "-O", "+O", "--rcfile", "--init-file"].includes(arg)) i++;
    else if (arg.startsWith("--") || arg.startsWith("+")) continue;
    else if (arg.startsWith("-")) withC ||= arg.includes("c");
    else if (withC) {
      const parsed = splitShell(arg, ctx.env);
      return "error" in parsed ? parsed : fromCommands(parsed, ctx, `${name} -c string`);
    } else return { error: `${name} runs the file ${arg}, not a -c command string` };
  }
  return { error: `${name} is given no -c command string` };
}

/** Tries each command of a shell line in turn; `cd` and variable assignments carry over. */
function fromCommands(commands: string[][], ctx: Ctx, where: string): Found {
  let dirs = ctx.dirs;
  const env = { ...ctx.env };
  const failures: string[] = [];
  for (const words of commands) {
    const local = { ...env };
    let k = 0;
    for (; k < words.length && ASSIGNMENT.test(words[k]!); k++) {
      const [, key, value] = ASSIGNMENT.exec(words[k]!)!;
      local[key!] = value!;
    }
    let argv = words.slice(k);
    if (argv.length === 0) {
      Object.assign(env, local); // X=1 on its own sets a shell variable
      continue;
    }
    while (["exec", "nohup", "command"].includes(argv[0]!)) argv = argv.slice(1);
    if (argv[0] === "export") {
      for (const word of argv.slice(1)) {
        const m = ASSIGNMENT.exec(word);
        if (m) env[m[1]!] = m[2]!;
      }
      continue;
    }
    if (argv[0] === "cd") {
      if (argv[1] !== undefined && argv[1] !== "-") dirs = [path.resolve(dirs[0]!, argv[1])];
      continue;
    }
    const found = resolveArgv(argv, { ...ctx, dirs, env: local });
    if (!("error" in found)) return found;
    if (!found.other) failures.push(found.error);
  }
  if (failures.length > 0) return { error: failures.join("; ") };
  return { error: `no command in the ${where} is python, uv, env, fastmcp or mcp run` };
}

function fromEnv(args: string[], ctx: Ctx): Found {
  let dirs = ctx.dirs;
  let env = { ...ctx.env };
  let rest = [...args];
  let i = 0;
  while (i < rest.length) {
    const arg = rest[i]!;
    const [flag, inline] = splitOption(arg);
    if (arg === "--") {
      i++;
      break;
    }
    if (flag === "-i" || flag === "--ignore-environment" || arg === "-") env = {};
    else if (flag === "-u" || flag === "--unset") {
      if (inline === undefined) i++;
    } else if (flag === "-C" || flag === "--chdir") {
      dirs = [path.resolve(dirs[0]!, inline ?? rest[++i] ?? ".")];
    } else if (flag === "-S" || flag === "--split-string") {
      const words = splitShell(inline ?? rest[i + 1] ?? "", env);
      if ("error" in words) return words;
      rest = [...(words[0] ?? []), ...rest.slice(inline === undefined ? i + 2 : i + 1)];
      i = 0;
      continue;
    } else if (!arg.startsWith("-")) {
      const assignment = ASSIGNMENT.exec(arg);
      if (!assignment) break;
      env[assignment[1]!] = assignment[2]!;
    }
    i++;
  }
  return resolveArgv(rest.slice(i), { ...ctx, dirs, env });
}

function fromFastmcp(name: string, args: string[], ctx: Ctx): Found {
  const sub = args[0];
  if (sub !== "run" && sub !== "dev") {
    return { error: `the command is not ${KNOWN} (${name} ${sub ?? ""} starts no server file)`, other: true };
  }
  for (let i = 1; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") break;
    if (arg.startsWith("-")) {
      const [flag, inline] = splitOption(arg);
      if (FASTMCP_VALUE.has(flag) && inline === undefined) i++;
      continue;
    }
    if (/^[a-z]+:\/\//i.test(arg)) return { error: `${name} ${sub} connects to a URL, not a local file` };
    // server.py:mcp names the object inside the file.
    const file = arg.replace(/^(.*\.py):[A-Za-z_][\w.]*$/, "$1");
    if (file.endsWith(".json")) return { error: `${name} ${sub} is given a config file (${file}), not a .py file` };
    return scriptIn(file, `${name} ${sub}`, ctx);
  }
  return { error: `${name} ${sub} is given no server file` };
}

function splitOption(arg: string): [string, string | undefined] {
  const eq = arg.indexOf("=");
  return arg.startsWith("--") && eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, undefined];
}

function unique(items: string[]): string[] {
  return [...new Set(items)];
}

function quoteWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * Splits a POSIX shell line into simple commands (lists of words): quotes,
 * backslashes, `$VAR` / `${VAR:-default}` from `env`, and `&&`, `||`, `;`,
 * `|`, `&`, newlines and parentheses as separators. Redirections are dropped;
 * `$(...)`, backquotes and unknown variables stay as written.
 */
export function splitShell(line: string, env: Record<string, string> = {}): string[][] | { error: string } {
  const commands: string[][] = [];
  let words: string[] = [];
  let word = "";
  let inWord = false;
  let redirect = false; // the next word is a redirection target
  const endWord = () => {
    if (inWord && !redirect) words.push(word);
    else if (inWord) redirect = false;
    word = "";
    inWord = false;
  };
  const endCommand = () => {
    endWord();
    if (words.length > 0) commands.push(words);
    words = [];
    redirect = false;
  };
  const expand = (i: number): [string, number] => {
    const rest = line.slice(i + 1);
    const braced = /^\{([A-Za-z_]\w*)(?::?-([^}]*))?\}/.exec(rest);
    if (braced) return [env[braced[1]!] ?? braced[2] ?? `$${braced[0]}`, i + 1 + braced[0].length];
    const plain = /^[A-Za-z_]\w*/.exec(rest);
    if (plain) return [env[plain[0]] ?? `$${plain[0]}`, i + 1 + plain[0].length];
    if (rest.startsWith("(")) {
      let depth = 0;
      for (let j = i + 1; j < line.length; j++) {
        if (line[j] === "(") depth++;
        if (line[j] === ")" && --depth === 0) return [line.slice(i, j + 1), j + 1];
      }
    }
    return ["$", i + 1];
  };
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === "\\") {
      if (line[i + 1] !== "\n" && i + 1 < line.length) [word, inWord] = [word + line[i + 1], true];
      i += 2;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) return { error: "the shell string has an unterminated ' quote" };
      [word, inWord, i] = [word + line.slice(i + 1, end), true, end + 1];
    } else if (c === '"') {
      inWord = true;
      for (i++;; i++) {
        if (i >= line.length) return { error: 'the shell string has an unterminated " quote' };
        const d = line[i]!;
        if (d === '"') break;
        if (d === "\\" && '$`"\\\n'.includes(line[i + 1] ?? "")) {
          if (line[i + 1] !== "\n") word += line[i + 1];
          i++;
        } else if (d === "$") {
          const [value, next] = expand(i);
          word += value;
          i = next - 1;
        } else word += d;
      }
      i++;
    } else if (c === "$") {
      const [value, next] = expand(i);
      [word, inWord, i] = [word + value, true, next];
    } else if (c === "`") {
      const end = line.indexOf("`", i + 1);
      const stop = end < 0 ? line.length : end + 1;
      [word, inWord, i] = [word + line.slice(i, stop), true, stop];
    } else if (c === "#" && !inWord) {
      while (i < line.length && line[i] !== "\n") i++;
    } else if (c === " " || c === "\t") {
      endWord();
      i++;
    } else if (c === "<" || c === ">" || (c === "&" && line[i + 1] === ">")) {
      if (inWord && /^\d+$/.test(word)) [word, inWord] = ["", false]; // 2>file: the 2 is a descriptor
      endWord();
      while (i < line.length && "<>&|".includes(line[i]!)) i++;
      redirect = true;
    } else if ("\n;&|()".includes(c)) {
      endCommand();
      i++;
    } else if (c === "~" && !inWord && env.HOME !== undefined && /^(\/|\s|$)/.test(line.slice(i + 1, i + 2))) {
      [word, inWord, i] = [env.HOME, true, i + 1];
    } else {
      [word, inWord, i] = [word + c, true, i + 1];
    }
  }
  endCommand();
  return commands;
}
