// What every host gives one attempt of one state: the ExecutionContext its executor reads
// (the record as it is, the state's templates rendered against it), and the executor's value
// made a StateResult. Shared by the local engine (engine.ts) and the Restate host
// (src/restate/), so that the same state runs the same way on either.
import type { StateNode, WorkflowGraph } from "../compiler/graph.ts";
import { resolveAgent, supplyHint } from "./agents.ts";
import { createProvider } from "./providers/index.ts";
import { render } from "./render.ts";
import { type Locals, runScope } from "./scope.ts";
import type { AgentOverride } from "./store/types.ts";
import {
  type AgentFunction,
  type AgentProvider,
  type Effect,
  type ExecutionContext,
  type RunObservation,
  type RunRecord,
  RuntimeError,
  type StateResult,
} from "./types.ts";

/** The scope of ExecutionContext.render: locals (iteration, item …) and any extra names. */
const localNames = new Set(["human", "iteration", "max_iterations", "previous", "index", "output"]);
function scopeWith(
  graph: WorkflowGraph,
  run: RunRecord,
  state: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const locals: Locals = {};
  const names: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(extra)) {
    if (localNames.has(key)) (locals as Record<string, unknown>)[key] = value;
    else if (
      key === "item" &&
      value &&
      typeof value === "object" &&
      "name" in value &&
      "value" in value
    )
      locals.item = value as Locals["item"];
    else names[key] = value;
  }
  return Object.assign(runScope(graph, run, state, locals), names);
}

/** The context of the attempt `effect` asks for, of the run as `run` records it. */
export function executionContext(
  graph: WorkflowGraph,
  run: RunRecord,
  effect: Effect & { type: "execute" },
  signal: AbortSignal,
  emit: (observation: RunObservation) => void,
): ExecutionContext {
  const node: StateNode = graph.getNodeAttributes(effect.state);
  return {
    run,
    graph,
    state: node,
    attempt: effect.attempt,
    idempotencyKey: effect.key,
    render: (template, extra) =>
      template.text.includes("{{")
        ? render(template.text, scopeWith(graph, run, effect.state, extra))
        : template.text,
    signal,
    emit,
  };
}

const resultStatuses = new Set(["succeeded", "failed", "timed_out", "skipped"]);

/** An executor's value as a StateResult: one that is not a result fails the state. */
export function normalizeResult(value: unknown, attempt: number, duration: number): StateResult {
  if (!value || typeof value !== "object" || !resultStatuses.has((value as StateResult).status)) {
    return {
      status: "failed",
      error: { code: "executor-error", message: "the executor returned no valid result" },
      attempts: attempt,
      duration,
      agentCalls: 0,
    };
  }
  const result = value as StateResult;
  return {
    ...result,
    attempts: typeof result.attempts === "number" ? result.attempts : attempt,
    duration: typeof result.duration === "number" ? result.duration : duration,
    agentCalls: typeof result.agentCalls === "number" ? result.agentCalls : 0,
  };
}

/** The result of an attempt whose executor threw `error`. */
export function thrownResult(error: unknown, attempt: number, duration: number): StateResult {
  const code = error instanceof RuntimeError ? error.code : "executor-error";
  const message = (error as Error)?.message ?? String(error);
  return {
    status: "failed",
    error: {
      code,
      message: code === "executor-error" ? `the executor failed: ${message}` : message,
    },
    attempts: attempt,
    duration,
    agentCalls: 0,
  };
}

/**
 * The provider of the run's agent `name`: a function supplied under the name, else the
 * declared agent with its override. A run that lacks one was refused at its start; a name
 * rendered at run time, or functions gone when it is continued, can still come here: such
 * an agent fails the call that reaches it ("agent-missing"), saying how to supply it.
 */
export function agentProvider(
  graph: WorkflowGraph,
  name: string,
  overrides: Record<string, AgentOverride>,
  functions: Record<string, AgentFunction>,
): AgentProvider {
  const agents = graph.getAttribute("agents");
  const resolved = resolveAgent(
    name,
    Object.hasOwn(agents, name) ? agents[name] : undefined,
    overrides[name],
    functions,
    graph.getAttribute("name"),
  );
  if ("spec" in resolved) return createProvider(resolved.spec, functions);
  const message = `${resolved.missing}: ${supplyHint(name)}`;
  return { call: () => Promise.reject(new RuntimeError("agent-missing", message)) };
}
