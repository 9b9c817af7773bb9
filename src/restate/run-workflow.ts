// aegis on Restate: one generic Restate workflow, `aegisRun`, keyed by the run's id, that
// runs any compiled graph by driving the same pure step() the local engine drives
// (src/runtime/step.ts). What the local engine keeps in its store, Restate keeps in the
// workflow's journal and state:
//
//   - each attempt of a state is one durable step (ctx.run) on the worker that runs it:
//     a completed step is never run again; one interrupted (a worker killed, a leader
//     failover) is run again with the same idempotency key, the stale attempt aborted;
//   - a human gate is a durable promise (`gate/STATE/VISIT`), answered through the shared
//     `answer` handler; its timeout and retry back-off are durable timers;
//   - cancelling is an event: the `cancel` handler gives the reason (the `cancel` promise)
//     and cancels the run's invocation, so that whatever it awaits ends there; the run
//     then takes the event (Restate's own cancellation too);
//   - a subworkflow state is a call of `aegisRun` for the child's run (detached: a send);
//   - the record and what the run reported are the workflow's state (`get`, `log`).
import * as restate from "@restatedev/restate-sdk";
import type { GraphDocument, WorkflowGraph } from "../compiler/graph.ts";
import { onAbort } from "../runtime/abort.ts";
import { checkAgents, normalizeAgentOverrides } from "../runtime/agents.ts";
import {
  agentProvider,
  executionContext,
  normalizeResult,
  thrownResult,
} from "../runtime/attempt-context.ts";
import type { AgentOverrideInput } from "../runtime/engine.ts";
import { executeState } from "../runtime/execute.ts";
import {
  type ChildRun,
  childOutcome,
  subworkflowInputs,
} from "../runtime/executors/subworkflow.ts";
import { storedGraph } from "../runtime/graph-cache.ts";
import { checkInputs, InputError, inputsFromText } from "../runtime/inputs-check.ts";
import { answerEvent, type SignalAnswer } from "../runtime/response.ts";
import { openSession } from "../runtime/session-lease.ts";
import { applySessionEvent } from "../runtime/sessions.ts";
import { createRun, step } from "../runtime/step.ts";
import type { AgentOverride, RunCaller } from "../runtime/store/types.ts";
import type {
  AgentFunction,
  AgentProvider,
  Effect,
  ExecutorServices,
  RunEvent,
  RunObservation,
  RunRecord,
  SessionEvent,
  StateResult,
} from "../runtime/types.ts";
import { GRAPH_SERVICE } from "./graph-registry.ts";
import { RunState, readHead, readLog, readOpening, readRecord, stateReader } from "./run-state.ts";
import { sessionIdFor } from "./session-id.ts";
import { terminal } from "./terminal.ts";

/** The Restate workflow's name: its ingress paths are /aegisRun/RUN-ID/HANDLER. */
export const RUN_SERVICE = "aegisRun";

/** What starts a run: the `run` handler's input. */
export interface RestateRunStart {
  document: GraphDocument;
  inputs: Record<string, unknown>;
  intent?: string;
  caller?: RunCaller;
  /** A subworkflow's run: the run and state that started it. */
  parent?: { run: string; state: string };
  /** Agent overrides the run was started with (a parent's, for a child). */
  agents?: Record<string, AgentOverride>;
  /** The directory the run's states work in, on the worker. */
  workdir?: string;
  /** When it was started (default: when the workflow first runs). */
  at?: string;
  /**
   * The document (and its subworkflows') is in the graph registry (graph-registry.ts): the
   * run does not keep a copy of its own for `document`.
   */
  registered?: boolean;
}

/** What the run's state holds besides its record. */
export interface RestateRunMeta {
  parent?: { run: string; state: string };
  caller?: RunCaller;
  agents?: Record<string, AgentOverride>;
  workdir?: string;
}

/** What a run's first event keeps besides the record (run-state.ts): for `get` and `cancel`. */
interface RestateOpening {
  meta: RestateRunMeta;
  invocation: restate.InvocationId;
}

