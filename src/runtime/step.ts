// The runtime's core: a pure step function. Given the workflow graph, a run record and an
// event (a state finished, a human answered, a timer fired, the run was cancelled), it
// returns the next record, the effects to perform and what to report. It does no I/O and
// reads no clock (times come in the events), so the same graph, inputs and results always
// take the same path — and a run can be replayed, persisted and resumed anywhere.
import { type StateNode, transitionsOf, type WorkflowGraph } from "../compiler/graph.ts";
import { evaluate, truthy } from "./evaluate.ts";
import { render } from "./render.ts";
import { type Locals, resultView, runScope } from "./scope.ts";
import { applySessionEvent } from "./sessions.ts";
import type {
  Effect,
  RunErrorCode,
  RunEvent,
  RunObservation,
  RunRecord,
  RunStatus,
  StateResult,
} from "./types.ts";

export interface StepOutput {
  record: RunRecord;
  effects: Effect[];
  observations: RunObservation[];
}

export function createRun(
  graph: WorkflowGraph,
  options: {
    id: string;
    graphHash: string;
    inputs: Record<string, unknown>;
    intent?: string;
    at: string;
  },
): RunRecord {
  return {
    format: "aegis-run",
    version: 1,
    id: options.id,
    workflow: graph.getAttribute("name"),
    graphHash: options.graphHash,
    status: "running",
    inputs: options.inputs,
    ...(options.intent !== undefined && { intent: options.intent }),
    attempt: 0,
    results: {},
    visits: {},
    transitions: 0,
    agentCalls: 0,
    costUsd: 0,
    feedback: {},
    history: [],
    startedAt: options.at,
    updatedAt: options.at,
    seq: 0,
  };
}

/**
 * The record keeps the latest history entries only (the journal and the event log keep
 * all of it), so that its size — copied and persisted at every event — stays bounded.
 */
export const HISTORY_LIMIT = 64;

/** The idempotency key of one attempt of one visit of a state. */
export function attemptKey(run: RunRecord, state: string, attempt: number): string {
  return `${run.id}:${state}:${run.visits[state] ?? 0}:${attempt}`;
}

/** A state's transitions in order, listed once per graph (graphs do not change at run time). */
const transitionLists = new WeakMap<WorkflowGraph, Map<string, ReturnType<typeof transitionsOf>>>();
function outgoing(graph: WorkflowGraph, state: string): ReturnType<typeof transitionsOf> {
  let lists = transitionLists.get(graph);
  if (!lists) {
    lists = new Map();
    transitionLists.set(graph, lists);
  }
  let list = lists.get(state);
  if (!list) {
    list = transitionsOf(graph, state);
    lists.set(state, list);
  }
  return list;
}

const affirmative = /^(y|yes|approve|approved|ok|lgtm|accept|accepted)$/i;

/** The record's maps that step() changes. */
type MapKey = "results" | "visits" | "feedback";

class Stepper {
  readonly effects: Effect[] = [];
  readonly observations: RunObservation[] = [];
  readonly graph: WorkflowGraph;
  readonly run: RunRecord;
  readonly at: string;

  constructor(graph: WorkflowGraph, run: RunRecord, at: string) {
    this.graph = graph;
    this.run = run;
    this.at = at;
  }

  /**
   * Copy on write: the record's maps are shared with the record stepped from, and a change
   * makes a new map (copying them all at every event costs O(states) each time). The copy
   * is made with its new entry in one literal: a copy given an entry afterwards (or losing
   * one to `delete`) can turn into a dictionary-mode object, which V8 copies ~70× slower
   * (60 µs for 300 states' visits).
   */
  private setIn<K extends MapKey>(key: K, name: string, value: RunRecord[K][string]): void {
    (this.run as unknown as Record<MapKey, unknown>)[key] = { ...this.run[key], [name]: value };
  }

  private deleteIn(key: MapKey, name: string): void {
    const { [name]: _removed, ...rest } = this.run[key];
    (this.run as unknown as Record<MapKey, unknown>)[key] = rest;
  }

  private node(state: string): StateNode {
    return this.graph.getNodeAttributes(state);
  }

  private observe(o: RunObservation): void {
    this.observations.push(o);
  }

  fail(code: RunErrorCode, message: string, state?: string): void {
    this.run.error = { code, message, ...(state && { state }) };
    this.finish("failed");
  }

  finish(status: RunStatus): void {
    const run = this.run;
    run.status = status;
    delete run.waiting;
    if (status === "succeeded") run.output = this.output();
    this.effects.push({ type: "finished", status });
    this.observe({
      type: "run-finished",
      run: run.id,
      status,
      ...(run.output !== undefined && { output: run.output }),
      ...(run.error && { error: run.error }),
      at: this.at,
    });
  }

