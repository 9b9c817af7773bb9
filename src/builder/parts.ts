// The parts a workflow is built from: inputs, agents, states, transitions, judges and the
// values the language writes as calls (env, secret, durations). Each is plain data with the
// call site that made it, so that a finding about it points at that line of the program.
// The type parameters carry names (targets, agents, templates) for the workflow's type
// checks (typing.ts); at run time they are absent.
import type { AgentFunction } from "../runtime/types.ts";
import { type CallSite, callerSite } from "./call-site.ts";

declare const names: unique symbol;

/** `"10m"`, `"1h30m"`, `"500ms"`, `"3d"`: the language's durations. */
export type Duration = `${number}${"ms" | "s" | "m" | "h" | "d"}${string}`;

// ---------------------------------------------------------------- values

/** A value the language writes as a call: `env("NAME")`, `secret("NAME")`. */
export interface Reference {
  readonly part: "reference";
  readonly function: "env" | "secret";
  readonly name: string;
  readonly site?: CallSite;
}

/** An environment variable of the process that runs the workflow, as an option's value. */
export function env(name: string): Reference {
  return Object.freeze({ part: "reference", function: "env", name, site: callerSite() });
}

/** A declared secret, as an option's value. */
export function secret(name: string): Reference {
  return Object.freeze({ part: "reference", function: "secret", name, site: callerSite() });
}

/** A duration where a map of options would otherwise read a string (`timeout: 60s`). */
export interface DurationValue {
  readonly part: "duration";
  readonly text: string;
  readonly site?: CallSite;
}

export function duration(text: Duration): DurationValue {
  return Object.freeze({ part: "duration", text, site: callerSite() });
}

/**
 * What an option map holds: JSON-like values, and the language's calls and durations. (A
 * bare word of the language, `strategy: weighted_average`, is the string it spells.)
 */
export type OptionValue =
  | string
  | number
  | boolean
  | null
  | Reference
  | DurationValue
  | readonly OptionValue[]
  | { readonly [key: string]: OptionValue };

// ---------------------------------------------------------------- inputs

export type InputTypeSpec =
  | { readonly type: "string" | "number" | "integer" | "boolean" | "object" | "any" }
  | { readonly type: "list"; readonly items: InputTypeSpec }
  | { readonly type: "enum"; readonly values: readonly (string | number)[] };

/** An input the workflow takes: `input.string("what it is").default("…")`. */
export class InputDeclaration<T = unknown> {
  readonly part = "input";
  declare readonly [names]?: T;
  readonly type: InputTypeSpec;
  readonly description: string | undefined;
  readonly hasDefault: boolean;
  readonly defaultValue: T | undefined;
  readonly isOptional: boolean;
  readonly site: CallSite | undefined;
  constructor(
    type: InputTypeSpec,
    description: string | undefined,
    hasDefault: boolean,
    defaultValue: T | undefined,
    isOptional: boolean,
    site: CallSite | undefined,
  ) {
    this.type = type;
    this.description = description;
    this.hasDefault = hasDefault;
    this.defaultValue = defaultValue;
    this.isOptional = isOptional;
    this.site = site;
    Object.freeze(this);
  }

  /** The value when the caller gives none (the input is then not required). */
  default(value: T): InputDeclaration<T> {
    return new InputDeclaration(
      this.type,
      this.description,
      true,
      value,
      this.isOptional,
      this.site,
    );
  }

  /** Not required, with no default: templates read it as empty. */
  optional(): InputDeclaration<T | undefined> {
    return new InputDeclaration<T | undefined>(
      this.type,
      this.description,
      this.hasDefault,
      this.defaultValue,
      true,
      this.site,
    );
  }

  describe(text: string): InputDeclaration<T> {
    return new InputDeclaration(
      this.type,
      text,
      this.hasDefault,
      this.defaultValue,
      this.isOptional,
      this.site,
    );
  }
}

