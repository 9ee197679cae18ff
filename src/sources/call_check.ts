/**
 * Structural checks of what a server answers, in words: a bad answer fails its request at once
 * ("invalid response from SERVER: result is null") instead of being dropped by a schema check and
 * waiting out the call's timeout.
 */

function kind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** What is wrong with a JSON-RPC response's frame (result xor error, their shapes); undefined when fine. */
export function responseProblem(msg: Record<string, unknown>): string | undefined {
  const hasResult = "result" in msg;
  const hasError = "error" in msg;
  if (hasResult && hasError) return "it has both a result and an error";
  if (!hasResult && !hasError) return "it has neither a result nor an error";
  if (hasError) {
    const error = msg.error;
    if (!isObject(error)) return `its error is ${kind(error)}, not an object`;
    if (typeof error.code !== "number") return "its error has no numeric code";
    if (typeof error.message !== "string") return "its error has no message";
    return undefined;
  }
  if (!isObject(msg.result)) return `its result is ${kind(msg.result)}, not an object`;
  return undefined;
}

/** Fields each known content type must carry as strings. */
const REQUIRED: Record<string, readonly string[]> = {
  text: ["text"],
  image: ["data", "mimeType"],
  audio: ["data", "mimeType"],
  resource_link: ["uri", "name"],
};

/** What is wrong with a tools/call result (an object by now); undefined when it is a result. */
export function callResultProblem(result: Record<string, unknown>): string | undefined {
  const content = result.content;
  if (content !== undefined) {
    if (!Array.isArray(content)) return `its content is ${kind(content)}, not a list`;
    for (let i = 0; i < content.length; i++) {
      const item: unknown = content[i];
      if (!isObject(item)) return `content[${i}] is ${kind(item)}, not an object`;
      const type = item.type;
      if (typeof type !== "string") return `content[${i}] has no type`;
      const fields = REQUIRED[type];
      if (fields !== undefined) {
        for (const f of fields) {
          if (typeof item[f] !== "string") return `content[${i}] (${type}) has no string "${f}"`;
        }
      } else if (type === "resource") {
        const res = item.resource;
        if (!isObject(res) || typeof res.uri !== "string") return `content[${i}] (resource) has no resource.uri`;
      }
      // Newer content types pass as sent: the policy gets them as dicts.
    }
  }
  if (result.isError !== undefined && typeof result.isError !== "boolean") return "its isError is not true or false";
  const sc = result.structuredContent;
  if (sc !== undefined && !isObject(sc)) return `its structuredContent is ${kind(sc)}, not an object`;
  return undefined;
}