  /** The run's result: the workflow's output template(s), else the last state's output. */
  private output(): unknown {
    const current = this.run.current;
    const final =
      current !== undefined && this.graph.hasNode(current) ? this.node(current) : undefined;
    // A final state's own `output "…"` sets the run's result (grammar: final); it is more
    // specific than the workflow's.
    if (final?.final && final.output) return this.finalOutput(current!, final.output);
    const template = this.graph.getAttribute("output");
    const scope = runScope(this.graph, this.run);
    if (!template) {
      const last = this.run.current ? this.run.results[this.run.current] : undefined;
      const previous = [...this.run.history].reverse().find((h) => h.status === "succeeded");
      return last?.output ?? (previous ? this.run.results[previous.state]?.output : undefined);
    }
    if (typeof template.text === "string") return render(template.text as string, scope);
    return Object.fromEntries(
      Object.entries(template as Record<string, { text: string }>).map(([k, t]) => [
        k,
        render(t.text, scope),
      ]),
    );
  }

  /**
   * What a failure final leaves as the run's result: its own `output "…"`, else what its
   * action printed (AEGIS's `FAILED: kind: System, command: echo …`). Not the workflow's
   * output, which is written for runs that end well.
   */
  private failureOutput(state: string): unknown {
    const node = this.node(state);
    if (node.output) return this.finalOutput(state, node.output);
    return this.run.results[state]?.output;
  }

  private finalOutput(state: string, template: { text: string }): string {
    return render(template.text, runScope(this.graph, this.run, state));
  }

  private checkBudgets(): boolean {
    const limits = this.graph.getAttribute("limits");
    const run = this.run;
    if (
      limits.wallTimeMs !== undefined &&
      Date.parse(this.at) - Date.parse(run.startedAt) > limits.wallTimeMs
    ) {
      this.fail(
        "budget-wall-time",
        `the run took longer than its wall-time budget of ${limits.wallTimeMs} ms`,
      );
      return false;
    }
    if (limits.agentCalls !== undefined && run.agentCalls > limits.agentCalls) {
      this.fail(
        "budget-agent-calls",
        `the run made ${run.agentCalls} agent calls, over its budget of ${limits.agentCalls}`,
      );
      return false;
    }
    if (limits.costUsd !== undefined && run.costUsd > limits.costUsd) {
      this.fail(
        "budget-cost",
        `the run cost $${run.costUsd.toFixed(4)}, over its budget of $${limits.costUsd}`,
      );
      return false;
    }
    return true;
  }

  enter(state: string): void {
    const run = this.run;
    const node = this.node(state);
    const visits = (run.visits[state] ?? 0) + 1;
    const limit = node.visits ?? this.graph.getAttribute("limits").visits;
    if (limit !== undefined && visits > limit) {
      this.fail(
        "visit-limit",
        `state '${state}' would be entered a ${ordinal(visits)} time; its limit is ${limit}`,
        state,
      );
      return;
    }
    this.setIn("visits", state, visits);
    run.current = state;
    run.attempt = 1;
    run.history.push({ seq: run.seq, state, status: "entered", at: this.at });
    this.observe({ type: "state-entered", run: run.id, state, visit: visits, at: this.at });
    if (node.kind === "final") {
      this.finishAt(state);
      return;
    }
    if (node.kind === "branch") {
      // A branch does nothing but choose: decided here, with no effect to perform.
      this.completed(state, { status: "succeeded", attempts: 1, duration: 0, agentCalls: 0 });
      return;
    }
    if (node.kind === "human") {
      const scope = runScope(this.graph, run, state);
      const prompt = node.prompt ? render(node.prompt.text, scope) : `Approve '${state}'?`;
      // The gate's timer fires at its timeout, or when the run's wall-time budget runs out.
      const wallTime = this.graph.getAttribute("limits").wallTimeMs;
      const deadlines = [
        node.timeoutMs !== undefined ? Date.parse(this.at) + node.timeoutMs : undefined,
        wallTime !== undefined ? Date.parse(run.startedAt) + wallTime + 1 : undefined,
      ].filter((t): t is number => t !== undefined);
      const timeoutAt =
        deadlines.length > 0 ? new Date(Math.min(...deadlines)).toISOString() : undefined;
      run.status = "waiting";
      run.waiting = {
        state,
        since: this.at,
        prompt,
        ...(timeoutAt && { timeoutAt }),
        ...(node.human?.default && { default: node.human.default }),
      };
      run.history.push({ seq: run.seq, state, status: "waiting", at: this.at });
      this.effects.push({ type: "wait-human", state, prompt, ...(timeoutAt && { timeoutAt }) });
      this.observe({
        type: "waiting-for-human",
        run: run.id,
        state,
        prompt,
        ...(timeoutAt && { timeoutAt }),
        at: this.at,
      });
      return;
    }
    this.effects.push({
      type: "execute",
      state,
      attempt: 1,
      key: attemptKey(run, state, 1),
      delayMs: 0,
    });
  }

