// The states of a workflow, one builder per kind of the language's states: `state.agent`,
// `state.run`, `state.human` … Each takes what the language's state header takes (an agent,
// a command, an image …) and an options object with the statements and settings that kind
// permits (the same table as the compiler's, src/compiler/lower.ts), and its transitions.
import type { StateKind } from "../compiler/ast.ts";
import type { AgentFunction } from "../runtime/types.ts";
import { type CallSite, callerSite } from "./call-site.ts";
import type { Duration, Judge, OptionValue, Transition } from "./parts.ts";

declare const names: unique symbol;

export type { StateKind };

/** What a state names, for the workflow's type checks: targets, agents, templates. */
interface Names<T extends string, A extends string, P extends string> {
  targets: T;
  agents: A;
  templates: P;
}

/** The header of a state: what the language writes between `=` and its settings. */
export interface StateHeader {
  /** The agent (agent, loop and foreach states), a function, or a template naming one. */
  agent?: string | AgentFunction;
  command?: string | readonly string[];
  image?: string;
  workflow?: string;
  foreach?: { item: string; over: string };
  specialists?: readonly string[];
  router?: string | AgentFunction;
}

/** A state, made by one of `state`'s functions. */
export interface State<
  T extends string = string,
  A extends string = string,
  P extends string = string,
> {
  readonly part: "state";
  readonly kind: StateKind;
  /** A final state: whether reaching it means the run succeeded. */
  readonly final?: "success" | "failure";
  readonly header: Readonly<StateHeader>;
  readonly options: Readonly<Record<string, unknown>>;
  readonly transitions: readonly Transition[];
  readonly site?: CallSite;
  readonly [names]?: Names<T, A, P>;
}

// ---------------------------------------------------------------- options by kind

interface RunSettings {
  timeout?: Duration;
  /** How many times a run may enter the state. */
  visits?: number;
  /** Attempts after a failure, and the wait before each. */
  retry?: number | { times: number; backoff?: Duration };
  /** What a failure does: fail the state (default), retry it, or skip it. */
  errors?: "fail" | "retry" | "skip";
}

interface Transitions<T extends string, P extends string> {
  /** The transitions, in order: the first whose condition holds is taken. */
  on?: readonly Transition<T, P>[];
}

export type FieldType = "string" | "number" | "integer" | "boolean" | "object" | "list" | "any";

interface AgentWork<P extends string> {
  prompt?: P;
  intent?: P;
  /**
   * A template for the state's output, or the fields of the agent's JSON output by type.
   * (Not a place TypeScript reads names from: a union here would stop it inferring them
   * from the prompt and the other templates.)
   */
  output?: string | Readonly<Record<string, FieldType>>;
  /** Options for the agent's provider for this state's calls. */
  options?: Readonly<Record<string, OptionValue>>;
  /** The named conversation this state's agent calls continue. */
  session?: string;
}

export interface AgentStateOptions<T extends string, P extends string, J extends string>
  extends RunSettings,
    AgentWork<P>,
    Transitions<T, P> {
  judges?: readonly Judge<J, P>[];
  consensus?: Readonly<Record<string, OptionValue>>;
  iterations?: number;
}

export interface HumanStateOptions<T extends string, P extends string> extends Transitions<T, P> {
  prompt?: P;
  /** The answer when the gate times out: "approved", "rejected" or a response. */
  default?: string;
  /** The states only an approval may lead to. */
  protects?: readonly T[];
  timeout?: Duration;
  visits?: number;
}

export interface RunStateOptions<T extends string, P extends string>
  extends RunSettings,
    Transitions<T, P> {
  env?: Readonly<Record<string, string>>;
  workdir?: string;
}

export interface ContainerStateOptions<T extends string, P extends string>
  extends RunSettings,
    Transitions<T, P> {
  command?: string | readonly string[];
  env?: Readonly<Record<string, string>>;
  workdir?: string;
  volumes?: Readonly<Record<string, OptionValue>>;
  resources?: Readonly<Record<string, OptionValue>>;
  options?: Readonly<Record<string, OptionValue>>;
  handler?: Readonly<Record<string, OptionValue>>;
}

export interface ParallelStateOptions<T extends string, P extends string, J extends string>
  extends RunSettings,
    Transitions<T, P> {
  prompt?: P;
  judges: readonly Judge<J, P>[];
  consensus?: Readonly<Record<string, OptionValue>>;
}

export interface SubworkflowStateOptions<T extends string, P extends string>
  extends RunSettings,
    Transitions<T, P> {
  /** Blocking (default): the state waits for the child run; detached: it starts it and goes on. */
  mode?: "blocking" | "detached";
  /** The child's inputs: templates by name, or one template rendering a JSON object. */
  input?: string | Readonly<Record<string, OptionValue>>;
  /** The key of the child's result to take as this state's output. */
  result?: string;
}

export interface ForeachStateOptions<T extends string, P extends string>
  extends RunSettings,
    AgentWork<P>,
    Transitions<T, P> {
  /** The name each item has in the templates (default `item`). */
  item?: string;
  concurrency?: number;
}

export interface LoopStateOptions<T extends string, P extends string>
  extends RunSettings,
    AgentWork<P>,
    Transitions<T, P> {
  max?: number;
  /** An expression: the loop stops when it holds. */
  until?: string;
}

export interface CoordinateStateOptions<T extends string, P extends string>
  extends RunSettings,
    Transitions<T, P> {
  prompt?: P;
  /** Hand-offs at most, and what running out of them does (`steps N then finish`). */
  steps?: number | { max: number; exhausted?: "fail" | "finish" };
}

