// Helpers for the YAML front ends' tests: compile YAML held in memory under a .yaml file
// name (so compile() picks the YAML front end), build AEGIS manifests and AgentOS workflows
// around a few lines with a fixed layout (so tests can state positions), and read the
// compiled graph back as short text (edges with their condition labels).

import { type CompileOptions, type CompileResult, compile } from "../../src/compiler/compile.ts";
import type { Code } from "../../src/compiler/diagnostics.ts";
import { printExpr } from "../../src/compiler/expression.ts";
import { type StateNode, transitionsOf } from "../../src/compiler/graph.ts";
import { type Brief, brief, dedent } from "./compile.ts";

/** The file name YAML tests compile under unless they say otherwise. */
export const YAML_FILE = "/virtual/test.yaml";

/** Compiles YAML `text` as /virtual/test.yaml; imports resolve against nothing unless given. */
export function compileYaml(text: string, opts: CompileOptions = {}): CompileResult {
  return compile(text, { filename: YAML_FILE, readFile: () => undefined, ...opts });
}

/** The diagnostics of YAML `text` as { code, line, column }. */
export function diagnoseYaml(text: string, opts?: CompileOptions): Brief[] {
  return compileYaml(text, opts).diagnostics.map(brief);
}

/** The diagnostics of YAML `text` as "CODE line:column" strings, in the compiler's order. */
export function shortYaml(text: string, opts?: CompileOptions): string[] {
  return compileYaml(text, opts).diagnostics.map((d) => `${d.code} ${d.line}:${d.column}`);
}

/** Only the diagnostics with this code, in full. */
export function yamlFindings(text: string, code: Code, opts?: CompileOptions) {
  return compileYaml(text, opts).diagnostics.filter((d) => d.code === code);
}

/** Indents every non-empty line of dedented `text` by `n` spaces. */
export function indent(text: string, n: number): string {
  return dedent(text)
    .split("\n")
    .map((l) => (l.trim() === "" ? "" : `${" ".repeat(n)}${l}`))
    .join("\n");
}

/** The line of a manifest() file where the first state starts. */
export const STATES_LINE = 8;

export interface ManifestOptions {
  /** metadata.name (line 4). Default `test`. */
  name?: string;
  /** spec.initial_state (line 6). Default `A`. */
  initial?: string;
  /** Extra metadata lines, dedented, put after `name` (they shift the states down). */
  metadata?: string;
  /** Extra spec lines, dedented, put after `states` (so positions of states are kept). */
  spec?: string;
}

/**
 * An AEGIS manifest around state definitions. The layout is fixed: the first state's name
 * is on line 8 at column 5, its fields from line 9 at column 7 (when no `metadata` lines
 * are given).
 *
 *   1  apiVersion: 100monkeys.ai/v1
 *   2  kind: Workflow
 *   3  metadata:
 *   4    name: test
 *   5  spec:
 *   6    initial_state: A
 *   7    states:
 *   8      <states…>
 *      <spec lines…>
 */
export function manifest(states: string, opts: ManifestOptions = {}): string {
  const lines = [
    "apiVersion: 100monkeys.ai/v1",
    "kind: Workflow",
    "metadata:",
    `  name: ${opts.name ?? "test"}`,
    ...(opts.metadata ? [indent(opts.metadata, 2)] : []),
    "spec:",
    `  initial_state: ${opts.initial ?? "A"}`,
    "  states:",
    indent(states, 4),
    ...(opts.spec ? [indent(opts.spec, 2)] : []),
  ];
  return `${lines.join("\n")}\n`;
}

/** The line of an agentos() file where the first step starts (`  - name: …`). */
export const STEPS_LINE = 5;

export interface AgentOsOptions {
  /** The `agents` list (line 3); `false` leaves a comment instead. Default [bot]. */
  agents?: string[] | false;
}

/**
 * An AgentOS workflow around steps. The layout is fixed: the first step's `- ` is on line 5
 * at column 3, its first field at column 5.
 *
 *   1  id: test
 *   2  name: Test
 *   3  agents: [bot]
 *   4  steps:
 *   5    - <steps…>
 */
export function agentos(steps: string, opts: AgentOsOptions = {}): string {
  const agents =
    opts.agents === false ? "# (no agents)" : `agents: [${(opts.agents ?? ["bot"]).join(", ")}]`;
  return `${["id: test", "name: Test", agents, "steps:", indent(steps, 2)].join("\n")}\n`;
}

/** The outgoing transitions of every state, as `SOURCE -> TARGET [label]`, in order. */
export function edges(result: CompileResult): string[] {
  const out: string[] = [];
  result.graph.forEachNode((name) => {
    for (const t of transitionsOf(result.graph, name))
      out.push(`${name} -> ${t.target} [${t.attributes.label}]`);
  });
  return out;
}

/** The outgoing transitions of one state, as `TARGET [label]`. */
export function edgesOf(result: CompileResult, state: string): string[] {
  return transitionsOf(result.graph, state).map((t) => `${t.target} [${t.attributes.label}]`);
}

/** The state names of the graph, in declaration order. */
export function states(result: CompileResult): string[] {
  return result.graph.nodes();
}

/** One state of the graph (throws if it does not exist, so a test fails with its name). */
export function node(result: CompileResult, name: string): StateNode {
  if (!result.graph.hasNode(name))
    throw new Error(`no state '${name}'; states are ${result.graph.nodes().join(", ")}`);
  return result.graph.getNodeAttributes(name);
}

/** An expression of the graph (a loop's `until`, a foreach's list) as text. */
export { printExpr };

/** The error-level diagnostics only, as "CODE line:column message". */
export function errors(result: CompileResult): string[] {
  return result.diagnostics
    .filter((d) => d.severity === "error")
    .map((d) => `${d.code} ${d.line}:${d.column} ${d.message}`);
}
