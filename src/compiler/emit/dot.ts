// Graphviz DOT of a workflow graph.
import { transitionsOf, type WorkflowGraph } from "../graph.ts";
import { describeState } from "./describe.ts";

function quote(s: string): string {
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

const shapes: Record<string, string> = {
  human: "hexagon",
  branch: "diamond",
  run: "parallelogram",
  container: "parallelogram",
  containers: "parallelogram",
  subworkflow: "component",
  parallel: "box3d",
};

export function toDot(graph: WorkflowGraph): string {
  const lines = [
    `digraph ${quote(graph.getAttribute("name") ?? "workflow")} {`,
    "  rankdir=TB;",
    '  node [shape=box, style=rounded, fontname="Helvetica"];',
    '  edge [fontname="Helvetica", fontsize=10];',
  ];
  const start = graph.getAttribute("start");
  if (start && graph.hasNode(start)) {
    lines.push('  "__start" [shape=point, width=0.15];');
    lines.push(`  "__start" -> ${quote(start)};`);
  }
  const agents = graph.getAttribute("agents") ?? {};
  graph.forEachNode((name, node) => {
    const attrs = [`label=${quote(`${name}\n${describeState(node, agents)}`)}`];
    if (node.final)
      attrs.push(`shape=doublecircle`, `color=${node.final === "failure" ? "red" : "darkgreen"}`);
    else if (shapes[node.kind]) attrs.push(`shape=${shapes[node.kind]}`);
    lines.push(`  ${quote(name)} [${attrs.join(", ")}];`);
  });
  graph.forEachNode((name) => {
    for (const t of transitionsOf(graph, name)) {
      const label = `${t.attributes.order + 1}. ${t.attributes.label}${t.attributes.feedback ? " (feedback)" : ""}`;
      lines.push(`  ${quote(name)} -> ${quote(t.target)} [label=${quote(label)}];`);
    }
  });
  lines.push("}");
  return `${lines.join("\n")}\n`;
}