  /** A final state without an action ends the run here, as it declares. */
  private finishAt(state: string): void {
    const node = this.node(state);
    if (node.final === "failure") {
      this.run.error = {
        code: "final-failure",
        message: `the run ended at '${state}', a failure state`,
        state,
      };
      const output = this.failureOutput(state);
      if (output !== undefined) this.run.output = output;
      this.finish("failed");
    } else this.finish("succeeded");
  }

  completed(state: string, incoming: StateResult, locals: Locals = {}): void {
    const run = this.run;
    const node = this.node(state);
    let result = incoming;
    run.agentCalls += result.agentCalls;
    run.costUsd += result.usage?.costUsd ?? 0;
    const failed = result.status === "failed" || result.status === "timed_out";
    // Inputs a subworkflow refuses are refused again on every attempt and every visit: the
    // run ends at once, rather than retry or loop through the state's failure transitions.
    const refused = failed && result.error?.code === "subworkflow-inputs";
    // Retries first: another attempt, after an exponential backoff.
    const retry = node.retry;
    if (failed && retry && run.attempt <= retry.max && node.kind !== "human" && !refused) {
      const delayMs = retry.backoffMs * 2 ** (run.attempt - 1);
      run.attempt += 1;
      this.observe({
        type: "retry",
        run: run.id,
        state,
        attempt: run.attempt,
        delayMs,
        error: result.error?.message ?? result.status,
        at: this.at,
      });
      if (!this.checkBudgets()) return;
      this.effects.push({
        type: "execute",
        state,
        attempt: run.attempt,
        key: attemptKey(run, state, run.attempt),
        delayMs,
      });
      return;
    }
    if (failed && node.errorMode === "skip" && !refused) result = { ...result, status: "skipped" };
    this.setIn("results", state, result);
    run.history.push({ seq: run.seq, state, status: result.status, at: this.at });
    this.observe({
      type: "state-completed",
      run: run.id,
      state,
      status: result.status,
      duration: result.duration,
      ...(result.error && { error: result.error }),
      at: this.at,
    });
    if (!this.checkBudgets()) return;
    if (refused) {
      this.fail("subworkflow-inputs", result.error!.message, state);
      return;
    }
    if (node.final) {
      if (failed && node.errorMode !== "skip") {
        this.fail(
          "state-failed",
          `final state '${state}' failed: ${result.error?.message ?? result.status}`,
          state,
        );
      } else this.finishAt(state);
      return;
    }
    this.transition(state, result, locals);
  }

  private transition(state: string, result: StateResult, locals: Locals): void {
    const run = this.run;
    const node = this.node(state);
    const scope = runScope(this.graph, run, state, locals);
    const bare = resultView(node, result, run.visits[state] ?? 0);
    for (const { target, attributes } of outgoing(this.graph, state)) {
      if (
        !attributes.otherwise &&
        attributes.condition &&
        !truthyCondition(attributes.condition, scope, bare)
      )
        continue;
      const limit = this.graph.getAttribute("limits").transitions;
      if (limit !== undefined && run.transitions + 1 > limit) {
        this.fail(
          "transition-limit",
          `the run would take its ${ordinal(run.transitions + 1)} transition; the limit is ${limit}`,
          state,
        );
        return;
      }
      run.transitions += 1;
      if (attributes.feedback)
        this.setIn("feedback", target, render(attributes.feedback.text, scope));
      else if (Object.hasOwn(run.feedback, target)) this.deleteIn("feedback", target);
      run.history.push({
        seq: run.seq,
        state,
        status: result.status,
        at: this.at,
        to: target,
        label: attributes.label,
      });
      this.observe({
        type: "transition",
        run: run.id,
        from: state,
        to: target,
        label: attributes.label,
        at: this.at,
      });
      this.enter(target);
      return;
    }
    this.fail(
      "no-transition",
      `no transition of '${state}' matched (it ${result.status === "succeeded" ? "succeeded" : result.status.replace("_", " ")}${result.error ? `: ${result.error.message}` : ""})`,
      state,
    );
  }