export interface ContainerStep {
  image: string;
  command?: string | readonly string[];
  env?: Readonly<Record<string, string>>;
  workdir?: string;
  volumes?: Readonly<Record<string, OptionValue>>;
}

export interface ContainersStateOptions<T extends string, P extends string>
  extends RunSettings,
    Transitions<T, P> {
  containers: Readonly<Record<string, ContainerStep>>;
  options?: Readonly<Record<string, OptionValue>>;
}

// ---------------------------------------------------------------- builders

function make<T extends string, A extends string, P extends string>(
  kind: StateKind,
  header: StateHeader,
  options: { on?: readonly Transition[] } & Record<string, unknown>,
): State<T, A, P> {
  const { on, ...rest } = options;
  return Object.freeze({
    part: "state",
    kind,
    header: Object.freeze(header),
    options: Object.freeze(rest),
    transitions: on ?? [],
    site: callerSite(),
  });
}

/** The agent name a state names, for the type checks: a function names none. */
type AgentName<A> = A extends string ? (A extends `${string}{{${string}` ? never : A) : never;

export const state = {
  /** `agent NAME`: one agent call (an agent of the workflow, a template naming one, or a function). */
  agent<
    const A extends string | AgentFunction,
    const T extends string = never,
    const P extends string = never,
    const J extends string = never,
  >(agent: A, options: AgentStateOptions<T, P, J> = {}): State<T, AgentName<A> | J, P> {
    return make("agent", { agent: agent as string | AgentFunction }, { ...options });
  },
  /** `human`: a gate a person answers (approve, reject, or a response). */
  human<const T extends string = never, const P extends string = never>(
    options: HumanStateOptions<T, P> = {},
  ): State<T, never, P> {
    return make("human", {}, { ...options });
  },
  /** `run "…"`: a shell command line, or an argument vector. */
  run<const C extends string, const T extends string = never, const P extends string = never>(
    command: C | readonly C[],
    options: RunStateOptions<T, P> = {},
  ): State<T, never, P | C> {
    return make("run", { command }, { ...options });
  },
  /** `container "IMAGE"`: a command in a container. */
  container<const T extends string = never, const P extends string = never>(
    image: string,
    options: ContainerStateOptions<T, P> = {},
  ): State<T, never, P> {
    return make("container", { image }, { ...options });
  },
  /** `parallel`: judges (agents) score the work together; `on consensus` when they agree. */
  parallel<
    const T extends string = never,
    const P extends string = never,
    const J extends string = never,
  >(options: ParallelStateOptions<T, P, J>): State<T, J, P> {
    return make("parallel", {}, { ...options });
  },
  /** `subworkflow ALIAS`: runs an imported workflow. */
  subworkflow<const T extends string = never, const P extends string = never>(
    alias: string,
    options: SubworkflowStateOptions<T, P> = {},
  ): State<T, never, P> {
    return make("subworkflow", { workflow: alias }, { ...options });
  },
  /** `foreach item in LIST agent NAME`: the agent once per item, `concurrency` at a time. */
  foreach<
    const A extends string | AgentFunction,
    const T extends string = never,
    const P extends string = never,
  >(over: string, agent: A, options: ForeachStateOptions<T, P> = {}): State<T, AgentName<A>, P> {
    const { item = "item", ...rest } = options;
    return make(
      "foreach",
      { agent: agent as string | AgentFunction, foreach: { item, over } },
      { ...rest },
    );
  },
  /** `loop agent NAME max N until CONDITION`: the agent again until the condition holds. */
  loop<
    const A extends string | AgentFunction,
    const T extends string = never,
    const P extends string = never,
  >(agent: A, options: LoopStateOptions<T, P> = {}): State<T, AgentName<A>, P> {
    return make("loop", { agent: agent as string | AgentFunction }, { ...options });
  },
  /** `branch`: no work, only its transitions. */
  branch<const T extends string = never>(
    options: { visits?: number; on?: readonly Transition<T>[] } = {},
  ): State<T, never, never> {
    return make("branch", {}, { ...options });
  },
  /**
   * `coordinate [SPECIALISTS] by ROUTER`: the router (an agent, or a function of this
   * program, as Ajolopy's `route()`) hands the work from specialist to specialist.
   */
  coordinate<
    const S extends string,
    const R extends string | AgentFunction,
    const T extends string = never,
    const P extends string = never,
  >(
    specialists: readonly S[],
    router: R,
    options: CoordinateStateOptions<T, P> = {},
  ): State<T, S | AgentName<R>, P> {
    return make(
      "coordinate",
      { specialists, router: router as string | AgentFunction },
      { ...options },
    );
  },
  /** `containers`: several containers at once, results by name. */
  containers<const T extends string = never, const P extends string = never>(
    options: ContainersStateOptions<T, P>,
  ): State<T, never, P> {
    return make("containers", {}, { ...options });
  },
  /**
   * `final NAME [failure] [= ACTION]`: the run ends here, succeeded or failed, after the
   * action if one is given (a state made by another of these functions, with no transitions).
   */
  final<const A extends string = never, const P extends string = never>(
    outcome: "success" | "failure" = "success",
    action?: State<never, A, P>,
    options: { output?: string } = {},
  ): State<never, A, P> {
    const site = callerSite();
    return Object.freeze({
      part: "state",
      kind: action?.kind ?? "final",
      final: outcome,
      header: action?.header ?? Object.freeze({}),
      options: Object.freeze({ ...action?.options, ...options }),
      transitions: action?.transitions ?? [],
      site,
      ...(action?.site && { actionSite: action.site }),
    }) as State<never, A, P>;
  },
};
