// Mermaid flowchart of a workflow graph. `highlight` marks states (e.g. where a run is) so
// the GitHub Action can show progress in a pull-request comment.
import { type StateNode, transitionsOf, type WorkflowGraph } from "../graph.ts";

export interface MermaidOptions {
  /** state → class name: "done" | "running" | "waiting" | "failed". */
  highlight?: Record<string, "done" | "running" | "waiting" | "failed">;
  direction?: "TD" | "LR";
}

function id(name: string): string {
  return `s_${name.replace(/[^A-Za-z0-9_]/g, "_")}`;
}

/** Mermaid labels are quoted strings: escape quotes and markup. */
function text(s: string): string {
  return s
    .replace(/"/g, "#quot;")
    .replace(/</g, "#lt;")
    .replace(/>/g, "#gt;")
    .replace(/\|/g, "#124;");
}

function describe(node: StateNode): string {
  switch (node.kind) {
    case "agent":
    case "loop":
    case "foreach":
      return `${node.kind === "agent" ? "" : `${node.kind} `}${node.agent ?? ""}`.trim();
    case "human":
      return "human gate";
    case "run":
      return "run";
    case "container":
      return node.image ? `container ${node.image.text}` : "container";
    case "parallel":
      return `parallel ×${node.judges?.length ?? 0}`;
    case "subworkflow":
      return `subworkflow ${node.subworkflow?.workflow ?? ""}`;
    case "coordinate":
      return `coordinate by ${node.coordinate?.router ?? ""}`;
    case "branch":
      return "branch";
    case "final":
      return node.final === "failure" ? "final: failure" : "final";
  }
}

function shape(node: StateNode, label: string): string {
  const l = `"${text(label)}"`;
  if (node.final) return `([${l}])`;
  if (node.kind === "human") return `{{${l}}}`;
  if (node.kind === "branch") return `{${l}}`;
  if (node.kind === "run" || node.kind === "container") return `[/${l}/]`;
  if (node.kind === "subworkflow") return `[[${l}]]`;
  return `[${l}]`;
}

export function toMermaid(graph: WorkflowGraph, options: MermaidOptions = {}): string {
  const lines = [`flowchart ${options.direction ?? "TD"}`];
  const start = graph.getAttribute("start");
  if (start && graph.hasNode(start)) lines.push(`  start_((start)) --> ${id(start)}`);
  graph.forEachNode((name, node) => {
    lines.push(
      `  ${id(name)}${shape(node, `${name}<br/>${describe(node)}`.replace(/<br\/>$/, ""))}`,
    );
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
