// Drives the runtime's pure core (src/runtime/step.ts) with a compiled workflow and a
// script of hand-made results: no processes, no clock. Every "execute" effect is answered
// with the next result the script gives for that state, every "wait-human" with the next
// answer (or a timer), until the run ends or nothing is left to do.
import { expect } from "vitest";
import { compile } from "../../../src/compiler/compile.ts";
import type { WorkflowGraph } from "../../../src/compiler/graph.ts";
import { createRun, type StepOutput, step } from "../../../src/runtime/step.ts";
import type {
  Effect,
  RunEvent,
  RunObservation,
  RunRecord,
  StateResult,
} from "../../../src/runtime/types.ts";

export const T0 = "2025-01-01T00:00:00.000Z";

/** An ISO time `ms` after T0 (or after `from`). */
export function at(ms: number, from = T0): string {
  return new Date(Date.parse(from) + ms).toISOString();
}

/** Compiles `source`; fails the test on any error-level diagnostic. */
export function compileGraph(source: string): WorkflowGraph {
  const result = compile(source, { filename: "/virtual/core.aegis", readFile: () => undefined });
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) {
    throw new Error(
      `the workflow does not compile:\n${errors.map((d) => `${d.line}:${d.column} ${d.code} ${d.message}`).join("\n")}`,
    );
  }
  return result.graph;
}

/** A result as a script writes it: every field optional; `after` advances the clock (ms). */
export type ResultSpec = Partial<StateResult> & { after?: number };

/** A human's answer, or letting the gate's timer fire (`timer`: ms after it was set up). */
export type HumanSpec =
  | {
      approve: boolean;
      response?: string;
      feedback?: string;
      approver?: string;
      /** Answer for another state (to check it is ignored). */
      state?: string;
      after?: number;
    }
  | { timer: number; state?: string };

export interface Script {
  inputs?: Record<string, unknown>;
  /** By state: one result for every execution, or a list consumed one per execution. */
  results?: Record<string, ResultSpec | ResultSpec[]>;
  /** By gate: one answer for every visit, or a list consumed one per visit. */
  human?: Record<string, HumanSpec | HumanSpec[]>;
  /** Stop after this many events (to inspect a run under way). */
  maxEvents?: number;
}

export interface Driven {
  graph: WorkflowGraph;
  record: RunRecord;
  /** The states entered, in order. */
  path: string[];
  /** Every record, from createRun's to the last. */
  records: RunRecord[];
  events: RunEvent[];
  effects: Effect[];
  observations: RunObservation[];
}

/** Deep-freezes a value, so that a mutation by the core throws. */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * A run under the test's control: `send` applies one event with step(), checking that
 * the input record is left untouched (it is frozen, and compared with a clone).
 */
export class Harness {
  readonly graph: WorkflowGraph;
  record: RunRecord;
  readonly records: RunRecord[] = [];
  readonly events: RunEvent[] = [];
  readonly effects: Effect[] = [];
  readonly observations: RunObservation[] = [];
  /** The effects of the last event. */
  last: Effect[] = [];

  constructor(source: string | WorkflowGraph, inputs: Record<string, unknown> = {}, start = T0) {
    this.graph = typeof source === "string" ? compileGraph(source) : source;
    this.record = createRun(this.graph, { id: "run-1", graphHash: "h", inputs, at: start });
    this.records.push(this.record);
  }

  send(event: RunEvent): StepOutput {
    const before = structuredClone(this.record);
    deepFreeze(this.record);
    const out = step(this.graph, this.record, event);
    expect(this.record).toEqual(before);
    this.events.push(event);
    this.record = out.record;
    this.records.push(out.record);
    this.effects.push(...out.effects);
    this.observations.push(...out.observations);
    this.last = out.effects;
    return out;
  }

  get path(): string[] {
    return this.record.history.filter((h) => h.status === "entered").map((h) => h.state);
  }
}