  answered(event: RunEvent & { type: "human-answered" }, timedOut = false): void {
    const waited = Date.parse(event.at) - Date.parse(this.run.waiting?.since ?? event.at);
    this.observe({
      type: "human-answered",
      run: this.run.id,
      state: event.state,
      response: event.response,
      approved: event.approved,
      rejected: event.rejected ?? !event.approved,
      ...(event.feedback !== undefined && { feedback: event.feedback }),
      ...(event.approver && !timedOut && { approver: event.approver }),
      ...(timedOut && { timedOut: true }),
      waited,
      at: event.at,
    });
    const result: StateResult = {
      status: "succeeded",
      output: event.response,
      response: event.response,
      approved: event.approved,
      rejected: event.rejected ?? !event.approved,
      feedback: event.feedback ?? (event.approved ? "" : event.response),
      ...(event.approver && { approver: event.approver }),
      attempts: 1,
      duration: waited,
      agentCalls: 0,
    };
    this.run.status = "running";
    delete this.run.waiting;
    this.completed(event.state, result, {
      human: resultView(this.node(event.state), result, this.run.visits[event.state] ?? 0),
    });
  }

  timedOut(state: string): void {
    const waiting = this.run.waiting;
    if (waiting?.default !== undefined) {
      const approved = affirmative.test(waiting.default);
      this.answered(
        {
          type: "human-answered",
          state,
          response: waiting.default,
          approved,
          approver: "(default response)",
          at: this.at,
        },
        true,
      );
      return;
    }
    const result: StateResult = {
      status: "timed_out",
      error: { code: "timeout", message: "nobody answered before the gate's timeout" },
      rejected: false,
      approved: false,
      attempts: 1,
      duration: Date.parse(this.at) - Date.parse(waiting?.since ?? this.at),
      agentCalls: 0,
    };
    this.run.status = "running";
    delete this.run.waiting;
    this.completed(state, result, {
      human: resultView(this.node(state), result, this.run.visits[state] ?? 0),
    });
  }
}

function truthyCondition(
  condition: Parameters<typeof evaluate>[0],
  scope: Record<string, unknown>,
  bare: Record<string, unknown>,
): boolean {
  const value = evaluate(condition, scope, bare);
  if (value && typeof value === "object" && "reached" in value)
    return !!(value as { reached: unknown }).reached;
  // The expression language's truthiness (an empty list is false), as `not` and `and` use it.
  return truthy(value);
}

function ordinal(n: number): string {
  const suffix =
    n % 10 === 1 && n % 100 !== 11
      ? "st"
      : n % 10 === 2 && n % 100 !== 12
        ? "nd"
        : n % 10 === 3 && n % 100 !== 13
          ? "rd"
          : "th";
  return `${n}${suffix}`;
}

/** Applies one event to a run. Pure: the input record is not modified. */
export function step(graph: WorkflowGraph, record: RunRecord, event: RunEvent): StepOutput {
  // Copy on write: the parts step changes are copied (see Stepper.setIn), the rest
  // (inputs, results already recorded) is shared.
  const run: RunRecord = { ...record, history: record.history.slice(-(HISTORY_LIMIT - 8)) };
  run.seq += 1;
  run.updatedAt = event.at;
  const s = new Stepper(graph, run, event.at);
  const terminal =
    run.status === "succeeded" || run.status === "failed" || run.status === "cancelled";
  if (terminal) return { record: run, effects: [], observations: [] };
  switch (event.type) {
    case "started": {
      // A repeated start (a replayed or duplicated event) must not enter the start state again.
      if (run.current !== undefined) break;
      s.observations.push({
        type: "run-started",
        run: run.id,
        workflow: run.workflow,
        at: event.at,
      });
      const start = graph.getAttribute("start");
      if (!start || !graph.hasNode(start))
        s.fail("state-failed", "the workflow has no start state");
      else s.enter(start);
      break;
    }
    case "state-completed":
      if (run.current !== event.state || run.status !== "running") break;
      if (event.key !== undefined && event.key !== attemptKey(run, event.state, run.attempt)) break;
      s.completed(event.state, event.result);
      break;
    case "human-answered":
      if (run.waiting?.state !== event.state) break;
      s.answered(event);
      break;
    case "timer-fired":
      // Compared as instants: ISO texts with other precisions or time zones do not sort as times.
      if (
        run.waiting?.state !== event.state ||
        !run.waiting.timeoutAt ||
        !(Date.parse(event.at) >= Date.parse(run.waiting.timeoutAt))
      )
        break;
      s.timedOut(event.state);
      break;
    case "session":
      run.sessions = applySessionEvent(run.sessions, event);
      break;
    case "cancelled":
      run.error = {
        code: "cancelled",
        message: event.reason ? `cancelled: ${event.reason}` : "cancelled",
      };
      s.finish("cancelled");
      break;
  }
  return { record: run, effects: s.effects, observations: s.observations };
}
