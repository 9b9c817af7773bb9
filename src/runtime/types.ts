// The runtime's data: the persisted run record, the events the pure core consumes, the
// effects it asks for, and the interface of the executors that perform them.
import type { StateNode, WorkflowGraph } from "../compiler/graph.ts";

export type RunStatus = "running" | "waiting" | "succeeded" | "failed" | "cancelled";

/** The outcome of one run of a state (one visit, after its retries). */
export interface StateResult {
  status: "succeeded" | "failed" | "timed_out" | "skipped";
  /** Text, or parsed JSON when the agent printed JSON. */
  output?: unknown;
  score?: number;
  confidence?: number;
  reasoning?: string;
  exit_code?: number;
  stdout?: string;
  stderr?: string;
  /** Human gates. */
  response?: string;
  approved?: boolean;
  rejected?: boolean;
  feedback?: string;
  approver?: string;
  /** Parallel judges. */
  consensus?: { score: number; confidence: number; agreement: number; reached: boolean };
  agents?: {
    agent: string;
    output?: unknown;
    score?: number;
    confidence?: number;
    approved?: boolean;
    status: string;
  }[];
  /** Each judge's result, in declaration order (also as `agents`). */
  judges?: StateResult["agents"];
  all_approved?: boolean;
  any_rejected?: boolean;
  approvals?: number;
  /** Fan-out, containers. */
  results?: unknown;
  count?: number;
  failed?: number;
  /** Containers that succeeded, of a `containers` state. */
  succeeded?: number;
  /** Loops and coordinators. */
  iterations?: number;
  route?: string[];
  steps?: number;
  /** Subworkflows. */
  result?: unknown;
  child_execution_id?: string;
  error?: { code: string; message: string };
  attempts: number;
  /** Milliseconds. */
  duration: number;
  /** Agent invocations this state made (all attempts). */
  agentCalls: number;
  usage?: { inputTokens?: number; outputTokens?: number; costUsd?: number };
}

export interface HistoryEntry {
  seq: number;
  state: string;
  status: StateResult["status"] | "entered" | "waiting";
  at: string;
  to?: string;
  label?: string;
}

export interface RunRecord {
  format: "aegis-run";
  version: 1;
  id: string;
  workflow: string;
  graphHash: string;
  status: RunStatus;
  inputs: Record<string, unknown>;
  /** The caller's intent (`aegis run --intent`): `{{intent}}`, and the agents' intent. */
  intent?: string;
  /** The state being executed, waited on, or where the run ended. */
  current?: string;
  /** Attempt of the current state, from 1. */
  attempt: number;
  /** The latest result of every state that has completed. */
  results: Record<string, StateResult>;
  visits: Record<string, number>;
  transitions: number;
  agentCalls: number;
  costUsd: number;
  /** Feedback carried by the transition into a state, read as {{state.feedback}}. */
  feedback: Record<string, string>;
  waiting?: { state: string; since: string; timeoutAt?: string; prompt: string; default?: string };
  output?: unknown;
  error?: { code: RunErrorCode; message: string; state?: string };
  /** The latest entries (HISTORY_LIMIT in step.ts); the journal has them all. */
  history: HistoryEntry[];
  /** The agents' conversations that states continue (`session`), by session name. */
  sessions?: Record<string, SessionRecord>;
  startedAt: string;
  updatedAt: string;
  /** Events applied so far; the journal's length. */
  seq: number;
}

/** One message of a conversation aegis keeps (for providers that are sent it whole). */
export interface SessionMessage {
  role: "user" | "assistant";
  content: string;
}

/**
 * An agent's conversation in a run (grammar/README.md#sessions): the calls that continue it,
 * one at a time, and what each provider needs to continue it after a crash.
 */
export interface SessionRecord {
  agent: string;
  /** Chosen by aegis when the conversation began (a UUID): claude and gemini use it. */
  id: string;
  /** The provider's own id, once it has said it (a codex thread, an opencode session). */
  providerId?: string;
  /** Calls that answered (successfully or not): the conversation has this many turns. */
  turns: number;
  /**
   * A call started and its answer was never recorded (the process stopped, the call timed
   * out or could not run): whether the provider began the conversation is not known.
   */
  unsettled: boolean;
  /** The conversation, for providers that are sent it whole (openai, functions). */
  messages?: SessionMessage[];
}

/** Why a run stopped without reaching a final state. */
export type RunErrorCode =
  | "no-transition"
  | "visit-limit"
  | "transition-limit"
  | "budget-agent-calls"
  | "budget-wall-time"
  | "budget-cost"
  | "state-failed"
  | "final-failure"
  | "cancelled"
  | "invalid-answer"
  /** A subworkflow state gave its child inputs the child does not take. */
  | "subworkflow-inputs";

