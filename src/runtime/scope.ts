// What templates and conditions see while a run is under way: the run's inputs, context,
// the results of the states so far (as the compiler's vocabulary names their fields), and
// what is local to the state being run. Pure functions of the record.
import { readFileSync } from "node:fs";
import type { StateNode, WorkflowGraph } from "../compiler/graph.ts";
import type { RunRecord, StateResult } from "./types.ts";

/**
 * Text that also has fields: `{{TEST.output}}` prints stdout, `TEST.output.exit_code` reads.
 * Inside a value written as JSON (`{{blackboard}}`) it is its text too.
 */
function textObject(text: string, fields: Record<string, unknown>): Record<string, unknown> {
  const asText = { toString: () => text, valueOf: () => text, toJSON: () => text };
  return Object.assign(Object.create(asText), fields);
}

/** A state's result as templates and expressions see it. */
export function resultView(
  node: StateNode | undefined,
  result: StateResult,
  visits: number,
): Record<string, unknown> {
  const success = result.status === "succeeded" || result.status === "skipped";
  const processLike =
    node?.kind === "run" || node?.kind === "container" || node?.kind === "containers";
  const output =
    processLike && typeof result.output !== "object"
      ? textObject(String(result.output ?? result.stdout ?? ""), {
          stdout: result.stdout ?? "",
          stderr: result.stderr ?? "",
          exit_code: result.exit_code,
          // `containers` states: each container's result by name (`CHECKS.output.lint`).
          ...(node?.kind === "containers" && result.results && typeof result.results === "object"
            ? result.results
            : {}),
        })
      : result.output;
  const consensus = result.consensus
    ? { ...result.consensus, valueOf: () => result.consensus!.reached }
    : undefined;
  return {
    ...result,
    output,
    ...(consensus && { consensus }),
    status: result.status,
    success,
    failure: !success,
    timeout: result.status === "timed_out",
    timed_out: result.status === "timed_out",
    skipped: result.status === "skipped",
    error: result.error?.message,
    visits,
  };
}

/**
 * The caller's intent: the one the run was started with, else (as before there was one) a
 * string input named `intent`; "" when there is none.
 */
export function runIntent(run: RunRecord): string {
  if (run.intent !== undefined) return run.intent;
  return typeof run.inputs.intent === "string" ? run.inputs.intent : "";
}

export interface Locals {
  /** Human gates: the answer, in the gate's own transitions (`human.feedback`). */
  human?: Record<string, unknown>;
  iteration?: number;
  max_iterations?: number;
  previous?: unknown;
  item?: { name: string; value: unknown };
  index?: number;
  /** A container handler's `{{output}}`. */
  output?: unknown;
}

/**
 * The root object templates render against (and paths in conditions resolve in). The
 * states' results are looked up when a template or condition names them, not copied in:
 * a run of N states would otherwise pay O(N) at every step. Fixed names (input, context,
 * state …) come first, as they did when everything was copied into one object.
 */
export function runScope(
  graph: WorkflowGraph,
  run: RunRecord,
  stateName?: string,
  locals: Locals = {},
): Record<string, unknown> {
  const attributes = graph.getAttributes();
  const states = statesView(graph, run);
  const scope: Record<string, unknown> = {
    blackboard: states,
    input: run.inputs,
    context: attributes.context,
    workflow: workflowOf(graph),
    run: { id: run.id, started_at: run.startedAt, attempt: run.attempt },
    intent: runIntent(run),
    github: githubContext(),
  };
  // Not enumerable: a template that writes the whole scope as JSON (`{{this}}` at the top)
  // does not write the secrets' values with it; `secrets.NAME` still reads them.
  Object.defineProperty(scope, "secrets", {
    value: secretValues(attributes.secrets),
    enumerable: false,
    writable: true,
    configurable: true,
  });
  if (stateName) {
    scope.state = {
      name: stateName,
      feedback: run.feedback[stateName] ?? "",
      visits: run.visits[stateName] ?? 0,
      iteration: locals.iteration ?? 0,
    };
    if (Object.hasOwn(run.results, stateName))
      Object.defineProperty(scope, "state_output", {
        get: () => states[stateName],
        enumerable: true,
        configurable: true,
      });
  }
  if (locals.human) scope.human = locals.human;
  if (locals.iteration !== undefined) scope.iteration = locals.iteration;
  if (locals.max_iterations !== undefined) scope.max_iterations = locals.max_iterations;
  if ("previous" in locals) scope.previous = locals.previous ?? "";
  if (locals.item) scope[locals.item.name] = locals.item.value;
  if (locals.index !== undefined) scope.index = locals.index;
  if ("output" in locals) scope.output = locals.output;
  return withStates(scope, graph, run);
}

// Both proxies below have one handler each, shared: the run they read is kept on the
// target under a symbol (a scope is made at every step; closures per scope add up).
const RUN = Symbol("run");
interface Source {
  graph: WorkflowGraph;
  run: RunRecord;
}
type Target = Record<string | symbol, unknown> & { [RUN]: Source };

function isResult(source: Source, key: string | symbol): key is string {
  return typeof key === "string" && Object.hasOwn(source.run.results, key);
}

