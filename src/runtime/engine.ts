// The engine: drives runs of compiled workflows through the pure core (step.ts), keeping
// them in a store. One loop per run, in this process:
//
//   apply an event with step() → commit it to the store (journal, then record) → report the
//   observations → perform the effects: `execute` calls the executor (after the retry
//   delay) and its result is the next event; `wait-human` and `finished` end the loop.
//
// Because every event is committed before the effect it leads to is performed, a run can
// stop anywhere (a crash, `kill -9`, a human gate that waits for days with no process) and
// be continued from its store: a state that was in flight is executed again with the same
// idempotency key; a completed one never is.

import { randomUUID } from "node:crypto";
import type { CompileResult } from "../compiler/compile.ts";
import type { GraphDocument, WorkflowGraph } from "../compiler/graph.ts";
import { onAbort, untilAborted } from "./abort.ts";
import { type AgentOverrideInput, checkAgents, normalizeAgentOverrides } from "./agents.ts";
import {
  agentProvider,
  executionContext,
  normalizeResult,
  thrownResult,
} from "./attempt-context.ts";
import { copyValue } from "./copy.ts";
import { type LoggedObservation, ObservationStream, RunLog } from "./events.ts";
import { executeState } from "./execute.ts";
import { settle } from "./executors/attempt.ts";
import { graphOf, storedGraph } from "./graph-cache.ts";
import { checkInputs, InputError, inputsFromText } from "./inputs-check.ts";
import { answerEvent, type SignalAnswer } from "./response.ts";
import { newRunId } from "./run-id.ts";
import { openSession } from "./session-lease.ts";
import { attemptKey, createRun, step } from "./step.ts";
import { MemoryStore } from "./store/memory.ts";
import { summarize } from "./store/replay.ts";
import {
  type AgentOverride,
  type LoadedRun,
  RUN_ID,
  type RunCaller,
  type RunLock,
  type RunMeta,
  type RunStore,
  type RunSummary,
} from "./store/types.ts";
import { startTimer } from "./timer.ts";
import {
  type AgentFunction,
  type AgentProvider,
  type Effect,
  type ExecutionContext,
  type ExecutorServices,
  type RunEvent,
  type RunObservation,
  type RunRecord,
  type RunStatus,
  RuntimeError,
  type SessionLease,
  type StateResult,
} from "./types.ts";

/** Performs one attempt of one state: executeState by default. */
export type Executor = (ctx: ExecutionContext, services: ExecutorServices) => Promise<StateResult>;

/** Where the engine reads time and waits: replace it to control time in tests. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`, or early when the signal aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const cancelTimer = startTimer(ms, done);
      const off = signal ? onAbort(signal, done) : undefined;
      function done() {
        cancelTimer();
        off?.();
        resolve();
      }
    }),
};

export type { AgentOverrideInput } from "./agents.ts";
export { mergeAgent, normalizeAgentOverrides } from "./agents.ts";

export interface EngineOptions {
  /** Where runs are kept (default: a MemoryStore). */
  store?: RunStore;
  /** Agents supplied as functions, by agent name (or by a `function("name")` agent's name). */
  functions?: Record<string, AgentFunction>;
  /** Agent providers that replace the workflow's, by agent name (an agents file). */
  agents?: Record<string, AgentOverrideInput>;
  /**
   * Performs states (default: executeState). With an executor of its own, `start` checks
   * only that `agents` names agents the workflow has: which agents such an executor calls
   * (through ExecutorServices.agent, or none) is its own business.
   */
  executor?: Executor;
  clock?: Clock;
  /** Every observation of every run this engine drives, subworkflows included. */
  onObservation?: (observation: RunObservation) => void;
  /**
   * The same once written to the run's log, with their places in it (LoggedObservation):
   * what a host streams to clients that may reconnect and ask for what they missed.
   */
  onLogged?: (run: string, entries: readonly LoggedObservation[]) => void;
  /** How often a driven run looks for a cancellation asked by another process (ms). */
  cancelPollMs?: number;
  /** How long an aborted execution may take to stop (kill its processes) before the engine goes on (ms). */
  abortGraceMs?: number;
  /**
   * The environment every process of every state starts from (commands, agents,
   * containers, subworkflows' states); default: this process's own. A host that holds
   * credentials passes only what states may see.
   */
  environment?: Readonly<Record<string, string>>;
}