/** An answer to a gate: the `answer` handler's input. */
export type RestateAnswer = SignalAnswer;

export interface RunWorkflowOptions {
  /** Agents supplied as functions, by agent name (as createEngine's `functions`). */
  functions?: Record<string, AgentFunction>;
  /** Agent providers that replace the workflows' (an agents file), on this worker. */
  agents?: Record<string, AgentOverrideInput>;
  /** The environment every process of every state starts from (default: the worker's). */
  environment?: Readonly<Record<string, string>>;
  /** Every observation of the states this worker runs, as they happen (progress, logs). */
  onObservation?: (observation: RunObservation) => void;
  /**
   * How long Restate lets one step (an agent's call, a command) run on a worker before it
   * aborts the attempt and runs it again (default 24 h). A state's own `timeout` ends it
   * sooner; this guards against a worker that hangs.
   */
  stepLimitMs?: number;
  /** How long a finished run's record and log are kept by Restate (default 7 days). */
  retentionMs?: number;
}

const DAY = 24 * 3600 * 1000;

/** How many times a cancel that finds the run not started looks again (250 ms apart). */
const CANCEL_TRIES = 40;

/** The durable promise of the gate a run waits at: one per visit of the state. */
export function gatePromise(
  record: Pick<RunRecord, "status" | "waiting" | "visits">,
): string | undefined {
  const waiting = record.waiting;
  if (record.status !== "waiting" || !waiting) return undefined;
  return `gate/${waiting.state}/${record.visits[waiting.state] ?? 1}`;
}

/** The aegisRun workflow, with this worker's agents. */
export function runWorkflow(options: RunWorkflowOptions = {}) {
  const host = {
    functions: options.functions ?? {},
    overrides: normalizeAgentOverrides(options.agents),
    ...(options.environment && { environment: options.environment }),
    ...(options.onObservation && { onObservation: options.onObservation }),
  };
  return restate.workflow({
    name: RUN_SERVICE,
    handlers: {
      run: (ctx: restate.WorkflowContext, start: RestateRunStart) =>
        new RunDriver(ctx, start, host).drive(),

      answer: async (ctx: restate.WorkflowSharedContext, answer: RestateAnswer) => {
        const record = await readHead(stateReader(ctx));
        if (!record) throw terminal("run-not-found", `no run '${ctx.key}'`, 404);
        const gate = gatePromise(record);
        if (!gate || !record.waiting) {
          throw terminal(
            "not-waiting",
            `run '${ctx.key}' is not waiting for a human: it is ${record.status}`,
            409,
          );
        }
        if (answer.state !== undefined && answer.state !== record.waiting.state) {
          throw terminal(
            "not-waiting",
            `run '${ctx.key}' is waiting at '${record.waiting.state}', not at '${answer.state}'`,
            409,
          );
        }
        const at = await ctx.date.toJSON();
        await ctx.promise<AnsweredGate>(gate).resolve({ ...answer, at });
        return { state: record.waiting.state };
      },

      cancel: async (
        ctx: restate.WorkflowSharedContext,
        request?: { reason?: string; tries?: number },
      ) => {
        // The reason for the run to read, then Restate's cancellation of the run: whatever
        // it awaits (a step, a gate, a timer, a child's run) ends with CancelledError there.
        const reason = request?.reason ?? "cancelled by request";
        const tries = request?.tries ?? 0;
        // The first cancel's reason stands: a later one (or a look again) only cancels.
        if (tries === 0) {
          try {
            await ctx.promise<string>("cancel").resolve(reason);
          } catch (error) {
            if (!(error instanceof restate.TerminalError)) throw error;
          }
        }
        const invocation = (await readOpening<RestateOpening>(stateReader(ctx)))?.invocation;
        if (invocation) {
          ctx.invocation(invocation).cancel();
          return;
        }
        // The run has not started as this call began: it reads the reason when it starts,
        // unless it started meanwhile; a later call (its own view of the state) then cancels.
        if (tries < CANCEL_TRIES) {
          ctx.genericSend({
            service: RUN_SERVICE,
            method: "cancel",
            key: ctx.key,
            parameter: { reason, tries: tries + 1 },
            inputSerde: restate.serde.json,
            delay: 250,
          });
        }
      },

      get: async (ctx: restate.WorkflowSharedContext) => {
        const saved = await readRecord<RestateOpening>(stateReader(ctx));
        if (!saved) throw terminal("run-not-found", `no run '${ctx.key}'`, 404);
        return { record: saved.record, meta: saved.opening.meta ?? {} };
      },

      document: async (ctx: restate.WorkflowSharedContext) => {
        // Its own copy (a run whose starter did not put it in the registry), else the
        // registry's, by the hash the run's first event keeps.
        const kept = await ctx.get<GraphDocument>("document");
        if (kept) return kept;
        const opening = await readOpening(stateReader(ctx));
        if (!opening) throw terminal("run-not-found", `no run '${ctx.key}'`, 404);
        return ctx.genericCall<undefined, GraphDocument>({
          service: GRAPH_SERVICE,
          method: "get",
          key: opening.graphHash,
          parameter: undefined,
          inputSerde: restate.serde.json,
          outputSerde: restate.serde.json,
        });
      },

      log: (ctx: restate.WorkflowSharedContext, request?: { after?: number }) =>
        readLog(stateReader(ctx), request?.after ?? 0),

      head: async (ctx: restate.WorkflowSharedContext) => {
        const head = await readHead(stateReader(ctx));
        if (!head) throw terminal("run-not-found", `no run '${ctx.key}'`, 404);
        return head;
      },
    },
    options: {
      // A step in flight cannot suspend: Restate asks after the inactivity timeout, then
      // aborts the attempt after this. Long agent calls must not be aborted.
      abortTimeout: options.stepLimitMs ?? DAY,
      workflowRetention: options.retentionMs ?? 7 * DAY,
      // Each handler reads the keys it needs (a run's state grows with every event): not
      // the whole state sent with every invocation and every step's replay.
      enableLazyState: true,
    },
  });
}