/** What happens to a run; the core's only input. */
export type RunEvent =
  | { type: "started"; at: string }
  | {
      type: "state-completed";
      state: string;
      result: StateResult;
      at: string;
      /** The attempt's idempotency key: a late result of an older attempt is ignored. */
      key?: string;
    }
  | {
      type: "human-answered";
      state: string;
      response: string;
      approved: boolean;
      /** Default: not approved. A response that is neither (`input_equals`) says false. */
      rejected?: boolean;
      feedback?: string;
      approver?: string;
      at: string;
    }
  | { type: "timer-fired"; state: string; at: string }
  | { type: "cancelled"; reason?: string; at: string }
  | SessionEvent;

/**
 * A call in an agent's session: journaled before it starts, when the provider names the
 * conversation, and when it ends — so that a run continued after a crash, or a retried
 * attempt, continues the same conversation instead of starting another.
 */
export interface SessionEvent {
  type: "session";
  session: string;
  agent: string;
  /** `started` (id: aegis's id for a new conversation), `identified`, `ended`. */
  call: "started" | "identified" | "ended";
  id?: string;
  providerId?: string;
  /** `ended`: whether the call answered (a reply, even a failed one) — a turn was taken. */
  answered?: boolean;
  /** `ended`: the turn's messages, for conversations aegis keeps. */
  messages?: SessionMessage[];
  at: string;
}

/** What the core asks the world to do. */
export type Effect =
  | { type: "execute"; state: string; attempt: number; key: string; delayMs: number }
  | { type: "wait-human"; state: string; prompt: string; timeoutAt?: string }
  | { type: "finished"; status: RunStatus };

/** What a running engine reports, for progress displays and logs. */
export type RunObservation =
  | { type: "run-started"; run: string; workflow: string; at: string }
  | { type: "state-entered"; run: string; state: string; visit: number; at: string }
  | {
      type: "state-output";
      run: string;
      state: string;
      stream: "stdout" | "stderr" | "agent";
      text: string;
      at: string;
    }
  | {
      type: "state-completed";
      run: string;
      state: string;
      status: StateResult["status"];
      duration: number;
      /** Why it failed, when it did. */
      error?: { code: string; message: string };
      at: string;
    }
  | {
      type: "retry";
      run: string;
      state: string;
      attempt: number;
      delayMs: number;
      error: string;
      at: string;
    }
  | { type: "transition"; run: string; from: string; to: string; label: string; at: string }
  | {
      /** A coordinator's specialist failed; its router is told and decides what follows. */
      type: "specialist-failed";
      run: string;
      state: string;
      agent: string;
      /** The coordinator's round, from 1. */
      step: number;
      error: { code: string; message: string };
      at: string;
    }
  | {
      type: "waiting-for-human";
      run: string;
      state: string;
      prompt: string;
      timeoutAt?: string;
      at: string;
    }
  | {
      /**
       * A human gate was answered (who answered, and when, is `approver` and `at`), or its
       * timeout gave its default answer (`timedOut`). Logs written before it existed lack it.
       */
      type: "human-answered";
      run: string;
      state: string;
      response: string;
      approved: boolean;
      rejected: boolean;
      feedback?: string;
      approver?: string;
      /** The gate's timeout answered with its default. */
      timedOut?: boolean;
      /** Milliseconds the gate waited. */
      waited: number;
      at: string;
    }
  | {
      /**
       * A state that fans out (parallel judges, foreach items, containers) has finished
       * `done` of its `total` calls, `failed` of them without success.
       */
      type: "state-progress";
      run: string;
      state: string;
      done: number;
      total: number;
      failed: number;
      /** What is counted: "judges", "items", "containers". */
      unit: string;
      at: string;
    }
  | {
      type: "run-finished";
      run: string;
      status: RunStatus;
      output?: unknown;
      error?: RunRecord["error"];
      at: string;
    };

/** Everything an executor may need to run one state once. */
export interface ExecutionContext {
  run: RunRecord;
  graph: WorkflowGraph;
  state: StateNode;
  attempt: number;
  /** Stable across a crash and resume: pass it to agents that can deduplicate. */
  idempotencyKey: string;
  /** Renders a template of this state against the run so far. */
  render(template: { text: string }, extra?: Record<string, unknown>): string;
  signal: AbortSignal;
  emit(observation: RunObservation): void;
}

// ---------------------------------------------------------------- agents and executors

