// One-line descriptions of states, shared by the pictures (Mermaid, DOT).
import type { AgentSpec, StateNode } from "../graph.ts";

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

/**
 * The session a state's agent calls continue: its own `session NAME`, else its agent's
 * (named after the agent) when the agent is declared with `session`.
 */
export function sessionOf(
  node: StateNode,
  agents: Readonly<Record<string, AgentSpec>> = {},
): string | undefined {
  if (node.kind !== "agent" && node.kind !== "loop" && node.kind !== "foreach") return undefined;
  if (node.session !== undefined) return node.session;
  const agent = node.agent;
  return agent !== undefined && Object.hasOwn(agents, agent) && agents[agent]!.session
    ? agent
    : undefined;
}

/**
 * E.g. "agent planner", "agent coder · session tdd", "final: failure · run". With the
 * workflow's agents, an agent declared with `session` shows its session too.
 */
export function describeState(
  node: StateNode,
  agents: Readonly<Record<string, AgentSpec>> = {},
): string {
  const session = sessionOf(node, agents);
  const what = `${action(node).trim()}${session !== undefined ? ` · session ${session}` : ""}`;
  if (!node.final) return what;
  const outcome = node.final === "failure" ? "final: failure" : "final";
  return what ? `${outcome} · ${what}` : outcome;
}