export type RunWorkflow = ReturnType<typeof runWorkflow>;

interface AnsweredGate extends RestateAnswer {
  at: string;
}

interface WorkerHost {
  functions: Record<string, AgentFunction>;
  overrides: Record<string, AgentOverride>;
  environment?: Readonly<Record<string, string>>;
  onObservation?: (observation: RunObservation) => void;
}

/** What one step (an attempt of a state, on a worker) journals. */
interface StepOutcome {
  result: StateResult;
  /** Its session calls' events, applied before its result. */
  sessions: SessionEvent[];
  observations: RunObservation[];
  at: string;
}

/** Restate's timeout of a promise (RestatePromise.orTimeout), however it was passed on. */
const isTimeout = (error: unknown) =>
  error instanceof restate.TimeoutError ||
  (error instanceof restate.TerminalError && error.code === 408);

/** Restate's cancellation of the invocation (`restate invocations cancel`, the admin API). */
const isCancellation = (error: unknown) =>
  error instanceof restate.CancelledError ||
  (error instanceof restate.TerminalError && error.code === 409);

class RunDriver {
  private record!: RunRecord;
  private graph!: WorkflowGraph;
  private overrides: Record<string, AgentOverride> = {};
  private readonly providers = new Map<string, AgentProvider>();
  /** Made when the run begins, with what its first event keeps. */
  private saved!: RunState<RestateOpening>;
  /**
   * Stops what this invocation attempt runs: when the run is cancelled (it then only
   * finishes), or when Restate has given the run to another attempt (a stale one). One for
   * the attempt, not one per state: a state's executor then listens cheaply (abort.ts).
   */
  private readonly stop = new AbortController();

  private readonly ctx: restate.WorkflowContext;
  private readonly start: RestateRunStart;
  private readonly host: WorkerHost;

