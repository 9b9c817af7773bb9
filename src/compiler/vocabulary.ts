// What templates and expressions may name: the result fields of each kind of state, the
// Handlebars helpers, the expression functions. The runtime provides exactly these.
import type { StateNode } from "./graph.ts";

export type FieldType =
  | "string"
  | "number"
  | "boolean"
  | "list"
  | "any"
  | { object: Record<string, FieldType>; open?: boolean; text?: boolean };

const common: Record<string, FieldType> = {
  status: "string",
  success: "boolean",
  failure: "boolean",
  timeout: "boolean",
  timed_out: "boolean",
  skipped: "boolean",
  duration: "number",
  visits: "number",
  attempts: "number",
  error: "string",
};

const judgeResult: FieldType = {
  object: {
    agent: "string",
    output: "any",
    score: "number",
    confidence: "number",
    approved: "boolean",
  },
};

/** An agent state, and a loop state (the agent run until a condition holds). */
const agentFields: Record<string, FieldType> = {
  output: "any",
  score: "number",
  confidence: "number",
  reasoning: "string",
  usage: "any",
  iterations: "number",
  exit_code: "number",
};

/** A shell command or a container: what a process leaves behind. */
const processFields: Record<string, FieldType> = {
  // Renders as stdout; AEGIS manifests also read `output.stdout`, `output.exit_code` ….
  output: { object: { stdout: "string", stderr: "string", exit_code: "number" }, text: true },
  stdout: "string",
  stderr: "string",
  exit_code: "number",
};

const byKind: Record<StateNode["kind"], Record<string, FieldType>> = {
  agent: agentFields,
  loop: agentFields,
  foreach: { output: "string", results: "list", count: "number", failed: "number" },
  human: {
    output: "string",
    response: "string",
    approved: "boolean",
    rejected: "boolean",
    feedback: "string",
    approver: "string",
  },
  run: processFields,
  container: processFields,
  parallel: {
    // The judges' answers (a list), or the winner's answer with best_of_n.
    output: "any",
    score: "number",
    confidence: "number",
    consensus: {
      object: { score: "number", confidence: "number", agreement: "number", reached: "boolean" },
    },
    agents: { object: {}, open: true },
    judges: "list",
    all_approved: "boolean",
    any_rejected: "boolean",
    approvals: "number",
  },
  subworkflow: { output: "any", result: "any", child_execution_id: "string" },
  coordinate: { output: "any", route: "list", steps: "number", results: "list" },
  branch: {},
  // Several containers at once: each one's result by name; exit_code is the worst one.
  containers: {
    output: { object: {}, open: true, text: true },
    results: { object: {}, open: true },
    exit_code: "number",
    succeeded: "number",
    failed: "number",
  },
  final: { output: "any" },
};

/** Result fields of a state, given its declared output shape if any. */
export function resultFields(state: StateNode): Record<string, FieldType> {
  const fields: Record<string, FieldType> = { ...common, ...byKind[state.kind] };
  if (state.containers) {
    const each: FieldType = {
      object: { stdout: "string", stderr: "string", exit_code: "number", success: "boolean" },
    };
    fields.results = { object: Object.fromEntries(state.containers.map((c) => [c.name, each])) };
  }
  if (state.outputFields) {
    const shape: Record<string, FieldType> = {};
    for (const [k, v] of Object.entries(state.outputFields))
      shape[k] = v === "integer" ? "number" : v === "object" ? "any" : (v as FieldType);
    fields.output = { object: shape };
  }
  return fields;
}

export { judgeResult };

/** Result fields whose values are numbers or flags: never attacker-controlled text. */
export function isInertField(type: FieldType | undefined): boolean {
  return type === "number" || type === "boolean";
}

/** Handlebars helpers: the built-in ones and aegis's own. */
export const helpers: Record<string, string> = {
  if: "block: render when truthy",
  unless: "block: render when falsy",
  each: "block: repeat for each item of a list or object",
  with: "block: change the context",
  lookup: "look up a key dynamically",
  log: "log a value",
  json: "the value as JSON",
  quote:
    "the value as one POSIX shell word (single-quoted); required for untrusted text in shell commands",
  default: "the first argument unless empty, else the second",
  join: "join a list with a separator",
  truncate: "cut text to N characters",
  upper: "upper-case",
  lower: "lower-case",
  trim: "strip surrounding whitespace",
  indent: "indent every line by N spaces",
  eq: "equal",
  ne: "not equal",
  gt: "greater than",
  gte: "greater than or equal",
  lt: "less than",
  lte: "less than or equal",
  and: "all truthy",
  or: "any truthy",
  not: "negation",
  len: "length of a list or text",
  keys: "keys of an object",
  contains: "whether text or a list contains a value",
};

/** Helpers whose output is safe to put in a shell command whatever their input. */
export const shellSafeHelpers = new Set(["quote", "len"]);

/** Functions of the expression language: name → [argument count, result type]. */
export const functions: Record<string, { arity: number; returns: FieldType }> = {
  len: { arity: 1, returns: "number" },
  lower: { arity: 1, returns: "string" },
  upper: { arity: 1, returns: "string" },
  trim: { arity: 1, returns: "string" },
  number: { arity: 1, returns: "number" },
  string: { arity: 1, returns: "string" },
  exists: { arity: 1, returns: "boolean" },
  startswith: { arity: 2, returns: "boolean" },
  endswith: { arity: 2, returns: "boolean" },
};