export interface StartOptions {
  /** The run's id (default: `<workflow>-<date>-<time>-<random>`). */
  id?: string;
  /** Delete a run that has this id already (unless a process drives it). */
  replace?: boolean;
  /** Agent overrides for this run (kept with it, used again when it is resumed). */
  agents?: Record<string, AgentOverrideInput>;
  /** Kept with the run for the command line (the directory its states work in). */
  workdir?: string;
  /**
   * Kept with the run for the command line: the program (a TypeScript or JavaScript module,
   * aegis-workflows/builder) the workflow was built by, whose function agents a resume in
   * another process loads again.
   */
  module?: string;
  /**
   * The caller's intent, the "why" of this run: `{{intent}}` in templates, and the intent
   * of every agent call whose state gives none of its own.
   */
  intent?: string;
  /** A subworkflow's run: who started it. */
  parent?: { run: string; state: string };
  /** Who started it (kept with the run; a subworkflow's run has its parent's). */
  caller?: RunCaller;
}

export type { SignalAnswer } from "./response.ts";

export interface RunHandle {
  readonly id: string;
  /**
   * What the run reports while this handle drives it: every observation since the handle
   * was made, then new ones, ending when the run finishes or waits for a human.
   */
  readonly events: AsyncIterable<RunObservation>;
  /** The record when the run finished, or stopped to wait for a human (status "waiting"). */
  result(): Promise<RunRecord>;
  cancel(reason?: string): Promise<RunRecord>;
  /** Set when the request was carried out otherwise than asked (an answer after the gate's timeout). */
  readonly notice?: string;
}

export interface Engine {
  readonly store: RunStore;
  /** Validates the inputs, creates the run and starts driving it. */
  start(
    workflow: CompileResult | GraphDocument,
    inputs?: Record<string, unknown>,
    options?: StartOptions,
  ): Promise<RunHandle>;
  /**
   * Validates the inputs and stores the run without starting it (a host with a queue starts
   * it later with `resume`). The record, `seq` 0.
   */
  enqueue(
    workflow: CompileResult | GraphDocument,
    inputs?: Record<string, unknown>,
    options?: StartOptions,
  ): Promise<RunRecord>;
  /** Continues a run that stopped (a crash, a timed-out gate), or starts an enqueued one; a finished run's handle resolves at once. */
  resume(id: string): Promise<RunHandle>;
  /** Answers the human gate a run waits at, and drives it on. */
  signal(id: string, answer: SignalAnswer): Promise<RunHandle>;
  cancel(id: string, reason?: string): Promise<RunRecord>;
  /** All runs; a gate whose timeout has passed is timed out first. */
  list(): Promise<RunSummary[]>;
  get(id: string): Promise<RunRecord>;
  /** Resolves when this process drives no run any more (detached subworkflows included). */
  idle(): Promise<void>;
  /** Stops driving every run without recording anything: each stays where it was, to be resumed. */
  close(): Promise<void>;
}

const terminal = (status: RunStatus) =>
  status === "succeeded" || status === "failed" || status === "cancelled";

interface Active {
  id: string;
  graph: WorkflowGraph;
  document: GraphDocument;
  meta: RunMeta;
  record: RunRecord;
  lock: RunLock;
  stream: ObservationStream;
  log: RunLog;
  providers: Map<string, AgentProvider>;
  overrides: Record<string, AgentOverride>;
  /** Aborted when the run is cancelled or the engine closes: either ends its driving. */
  controller: AbortController;
  cancelReason?: string;
  detached: boolean;
  ended: boolean;
  done: Promise<RunRecord>;
  notice?: string;
  /** Events are applied one at a time: a session's events come while a state runs. */
  applying: Promise<unknown>;
  /** Each session's last call: the next one waits for it (one turn at a time). */
  sessionTurns: Map<string, Promise<void>>;
}

