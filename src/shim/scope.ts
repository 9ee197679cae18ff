/** Run scopes: one policy run's token, permissions, budget, guards, abort state and call counters. */
import type { JsonSchema } from "../rules/json_schema.ts";
import type { CallToolResult } from "../deps/mcp_sdk.ts";
import type { CallCancel } from "../sources/types.ts";
import { CallDeniedError, errorText, PolicyError, RunAbortedError } from "../errors.ts";
import { compileGlobs, type ToolMatcher } from "../rules/glob.ts";
import { checkInputSchema } from "../rules/arguments.ts";
import { checkGuards, compileGuards, type Guard } from "../rules/guards.ts";
import { randomToken } from "../runtime/token.ts";

/** Asks a person (or a policy of the host) to approve one call: true = yes, a string = no, with the reason. */
export type ConfirmHook = (server: string, tool: string, args: Record<string, unknown>) => Promise<boolean | string>;

/**
 * Runs before each admitted call, e.g. to take a per-server lock so two runs never drive one robot
 * at once. What it returns, when a function, is called once the call has finished.
 */
export type BeforeCallHook = (server: string, tool: string) => Promise<void | (() => void)>;

/** Hears how one admitted call goes (the run's journal). */
export interface CallWatch {
  sent(): void;
  done(result: CallToolResult): void;
  failed(err: unknown, aborted: boolean): void;
}

/** Sees every call of a run: refused at once, or admitted and then watched. */
export interface CallObserver {
  denied(server: string, tool: string, args: Record<string, unknown>, reason: string): void;
  admitted(server: string, tool: string, args: Record<string, unknown>): CallWatch;
}

export interface ScopeOptions {
  /** Defaults to a random UUID. */
  runId?: string;
  /** `server/tool` globs this run may call; defaults to every tool. */
  allow?: readonly string[];
  /** A second allow list this run must ALSO match (a per-run narrowing of the config's `allow`). */
  narrow?: readonly string[];
  /** Globs this run may never call; deny wins over allow. */
  deny?: readonly string[];
  /** Most calls this run may make; null or absent = unlimited. */
  maxCalls?: number | null;
  /** JSON Schemas the arguments of matching tools must satisfy, keyed by `server/tool` glob. */
  guards?: Readonly<Record<string, JsonSchema>>;
  /** Globs of tools that need approval through `confirm` before each call. */
  confirmTools?: readonly string[];
  confirm?: ConfirmHook;
  beforeCall?: BeforeCallHook;
  /** The tool's inputSchema, when known: arguments are checked against it (types included) before the guards. */
  inputSchema?: (server: string, tool: string) => JsonSchema | undefined;
  /**
   * Why the server's tool schemas are unknown (its discovery failed), or undefined when they are
   * known; `guarded` says whether a guard matches the call (then the call is refused: see scope.call).
   */
  schemaUnknown?: (server: string, tool: string, guarded: boolean) => string | undefined;
  observer?: CallObserver;
}

interface Decision {
  /** Why the tool is refused, or undefined when it is allowed. */
  refusal: string | undefined;
  guards: readonly Guard[];
  confirm: boolean;
}

// Unknown names cannot reach the scope while a catalog is loaded, but without one a policy could
// make up names forever: the decision cache is dropped when it grows past this.
const MAX_DECISIONS = 4096;

function noop(): void {}

/**
 * One admitted call in flight. The scope cancels it on abort; the source learns of that through
 * `oncancel` (CallCancel), so a call costs no AbortController or listener unless a source asks for
 * `signal`.
 */
export class ScopeCall implements CallCancel {
  cancelled: string | undefined = undefined;
  oncancel: ((reason: string) => void) | undefined = undefined;
  #controller: AbortController | undefined;
  #reject: ((err: Error) => void) | undefined;
  #watch: CallWatch | undefined;

  /** `watch` hears when the source has sent the request (the journal). */
  constructor(readonly server: string, readonly tool: string, watch?: CallWatch) {
    this.#watch = watch;
  }

  /** The source is sending the request now: the watch hears it once, and never after `ended()`. */
  sent(): void {
    const watch = this.#watch;
    this.#watch = undefined;
    watch?.sent();
  }

  /** The call has ended: a late `sent()` (from a source still unwinding) is ignored. */
  ended(): void {
    this.#watch = undefined;
  }

  /** A signal that aborts with the call, made on first use (for sources that take one). */
  get signal(): AbortSignal {
    this.#controller ??= new AbortController();
    if (this.cancelled !== undefined) this.#controller.abort(this.cancelled);
    return this.#controller.signal;
  }

  /** Cancels the call (once): the source is told, and the scope's wait ends at once. */
  cancel(reason: string): void {
    if (this.cancelled !== undefined) return;
    this.cancelled = reason;
    this.#controller?.abort(reason);
    const told = this.oncancel;
    this.oncancel = undefined;
    told?.(reason);
    this.#reject?.(new RunAbortedError(reason));
  }

