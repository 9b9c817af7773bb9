// Mermaid flowchart of a workflow graph. `highlight` marks states (e.g. where a run is) so
// the GitHub Action can show progress in a pull-request comment.
import {
  type StateNode,
  transitionsOf,
  type WorkflowAttributes,
  type WorkflowGraph,
} from "../graph.ts";
import { describeState } from "./describe.ts";

export interface MermaidOptions {
  /** state → class name: "done" | "running" | "waiting" | "failed". */
  highlight?: Record<string, "done" | "running" | "waiting" | "failed">;
  direction?: "TD" | "LR";
}

/** A Mermaid node id, distinct for distinct names: `_` is doubled, others become `_xHH_`. */
function id(name: string): string {
  return `s_${name.replace(/[^A-Za-z0-9]/g, (c) => (c === "_" ? "__" : `_x${c.charCodeAt(0).toString(16)}_`))}`;
}

/** Mermaid labels are quoted strings: escape quotes and markup. */
function text(s: string): string {
  return s
    .replace(/"/g, "#quot;")
    .replace(/</g, "#lt;")
    .replace(/>/g, "#gt;")
    .replace(/\|/g, "#124;");
}

function shape(node: StateNode, name: string, agents: WorkflowAttributes["agents"]): string {
  const description = describeState(node, agents);
  const l = `"${text(name)}${description ? `<br/>${text(description)}` : ""}"`;
  if (node.final) return `([${l}])`;
  if (node.kind === "human") return `{{${l}}}`;
  if (node.kind === "branch") return `{${l}}`;
  if (node.kind === "run" || node.kind === "container" || node.kind === "containers")
    return `[/${l}/]`;
  if (node.kind === "subworkflow") return `[[${l}]]`;
  return `[${l}]`;
}

export function toMermaid(graph: WorkflowGraph, options: MermaidOptions = {}): string {
  const lines = [`flowchart ${options.direction ?? "TD"}`];
  const start = graph.getAttribute("start");
  if (start && graph.hasNode(start)) lines.push(`  start_((start)) --> ${id(start)}`);
  const agents = graph.getAttribute("agents") ?? {};
  graph.forEachNode((name, node) => {
    lines.push(`  ${id(name)}${shape(node, name, agents)}`);
  });
  graph.forEachNode((name) => {
    for (const t of transitionsOf(graph, name)) {
      const label = t.attributes.label + (t.attributes.feedback ? " ↩ feedback" : "");
      lines.push(`  ${id(name)} -->|"${text(label)}"| ${id(t.target)}`);
    }
  });
  const highlight = options.highlight ?? {};
  if (Object.keys(highlight).length > 0) {
    lines.push("  classDef done fill:#d4f8d4,stroke:#2da44e");
    lines.push("  classDef running fill:#fff3c4,stroke:#bf8700,stroke-width:3px");
    lines.push("  classDef waiting fill:#ddf4ff,stroke:#0969da,stroke-width:3px");
    lines.push("  classDef failed fill:#ffebe9,stroke:#cf222e");
    for (const [state, cls] of Object.entries(highlight))
      if (graph.hasNode(state)) lines.push(`  class ${id(state)} ${cls}`);
  }
  return `${lines.join("\n")}\n`;
}
