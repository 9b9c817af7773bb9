// One-line descriptions of states, shared by the pictures (Mermaid, DOT).
import type { StateNode } from "../graph.ts";

function action(node: StateNode): string {
  switch (node.kind) {
    case "agent":
      return `agent ${node.agent ?? ""}`;
    case "loop":
    case "foreach":
      return `${node.kind} ${node.agent ?? ""}`;
    case "human":
      return node.human?.default ? `human gate (default ${node.human.default})` : "human gate";
    case "run":
      return "run";
    case "container":
      return node.image ? `container ${node.image.text}` : "container";
    case "parallel":
      return `parallel ×${node.judges?.length ?? 0}`;
    case "subworkflow":
      return `subworkflow ${node.subworkflow?.workflow ?? ""}${node.subworkflow?.mode === "detached" ? " (detached)" : ""}`;
    case "coordinate":
      return `coordinate by ${node.coordinate?.router ?? ""}`;
    case "branch":
      return "branch";
    case "containers":
      return `containers ×${node.containers?.length ?? 0}`;
    case "final":
      return "";
  }
}

/** E.g. "agent planner", "final: failure · run". */
export function describeState(node: StateNode): string {
  const what = action(node).trim();
  if (!node.final) return what;
  const outcome = node.final === "failure" ? "final: failure" : "final";
  return what ? `${outcome} · ${what}` : outcome;
}