  /** Settles like `promise`, or rejects with RunAbortedError as soon as the call is cancelled. */
  race<T>(promise: Promise<T>): Promise<T> {
    if (this.cancelled !== undefined) {
      promise.catch(noop);
      return Promise.reject(new RunAbortedError(this.cancelled));
    }
    return new Promise<T>((resolve, reject) => {
      this.#reject = reject;
      promise.then(resolve, reject);
    });
  }
}

/** One policy run's permissions and state. */
export class RunScope {
  readonly runId: string;
  /** 32 random bytes, base64url: the bearer token the policy presents. */
  readonly token: string = randomToken(32);
  readonly maxCalls: number | null;
  callsMade = 0;
  inFlight = 0;
  denied = 0;
  aborted = false;
  abortReason: string | undefined;

  readonly #controller = new AbortController();
  /** Calls admitted and not yet finished: abort cancels each. */
  readonly #inFlight = new Set<ScopeCall>();
  readonly #allow: ToolMatcher;
  readonly #narrow: ToolMatcher | undefined;
  readonly #deny: ToolMatcher;
  readonly #confirmTools: ToolMatcher;
  readonly #guards: Guard[];
  readonly #confirm: ConfirmHook | undefined;
  readonly #beforeCall: BeforeCallHook | undefined;
  readonly #inputSchema: ScopeOptions["inputSchema"];
  readonly #schemaUnknown: ScopeOptions["schemaUnknown"];
  readonly #observer: CallObserver | undefined;
  readonly #decisions = new Map<string, Decision>();

  /** Compiles globs and guards once; throws PolicyError for a bad pattern, guard or budget. */
  constructor(opts: ScopeOptions = {}) {
    this.runId = opts.runId ?? crypto.randomUUID();
    const maxCalls = opts.maxCalls ?? null;
    if (maxCalls !== null && !(Number.isInteger(maxCalls) && maxCalls >= 0)) {
      throw new PolicyError(`Invalid call budget ${maxCalls}: expected a whole number >= 0 or null`);
    }
    this.maxCalls = maxCalls;
    this.#allow = compileGlobs(opts.allow ?? ["*"]);
    this.#narrow = opts.narrow ? compileGlobs(opts.narrow) : undefined;
    this.#deny = compileGlobs(opts.deny ?? []);
    this.#confirmTools = compileGlobs(opts.confirmTools ?? []);
    this.#guards = compileGuards(opts.guards ?? {});
    this.#confirm = opts.confirm;
    this.#beforeCall = opts.beforeCall;
    this.#inputSchema = opts.inputSchema;
    this.#schemaUnknown = opts.schemaUnknown;
    this.#observer = opts.observer;
  }