type First = { event: RunEvent } | { effect: Effect } | undefined;

class EngineImpl implements Engine {
  readonly store: RunStore;
  private readonly functions: Record<string, AgentFunction>;
  private readonly overrides: Record<string, AgentOverride>;
  private readonly executor: Executor;
  private readonly clock: Clock;
  private readonly options: EngineOptions;
  private readonly active = new Map<string, Active>();

  constructor(options: EngineOptions) {
    this.options = options;
    this.store = options.store ?? new MemoryStore();
    this.functions = options.functions ?? {};
    this.overrides = normalizeAgentOverrides(options.agents);
    this.executor = options.executor ?? executeState;
    this.clock = options.clock ?? systemClock;
  }

  private iso(): string {
    // Events come by the thousand per second: one text per millisecond is enough.
    const now = this.clock.now();
    if (now !== this.lastNow) {
      this.lastNow = now;
      this.lastIso = new Date(now).toISOString();
    }
    return this.lastIso;
  }
  private lastNow = Number.NaN;
  private lastIso = "";

  // ---------------------------------------------------------------- public API

  async start(
    workflow: CompileResult | GraphDocument,
    inputs: Record<string, unknown> = {},
    options: StartOptions = {},
  ): Promise<RunHandle> {
    const { loaded, graph } = await this.create(workflow, inputs, options);
    const lock = await this.store.lock(loaded.record.id);
    return this.begin(loaded, lock, graph, { event: { type: "started", at: this.iso() } });
  }

  async enqueue(
    workflow: CompileResult | GraphDocument,
    inputs: Record<string, unknown> = {},
    options: StartOptions = {},
  ): Promise<RunRecord> {
    return (await this.create(workflow, inputs, options)).loaded.record;
  }

  /** Validates the inputs and stores the run, not started (`seq` 0). */
  private async create(
    workflow: CompileResult | GraphDocument,
    inputs: Record<string, unknown>,
    options: StartOptions,
  ): Promise<{ loaded: LoadedRun; graph: WorkflowGraph }> {
    const { document, graph } = this.workflowOf(workflow);
    const name = graph.getAttribute("name");
    const values = await checkInputs(graph.getAttribute("inputSchema"), inputs, name);
    if (options.intent !== undefined && typeof options.intent !== "string")
      throw new RuntimeError("invalid-inputs", "the intent must be text");
    const agents = { ...this.overrides, ...normalizeAgentOverrides(options.agents) };
    // Before anything is stored: a run that cannot call one of its agents does not start.
    // A subworkflow's run is given its parent's overrides, which may name the parent's
    // agents; an executor of the program's own may call no agent at all.
    checkAgents(document, agents, this.functions, {
      unknown: !options.parent,
      providers: this.executor === executeState,
    });
    const now = this.clock.now();
    const id = options.id ?? newRunId(name, now);
    if (!RUN_ID.test(id)) {
      throw new RuntimeError(
        "invalid-run-id",
        `'${id}' is not a run id (letters, digits, '.', '_' and '-'; at most 200)`,
      );
    }
    if (options.replace) {
      if (this.active.has(id)) throw new RuntimeError("run-locked", `run '${id}' is being driven`);
      await this.store.remove(id).catch((error: RuntimeError) => {
        if (error.code !== "run-not-found") throw error;
      });
    }
    const record = createRun(graph, {
      id,
      graphHash: document.hash,
      inputs: values,
      ...(options.intent !== undefined && { intent: options.intent }),
      at: new Date(now).toISOString(),
    });
    const meta: Partial<RunMeta> = {
      ...(options.parent && { parent: options.parent }),
      ...(Object.keys(agents).length > 0 && { agents }),
      ...(options.workdir !== undefined && { workdir: options.workdir }),
      ...(options.module !== undefined && { module: options.module }),
      ...(options.caller && { caller: options.caller }),
    };
    await this.store.create(record, document, meta);
    const loaded: LoadedRun = {
      record,
      document,
      meta: {
        ...meta,
        id,
        workflow: name,
        graphHash: document.hash,
        inputs: values,
        ...(options.intent !== undefined && { intent: options.intent }),
        startedAt: record.startedAt,
      },
    };
    return { loaded, graph };
  }

