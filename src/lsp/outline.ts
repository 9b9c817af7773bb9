// The document's outline (the workflow, its inputs, agents and states) and its folding
// ranges (blocks and multi-line strings), from the syntax tree's spans.
import type { Span } from "../compiler/ast.ts";
import type { Analysis } from "./analysis.ts";

export interface OutlineItem {
  name: string;
  detail: string;
  kind: "workflow" | "input" | "agent" | "state" | "context";
  span: Span;
  nameSpan: Span;
  children: OutlineItem[];
}

export function outline(a: Analysis): OutlineItem[] {
  const wf = a.ast.workflow;
  if (!wf) return [];
  const children: OutlineItem[] = [
    ...wf.inputs.map((i) => ({
      name: i.name.name,
      detail: "input",
      kind: "input" as const,
      span: i.span,
      nameSpan: i.name.span,
      children: [],
    })),
    ...wf.agents.map((ag) => ({
      name: ag.name.name,
      detail: ag.provider ? `agent = ${ag.provider.name}` : "agent",
      kind: "agent" as const,
      span: ag.span,
      nameSpan: ag.name.span,
      children: [],
    })),
    ...wf.states.map((s) => ({
      name: s.name.name,
      detail: s.final ? `final ${s.final.outcome}` : s.kind,
      kind: "state" as const,
      span: s.span,
      nameSpan: s.name.span,
      children: [],
    })),
  ];
  return [
    {
      name: wf.name.name,
      detail: "workflow",
      kind: "workflow",
      span: wf.span,
      nameSpan: wf.name.span,
      children,
    },
  ];
}

/** Spans that fold: the workflow, each state with a body, each multi-line string. */
export function foldingSpans(a: Analysis): Span[] {
  const out: Span[] = [];
  const wf = a.ast.workflow;
  if (!wf) return out;
  out.push(wf.span);
  for (const s of wf.states) out.push(s.span);
  for (const m of a.text.matchAll(/"""[\s\S]*?"""/g))
    out.push({ start: m.index, end: m.index + m[0].length });
  return out;
}
