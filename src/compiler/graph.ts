// The compiled form of a workflow: a graphology directed multigraph whose nodes are states
// and whose edges are transitions (ordered per source state). This is what the checks
// analyse, what the runtime executes, and what is exported as JSON with a content hash.
import { MultiDirectedGraph } from "graphology";
import type { SerializedGraph } from "graphology-types";
import type { Expr, Span, StateKind } from "./ast.ts";

/** A span with the file it belongs to. */
export interface SourceSpan extends Span {
  file: string;
}

export interface TemplateRef {
  text: string;
  span: SourceSpan;
  /** See ast.Template.map. */
  map: number[];
}

export type InputType =
  | { type: "string" | "number" | "integer" | "boolean" | "object" | "any" }
  | { type: "list"; items: InputType }
  | { type: "enum"; values: (string | number)[] };

export interface InputSpec {
  name: string;
  type: InputType;
  required: boolean;
  default?: unknown;
  description?: string;
  span: SourceSpan;
}

export type ProviderName =
  | "claude"
  | "gemini"
  | "opencode"
  | "codex"
  | "command"
  | "openai"
  | "function";

export interface AgentSpec {
  name: string;
  /** Absent: supplied at run time (agents file or embedding program). */
  provider?: ProviderName;
  options: Record<string, unknown>;
  /**
   * `agent NAME … session`: every call of this agent in a run continues one conversation,
   * the session named after the agent. Absent (never false) when not given.
   */
  session?: true;
  span: SourceSpan;
}

export interface Limits {
  /** Maximum state-to-state transitions in one run. */
  transitions?: number;
  /** Default visit limit of every state. */
  visits?: number;
  /** Budget: agent invocations in one run. */
  agentCalls?: number;
  /** Budget: wall-clock time of one run, in ms. */
  wallTimeMs?: number;
  /** Budget: cost in USD, when providers report it. */
  costUsd?: number;
}

export interface JudgeSpec {
  agent: string;
  weight: number;
  timeoutMs?: number;
  prompt?: TemplateRef;
  span: SourceSpan;
}

export interface ConsensusSpec {
  strategy: "weighted_average" | "majority" | "unanimous" | "best_of_n";
  threshold: number;
  agreement?: number;
  minJudges?: number;
}

export type CommandSpec = { shell: TemplateRef } | { argv: TemplateRef[] };

/** One container of a `containers` state (AEGIS ParallelContainerRun). */
export interface ContainerStep {
  name: string;
  image: TemplateRef;
  command?: CommandSpec;
  env?: Record<string, TemplateRef>;
  workdir?: TemplateRef;
  volumes?: Record<string, { path: string; readOnly: boolean }>;
}

export interface StateNode {
  name: string;
  kind: Exclude<StateKind, "final"> | "final";
  /** Set on final states: whether ending here is success or failure. */
  final?: "success" | "failure";
  agent?: string;
  prompt?: TemplateRef;
  intent?: TemplateRef;
  command?: CommandSpec;
  image?: TemplateRef;
  workdir?: TemplateRef;
  env?: Record<string, TemplateRef>;
  /** Volume name → where it is mounted. */
  volumes?: Record<string, { path: string; readOnly: boolean }>;
  /** `containers` states: the containers run side by side. */
  containers?: ContainerStep[];
  /**
   * Container states: options passed to the runtime as they are (network, user, shell …).
   * Agent, loop and foreach states: given to the state's agent with each call (AgentOS's
   * step `config`), their strings rendered as templates (`optionTemplates`).
   */
  options?: Record<string, unknown>;
  /** The strings of an agent state's `options` that are templates, by where they are. */
  optionTemplates?: { path: (string | number)[]; template: TemplateRef }[];
  /** An agent that post-processes a container's output (AEGIS output_handler). */
  handler?: { agent?: string; prompt?: TemplateRef; options: Record<string, unknown> };
  /** `agent "name-{{…}}"`: the agent's name, rendered at run time. */
  agentTemplate?: TemplateRef;
  resources?: Record<string, unknown>;
  judges?: JudgeSpec[];
  consensus?: ConsensusSpec;
  /** Agent states: inner refinement iterations (AEGIS max_iterations). */
  iterations?: number;
  subworkflow?: { workflow: string; mode: "blocking" | "detached"; resultKey?: string };
  /** Subworkflow input: one template, or named templates. */
  input?: TemplateRef | Record<string, TemplateRef>;
  foreach?: { item: string; over: Expr; concurrency: number };
  loop?: { max?: number; until?: Expr };
  coordinate?: {
    specialists: string[];
    router: string;
    steps?: number;
    /** `steps N then …`: what running out of steps does (default "fail"). */
    exhausted?: "fail" | "finish";
  };
  human?: {
    default?: string;
    defaultSpan?: SourceSpan;
    /**
     * `protects [A, B]`: the states only this gate's approval may lead to (absent: the
     * states its approval leads to). An empty list: the gate guards no state (advisory).
     */
    protects?: string[];
    protectsSpan?: SourceSpan;
  };
  /** Declared shape of an agent's JSON output, field → type name. */
  outputFields?: Record<string, string>;
  /** Final states: the run's output template. */
  output?: TemplateRef;
  timeoutMs?: number;
  visits?: number;
  retry?: { max: number; backoffMs: number };
  /**
   * `session NAME` (agent, loop and foreach states): the named conversation that the
   * state's own agent calls continue.
   */
  session?: string;
  errorMode: "fail" | "retry" | "skip";
  span: SourceSpan;
  nameSpan: SourceSpan;
}