  async resume(id: string): Promise<RunHandle> {
    const running = this.active.get(id);
    if (running) return this.handle(running);
    const { loaded, lock, graph } = await this.open(id);
    const r = loaded.record;
    if (terminal(r.status)) return this.begin(loaded, lock, graph, undefined);
    await this.checkContinued(loaded, lock);
    if (r.status === "waiting") {
      const first = this.timedOut(r) ? { event: this.timerEvent(r) } : undefined;
      return this.begin(loaded, lock, graph, first);
    }
    if (r.seq === 0)
      return this.begin(loaded, lock, graph, { event: { type: "started", at: this.iso() } });
    if (r.current === undefined || !graph.hasNode(r.current)) {
      await lock.release();
      throw new RuntimeError("run-corrupt", `run '${id}' is running but at no known state`);
    }
    // The state in flight when the run stopped: again, with the same idempotency key.
    const node = graph.getNodeAttributes(r.current);
    let delayMs = 0;
    if (r.attempt > 1 && node.retry) {
      const backoff = node.retry.backoffMs * 2 ** (r.attempt - 2);
      delayMs = Math.max(0, backoff - (this.clock.now() - Date.parse(r.updatedAt)));
    }
    const effect: Effect = {
      type: "execute",
      state: r.current,
      attempt: r.attempt,
      key: attemptKey(r, r.current, r.attempt),
      delayMs,
    };
    const handle = this.begin(loaded, lock, graph, { effect }, () => ({
      type: "state-entered",
      run: id,
      state: effect.state,
      visit: r.visits[effect.state] ?? 1,
      at: this.iso(),
    }));
    return handle;
  }

  async signal(id: string, answer: SignalAnswer): Promise<RunHandle> {
    if (answer.approve === undefined && answer.response === undefined)
      throw new RuntimeError("invalid-answer", "an answer approves, rejects, or gives a response");
    if (this.active.has(id)) {
      throw new RuntimeError(
        "not-waiting",
        `run '${id}' is not waiting for a human: it is running`,
      );
    }
    const { loaded, lock, graph } = await this.open(id);
    const r = loaded.record;
    const waiting = r.waiting;
    if (r.status !== "waiting" || !waiting) {
      await lock.release();
      throw new RuntimeError(
        "not-waiting",
        `run '${id}' is not waiting for a human: it ${terminal(r.status) ? "has" : "is"} ${r.status}${r.current ? ` (at ${r.current})` : ""}`,
      );
    }
    if (answer.state !== undefined && answer.state !== waiting.state) {
      await lock.release();
      throw new RuntimeError(
        "not-waiting",
        `run '${id}' is waiting at '${waiting.state}', not at '${answer.state}'`,
      );
    }
    await this.checkContinued(loaded, lock);
    if (this.timedOut(r)) {
      const notice = `the gate '${waiting.state}' timed out at ${waiting.timeoutAt}, before this answer; the run went on as its timeout prescribes`;
      return this.begin(loaded, lock, graph, { event: this.timerEvent(r) }, undefined, notice);
    }
    const event = answerEvent(waiting.state, answer, this.iso());
    return this.begin(loaded, lock, graph, { event });
  }

  async cancel(id: string, reason = "cancelled by request"): Promise<RunRecord> {
    const running = this.active.get(id);
    if (running) {
      running.cancelReason ??= reason;
      running.controller.abort();
      const record = await running.done;
      // It stopped without seeing the request (it had just reached a gate, or was let go):
      // no one drives it now, so it is cancelled here.
      if (!terminal(record.status) && !this.active.has(id)) return this.cancel(id, reason);
      return record;
    }
    let opened: Awaited<ReturnType<EngineImpl["open"]>>;
    try {
      opened = await this.open(id);
    } catch (error) {
      if ((error as RuntimeError).code !== "run-locked") throw error;
      return this.cancelElsewhere(id, reason);
    }
    const { loaded, lock, graph } = opened;
    if (terminal(loaded.record.status)) {
      await lock.release();
      throw new RuntimeError(
        "not-cancellable",
        `run '${id}' has already ${loaded.record.status === "cancelled" ? "been cancelled" : loaded.record.status}; there is nothing to cancel`,
      );
    }
    const handle = this.begin(loaded, lock, graph, {
      event: { type: "cancelled", reason, at: this.iso() },
    });
    return handle.result();
  }