const declare =
  <T>(type: InputTypeSpec) =>
  (description?: string): InputDeclaration<T> =>
    new InputDeclaration<T>(type, description, false, undefined, false, callerSite());

/**
 * A Standard Schema validator (zod, valibot, ArkType …): its `~standard` property. aegis
 * reads its JSON Schema (Standard JSON Schema's `~standard.jsonSchema`) and asks it whether
 * it accepts no value (then the input is optional).
 */
export interface StandardSchemaLike {
  readonly "~standard": {
    readonly version: number;
    readonly vendor: string;
    readonly validate: (value: unknown) => unknown;
    readonly jsonSchema?: { readonly input: (options: { target: string }) => unknown };
  };
}

/** A JSON Schema for one input (a subset: type, items, enum, const, description, default). */
export class JsonSchemaInput {
  readonly part = "json-schema";
  readonly schema: Record<string, unknown>;
  readonly site: CallSite | undefined;
  constructor(schema: Record<string, unknown>, site: CallSite | undefined) {
    this.schema = schema;
    this.site = site;
    Object.freeze(this);
  }
}

export const input = {
  string: declare<string>({ type: "string" }),
  number: declare<number>({ type: "number" }),
  integer: declare<number>({ type: "integer" }),
  boolean: declare<boolean>({ type: "boolean" }),
  object: declare<Record<string, unknown>>({ type: "object" }),
  any: declare<unknown>({ type: "any" }),
  /** A list; `of` gives the type of its items (default: any). */
  list<T = unknown>(of?: InputDeclaration<T>, description?: string): InputDeclaration<T[]> {
    return new InputDeclaration<T[]>(
      { type: "list", items: of?.type ?? { type: "any" } },
      description,
      false,
      undefined,
      false,
      callerSite(),
    );
  },
  /** One of the values listed: `input.oneOf(["free", "pro"])`. */
  oneOf<const V extends string | number>(
    values: readonly V[],
    description?: string,
  ): InputDeclaration<V> {
    return new InputDeclaration<V>(
      { type: "enum", values },
      description,
      false,
      undefined,
      false,
      callerSite(),
    );
  },
  /** An input described by a JSON Schema object. */
  jsonSchema(schema: Record<string, unknown>): JsonSchemaInput {
    return new JsonSchemaInput(schema, callerSite());
  },
};

export type InputLike = InputDeclaration<unknown> | JsonSchemaInput | StandardSchemaLike;

// ---------------------------------------------------------------- agents

type Permission = "read" | "write" | "full" | "auto";
type Effort = "low" | "medium" | "high" | "max";

interface AgentCommon {
  /** Every call of the agent in a run continues one conversation (`agent NAME … session`). */
  session?: boolean;
}

interface CliOptions extends AgentCommon {
  model?: string;
  permission?: Permission;
  env?: Readonly<Record<string, string | Reference>>;
  args?: readonly string[];
  cwd?: string;
}

export interface CommandAgentOptions extends AgentCommon {
  input?: "stdin" | "arg" | "file";
  output?: "text" | "json";
  env?: Readonly<Record<string, string | Reference>>;
  cwd?: string;
}

export interface OpenAiAgentOptions extends AgentCommon {
  model: string;
  api_key?: Reference;
  system?: string;
  temperature?: number;
  max_tokens?: number;
  headers?: Readonly<Record<string, string | Reference>>;
  output?: "text" | "json";
}

/** An agent: a provider and its options, a function, or one supplied when the run starts. */
export interface AgentDeclaration {
  readonly part: "agent";
  /** Absent: supplied at run time (an agents file, `--agent`, the embedding program). */
  readonly provider?: string;
  /** The provider's positional argument (command's command line, openai's URL). */
  readonly positional?: string;
  readonly options: Readonly<Record<string, OptionValue>>;
  readonly session: boolean;
  /** A function agent's function, and the name it is registered under (default: the agent's). */
  readonly fn?: AgentFunction;
  readonly functionName?: string;
  readonly site?: CallSite;
}

