/** One tool as a Python function: signature, docstring, and a body that calls the runtime (or `...` in stubs). */
import type { ToolInfo } from "../sources/types.ts";
import { cleanText, docText, pyStr } from "./literals.ts";
import { type Param, toolParams, wantsUnwrap } from "./params.ts";

const INDENT = "    ";
const WRAP_AT = 100;

/** What a generated function is annotated to return when its tool has no outputSchema (return_types.ts). */
export const RETURN_TYPE = "Any";

/** `py`: a body calling `_call_tool`; `stub`: a `...` body, for `.pyi` files and docs. */
export type FunctionKind = "py" | "stub";

function paramText(p: Param): string {
  return p.defaultLiteral === undefined ? `${p.pyName}: ${p.type}` : `${p.pyName}: ${p.type} = ${p.defaultLiteral}`;
}

function defLine(pyName: string, params: readonly Param[], returns: string): string {
  const one = `def ${pyName}(${parameterList(params)}) -> ${returns}:`;
  if (one.length <= WRAP_AT) return one;
  return `def ${pyName}(\n${params.map((p) => `${INDENT}${paramText(p)},\n`).join("")}) -> ${returns}:`;
}

// Names go on one docs line; a newline in one must not start a new line there.
function oneLine(s: string): string {
  return s.replace(/\r?\n|\r/g, "\\n");
}

function argLines(p: Param): string[] {
  // End the description as a sentence so the notes after it read as their own.
  const words: string[] = [];
  if (p.description) words.push(/[.!?:]$/.test(p.description) ? p.description : p.description + ".");
  if (p.pyName !== p.wireName) words.push(`Sent as ${pyStr(p.wireName)}.`);
  words.push(...p.notes);
  const [first = "", ...rest] = words.filter((w) => w !== "").join(" ").split("\n");
  const head = `${p.pyName} (${p.type}${p.required ? "" : ", optional"}):`;
  const [heading, ...keys] = p.shape;
  return [
    `${INDENT}${head}${first ? " " + first : ""}`,
    ...rest.map((l) => `${INDENT}${INDENT}${l}`),
    ...(heading ? [`${INDENT}${INDENT}${heading}`] : []),
    ...keys.map((l) => `${INDENT}${INDENT}${INDENT}${l}`),
  ];
}

/** The docstring text of a tool (unescaped, unindented): description, `Args:`, and where the call goes. */
export function docstringText(server: string, tool: ToolInfo, params: readonly Param[]): string {
  const description = cleanText(tool.description) || cleanText(tool.title) || "(no description)";
  const lines = description.split("\n");
  if (params.length) lines.push("", "Args:", ...params.flatMap(argLines));
  lines.push("", `Server: ${oneLine(server)}, tool: ${oneLine(tool.name)}`);
  return lines.join("\n");
}

function docstring(text: string): string {
  const body = text.split("\n").map((l, i) => i === 0 || /^[ \t]*$/.test(l) ? l : INDENT + l).join("\n");
  return `${INDENT}"""${docText(body)}\n${INDENT}"""`;
}

function callBody(server: string, tool: ToolInfo, params: readonly Param[]): string {
  const sent = params.filter((p) => p.required).map((p) => `${pyStr(p.wireName)}: ${p.pyName}`);
  const lines = [`${INDENT}_args: Dict[str, Any] = {${sent.join(", ")}}`];
  for (const p of params) {
    if (p.required) continue;
    lines.push(`${INDENT}if ${p.pyName} is not None:`, `${INDENT}${INDENT}_args[${pyStr(p.wireName)}] = ${p.pyName}`);
  }
  const unwrap = wantsUnwrap(tool) ? ", unwrap=True" : "";
  lines.push(`${INDENT}return _call_tool(${pyStr(server)}, ${pyStr(tool.name)}, _args${unwrap})`);
  return lines.join("\n");
}

/**
 * The Python source of the function `pyName` that calls `tool` of `server`; `returns` is its return annotation
 * (see return_types.ts: `Any` unless the tool has an outputSchema).
 */
export function renderFunction(
  server: string,
  tool: ToolInfo,
  pyName: string,
  kind: FunctionKind,
  returns = RETURN_TYPE,
): string {
  const params = toolParams(tool);
  const doc = docstring(docstringText(server, tool, params));
  const body = kind === "py" ? callBody(server, tool, params) : `${INDENT}...`;
  return `${defLine(pyName, params, returns)}\n${doc}\n${body}\n`;
}

/** The text between a signature's parentheses, e.g. `x: float, speed: float = 0.5`. */
export function parameterList(params: readonly Param[]): string {
  return params.map(paramText).join(", ");
}

/**
 * One line such as `ros__move(x: float, speed: float = 0.5) -> Any`, for search results. `pyName` is the tool's name
 * from `functionNames()` over the whole catalog: a name made from `server` and `tool` alone would be wrong for
 * colliding tools.
 */
export function pythonSignature(tool: ToolInfo, pyName: string, returns = RETURN_TYPE): string {
  return `${pyName}(${parameterList(toolParams(tool))}) -> ${returns}`;
}