  /** Aborted when the run is; every downstream call gets a signal that follows it. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Refuses further calls and cancels the ones in flight. Idempotent: the first reason stays. */
  abort(reason = "aborted"): void {
    if (this.aborted) return;
    this.aborted = true;
    this.abortReason = reason;
    for (const call of this.#inFlight) call.cancel(reason);
    this.#controller.abort(reason);
  }

  /** True when the scope lets the run call this tool (allow and deny only; guards need arguments). */
  allows(server: string, tool: string): boolean {
    return this.#decide(server, tool).refusal === undefined;
  }

  /**
   * Admits one call (scope, guards, budget, approval, `beforeCall`) and runs `fn` with the call's
   * handle, which the run's abort cancels (`call.signal` for sources that want a signal). Throws
   * CallDeniedError, RunAbortedError, or whatever `fn` throws.
   */
  async call(
    server: string,
    tool: string,
    args: Record<string, unknown>,
    fn: (call: ScopeCall) => Promise<CallToolResult>,
  ): Promise<CallToolResult> {
    if (this.aborted) throw new RunAbortedError(this.abortReason ?? "aborted");
    const decision = this.#decide(server, tool);
    let refusal = decision.refusal;
    if (refusal === undefined) {
      const schema = this.#inputSchema?.(server, tool);
      const unknown = schema === undefined
        ? this.#schemaUnknown?.(server, tool, decision.guards.length > 0)
        : undefined;
      // A guard assumes the types were checked first (a lax server re-reads what it gets): unchecked, it is not reliable.
      if (unknown !== undefined && decision.guards.length > 0) {
        refusal = `${server}.${tool} is guarded, but ${server}'s tool schemas are unknown (${unknown}), ` +
          "so the guard cannot be enforced reliably";
      }
      const invalid = refusal === undefined ? checkInputSchema(server, tool, schema, args) : undefined;
      if (invalid !== undefined) {
        // The policy gets a tool error, and the journal says the same (never sent).
        const result: CallToolResult = { content: [{ type: "text", text: invalid }], isError: true };
        this.#observer?.admitted(server, tool, args).done(result);
        return result;
      }
    }
    if (refusal === undefined && decision.guards.length > 0) refusal = checkGuards(decision.guards, args);
    if (refusal === undefined && this.maxCalls !== null && this.callsMade >= this.maxCalls) {
      refusal = `call budget spent: this run may make ${this.maxCalls} tool calls`;
    }
    if (refusal !== undefined) {
      this.#observer?.denied(server, tool, args, refusal);
      throw this.#refuse(server, tool, refusal);
    }
    // The call starts here (admitted, counted) and ends in `finally`: the one place a call's
    // start, end and outcome are all known.
    const watch = this.#observer?.admitted(server, tool, args);
    this.callsMade++;
    this.inFlight++;
    const call = new ScopeCall(server, tool, watch);
    this.#inFlight.add(call);
    let release: void | (() => void) = undefined;
    try {
      if (decision.confirm) {
        const answer = await call.race(this.#ask(server, tool, args));
        if (answer !== true) {
          this.callsMade--;
          const reason = typeof answer === "string" && answer !== "" ? answer : `${server}.${tool} was not approved`;
          throw this.#refuse(server, tool, reason);
        }
      }
      if (this.#beforeCall !== undefined) {
        const acquiring = this.#beforeCall(server, tool);
        try {
          release = await call.race(acquiring);
        } catch (err) {
          // Aborted while waiting: whatever is acquired later must still be given back.
          acquiring.then((late) => typeof late === "function" && late(), noop);
          throw err;
        }
      }
      // The source calls `call.sent()` when the request leaves orch: a start that fails is `not_sent`.
      const result = await call.race(fn(call));
      watch?.done(result);
      return result;
    } catch (err) {
      watch?.failed(err, this.aborted);
      // A refusal that settles after an abort never gets here: call.race has rejected with the abort first.
      if (err instanceof CallDeniedError) throw err;
      throw this.aborted ? new RunAbortedError(this.abortReason ?? "aborted") : err;
    } finally {
      call.ended();
      this.inFlight--;
      this.#inFlight.delete(call);
      if (typeof release === "function") release();
    }
  }

  async #ask(server: string, tool: string, args: Record<string, unknown>): Promise<boolean | string> {
    if (this.#confirm === undefined) return `${server}.${tool} needs approval and no one can approve it here`;
    try {
      return await this.#confirm(server, tool, args);
    } catch (err) {
      return `approval of ${server}.${tool} failed: ${errorText(err)}`;
    }
  }

  #decide(server: string, tool: string): Decision {
    // The length prefix keeps ("a/b", "c") and ("a", "b/c") apart whatever the names contain.
    const key = `${server.length}:${server}/${tool}`;
    let decision = this.#decisions.get(key);
    if (decision !== undefined) return decision;
    let refusal: string | undefined;
    if (this.#deny(server, tool)) refusal = `${server}.${tool} is denied in this run`;
    else if (!this.#allow(server, tool)) refusal = `${server}.${tool} is not in the config's allowed tools`;
    else if (this.#narrow && !this.#narrow(server, tool)) {
      refusal = `${server}.${tool} is not in this run's allowed tools`;
    }
    decision = {
      refusal,
      guards: this.#guards.filter((g) => g.matches(server, tool)),
      confirm: this.#confirmTools(server, tool),
    };
    if (this.#decisions.size >= MAX_DECISIONS) this.#decisions.clear();
    this.#decisions.set(key, decision);
    return decision;
  }

  #refuse(server: string, tool: string, reason: string): CallDeniedError {
    this.denied++;
    return new CallDeniedError(server, tool, reason);
  }
}

/** The live scopes of this orch process, found by token. */
export class ScopeRegistry {
  /** `defaults` apply to every scope created here (e.g. the catalog's inputSchema lookup). */
  constructor(readonly defaults: ScopeOptions = {}) {}
  readonly #byToken = new Map<string, RunScope>();
  readonly #byRunId = new Map<string, RunScope>();

  /** Creates and registers a scope; throws PolicyError for a bad option or a run id in use. */
  create(opts: ScopeOptions = {}): RunScope {
    if (opts.runId !== undefined && this.#byRunId.has(opts.runId)) {
      throw new PolicyError(`Run ${opts.runId} already has a scope`);
    }
    const scope = new RunScope({ ...this.defaults, ...opts });
    this.#byToken.set(scope.token, scope);
    this.#byRunId.set(scope.runId, scope);
    return scope;
  }

  /** The live scope holding this token. */
  get(token: string): RunScope | undefined {
    return this.#byToken.get(token);
  }

  /** The live scope of this run. */
  byRunId(runId: string): RunScope | undefined {
    return this.#byRunId.get(runId);
  }

  /** Forgets a run: its token stops working, and calls still in flight are aborted ("run ended"). */
  remove(runId: string): RunScope | undefined {
    const scope = this.#byRunId.get(runId);
    if (scope === undefined) return undefined;
    this.#byRunId.delete(runId);
    this.#byToken.delete(scope.token);
    if (scope.inFlight > 0) scope.abort("run ended");
    return scope;
  }

  /** Number of live scopes. */
  get size(): number {
    return this.#byToken.size;
  }
}
