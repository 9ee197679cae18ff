/**
 * The shim's answer contract: every answer `POST /call_tool`, `GET /list_tools` and `GET /health`
 * give, with its status, the flag the policy runtime reads and what the runtime raises for it.
 * The one source: app.ts answers from it, `templates/orch_runtime.py` is tested against real answers
 * of each kind (answers_test.ts), the Python test double (tests/python/fake_shim.py) reads it from
 * tests/python/shim_answers.json, and docs/ARCHITECTURE.md's table is drawn from it (both written by
 * scripts/gen_assets.ts).
 */

export interface ShimAnswer {
  status: number;
  /** The body's boolean flag besides `success` and `error`, if any. */
  flag?: "isError" | "denied" | "aborted" | "upstream";
  /** What `orch_runtime.py` returns or raises for it. */
  raises: "value" | "ToolError" | "ToolDenied" | "PolicyAborted" | "OrchError";
  /** When the shim gives it, in words. */
  when: string;
}

export const SHIM_ANSWERS = {
  result: {
    status: 200,
    raises: "value",
    when: "the tool ran: `{success: true, content, structuredContent?}`, the result sent once",
  },
  toolError: {
    status: 200,
    flag: "isError",
    raises: "ToolError",
    when: "the tool ran and reported an error: `error` is its joined text, `content` as sent",
  },
  badRequest: { status: 400, raises: "OrchError", when: "the body is not JSON, or a field is missing or wrong" },
  unauthorized: { status: 401, raises: "OrchError", when: "no run token, or one that is not live" },
  forbidden: {
    status: 403,
    raises: "ToolDenied",
    when: "on TCP only: a Host or Origin that is not localhost (the runtime reads any 403 as a denial)",
  },
  denied: {
    status: 403,
    flag: "denied",
    raises: "ToolDenied",
    when: "the run's scope refused: not allowed, budget spent, a guard, an approval refused; or the client's 403/429",
  },
  unknown: { status: 404, raises: "OrchError", when: "an unknown server, tool or route (with a did-you-mean)" },
  wrongMethod: { status: 405, raises: "OrchError", when: "a known route with the wrong method (`Allow` names it)" },
  aborted: {
    status: 409,
    flag: "aborted",
    raises: "PolicyAborted",
    when: "the run is over (Ctrl-C, timeout, cancel, the client's abort): `error` starts with `[ABORTED]`",
  },
  tooLarge: { status: 413, raises: "OrchError", when: "a request body over the limit (16 MiB)" },
  internal: { status: 500, raises: "OrchError", when: "a bug in orch: `internal error ...`" },
  upstream: {
    status: 502,
    flag: "upstream",
    raises: "ToolError",
    when: "the server crashed, timed out, went away or sent garbage: `error` starts with the server's name",
  },
} as const satisfies Record<string, ShimAnswer>;

export type ShimAnswerKind = keyof typeof SHIM_ANSWERS;

/** The JSON body of a refusal of this kind: `{success: false, error, <flag>: true, ...extra}`. */
export function failureBody(kind: ShimAnswerKind, error: string, extra?: Record<string, unknown>): string {
  const answer: ShimAnswer = SHIM_ANSWERS[kind];
  const body: Record<string, unknown> = { success: false, error };
  if (answer.flag !== undefined) body[answer.flag] = true;
  return JSON.stringify(extra === undefined ? body : { ...body, ...extra });
}

/** The table of docs/ARCHITECTURE.md's section "The shim's answers", padded as `deno fmt` pads it. */
export function renderAnswerTable(): string {
  const rows = Object.entries(SHIM_ANSWERS).map(([kind, a]: [string, ShimAnswer]) => [
    `\`${kind}\``,
    `${a.status}`,
    a.flag === undefined ? "" : `\`${a.flag}\``,
    a.raises === "value" ? "the result, as a Python value" : `\`${a.raises}\``,
    a.when,
  ]);
  const head = ["kind", "status", "flag", "the runtime", "when"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(head), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...rows.map(line)].join("\n");
}