  constructor(ctx: restate.WorkflowContext, start: RestateRunStart, host: WorkerHost) {
    this.ctx = ctx;
    this.start = start;
    this.host = host;
    onAbort(ctx.request().attemptCompletedSignal, () => this.stop.abort());
  }

  async drive(): Promise<RunRecord> {
    const { ctx, start } = this;
    try {
      this.graph = storedGraph(start.document);
    } catch (error) {
      throw terminal(
        "invalid-workflow",
        `the graph cannot be loaded: ${(error as Error).message}`,
        400,
      );
    }
    const name = this.graph.getAttribute("name");
    let inputs: Record<string, unknown>;
    try {
      inputs = await checkInputs(this.graph.getAttribute("inputSchema"), start.inputs, name);
      this.overrides = { ...normalizeAgentOverrides(start.agents), ...this.host.overrides };
      checkAgents(start.document, this.overrides, this.host.functions, {
        unknown: !start.parent,
        providers: true,
      });
    } catch (error) {
      const code = error instanceof InputError ? "invalid-inputs" : "agent-missing";
      throw terminal(code, (error as Error).message, 400);
    }
    // The start's time comes with the start (journaled as its input): no round trip.
    const at = start.at ?? (await ctx.date.toJSON());
    this.record = createRun(this.graph, {
      id: ctx.key,
      graphHash: start.document.hash,
      inputs,
      ...(start.intent !== undefined && { intent: start.intent }),
      at,
    });
    const meta: RestateRunMeta = {
      ...(start.parent && { parent: start.parent }),
      ...(start.caller && { caller: start.caller }),
      ...(start.agents && { agents: start.agents }),
      ...(start.workdir !== undefined && { workdir: start.workdir }),
    };
    // The meta and the invocation go with the first event: one state write less each.
    this.saved = new RunState(ctx, { meta, invocation: ctx.request().id });
    if (!start.registered) ctx.set("document", start.document);

    let effects = this.apply({ type: "started", at });
    // A cancel that came before the run's invocation was known has only left its reason.
    const early = await ctx.promise<string>("cancel").peek();
    if (early !== undefined) effects = this.apply({ type: "cancelled", reason: early, at });
    for (;;) {
      const effect = effects.shift();
      if (!effect || effect.type === "finished") break;
      try {
        effects = effect.type === "execute" ? await this.execute(effect) : await this.gate(effect);
      } catch (error) {
        if (!isCancellation(error)) throw error;
        this.stop.abort();
        // Through the `cancel` handler, with its reason; else by Restate's own API.
        const reason = (await ctx.promise<string>("cancel").peek()) ?? "cancelled through Restate";
        effects = this.apply({ type: "cancelled", reason, at: await ctx.date.toJSON() });
      }
    }
    return this.record;
  }

  /** Applies one event with the pure core, keeping the record and the log in state. */
  private apply(event: RunEvent, reported: RunObservation[] = []): Effect[] {
    const out = step(this.graph, this.record, event);
    this.saved.save(this.record, out.record, [...reported, ...out.observations]);
    this.record = out.record;
    return out.effects;
  }

  private async execute(effect: Effect & { type: "execute" }): Promise<Effect[]> {
    if (effect.delayMs > 0) await this.ctx.sleep(effect.delayMs);
    const node = this.graph.getNodeAttributes(effect.state);
    if (node.kind === "subworkflow") return this.apply(await this.subworkflow(effect));
    const visit = this.record.visits[effect.state] ?? 1;
    let outcome: StepOutcome;
    try {
      outcome = await this.ctx.run(
        `${effect.state} ${visit}.${effect.attempt}`,
        () => this.perform(effect),
        {
          // A step's own failures are results, never thrown: what throws is a fault of the
          // worker (retried a few times, then the state fails with it).
          maxRetryAttempts: 5,
        },
      );
    } catch (error) {
      if (!(error instanceof restate.TerminalError) || isCancellation(error)) throw error;
      outcome = {
        result: thrownResult(error, effect.attempt, 0),
        sessions: [],
        observations: [],
        at: await this.ctx.date.toJSON(),
      };
    }
    for (const event of outcome.sessions) this.apply(event);
    return this.apply(
      {
        type: "state-completed",
        state: effect.state,
        result: outcome.result,
        key: effect.key,
        at: outcome.at,
      },
      outcome.observations,
    );
  }