/** The agent calls a state of this kind makes once, unless a result says otherwise. */
function defaultAgentCalls(graph: WorkflowGraph, state: string): number {
  const node = graph.getNodeAttributes(state);
  if (node.kind === "agent" || node.kind === "loop") return 1;
  if (node.kind === "parallel") return node.judges?.length ?? 0;
  return 0;
}

/** A full StateResult from a script's partial one. */
export function makeResult(
  graph: WorkflowGraph,
  state: string,
  spec: ResultSpec,
  attempt: number,
): StateResult {
  const { after: _after, ...fields } = spec;
  const status =
    fields.status ??
    (fields.exit_code !== undefined && fields.exit_code !== 0 ? "failed" : "succeeded");
  return {
    attempts: attempt,
    duration: spec.after ?? 1000,
    agentCalls: defaultAgentCalls(graph, state),
    ...(fields.stdout !== undefined && { output: fields.stdout }),
    ...fields,
    status,
  };
}

/**
 * Compiles `source`, creates a run, feeds "started", then answers every effect from the
 * script until the run ends (or a state has nothing left in the script to answer with).
 */
export function drive(source: string | WorkflowGraph, script: Script = {}): Driven {
  const h = new Harness(source, script.inputs ?? {});
  const used = new Map<string, number>();
  const next = <T>(table: Record<string, T | T[]> | undefined, state: string): T | undefined => {
    const entry = table?.[state];
    if (entry === undefined) return undefined;
    const n = used.get(state) ?? 0;
    used.set(state, n + 1);
    if (!Array.isArray(entry)) return entry;
    return entry[Math.min(n, entry.length - 1)];
  };
  let clock = Date.parse(T0);
  const now = () => new Date(clock).toISOString();
  const queue: Effect[] = [...h.send({ type: "started", at: now() }).effects];
  let count = 1;
  while (queue.length > 0 && (script.maxEvents === undefined || count < script.maxEvents)) {
    const effect = queue.shift()!;
    let event: RunEvent;
    if (effect.type === "finished") continue;
    if (effect.type === "execute") {
      const spec = next(script.results, effect.state);
      if (spec === undefined) break;
      clock += effect.delayMs + (spec.after ?? 1000);
      event = {
        type: "state-completed",
        state: effect.state,
        result: makeResult(h.graph, effect.state, spec, effect.attempt),
        at: now(),
      };
    } else {
      const spec = next(script.human, effect.state);
      if (spec === undefined) break;
      if ("timer" in spec) {
        clock += spec.timer;
        event = { type: "timer-fired", state: spec.state ?? effect.state, at: now() };
      } else {
        clock += spec.after ?? 1000;
        event = {
          type: "human-answered",
          state: spec.state ?? effect.state,
          response: spec.response ?? (spec.approve ? "approve" : "reject"),
          approved: spec.approve,
          ...(spec.feedback !== undefined && { feedback: spec.feedback }),
          ...(spec.approver !== undefined && { approver: spec.approver }),
          at: now(),
        };
      }
    }
    count += 1;
    const out = h.send(event);
    queue.push(...out.effects);
    // An answer for another gate, or an early timer, is ignored: the gate still waits.
    if (
      effect.type === "wait-human" &&
      out.effects.length === 0 &&
      h.record.waiting?.state === effect.state
    ) {
      queue.unshift(effect);
    }
  }
  return {
    graph: h.graph,
    record: h.record,
    path: h.path,
    records: h.records,
    events: h.events,
    effects: h.effects,
    observations: h.observations,
  };
}

/** Wraps states in a workflow with one agent `bot`, starting at `start`, with DONE/FAILED. */
export function wf(states: string, opts: { start?: string; head?: string } = {}): string {
  return `workflow core {
  agent bot = claude()
  ${opts.head ?? ""}
  start ${opts.start ?? "A"}
${states}
  final DONE
  final FAILED failure
}
`;
}