function agentOf(
  provider: string | undefined,
  options: AgentCommon,
  extra: Partial<AgentDeclaration> = {},
): AgentDeclaration {
  const { session, ...rest } = options as AgentCommon & Record<string, unknown>;
  return Object.freeze({
    part: "agent",
    ...(provider !== undefined && { provider }),
    options: rest as Record<string, OptionValue>,
    session: session === true,
    site: callerSite(),
    ...extra,
  });
}

export const agent = {
  /** Anthropic's Claude Code CLI. */
  claude: (options: CliOptions & { effort?: Effort } = {}) => agentOf("claude", options),
  /** Google's Gemini CLI. */
  gemini: (options: CliOptions = {}) => agentOf("gemini", options),
  /** OpenAI's Codex CLI. */
  codex: (options: CliOptions & { effort?: Effort } = {}) => agentOf("codex", options),
  /** OpenCode; `effort` is its provider's own variant name. */
  opencode: (options: CliOptions & { effort?: string } = {}) => agentOf("opencode", options),
  /** Any command line; the prompt goes to its stdin (or an argument, or a file). */
  command: (command: string, options: CommandAgentOptions = {}) =>
    agentOf("command", options, { positional: command }),
  /** An OpenAI-compatible chat completions endpoint. */
  openai: (url: string, options: OpenAiAgentOptions) =>
    agentOf("openai", options, { positional: url }),
  /**
   * A function of this program: given the call (prompt, context, conversation), it returns
   * the answer. Registered under `name` (default: the agent's name); a run resumed in
   * another process finds it by that name when the program is loaded there.
   */
  fn: (fn: AgentFunction, options: AgentCommon & { name?: string } = {}) => {
    const { name, ...rest } = options;
    return agentOf("function", rest, { fn, ...(name !== undefined && { functionName: name }) });
  },
  /** An agent whose provider is supplied when the run starts (an agents file, `--agent`). */
  supplied: (options: AgentCommon = {}) => agentOf(undefined, options),
};

// ---------------------------------------------------------------- transitions

/** `on CONDITION -> TARGET` (or `otherwise -> TARGET`), with feedback for the next state. */
export interface Transition<T extends string = string, P extends string = string> {
  readonly part: "transition";
  readonly target: T;
  /** An expression of the language (`success`, `exit 0`, `output.score >= 0.8`); absent: otherwise. */
  readonly condition?: string;
  readonly feedback?: P;
  readonly site?: CallSite;
}

interface TransitionOptions<P extends string> {
  /** A template given to the target state as `{{state.feedback}}`. */
  feedback?: P;
}

export function on<const T extends string, const P extends string = never>(
  condition: string,
  target: T,
  options: TransitionOptions<P> = {},
): Transition<T, P> {
  return Object.freeze({
    part: "transition",
    target,
    condition,
    ...(options.feedback !== undefined && { feedback: options.feedback }),
    site: callerSite(),
  });
}

export function otherwise<const T extends string, const P extends string = never>(
  target: T,
  options: TransitionOptions<P> = {},
): Transition<T, P> {
  return Object.freeze({
    part: "transition",
    target,
    ...(options.feedback !== undefined && { feedback: options.feedback }),
    site: callerSite(),
  });
}

// ---------------------------------------------------------------- judges

/** One judge of a parallel (or agent) state: `judge NAME weight W timeout T prompt "…"`. */
export interface Judge<A extends string = string, P extends string = string> {
  readonly part: "judge";
  readonly agent: A;
  readonly weight?: number;
  readonly timeout?: Duration;
  readonly prompt?: P;
  readonly site?: CallSite;
}

export function judge<const A extends string, const P extends string = never>(
  agentName: A,
  options: { weight?: number; timeout?: Duration; prompt?: P } = {},
): Judge<A, P> {
  return Object.freeze({ part: "judge", agent: agentName, ...options, site: callerSite() });
}
