// The abstract syntax tree of an aegis source file. Every node carries a span (offsets into
// its file); front ends other than the text language (YAML) produce the same tree.

export interface Span {
  /** Offset of the first character (0-based, UTF-16 code units). */
  start: number;
  /** Offset just past the last character. */
  end: number;
}

export interface Named {
  name: string;
  span: Span;
}

/**
 * A Handlebars template. `text` is the decoded string; `map` holds flattened
 * [textIndex, sourceOffset] pairs, one per run of characters copied verbatim (escapes and
 * dedenting break runs), so findings inside a template point at the right column.
 */
export interface Template {
  kind: "template";
  text: string;
  span: Span;
  map: number[];
}

// ---------------------------------------------------------------- values (option maps)

export type Value =
  | { kind: "string"; value: string; span: Span; template: Template }
  | { kind: "number"; value: number; span: Span }
  | { kind: "duration"; ms: number; text: string; span: Span }
  | { kind: "boolean"; value: boolean; span: Span }
  | { kind: "null"; span: Span }
  | { kind: "symbol"; name: string; span: Span }
  | { kind: "list"; items: Value[]; span: Span }
  | { kind: "object"; entries: ObjectEntry[]; span: Span }
  | { kind: "call"; callee: Named; args: Value[]; span: Span };

export interface ObjectEntry {
  key: Named;
  value: Value;
  span: Span;
}

// ---------------------------------------------------------------- expressions

export type BinaryOp =
  | "or"
  | "and"
  | "=="
  | "!="
  | "<"
  | "<="
  | ">"
  | ">="
  | "contains"
  | "matches"
  | "in"
  | "+"
  | "-"
  | "*"
  | "/";

export type Expr =
  | { kind: "literal"; value: string | number | boolean | null; span: Span; duration?: boolean }
  | { kind: "path"; segments: PathSegment[]; span: Span }
  | { kind: "unary"; op: "not" | "-"; operand: Expr; span: Span }
  | { kind: "binary"; op: BinaryOp; left: Expr; right: Expr; span: Span }
  | { kind: "between"; operand: Expr; low: Expr; high: Expr; span: Span }
  | { kind: "call"; callee: Named; args: Expr[]; span: Span }
  | { kind: "list"; items: Expr[]; span: Span };

export type PathSegment = { name: string; span: Span } | { index: number; span: Span };

// ---------------------------------------------------------------- workflow

export interface SourceFileAst {
  /** Which front end built it; absent means the aegis language. */
  dialect?: "aegis" | "aegis-manifest" | "agentos";
  imports: ImportDecl[];
  workflow?: WorkflowDecl;
  span: Span;
}

export interface ImportDecl {
  path: string;
  pathSpan: Span;
  alias: Named;
  span: Span;
}

export interface WorkflowDecl {
  name: Named;
  title?: Template;
  version?: { value: string; span: Span };
  description?: Template;
  labels?: Value & { kind: "object" };
  annotations?: Value & { kind: "object" };
  inputs: InputDecl[];
  /** `input *`: inputs it does not declare are taken too (AEGIS: no input_schema). */
  otherInputs?: { span: Span };
  context?: Value & { kind: "object" };
  secrets: SecretDecl[];
  agents: AgentDecl[];
  limits?: Value & { kind: "object" };
  start?: Named & { keywordSpan: Span };
  states: StateDecl[];
  /** `output "…"`: the run's result, a template. */
  output?: Template;
  /** `output { field: "…" }`: the run's result as named templates. */
  outputFields?: Value & { kind: "object" };
  /** `output schema { … }`: JSON Schema of the run's result. */
  outputSchema?: Value & { kind: "object" };
  /** `storage { … }`: volumes the run's containers share. */
  storage?: Value & { kind: "object" };
  span: Span;
}

export type TypeExpr =
  | { kind: "named"; name: string; args: TypeExpr[]; span: Span }
  | { kind: "literal"; value: string | number; span: Span }
  | { kind: "union"; members: TypeExpr[]; span: Span };