  /** One attempt of a state, on this worker (inside ctx.run: no Restate calls here). */
  private async perform(effect: Effect & { type: "execute" }): Promise<StepOutcome> {
    const signal = this.stop.signal;
    const observations: RunObservation[] = [];
    const sessions: SessionEvent[] = [];
    let known = this.record.sessions;
    const turns = new Map<string, Promise<void>>();
    const ctx = executionContext(this.graph, this.record, effect, signal, (observation) => {
      observations.push(observation);
      this.host.onObservation?.(observation);
    });
    const services: ExecutorServices = {
      ...(this.host.environment && { environment: this.host.environment }),
      ...(this.start.workdir !== undefined && { workdir: this.start.workdir }),
      agent: (name) => this.agent(name),
      session: (name, agent, keepsMessages) =>
        openSession(
          {
            turns,
            sessions: () => known,
            journal: async (event) => {
              const at = { ...event, at: new Date().toISOString() };
              sessions.push(at);
              known = applySessionEvent(known, at);
            },
            // The same on a step run again: its conversation is found again.
            newId: () => sessionIdFor(effect.key, name),
          },
          name,
          agent,
          keepsMessages,
        ),
      subworkflow: () =>
        Promise.reject(new Error("subworkflows are called by the run, not a step")),
    };
    const started = Date.now();
    let result: StateResult;
    try {
      result = normalizeResult(
        await executeState(ctx, services),
        effect.attempt,
        Date.now() - started,
      );
    } catch (error) {
      result = thrownResult(error, effect.attempt, Date.now() - started);
    }
    return { result, sessions, observations, at: new Date().toISOString() };
  }

  private agent(name: string): AgentProvider {
    let provider = this.providers.get(name);
    if (!provider) {
      provider = agentProvider(this.graph, name, this.overrides, this.host.functions);
      this.providers.set(name, provider);
    }
    return provider;
  }