function viewOf({ graph, run }: Source, name: string): Record<string, unknown> {
  return resultView(
    graph.hasNode(name) ? graph.getNodeAttributes(name) : undefined,
    run.results[name]!,
    run.visits[name] ?? 0,
  );
}

/** Subworkflow states by their `result KEY`, listed once per graph. */
const resultKeyLists = new WeakMap<WorkflowGraph, Map<string, string>>();
function resultKeys(graph: WorkflowGraph): Map<string, string> {
  let keys = resultKeyLists.get(graph);
  if (!keys) {
    keys = new Map();
    for (const state of graph.nodes()) {
      const key = graph.getNodeAttribute(state, "subworkflow")?.resultKey;
      if (key && !graph.hasNode(key) && !keys.has(key)) keys.set(key, state);
    }
    resultKeyLists.set(graph, keys);
  }
  return keys;
}

/** The subworkflow state whose child's output the blackboard holds under `key`. */
function keyed(source: Source, key: string | symbol): string | undefined {
  if (typeof key !== "string") return undefined;
  const state = resultKeys(source.graph).get(key);
  return state !== undefined && Object.hasOwn(source.run.results, state) ? state : undefined;
}

function boardValue(source: Source, key: string): unknown {
  if (isResult(source, key)) return viewOf(source, key);
  const state = keyed(source, key);
  return state === undefined ? undefined : source.run.results[state]!.output;
}

/**
 * `blackboard`: the results so far by state name, each made into a view when read, and
 * each subworkflow's output under its `result KEY` (AEGIS `result_key`).
 */
const statesHandler: ProxyHandler<Target> = {
  get: (t, key) => (typeof key === "string" ? boardValue(t[RUN], key) : undefined),
  has: (t, key) => isResult(t[RUN], key) || keyed(t[RUN], key) !== undefined,
  ownKeys: (t) => [
    ...Object.keys(t[RUN].run.results),
    ...[...resultKeys(t[RUN].graph).keys()].filter((k) => keyed(t[RUN], k) !== undefined),
  ],
  getOwnPropertyDescriptor: (t, key) =>
    isResult(t[RUN], key) || keyed(t[RUN], key) !== undefined
      ? {
          value: boardValue(t[RUN], key as string),
          writable: false,
          enumerable: true,
          configurable: true,
        }
      : undefined,
  set: () => false,
  defineProperty: () => false,
  deleteProperty: () => false,
};

function statesView(graph: WorkflowGraph, run: RunRecord): Record<string, unknown> {
  return new Proxy({ [RUN]: { graph, run } } as Target, statesHandler);
}

/** The scope: its fixed names, and behind them the states by name (a fixed name hides a state). */
const isState = (t: Target, key: string | symbol): key is string =>
  key !== RUN && !Object.hasOwn(t, key) && isResult(t[RUN], key);
const scopeHandler: ProxyHandler<Target> = {
  get: (t, key, receiver) =>
    isState(t, key) ? viewOf(t[RUN], key) : key === RUN ? undefined : Reflect.get(t, key, receiver),
  has: (t, key) => key !== RUN && (isState(t, key) || Reflect.has(t, key)),
  ownKeys: (t) => [
    ...Object.keys(t[RUN].run.results).filter((k) => !Object.hasOwn(t, k)),
    ...Reflect.ownKeys(t).filter((k) => k !== RUN),
  ],
  getOwnPropertyDescriptor: (t, key) =>
    isState(t, key)
      ? { value: viewOf(t[RUN], key), writable: true, enumerable: true, configurable: true }
      : key === RUN
        ? undefined
        : Reflect.getOwnPropertyDescriptor(t, key),
};

function withStates(
  fixed: Record<string, unknown>,
  graph: WorkflowGraph,
  run: RunRecord,
): Record<string, unknown> {
  (fixed as Target)[RUN] = { graph, run };
  return new Proxy(fixed as Target, scopeHandler);
}

/** The workflow's own description, made once per graph (graphs do not change at run time). */
const workflows = new WeakMap<WorkflowGraph, Record<string, unknown>>();
function workflowOf(graph: WorkflowGraph): Record<string, unknown> {
  let workflow = workflows.get(graph);
  if (!workflow) {
    const { name, version, description, context } = graph.getAttributes();
    workflow = { name, version, description, context };
    workflows.set(graph, workflow);
  }
  return workflow;
}

const noSecrets: Record<string, string> = Object.freeze({}) as Record<string, string>;

/** Secrets come from the environment, by their declared names. */
function secretValues(names: string[]): Record<string, string> {
  if (names.length === 0) return noSecrets;
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = process.env[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** In GitHub Actions, the event that started the job (`github.event.pull_request.title` …). */
let github: Record<string, unknown> | undefined;
function githubContext(): Record<string, unknown> {
  // The environment of a job does not change while it runs: read it once. In GitHub
  // Actions the runner writes the triggering event's payload to GITHUB_EVENT_PATH.
  github ??= {
    repository: process.env.GITHUB_REPOSITORY,
    event_name: process.env.GITHUB_EVENT_NAME,
    sha: process.env.GITHUB_SHA,
    actor: process.env.GITHUB_ACTOR,
    ref: process.env.GITHUB_REF,
    event: eventPayload(),
  };
  return github;
}

function eventPayload(): unknown {
  const path = process.env.GITHUB_EVENT_PATH;
  if (!path) return {};
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return {};
  }
}