export interface InputDecl {
  name: Named;
  optional: boolean;
  type?: TypeExpr;
  default?: Value;
  description?: Template;
  span: Span;
}

export interface SecretDecl {
  name: Named;
  description?: Template;
  span: Span;
}

export interface AgentDecl {
  name: Named;
  /** Absent for an agent supplied at run time (agents file, embedding program). */
  provider?: Named;
  args: Value[];
  options: ObjectEntry[];
  /** `agent NAME … session`: every call of the agent in a run continues one conversation. */
  session?: { span: Span };
  span: Span;
}

// ---------------------------------------------------------------- states

export type StateKind =
  | "agent"
  | "human"
  | "run"
  | "parallel"
  | "container"
  | "subworkflow"
  | "foreach"
  | "loop"
  | "branch"
  | "coordinate"
  | "containers"
  | "final";

export interface StateDecl {
  name: Named;
  kind: StateKind;
  kindSpan: Span;
  /** `final` states: whether reaching them means the run succeeded. */
  final?: { outcome: "success" | "failure"; span: Span };
  /** The action of a final state (`final DONE = run "…"`); kind is then that action. */
  agent?: Named;
  /** `agent "name-{{input.x}}"`: an agent whose name is only known at run time. */
  agentTemplate?: Template;
  /** `run` command: a shell string or an argument vector. */
  command?: Value;
  image?: Template;
  workflowRef?: Named;
  mode?: { value: "blocking" | "detached"; span: Span };
  foreach?: { item: Named; over: Expr };
  specialists?: Named[];
  router?: Named;
  settings: StateSetting[];
  statements: StateStatement[];
  transitions: TransitionDecl[];
  span: Span;
}

export type StateSetting =
  | { kind: "timeout"; ms: number; span: Span }
  | { kind: "visits"; value: number; span: Span }
  | { kind: "retry"; value: number; backoffMs?: number; span: Span }
  | { kind: "errors"; mode: Named; span: Span }
  | { kind: "concurrency"; value: number; span: Span }
  | { kind: "max"; value: number; span: Span }
  /** `steps N [then fail | finish]`: `then` is what running out of steps does. */
  | { kind: "steps"; value: number; then?: Named; span: Span }
  | { kind: "until"; condition: Expr; span: Span }
  /** `session NAME`: the named conversation that the state's agent calls continue. */
  | { kind: "session"; name: Named; span: Span };

export type StateStatement =
  | { kind: "prompt"; template: Template; span: Span }
  | { kind: "intent"; template: Template; span: Span }
  | { kind: "input"; value: Value; span: Span }
  | { kind: "output"; value: Value; span: Span }
  | {
      kind: "judge";
      agent: Named;
      weight?: number;
      timeoutMs?: number;
      prompt?: Template;
      span: Span;
    }
  | { kind: "consensus"; config: Value & { kind: "object" }; span: Span }
  | { kind: "env"; value: Value; span: Span }
  | { kind: "workdir"; value: Template; span: Span }
  | { kind: "command"; value: Value; span: Span }
  | { kind: "volumes"; value: Value; span: Span }
  | { kind: "resources"; value: Value; span: Span }
  | { kind: "options"; value: Value; span: Span }
  | {
      kind: "container";
      name: Named;
      image: Template;
      config?: Value & { kind: "object" };
      span: Span;
    }
  | { kind: "handler"; value: Value; span: Span }
  | { kind: "result"; key: Named; span: Span }
  | { kind: "default"; value: Value; span: Span }
  /** A human gate's `protects [A, B]`: the states only its approval may lead to. */
  | { kind: "protects"; states: Named[]; span: Span }
  | { kind: "iterations"; value: number; span: Span };

export interface TransitionDecl {
  /** Absent for `otherwise`, which always matches. */
  condition?: Expr;
  otherwise: boolean;
  target: Named;
  feedback?: Template;
  span: Span;
}