export interface TransitionEdge {
  /** Position among the source state's transitions; the first match wins. */
  order: number;
  /** Absent for `otherwise`. */
  condition?: Expr;
  /** Canonical text of the condition, for pictures and messages. */
  label: string;
  otherwise: boolean;
  feedback?: TemplateRef;
  span: SourceSpan;
  targetSpan: SourceSpan;
}

export interface WorkflowAttributes {
  name: string;
  title?: string;
  version?: string;
  description?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  inputs: InputSpec[];
  /** JSON Schema of the run inputs, validated before a run starts. */
  inputSchema: Record<string, unknown>;
  context: Record<string, unknown>;
  secrets: string[];
  agents: Record<string, AgentSpec>;
  limits: Limits;
  start?: string;
  /** The run's result: one template, or named templates. */
  output?: TemplateRef | Record<string, TemplateRef>;
  /** JSON Schema of the run's result. */
  outputSchema?: Record<string, unknown>;
  /** Volumes shared by the run's containers. */
  storage?: Record<string, unknown>;
  /** alias → imported workflow (its name and content hash). */
  imports: Record<string, { path: string; workflow: string; hash: string; external?: boolean }>;
  file: string;
  span: SourceSpan;
}

export type WorkflowGraph = MultiDirectedGraph<StateNode, TransitionEdge, WorkflowAttributes>;

export function createWorkflowGraph(): WorkflowGraph {
  return new MultiDirectedGraph<StateNode, TransitionEdge, WorkflowAttributes>({
    allowSelfLoops: true,
  });
}

/** Outgoing transitions of a state, in declaration order. */
export function transitionsOf(
  graph: WorkflowGraph,
  state: string,
): { key: string; target: string; attributes: TransitionEdge }[] {
  const out: { key: string; target: string; attributes: TransitionEdge }[] = [];
  graph.forEachOutEdge(state, (key, attributes, _source, target) =>
    out.push({ key, target, attributes }),
  );
  return out.sort((a, b) => a.attributes.order - b.attributes.order);
}

// ---------------------------------------------------------------- JSON export

export const GRAPH_FORMAT = "aegis-graph";
export const GRAPH_FORMAT_VERSION = 1;

export interface GraphDocument {
  format: typeof GRAPH_FORMAT;
  version: number;
  /** sha256 of the semantic content: everything but source positions. */
  hash: string;
  graph: SerializedGraph<StateNode, TransitionEdge, WorkflowAttributes>;
  /** Imported workflows this one calls, by alias. */
  subworkflows: Record<string, GraphDocument>;
}

/**
 * Canonical JSON (sorted keys, positions removed), the input of the content hash. Written in
 * one pass, without building a stripped copy first: the hash of a large graph is on the
 * compiler's hot path. It is exactly `JSON.stringify` of that copy (see `writeCanonical`).
 */
export function canonicalJson(value: unknown): string {
  const out = { text: "" };
  writeCanonical(value, out);
  return out.text;
}

function isSpan(v: unknown): boolean {
  return (
    !!v &&
    typeof v === "object" &&
    typeof (v as Span).start === "number" &&
    typeof (v as Span).end === "number"
  );
}

/** What JSON.stringify leaves out of an object, and writes as null in an array. */
function unwritable(v: unknown): boolean {
  return v === undefined || typeof v === "function" || typeof v === "symbol";
}

const arrayIndex = /^(?:0|[1-9]\d{0,9})$/;
function isArrayIndex(key: string): boolean {
  const c = key.charCodeAt(0);
  return c >= 48 && c <= 57 && arrayIndex.test(key) && Number(key) < 4294967295;
}

/**
 * Appends the canonical JSON of `value` to `out.text`. It removes what locates things in
 * source files (spans, templates' offset maps), which does not change what a workflow
 * means; recognised by shape, so that user data (a context key called `span`, an agent
 * called `default`) is never mistaken for positions. Object keys are sorted, except that,
 * as in the JSON of any object, array-index keys come first in numeric order; `__proto__`
 * keys are left out (they never reached the JSON of earlier versions, and the hash of a
 * workflow must not change between versions).
 */