  /** Another process drives the run: ask it to cancel, and wait until it has. */
  private async cancelElsewhere(id: string, reason: string): Promise<RunRecord> {
    await this.store.requestCancel(id, reason);
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      const owner = await this.store.owner(id);
      const { record } = await this.store.load(id);
      if (terminal(record.status)) return record;
      if (!owner) {
        // It stopped without seeing the request (it waits for a human, or crashed).
        return this.cancel(id, reason);
      }
    }
    const owner = await this.store.owner(id);
    throw new RuntimeError(
      "cancel-pending",
      `asked ${owner ? `process ${owner.pid}` : "the process driving it"} to cancel run '${id}'; it has not done so yet`,
    );
  }

  async list(): Promise<RunSummary[]> {
    const summaries = await this.store.list();
    const out: RunSummary[] = [];
    for (const summary of summaries) {
      const timeoutAt = summary.waiting?.timeoutAt;
      const due =
        summary.status === "waiting" &&
        timeoutAt !== undefined &&
        !summary.owner &&
        !this.active.has(summary.id) &&
        this.clock.now() >= Date.parse(timeoutAt);
      if (!due) {
        out.push(summary);
        continue;
      }
      // The gate timed out: record it (without performing what follows: `resume` does).
      try {
        const { loaded, lock, graph } = await this.open(summary.id);
        try {
          if (loaded.record.status === "waiting" && this.timedOut(loaded.record)) {
            const active = this.activate(loaded, lock, graph);
            await this.apply(active, this.timerEvent(loaded.record));
            await active.log.flush();
            out.push(summarize(active.record, loaded.meta));
          } else out.push(summary);
        } finally {
          await lock.release();
        }
      } catch {
        out.push(summary);
      }
    }
    return out;
  }

  async get(id: string): Promise<RunRecord> {
    const running = this.active.get(id);
    if (running) return copyValue(running.record);
    return (await this.store.load(id)).record;
  }

  async idle(): Promise<void> {
    while (this.active.size > 0) {
      await Promise.allSettled([...this.active.values()].map((a) => a.done));
    }
  }

  async close(): Promise<void> {
    for (const active of this.active.values()) {
      active.detached = true;
      active.controller.abort();
    }
    await this.idle();
  }

  // ---------------------------------------------------------------- driving

  private workflowOf(workflow: CompileResult | GraphDocument): {
    document: GraphDocument;
    graph: WorkflowGraph;
  } {
    let document: GraphDocument;
    if ("diagnostics" in workflow && "document" in workflow) {
      if (!workflow.ok) {
        const errors = workflow.diagnostics.filter((d) => d.severity === "error");
        throw new RuntimeError(
          "invalid-workflow",
          `${workflow.file} has ${errors.length} error${errors.length === 1 ? "" : "s"}: ${errors[0]?.message ?? "it does not compile"}`,
        );
      }
      document = workflow.document;
    } else document = workflow;
    // Loading verifies the content hash and builds the graph: done once per document, not
    // per run (a thousand runs of one workflow share its graph; the runtime never changes it).
    try {
      return { document, graph: graphOf(document) };
    } catch (error) {
      throw new RuntimeError(
        "invalid-workflow",
        `the graph cannot be loaded: ${(error as Error).message}`,
      );
    }
  }

  /** Locks and loads a run. */
  private async open(
    id: string,
  ): Promise<{ loaded: LoadedRun; lock: RunLock; graph: WorkflowGraph }> {
    const lock = await this.store.lock(id);
    try {
      const loaded = await this.store.load(id);
      return { loaded, lock, graph: storedGraph(loaded.document) };
    } catch (error) {
      await lock.release();
      if (error instanceof RuntimeError) throw error;
      throw new RuntimeError(
        "run-corrupt",
        `run '${id}' cannot be loaded: ${(error as Error).message}`,
      );
    }
  }

  /**
   * A run continued by this engine: its agents as at its start (the overrides it keeps),
   * with this engine's overrides and functions, which may not be the starting engine's.
   * Refused (the lock released, nothing recorded) like a start would be.
   */
  private async checkContinued(loaded: LoadedRun, lock: RunLock): Promise<void> {
    try {
      // The overrides the run keeps were checked when it started.
      checkAgents(loaded.document, this.overrides, this.functions, {
        unknown: !loaded.meta.parent,
        providers: false,
      });
      checkAgents(
        loaded.document,
        { ...normalizeAgentOverrides(loaded.meta.agents), ...this.overrides },
        this.functions,
        { unknown: false, providers: this.executor === executeState, continued: true },
      );
    } catch (error) {
      await lock.release();
      throw error;
    }
  }

  private timedOut(r: RunRecord): boolean {
    const timeoutAt = r.waiting?.timeoutAt;
    return (
      r.status === "waiting" && timeoutAt !== undefined && this.clock.now() >= Date.parse(timeoutAt)
    );
  }

  private timerEvent(r: RunRecord): RunEvent {
    const at = Math.max(this.clock.now(), Date.parse(r.waiting!.timeoutAt!));
    return { type: "timer-fired", state: r.waiting!.state, at: new Date(at).toISOString() };
  }

  private activate(loaded: LoadedRun, lock: RunLock, graph: WorkflowGraph): Active {
    return {
      id: loaded.record.id,
      graph,
      document: loaded.document,
      meta: loaded.meta,
      record: loaded.record,
      lock,
      stream: new ObservationStream(),
      log: new RunLog(
        this.store,
        loaded.record.id,
        this.options.onLogged && ((entries) => this.options.onLogged?.(loaded.record.id, entries)),
      ),
      providers: new Map(),
      overrides: { ...normalizeAgentOverrides(loaded.meta.agents), ...this.overrides },
      controller: new AbortController(),
      detached: false,
      ended: false,
      done: Promise.resolve(loaded.record),
      applying: Promise.resolve(),
      sessionTurns: new Map(),
    };
  }

  private handle(active: Active): RunHandle {
    return {
      id: active.id,
      events: active.stream,
      result: () => active.done,
      cancel: (reason?: string) => this.cancel(active.id, reason),
      ...(active.notice !== undefined && { notice: active.notice }),
    };
  }

  /** Starts the loop of a locked run (or, with nothing to do, releases it at once). */
  private begin(
    loaded: LoadedRun,
    lock: RunLock,
    graph: WorkflowGraph,
    first: First,
    opening?: () => RunObservation,
    notice?: string,
  ): RunHandle {
    const active = this.activate(loaded, lock, graph);
    if (notice !== undefined) active.notice = notice;
    if (!first) {
      active.stream.close();
      active.done = lock.release().then(() => active.record);
      return this.handle(active);
    }
    this.active.set(active.id, active);
    active.done = this.loop(active, first, opening);
    active.done.catch(() => undefined); // the caller sees it through result()
    return this.handle(active);
  }

  private async loop(
    active: Active,
    first: First,
    opening?: () => RunObservation,
  ): Promise<RunRecord> {
    const poll = setInterval(() => {
      this.store
        .cancelRequest(active.id)
        .then((reason) => {
          if (reason !== undefined && active.cancelReason === undefined) {
            active.cancelReason = reason;
            active.controller.abort();
          }
        })
        .catch(() => undefined);
    }, this.options.cancelPollMs ?? 500);
    poll.unref?.();
    try {
      const pending = await this.store.cancelRequest(active.id);
      if (pending !== undefined) active.cancelReason = pending;
      if (opening) this.observe(active, opening());
      const effects: Effect[] = [];
      if (first && "event" in first) effects.push(...(await this.apply(active, first.event)));
      else if (first) effects.push(first.effect);
      while (!active.detached) {
        if (active.cancelReason !== undefined && !terminal(active.record.status)) {
          effects.length = 0;
          effects.push(
            ...(await this.apply(active, {
              type: "cancelled",
              reason: active.cancelReason,
              at: this.iso(),
            })),
          );
        }
        const effect = effects.shift();
        if (!effect) break;
        if (effect.type !== "execute") continue; // waiting for a human, or finished: stop here
        const event = await this.perform(active, effect);
        if (active.detached || active.cancelReason !== undefined || !event) continue;
        effects.push(...(await this.apply(active, event)));
      }
      return copyValue(active.record);
    } finally {
      clearInterval(poll);
      active.ended = true;
      const logError = await active.log.flush();
      if (terminal(active.record.status))
        await this.store.clearCancelRequest(active.id).catch(() => undefined);
      await active.lock.release();
      this.active.delete(active.id);
      active.stream.close();
      if (logError)
        process.emitWarning(
          `aegis: the log of run '${active.id}' is incomplete: ${logError.message}`,
        );
    }
  }

  /** Applies an event after those before it (see Active.applying). */
  private apply(active: Active, event: RunEvent): Promise<Effect[]> {
    const applied = active.applying.then(() => this.applyNow(active, event));
    active.applying = applied.catch(() => undefined);
    return applied;
  }

  private async applyNow(active: Active, event: RunEvent): Promise<Effect[]> {
    const out = step(active.graph, active.record, event);
    try {
      await this.store.commit(out.record, event);
    } catch (error) {
      if (error instanceof RuntimeError) throw error;
      throw new RuntimeError(
        "store-error",
        `cannot save run '${active.id}' in ${this.store.location}: ${(error as Error).message}. ` +
          "The run stays as it was before this event; resume it when the store can be written.",
      );
    }
    active.record = out.record;
    for (const observation of out.observations) this.observe(active, observation);
    return out.effects;
  }

  private observe(active: Active, observation: RunObservation): void {
    if (active.ended) return;
    active.stream.push(observation);
    active.log.append(observation);
    try {
      this.options.onObservation?.(observation);
    } catch {
      // A listener's failure is its own.
    }
  }

  /** One attempt of a state: its result as a "state-completed" event (none if aborted). */
  private async perform(
    active: Active,
    effect: Effect & { type: "execute" },
  ): Promise<RunEvent | undefined> {
    const controller = active.controller;
    if (effect.delayMs > 0) await this.clock.sleep(effect.delayMs, controller.signal);
    if (controller.signal.aborted) return undefined;
    // The record is a value the core never mutates (step copies on write): executors read it.
    const ctx = executionContext(active.graph, active.record, effect, controller.signal, (o) =>
      this.observe(active, o),
    );
    const started = this.clock.now();
    let result: StateResult;
    try {
      const running = this.executor(ctx, this.services(active, effect));
      // executeState ends an attempt the signal aborts by itself (after its kill grace);
      // another executor is given abortGraceMs.
      const value = await (this.executor === executeState
        ? running
        : this.settle(running, controller.signal));
      if (controller.signal.aborted) return undefined;
      result = normalizeResult(value, effect.attempt, this.clock.now() - started);
    } catch (error) {
      if (controller.signal.aborted) return undefined;
      result = thrownResult(error, effect.attempt, this.clock.now() - started);
    }
    return { type: "state-completed", state: effect.state, result, at: this.iso() };
  }

  /** The executor's promise, or (once aborted) whatever it gives within the grace period. */
  private async settle<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
    const first = await untilAborted(promise, signal);
    if (first !== "interrupted") return first;
    return settle(promise, this.options.abortGraceMs ?? 5000);
  }

  // ---------------------------------------------------------------- executor services

  private services(active: Active, effect: Effect & { type: "execute" }): ExecutorServices {
    let calls = 0;
    return {
      ...(this.options.environment && { environment: this.options.environment }),
      ...(active.meta.workdir !== undefined && { workdir: active.meta.workdir }),
      agent: (name) => this.agent(active, name),
      session: (name, agent, keepsMessages) => this.session(active, name, agent, keepsMessages),
      subworkflow: (alias, inputs, detached, signal) => {
        calls += 1;
        const visit = active.record.visits[effect.state] ?? 1;
        const id = `${active.id}.${effect.state}.${visit}.${effect.attempt}${calls > 1 ? `.${calls}` : ""}`;
        return this.subworkflow(active, effect.state, id, alias, inputs, detached, signal);
      },
    };
  }

  /** A call's hold on a session, journaled as the run's events (session-lease.ts). */
  private session(
    active: Active,
    name: string,
    agent: string,
    keepsMessages: boolean,
  ): Promise<SessionLease> {
    return openSession(
      {
        turns: active.sessionTurns,
        sessions: () => active.record.sessions,
        journal: async (event) => {
          if (active.ended) return;
          await this.apply(active, { ...event, at: this.iso() });
        },
        newId: randomUUID,
      },
      name,
      agent,
      keepsMessages,
    );
  }

  private agent(active: Active, name: string): AgentProvider {
    let provider = active.providers.get(name);
    if (provider) return provider;
    provider = agentProvider(active.graph, name, active.overrides, this.functions);
    active.providers.set(name, provider);
    return provider;
  }

  private async subworkflow(
    parent: Active,
    state: string,
    id: string,
    alias: string,
    inputs: Record<string, unknown>,
    detached: boolean,
    signal: AbortSignal,
  ): ReturnType<ExecutorServices["subworkflow"]> {
    const imported = parent.graph.getAttribute("imports")[alias];
    const document = parent.document.subworkflows?.[alias];
    if (!document || imported?.external) {
      return {
        id: "",
        status: "failed",
        error: {
          code: "subworkflow-unavailable",
          message: `subworkflow '${alias}'${imported ? ` (${imported.path})` : ""} is not part of the compiled workflow: compile it next to the workflow that imports it so that it is embedded`,
        },
      };
    }
    const summarize = (r: RunRecord) => ({
      id: r.id,
      status: r.status,
      ...(r.output !== undefined && { output: r.output }),
      ...(r.error && { error: { code: r.error.code, message: r.error.message } }),
      ...(r.status === "waiting" && {
        error: {
          code: "subworkflow-waiting",
          message: `subworkflow run '${r.id}' waits for a human at '${r.waiting?.state}': answer it with aegis signal ${r.id}`,
        },
      }),
    });
    let handle: RunHandle;
    let created = false;
    try {
      created = await this.store.exists(id);
      if (created) {
        // The parent state was interrupted after it started this child: continue that one.
        const { record } = await this.store.load(id);
        if (terminal(record.status) || record.status === "waiting") return summarize(record);
        handle = await this.resume(id);
      } else {
        const schema = this.workflowOf(document).graph.getAttribute("inputSchema");
        handle = await this.start(document, inputsFromText(schema, inputs), {
          id,
          parent: { run: parent.id, state },
          // The child is called for the parent's caller: it has the same intent.
          ...(parent.record.intent !== undefined && { intent: parent.record.intent }),
          agents: parent.overrides,
          ...(parent.meta.workdir !== undefined && { workdir: parent.meta.workdir }),
          ...(parent.meta.module !== undefined && { module: parent.meta.module }),
          ...(parent.meta.caller && { caller: parent.meta.caller }),
        });
      }
    } catch (error) {
      // Not started: no child run exists (its id is empty).
      if (error instanceof InputError) {
        const problems = error.problems.map((p) => `${p.path ? `${p.path}: ` : ""}${p.message}`);
        return {
          id: created ? id : "",
          status: "failed",
          error: {
            code: "subworkflow-inputs",
            message: `subworkflow '${alias}' refuses the inputs '${state}' gives it: ${problems.join("; ")}`,
          },
        };
      }
      return {
        id: created ? id : "",
        status: "failed",
        error: {
          code: (error as RuntimeError).code ?? "subworkflow-error",
          message: (error as Error).message,
        },
      };
    }
    if (detached) return { id, status: "running" };
    const onAbort = () => {
      this.cancel(id, `the parent run '${parent.id}' stopped`).catch(() => undefined);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      return summarize(await handle.result());
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }
}

export function createEngine(options: EngineOptions = {}): Engine {
  return new EngineImpl(options);
}
