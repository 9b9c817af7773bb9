// What every executor shares: one attempt of one state — its context, a signal that is
// aborted when the attempt times out or the run is cancelled, the count of agent calls
// made, the usage reported — and the one way executors call agents (callAgent), which
// never throws: an agent's failure, timeout or cancellation is an outcome.
import { onAbort, untilAborted } from "../abort.ts";
import { AGENT_KILL_GRACE_MS } from "../providers/command.ts";
import { type Locals, runScope } from "../scope.ts";
import { startTimer } from "../timer.ts";
import type {
  AgentInvocation,
  AgentReply,
  ExecutionContext,
  ExecutorServices,
  RouterContext,
  SessionLease,
  StateResult,
} from "../types.ts";
import { RuntimeError } from "../types.ts";

export interface ExecuteOptions {
  /** The container runtime's program: default $AEGIS_CONTAINER_RUNTIME, else "docker". */
  containerRuntime?: string;
  /** Between SIGTERM and SIGKILL when a state's processes are stopped (default 2000 ms). */
  killGraceMs?: number;
  /**
   * The run's working copy: where relative workdirs start, the `workspace` volume. Default:
   * the run's workdir (ExecutorServices.workdir), else the current directory.
   */
  workspace?: string;
}

/** What an executor returns; executeState adds attempts, duration, agentCalls and usage. */
export type Outcome = Omit<StateResult, "attempts" | "duration" | "agentCalls"> & {
  /** Parallel states: the judges' verdicts (the same list as `agents`). */
  judges?: StateResult["agents"];
  /** Containers states: how many containers exited 0. */
  succeeded?: number;
};

export interface AgentCall {
  agent: string;
  status: "succeeded" | "failed" | "timed_out";
  reply?: AgentReply;
  error?: { code: string; message: string };
}

export interface AgentRequest {
  agent: string;
  prompt: string;
  intent?: string;
  /** This call's own limit, within the attempt's. */
  timeoutMs?: number;
  /** Distinguishes the calls of one attempt in their idempotency keys ("judge-1", "item-3" …). */
  key?: string;
  /** A coordinator's router: the run's context. */
  context?: RouterContext;
  /** The state's options for its agent (callOptions), rendered for this call. */
  options?: Record<string, unknown>;
  /**
   * The session a state's own call continues (its `session NAME`); other calls continue
   * their agent's session when it is declared with `session`.
   */
  session?: string;
}

export function errorOf(error: unknown, fallback: string): { code: string; message: string } {
  if (error instanceof RuntimeError) return { code: error.code, message: error.message };
  return { code: fallback, message: (error as Error)?.message ?? String(error) };
}

