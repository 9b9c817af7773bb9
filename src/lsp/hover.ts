// Hover: what a name under the cursor is. A state: its kind, agent, limits and whether the
// compiler can bound its visits; an input: its type, default and description; an agent: its
// provider and options; a state read by a template or a condition: whether it has run on
// every path to the state that reads it.
import { visitBounds } from "../compiler/checks/bounds.ts";
import { formatDuration } from "../compiler/expression.ts";
import type { InputType } from "../compiler/graph.ts";
import type { Analysis, NameUse } from "./analysis.ts";

function typeText(t: InputType): string {
  if (t.type === "list") return `list<${typeText(t.items)}>`;
  if (t.type === "enum") return t.values.map((v) => JSON.stringify(v)).join(" | ");
  return t.type;
}

export function hoverText(a: Analysis, at: NameUse & { declaration: boolean }): string | undefined {
  const g = a.result.graph;
  switch (at.kind) {
    case "state": {
      const node = a.node(at.name);
      if (!node) return undefined;
      const lines = [`**state ${at.name}**: ${node.final ? `final (${node.final})` : node.kind}`];
      if (node.agent) lines.push(`agent \`${node.agent}\``);
      const limits: string[] = [];
      if (node.timeoutMs !== undefined) limits.push(`timeout ${formatDuration(node.timeoutMs)}`);
      if (node.visits !== undefined) limits.push(`at most ${node.visits} visits`);
      if (node.retry) limits.push(`retry ${node.retry.max}`);
      if (limits.length) lines.push(limits.join(", "));
      // What the bounds check proves of it: how often a run can enter it, at worst.
      const facts = a.facts;
      const index = facts?.indexOf.get(at.name);
      if (facts && index !== undefined && facts.reachable.has(at.name)) {
        const bound = visitBounds(facts)[index];
        lines.push(
          bound === undefined
            ? "worst case: visits not bounded"
            : `worst case: ${bound} visit${bound === 1 ? "" : "s"} a run${node.timeoutMs !== undefined ? `, ${formatDuration(bound * node.timeoutMs)}` : ""}`,
        );
      }
      if (at.from && at.from !== at.name && a.facts) {
        lines.push(
          a.facts.mustHaveRun(at.from, at.name)
            ? `has run on every path to ${at.from}`
            : `may not have run when ${at.from} reads it (not on every path)`,
        );
      }
      const w = a.result.worstCase;
      if (w.agentCalls !== undefined)
        lines.push(`workflow worst case: ${w.agentCalls} agent calls`);
      return lines.join("\n\n");
    }
    case "input": {
      const schema = g.getAttribute("inputs")?.find((i) => i.name === at.name);
      if (!schema) return undefined;
      const lines = [
        `**input ${at.name}**: \`${typeText(schema.type)}\`${schema.required ? " (required)" : ""}`,
      ];
      if (schema.default !== undefined) lines.push(`default \`${JSON.stringify(schema.default)}\``);
      if (schema.description) lines.push(schema.description);
      return lines.join("\n\n");
    }
    case "agent": {
      const spec = g.getAttribute("agents")?.[at.name];
      if (!spec) return undefined;
      const options = Object.entries(spec.options)
        .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
        .join(", ");
      return [
        `**agent ${at.name}**: ${spec.provider ?? "supplied when the run starts"}${spec.session ? " (one session per run)" : ""}`,
        ...(options ? [options] : []),
      ].join("\n\n");
    }
    case "context": {
      const context = g.getAttribute("context") as Record<string, unknown> | undefined;
      if (!context || !Object.hasOwn(context, at.name)) return undefined;
      return `**context ${at.name}** = \`${JSON.stringify(context[at.name])}\``;
    }
    case "childInput": {
      const child = at.alias ? a.result.imports.get(at.alias) : undefined;
      const schema = child?.graph.getAttribute("inputs")?.find((i) => i.name === at.name);
      if (!schema) return undefined;
      return `**input ${at.name}** of subworkflow \`${at.alias}\`: \`${typeText(schema.type)}\`${schema.description ? `\n\n${schema.description}` : ""}`;
    }
    case "import": {
      const imp = a.ast.imports.find((i) => i.alias.name === at.name);
      return imp && `**subworkflow ${at.name}**: \`${imp.path}\``;
    }
  }
}