  /** A subworkflow state: the child's run is a call of this workflow (a send, detached). */
  private async subworkflow(effect: Effect & { type: "execute" }): Promise<RunEvent> {
    const { ctx } = this;
    const node = this.graph.getNodeAttributes(effect.state);
    const spec = node.subworkflow!;
    const began = await ctx.date.now();
    const finish = async (outcome: Omit<StateResult, "attempts" | "duration" | "agentCalls">) => {
      const ended = await ctx.date.now();
      const result: StateResult = {
        ...outcome,
        attempts: effect.attempt,
        duration: ended - began,
        agentCalls: 0,
      };
      return {
        type: "state-completed" as const,
        state: effect.state,
        result,
        key: effect.key,
        at: new Date(ended).toISOString(),
      };
    };
    /** A child that could not be started (no run exists: its id is empty). */
    const notStarted = (code: string, message: string) =>
      finish(
        childOutcome(spec.workflow, false, { id: "", status: "failed", error: { code, message } }),
      );
    const imported = this.graph.getAttribute("imports")[spec.workflow];
    const document = this.start.document.subworkflows?.[spec.workflow];
    if (!document || imported?.external) {
      return notStarted(
        "subworkflow-unavailable",
        `subworkflow '${spec.workflow}'${imported ? ` (${imported.path})` : ""} is not part of the compiled workflow`,
      );
    }
    const render = executionContext(
      this.graph,
      this.record,
      effect,
      new AbortController().signal,
      () => {},
    );
    let inputs: Record<string, unknown>;
    try {
      const schema = storedGraph(document).getAttribute("inputSchema");
      inputs = await checkInputs(
        schema,
        inputsFromText(schema, subworkflowInputs(node, render.render)),
        document.graph.attributes.name as string,
      );
    } catch (error) {
      const problems =
        error instanceof InputError
          ? error.problems.map((p) => `${p.path ? `${p.path}: ` : ""}${p.message}`).join("; ")
          : (error as Error).message;
      return notStarted(
        "subworkflow-inputs",
        `subworkflow '${spec.workflow}' refuses the inputs '${effect.state}' gives it: ${problems}`,
      );
    }
    const visit = this.record.visits[effect.state] ?? 1;
    const id = `${this.record.id}.${effect.state}.${visit}.${effect.attempt}`;
    const child: RestateRunStart = {
      document,
      inputs,
      parent: { run: this.record.id, state: effect.state },
      at: new Date(began).toISOString(),
      ...(this.record.intent !== undefined && { intent: this.record.intent }),
      ...(this.start.caller && { caller: this.start.caller }),
      ...(Object.keys(this.overrides).length > 0 && { agents: this.overrides }),
      ...(this.start.workdir !== undefined && { workdir: this.start.workdir }),
      // Its starter put the subworkflows' documents in the registry with the parent's.
      ...(this.start.registered && { registered: true }),
    };
    const target = { service: RUN_SERVICE, method: "run", key: id };
    if (spec.mode === "detached") {
      ctx.genericSend({ ...target, parameter: child, inputSerde: restate.serde.json });
      return finish(childOutcome(spec.workflow, true, { id, status: "running" }));
    }
    const call = ctx.genericCall<RestateRunStart, RunRecord>({
      ...target,
      parameter: child,
      inputSerde: restate.serde.json,
      outputSerde: restate.serde.json,
    });
    const stopChild = (reason: string) =>
      ctx.genericSend({
        service: RUN_SERVICE,
        method: "cancel",
        key: id,
        parameter: { reason },
        inputSerde: restate.serde.json,
      });
    let record: RunRecord;
    try {
      const waited = node.timeoutMs !== undefined ? call.orTimeout(node.timeoutMs) : call;
      // Cancelling this run cancels the call, and so the child's run, by Restate.
      record = await waited;
    } catch (error) {
      if (isTimeout(error)) {
        stopChild(`state '${effect.state}' of run '${this.record.id}' timed out`);
        return finish({
          status: "timed_out",
          child_execution_id: id,
          error: {
            code: "timeout",
            message: `state '${effect.state}' did not finish within ${node.timeoutMs} ms`,
          },
        });
      }
      if (!(error instanceof restate.TerminalError) || isCancellation(error)) throw error;
      return finish(
        childOutcome(spec.workflow, false, {
          id,
          status: "failed",
          error: { code: "subworkflow-error", message: error.message },
        }),
      );
    }
    const summary: ChildRun = {
      id,
      status: record.status,
      ...(record.output !== undefined && { output: record.output }),
      ...(record.error && { error: { code: record.error.code, message: record.error.message } }),
    };
    return finish(childOutcome(spec.workflow, false, summary));
  }

  /** A human gate: its durable promise, its timeout a durable timer. */
  private async gate(effect: Effect & { type: "wait-human" }): Promise<Effect[]> {
    const { ctx } = this;
    const name = gatePromise(this.record)!;
    let answer = ctx.promise<AnsweredGate>(name).get();
    if (effect.timeoutAt !== undefined) {
      const now = await ctx.date.now();
      answer = answer.orTimeout(Math.max(0, Date.parse(effect.timeoutAt) - now));
    }
    try {
      const given = await answer;
      const { at, ...rest } = given;
      return this.apply(answerEvent(effect.state, rest, at));
    } catch (error) {
      if (!isTimeout(error)) throw error;
      const at = Math.max(await ctx.date.now(), Date.parse(effect.timeoutAt!));
      return this.apply({
        type: "timer-fired",
        state: effect.state,
        at: new Date(at).toISOString(),
      });
    }
  }
}