/** One call of an agent. */
export interface AgentInvocation {
  /** The agent's declared name. */
  agent: string;
  prompt: string;
  /** The state's intent (AEGIS), if any. */
  intent?: string;
  state: string;
  run: string;
  /** Same on a retry after a crash: agents that can, deduplicate on it. */
  idempotencyKey: string;
  timeoutMs?: number;
  signal: AbortSignal;
  /** Streamed output, for live progress. */
  onOutput?: (text: string) => void;
  /** The environment the agent's process starts from (default: this process's own). */
  environment?: Readonly<Record<string, string>>;
  /**
   * The run's working directory: where the agent's process starts (a relative `cwd`
   * option is taken from here). Default: this process's current directory.
   */
  workdir?: string;
  /** A coordinator's router: the run's context (also in its prompt, as JSON). */
  context?: RouterContext;
  /** The conversation this call continues (`session`): see AgentSession. */
  session?: AgentSession;
  /**
   * The calling state's options for its agent (an AgentOS step's `config`: for
   * `hand::run`, its `handId` and `input`), templates rendered. Program agents get them as
   * JSON in $AEGIS_OPTIONS.
   */
  options?: Record<string, unknown>;
}

/** What a provider is told of the conversation a call continues. */
export interface AgentSession {
  /** The session's name in the run: the agent's name, or a state's `session NAME`. */
  name: string;
  /** aegis's id of the conversation (a UUID), the same for all of its calls. */
  id: string;
  /** The provider's own id, when it named the conversation (codex, opencode). */
  providerId?: string;
  /** Calls that answered before this one: 0 when the conversation begins. */
  turns: number;
  /** An earlier call's answer was never recorded: the conversation may or may not exist. */
  unsettled: boolean;
  /** The conversation so far, for providers that send it whole. */
  messages: readonly SessionMessage[];
  /** Journals the provider's id as soon as it is known, before the call ends. */
  identify(providerId: string): void;
}

/** One specialist call of a coordinator, as its router sees it. */
export interface SpecialistCall {
  /** The round it was made in, from 1. */
  step: number;
  agent: string;
  /** The prompt the specialist was given. */
  input: string;
  status: "succeeded" | "failed" | "timed_out";
  /** Its answer, when it succeeded. */
  output?: unknown;
  /** Why it failed, when it did. */
  error?: { code: string; message: string };
}

/** What a coordinator's router decides from, each round (grammar/README.md#coordinate). */
export interface RouterContext {
  /** The coordinate state's prompt, rendered. */
  task: string;
  /** The run's inputs. */
  inputs: Record<string, unknown>;
  specialists: string[];
  /** Every specialist call so far, in order: answers and errors. */
  results: SpecialistCall[];
  /** Rounds taken before this one. */
  step_count: number;
  /** The most rounds (`steps N`). */
  max_steps: number;
  /** The feedback the transition into the state carried, if any. */
  feedback: string | null;
}

/** What an agent answered. JSON answers are parsed: score, confidence, reasoning, fields. */
export interface AgentReply {
  output: unknown;
  text: string;
  score?: number;
  confidence?: number;
  reasoning?: string;
  exit_code?: number;
  stderr?: string;
  usage?: StateResult["usage"];
  /** The provider's id of the conversation the call continued or began. */
  session?: string;
}

export interface AgentProvider {
  call(invocation: AgentInvocation): Promise<AgentReply>;
  /**
   * How the provider continues a session: `native` — its program keeps the conversation,
   * given the id (the coding CLIs, command agents); `messages` (default) — aegis keeps the
   * conversation and the provider is given it whole (openai, functions).
   */
  readonly sessions?: "native" | "messages";
}

/** An agent supplied by an embedding program: return text, or a partial reply. */
export type AgentFunction = (invocation: AgentInvocation) => unknown | Promise<unknown>;

/** What the executors need from the engine around them. */
export interface ExecutorServices {
  /**
   * The environment every process a state starts (commands, agents, containers) begins
   * from; default: this process's own. Hosts that hold credentials pass an allowlist.
   */
  environment?: Readonly<Record<string, string>>;
  /**
   * The run's working directory (its meta's workdir): where its commands, containers' bind
   * mounts and agents start. Passed per run, so that one process can drive runs that work
   * in different directories; default: this process's current directory.
   */
  workdir?: string;
  /** The provider of a declared agent (resolved from the workflow, an agents file, functions). */
  agent(name: string): AgentProvider;
  /**
   * Opens a call in a session: waits until no other call of the run is in it, journals the
   * call's start, and gives what the provider is told. Without it (a host of its own),
   * calls in sessions are made as fresh ones.
   */
  session?(name: string, agent: string, keepsMessages: boolean): Promise<SessionLease>;
  /** Runs an imported workflow to its end (blocking) or starts it (detached). */
  subworkflow(
    alias: string,
    inputs: Record<string, unknown>,
    detached: boolean,
    signal: AbortSignal,
  ): Promise<{
    id: string;
    status: RunStatus;
    output?: unknown;
    error?: { code: string; message: string };
  }>;
}

/** One call's hold on a session, from its start to its end. */
export interface SessionLease {
  readonly session: AgentSession;
  /** Journals the call's end and lets the next call in. Called once. */
  end(outcome: {
    answered: boolean;
    providerId?: string;
    messages?: SessionMessage[];
  }): Promise<void>;
}

/** A failure of the runtime itself or of the world, with a stable code. */
export class RuntimeError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}