function writeCanonical(value: unknown, out: { text: string }): void {
  if (Array.isArray(value)) {
    out.text += "[";
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.text += ",";
      const v = value[i];
      if (unwritable(v)) out.text += "null";
      else writeCanonical(v, out);
    }
    out.text += "]";
    return;
  }
  if (!value || typeof value !== "object") {
    out.text += JSON.stringify(value);
    return;
  }
  const o = value as Record<string, unknown>;
  let keys = Object.keys(o);
  // JSON lists array-index keys first, by number (Object.keys too: only its first key can
  // tell whether there are any); then the others, sorted.
  keys =
    keys.length > 0 && isArrayIndex(keys[0]!)
      ? [...keys.filter(isArrayIndex), ...keys.filter((k) => !isArrayIndex(k)).sort()]
      : keys.sort();
  out.text += "{";
  let first = true;
  for (const key of keys) {
    const v = o[key];
    if (unwritable(v) || key === "__proto__") continue;
    if ((key === "span" || key.endsWith("Span")) && isSpan(v)) continue;
    if (key === "map" && Array.isArray(v) && typeof o.text === "string") continue;
    if (!first) out.text += ",";
    first = false;
    out.text += `${JSON.stringify(key)}:`;
    writeCanonical(v, out);
  }
  out.text += "}";
}

/** A shallow copy of attributes; undefined when there are none (as graphology exports). */
function copyAttributes<T extends object>(attributes: T): T | undefined {
  for (const _ in attributes) return { ...attributes };
  return undefined;
}

/**
 * The graph as graphology exports it, with edge keys named by source and order so that
 * equal graphs export equally. One pass over nodes and edges: no intermediate copies.
 */
function serialize(graph: WorkflowGraph): GraphDocument["graph"] {
  const nodes: NonNullable<GraphDocument["graph"]["nodes"]> = [];
  graph.forEachNode((key, attributes) => {
    const copy = copyAttributes(attributes);
    nodes.push(copy ? { key, attributes: copy } : { key });
  });
  const edges: NonNullable<GraphDocument["graph"]["edges"]> = [];
  graph.forEachEdge((_key, attributes, source, target) => {
    const copy = copyAttributes(attributes);
    const key = `${source}#${copy?.order ?? 0}`;
    edges.push(copy ? { key, source, target, attributes: copy } : { key, source, target });
  });
  return {
    options: { type: graph.type, multi: graph.multi, allowSelfLoops: graph.allowSelfLoops },
    attributes: graph.getAttributes(),
    nodes,
    edges,
  };
}

export function graphHash(
  graph: WorkflowGraph,
  subworkflows: Record<string, GraphDocument> = {},
): string {
  return hashSerialized(serialize(graph), subworkflows);
}

function hashSerialized(
  exported: GraphDocument["graph"],
  subworkflows: Record<string, GraphDocument>,
): string {
  // The file name is where the workflow lives, not what it is.
  const { file: _file, ...attributes } = (exported.attributes ?? {}) as WorkflowAttributes;
  const content = {
    attributes,
    nodes: [...(exported.nodes ?? [])].sort((a, b) => (String(a.key) < String(b.key) ? -1 : 1)),
    edges: [...(exported.edges ?? [])].sort((a, b) => (String(a.key) < String(b.key) ? -1 : 1)),
    subworkflows: Object.fromEntries(Object.entries(subworkflows).map(([k, v]) => [k, v.hash])),
  };
  // node:crypto loads all of Node's cryptography: only once a hash is asked for (never by
  // `aegis compile --check`), not when the compiler is imported.
  const { createHash } = process.getBuiltinModule("node:crypto");
  return createHash("sha256").update(canonicalJson(content)).digest("hex");
}

export function exportGraph(
  graph: WorkflowGraph,
  subworkflows: Record<string, GraphDocument> = {},
): GraphDocument {
  const serialized = serialize(graph);
  return {
    format: GRAPH_FORMAT,
    version: GRAPH_FORMAT_VERSION,
    hash: hashSerialized(serialized, subworkflows),
    graph: serialized,
    subworkflows,
  };
}

export class GraphLoadError extends Error {
  readonly code = "AEG-LOAD";
}

/** Loads an exported graph without re-parsing; refuses a document whose hash does not match. */
export function loadGraph(document: unknown): {
  graph: WorkflowGraph;
  subworkflows: Record<string, GraphDocument>;
  hash: string;
} {
  if (!document || typeof document !== "object") throw new GraphLoadError("not a graph document");
  const doc = document as Partial<GraphDocument>;
  if (doc.format !== GRAPH_FORMAT)
    throw new GraphLoadError(`not an aegis graph (format is ${JSON.stringify(doc.format)})`);
  if (doc.version !== GRAPH_FORMAT_VERSION) {
    throw new GraphLoadError(
      `graph format version ${doc.version} is not supported (expected ${GRAPH_FORMAT_VERSION})`,
    );
  }
  if (!doc.graph) throw new GraphLoadError("graph document has no graph");
  const graph = createWorkflowGraph();
  try {
    graph.import(doc.graph);
  } catch (error) {
    throw new GraphLoadError(`malformed graph: ${(error as Error).message}`);
  }
  const subworkflows = doc.subworkflows ?? {};
  for (const [alias, sub] of Object.entries(subworkflows)) {
    try {
      loadGraph(sub);
    } catch (error) {
      throw new GraphLoadError(`subworkflow '${alias}': ${(error as Error).message}`);
    }
  }
  const hash = graphHash(graph, subworkflows);
  if (hash !== doc.hash)
    throw new GraphLoadError(
      `content hash mismatch: the document says ${doc.hash}, its content is ${hash}`,
    );
  return { graph, subworkflows, hash };
}