/** Lines of a program's stderr that say where, not what: stack frames, Node's footer. */
const noise = [
  /^\s+at\s/, // a stack frame
  /node:internal[/:]/,
  /^Node\.js v\d/,
  /^\s*\^+\s*$/, // the caret under the throwing line
  /^\(node:\d+\) /, // warnings
  /^\(Use `node --trace-/,
  /^Traceback \(most recent call last\):$/,
];
/** Where a Node or Python error was thrown; the line after it is the source quoted. */
const location = [/^(file:\/\/)?\S+:\d+$/, /^\s+File "/];
/** "Error: …", "TypeError [ERR_X]: …", "ValueError: …", "error: …". */
const errorLine = /^(Uncaught\s+)?([\w$]+\.)*\w*(Error|Exception|error)(\s*\[[^\]]*\])?:\s*\S/;

/**
 * What went wrong, from a failed program's stderr: its error line ("Error:
 * ANTHROPIC_API_KEY is not set" out of a Node stack trace, a Python traceback's last
 * line), else its first line that is not a stack frame, a runtime's footer or the source
 * line it quotes. One line, so that it fits a progress line and a status.
 */
export function causeOf(stderr: string): string | undefined {
  const lines: string[] = [];
  let quoted = false;
  for (const line of stderr.split(/\r?\n/)) {
    const skip =
      (quoted && !errorLine.test(line.trim())) ||
      line.trim() === "" ||
      noise.some((n) => n.test(line));
    quoted = location.some((l) => l.test(line));
    if (!skip && !quoted) lines.push(line);
  }
  const line = lines.find((l) => errorLine.test(l.trim())) ?? lines[0];
  if (line === undefined) return undefined;
  const text = line.trim();
  return text.length > 300 ? `${text.slice(0, 299)}…` : text;
}

/** Waits for a promise at most `ms`; undefined when it did not settle (or rejected). */
export async function settle<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let cancelTimer: (() => void) | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    cancelTimer = startTimer(ms, () => resolve(undefined));
  });
  try {
    return await Promise.race([promise.catch(() => undefined), timeout]);
  } finally {
    cancelTimer?.();
  }
}

/** Whether a template names a variable (`{{previous}}`, `{{#if output}}` …). */
export function mentions(template: { text: string } | undefined, name: string): boolean {
  if (!template) return false;
  return new RegExp(`\\{\\{[^}]*\\b${name}\\b`).test(template.text);
}

/** An answer as text, for prompts and joined outputs. */
export function textOf(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === undefined || value === null) return "";
  return JSON.stringify(value);
}

/** The result fields an agent's reply gives a state. */
export function replyFields(reply: AgentReply | undefined): Partial<Outcome> {
  if (!reply) return {};
  return {
    output: reply.output,
    ...(reply.score !== undefined && { score: reply.score }),
    ...(reply.confidence !== undefined && { confidence: reply.confidence }),
    ...(reply.reasoning !== undefined && { reasoning: reply.reasoning }),
    ...(reply.exit_code !== undefined && { exit_code: reply.exit_code }),
    ...(reply.stderr && { stderr: reply.stderr }),
  };
}

/** The outcome of a state whose (one) agent call did not succeed. */
export function callFailure(call: AgentCall, extra: Partial<Outcome> = {}): Outcome {
  return {
    ...replyFields(call.reply),
    ...extra,
    status: call.status === "timed_out" ? "timed_out" : "failed",
    error: call.error ?? { code: "agent-failed", message: `agent '${call.agent}' failed` },
  };
}

export class Attempt {
  readonly ctx: ExecutionContext;
  readonly services: ExecutorServices;
  readonly options: ExecuteOptions;
  /** Only an attempt that can time out needs a signal of its own. */
  private readonly controller: AbortController | undefined;
  /** Aborted when the attempt times out or the run is cancelled. */
  readonly signal: AbortSignal;
  /** Agent invocations made. */
  calls = 0;
  usage: StateResult["usage"];
  /** Set when the state's timeout ended the attempt (as opposed to a cancellation). */
  timedOut = false;

  constructor(
    ctx: ExecutionContext,
    services: ExecutorServices,
    options: ExecuteOptions = {},
    canTimeOut = true,
  ) {
    this.ctx = ctx;
    this.services = services;
    this.options = options;
    this.controller = canTimeOut ? new AbortController() : undefined;
    this.signal = this.controller?.signal ?? ctx.signal;
  }

  get state() {
    return this.ctx.state;
  }

  /** What a state's processes start from (see ExecutorServices.environment). */
  get environment(): Readonly<Record<string, string>> | undefined {
    return this.services.environment;
  }

  /** The run's working copy, if not this process's current directory (ExecuteOptions.workspace, else the run's workdir). */
  get workdir(): string | undefined {
    return this.options.workspace ?? this.services.workdir;
  }

  get killGraceMs(): number {
    return this.options.killGraceMs ?? AGENT_KILL_GRACE_MS;
  }

  /** Stops everything the attempt runs. */
  abort(timedOut: boolean): void {
    if (this.signal.aborted || !this.controller) return; // without one, the run's signal is aborted
    this.timedOut = timedOut;
    this.controller.abort(
      new RuntimeError(
        timedOut ? "timeout" : "cancelled",
        timedOut ? "the state timed out" : "the run was cancelled",
      ),
    );
  }

  /** The outcome of work the attempt's end interrupted. */
  interrupted(extra: Partial<Outcome> = {}): Outcome {
    return this.timedOut
      ? {
          ...extra,
          status: "timed_out",
          error: { code: "timeout", message: `state '${this.state.name}' timed out` },
        }
      : {
          ...extra,
          status: "failed",
          error: { code: "cancelled", message: "the run was cancelled" },
        };
  }

  /** The scope of this state's templates and expressions, with its locals. */
  scope(locals: Locals = {}): Record<string, unknown> {
    return runScope(this.ctx.graph, this.ctx.run, this.state.name, locals);
  }

  /**
   * Renders a template of the state. Locals reach ctx.render as extra names: the ones
   * runScope gives them (`iteration`, `max_iterations`, `previous`, the foreach item,
   * `index`, `output`) and `state` (whose `iteration` they change).
   */
  render(
    template: { text: string } | undefined,
    locals: Locals = {},
    names: Record<string, unknown> = {},
  ): string {
    if (!template) return "";
    if (!template.text.includes("{{")) return template.text; // nothing to look up
    const hasLocals = Object.keys(locals).length > 0;
    if (!hasLocals && Object.keys(names).length === 0) return this.ctx.render(template);
    const extra: Record<string, unknown> = {};
    if (hasLocals) {
      const scope = this.scope(locals);
      const keys = [
        "state",
        "iteration",
        "max_iterations",
        "previous",
        "index",
        "output",
        ...(locals.item ? [locals.item.name] : []),
      ];
      for (const key of keys) if (key in scope) extra[key] = scope[key];
    }
    return this.ctx.render(template, { ...extra, ...names });
  }

  /** An idempotency key for one of the attempt's calls. */
  key(suffix?: string): string {
    return suffix ? `${this.ctx.idempotencyKey}:${suffix}` : this.ctx.idempotencyKey;
  }

  emit(stream: "stdout" | "stderr" | "agent", text: string): void {
    this.ctx.emit({
      type: "state-output",
      run: this.ctx.run.id,
      state: this.state.name,
      stream,
      text,
      at: new Date().toISOString(),
    });
  }

  /**
   * Counts a fan-out's calls as they finish (parallel judges, foreach items, containers):
   * reports 0 of `total` now, and each call's end through the function returned.
   */
  fanOut(total: number, unit: string): (succeeded: boolean) => void {
    let done = 0;
    let failed = 0;
    const report = () =>
      this.ctx.emit({
        type: "state-progress",
        run: this.ctx.run.id,
        state: this.state.name,
        done,
        total,
        failed,
        unit,
        at: new Date().toISOString(),
      });
    report();
    return (succeeded) => {
      done += 1;
      if (!succeeded) failed += 1;
      report();
    };
  }

  addUsage(usage: StateResult["usage"]): void {
    if (!usage) return;
    const total: NonNullable<StateResult["usage"]> = { ...this.usage };
    for (const k of ["inputTokens", "outputTokens", "costUsd"] as const) {
      if (usage[k] !== undefined) total[k] = (total[k] ?? 0) + usage[k];
    }
    this.usage = total;
  }

  /** The session a call continues: the state's own `session`, else its agent's. */
  private sessionOf(request: AgentRequest): string | undefined {
    if (request.session !== undefined) return request.session;
    const agents = this.ctx.graph.getAttribute("agents");
    return Object.hasOwn(agents, request.agent) && agents[request.agent]!.session
      ? request.agent
      : undefined;
  }

  /** Calls an agent once, in its session if it has one. Never throws. */
  async callAgent(request: AgentRequest): Promise<AgentCall> {
    const { agent } = request;
    if (this.signal.aborted) return { agent, ...this.stopped() };
    let provider: ReturnType<ExecutorServices["agent"]>;
    try {
      provider = this.services.agent(agent);
    } catch (error) {
      return { agent, status: "failed", error: errorOf(error, "agent-missing") };
    }
    const name = this.sessionOf(request);
    if (name === undefined || !this.services.session) return this.call(provider, request);
    const keepsMessages = provider.sessions !== "native";
    let lease: SessionLease;
    try {
      // Waits while another call of the run is in this conversation (a foreach's items).
      lease = await this.services.session(name, agent, keepsMessages);
    } catch (error) {
      return { agent, status: "failed", error: errorOf(error, "agent-session") };
    }
    let call: AgentCall | undefined;
    try {
      call = await this.call(provider, request, lease);
      return call;
    } finally {
      const reply = call?.reply;
      await lease
        .end({
          answered: reply !== undefined,
          ...(reply?.session !== undefined && { providerId: reply.session }),
          ...(keepsMessages &&
            call?.status === "succeeded" &&
            reply && {
              messages: [
                { role: "user" as const, content: request.prompt },
                { role: "assistant" as const, content: reply.text },
              ],
            }),
        })
        .catch(() => undefined); // the store's failure shows at the state's end
    }
  }

  private async call(
    provider: ReturnType<ExecutorServices["agent"]>,
    request: AgentRequest,
    lease?: SessionLease,
  ): Promise<AgentCall> {
    const { agent } = request;
    if (this.signal.aborted) return { agent, ...this.stopped() };
    this.calls += 1;
    // A call with its own limit gets its own signal; otherwise the attempt's is the call's.
    let signal = this.signal;
    let callTimedOut = false;
    let cancelTimer: (() => void) | undefined;
    let stopForwarding: (() => void) | undefined;
    if (request.timeoutMs !== undefined) {
      const controller = new AbortController();
      signal = controller.signal;
      stopForwarding = onAbort(this.signal, () => controller.abort(this.signal.reason));
      cancelTimer = startTimer(request.timeoutMs, () => {
        callTimedOut = true;
        controller.abort(new RuntimeError("timeout", "the agent timed out"));
      });
    }
    const invocation: AgentInvocation = {
      agent,
      prompt: request.prompt,
      ...(request.intent !== undefined && { intent: request.intent }),
      state: this.state.name,
      run: this.ctx.run.id,
      idempotencyKey: this.key(request.key),
      ...(request.timeoutMs !== undefined && { timeoutMs: request.timeoutMs }),
      signal,
      onOutput: (text) => this.emit("agent", text),
      ...(this.services.environment && { environment: this.services.environment }),
      ...(this.workdir !== undefined && { workdir: this.workdir }),
      ...(request.context && { context: request.context }),
      ...(request.options && { options: request.options }),
      ...(lease && { session: lease.session }),
    };
    const pending = (async () => provider.call(invocation))();

    const timedOut = (): AgentCall => ({
      agent,
      status: "timed_out",
      error: {
        code: "timeout",
        message: `agent '${agent}' did not answer within ${request.timeoutMs ?? this.state.timeoutMs} ms`,
      },
    });
    try {
      const answer = pending.then(
        (reply) => ({ reply }),
        (error: unknown) => ({ error }),
      );
      // Only the run's cancellation can stop a call without limits of its own: executeState
      // ends the attempt then, whatever the provider does.
      const first = signal === this.ctx.signal ? await answer : await untilAborted(answer, signal);
      if (first === "interrupted") {
        // Let the provider stop its processes before the attempt reports its end.
        await settle(pending, this.killGraceMs + 1000);
        return callTimedOut ? timedOut() : { agent, ...this.stopped() };
      }
      if ("error" in first) {
        const error = errorOf(first.error, "agent-failed");
        if (error.code === "timeout" || callTimedOut) return timedOut();
        if (error.code === "cancelled" || this.signal.aborted) return { agent, ...this.stopped() };
        return { agent, status: "failed", error };
      }
      const reply = first.reply;
      this.addUsage(reply.usage);
      if (reply.exit_code !== undefined && reply.exit_code !== 0) {
        const detail = reply.stderr ? causeOf(reply.stderr) : undefined;
        return {
          agent,
          status: "failed",
          reply,
          error: {
            code: "agent-exit",
            message: `agent '${agent}' exited with code ${reply.exit_code}${detail ? `: ${detail}` : ""}`,
          },
        };
      }
      return { agent, status: "succeeded", reply };
    } finally {
      cancelTimer?.();
      stopForwarding?.();
    }
  }

  private stopped(): Omit<AgentCall, "agent"> {
    const outcome = this.interrupted();
    return {
      status: outcome.status === "timed_out" ? "timed_out" : "failed",
      error: outcome.error!,
    };
  }
}
