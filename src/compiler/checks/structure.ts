// Structure: states and targets exist, there is a start and a final state, every
// transition can fire, every state is reachable and can reach an end, gates can reject.
import { hintFor } from "../diagnostics.ts";
import type { TransitionEdge } from "../graph.ts";
import type { Check } from "./context.ts";

export const checkStructure: Check = (ctx) => {
  const { ast, facts } = ctx;
  const wf = ast.workflow;
  if (!wf) return;
  const { states, nodes, indexOf } = facts;

  // Targets that name no state (the lowering left those edges out of the graph), and the
  // states a gate `protects`.
  for (const state of wf.states) {
    for (const t of state.transitions) {
      if (!indexOf.has(t.target.name)) {
        ctx.report({
          code: "AEG201",
          message: `transition to unknown state '${t.target.name}'`,
          span: t.target.span,
          ...hint(t.target.name, states),
        });
      }
    }
    for (const st of state.statements) {
      if (st.kind !== "protects") continue;
      for (const name of st.states) {
        if (indexOf.has(name.name)) continue;
        ctx.report({
          code: "AEG201",
          message: `gate '${state.name.name}' protects unknown state '${name.name}'`,
          span: name.span,
          ...hint(name.name, states),
        });
      }
    }
  }

  if (!wf.start) {
    ctx.report({
      code: "AEG203",
      message: `workflow '${wf.name.name}' has no start state`,
      span: wf.name.span,
      hint: states[0] ? `add \`start ${states[0]}\`` : "add states and a `start STATE` line",
    });
  } else if (!indexOf.has(wf.start.name)) {
    ctx.report({
      code: "AEG201",
      message: `start state '${wf.start.name}' does not exist`,
      span: wf.start.span,
      ...hint(wf.start.name, states),
    });
  }

  const finals: number[] = [];
  nodes.forEach((node, i) => {
    if (node.final) finals.push(i);
  });
  if (finals.length === 0 && states.length > 0) {
    ctx.report({
      code: "AEG210",
      message: `workflow '${wf.name.name}' has no final state`,
      span: wf.name.span,
      hint: "add `final DONE` and transitions to it",
    });
  }

  // The first declaration of each name is the one in the graph (duplicates are AEG202).
  const declarations = new Map<string, (typeof wf.states)[number]>();
  for (const s of wf.states) if (!declarations.has(s.name.name)) declarations.set(s.name.name, s);
  states.forEach((state, i) => {
    const node = nodes[i]!;
    const transitions = facts.transitions[i]!;
    const declared = declarations.get(state);
    // The lowering keeps a final state's transitions out of the graph: a run ends there.
    const first = declared?.transitions[0];
    if (node.final && first) {
      ctx.report({
        code: "AEG209",
        message: `final state '${state}' has transitions`,
        span: first.span,
        hint: "a run ends at a final state; make it a `state` or remove its transitions",
      });
    }
    if (!node.final && (declared?.transitions.length ?? transitions.length) === 0) {
      ctx.report({
        code: "AEG207",
        message: `state '${state}' has no transitions and is not final`,
        span: node.nameSpan,
        hint: `add transitions, or declare it \`final ${state}\``,
      });
    }
    // Transitions that can never fire (AEG204) are the conditions check's (checks/conditions.ts).
  });

  const start = facts.start;
  if (!start) return;
  const reachable = facts.reachable;
  states.forEach((state, i) => {
    if (!reachable.has(state)) {
      ctx.report({
        code: "AEG205",
        message: `state '${state}' cannot be reached from the start state '${start}'`,
        span: nodes[i]!.nameSpan,
      });
    }
  });

  // Backwards from the final states: which states can still finish?
  const canFinish = new Uint8Array(states.length);
  for (const f of finals) canFinish[f] = 1;
  const stack = [...finals];
  while (stack.length) {
    for (const p of facts.predecessors[stack.pop()!]!) {
      if (canFinish[p]) continue;
      canFinish[p] = 1;
      stack.push(p);
    }
  }
  states.forEach((state, i) => {
    if (reachable.has(state) && !canFinish[i] && facts.transitions[i]!.length > 0) {
      ctx.report({
        code: "AEG206",
        message: `no final state can be reached from state '${state}'`,
        span: nodes[i]!.nameSpan,
        hint: "add a transition that leads, directly or not, to a final state",
      });
    }
  });

  // Human gates need a way to say no.
  states.forEach((state, i) => {
    const node = nodes[i]!;
    if (node.kind !== "human" || !reachable.has(state)) return;
    const transitions = facts.transitions[i]!;
    if (transitions.length === 0) return;
    const handlesReject = transitions.some(
      (t) =>
        isUnconditional(t.attributes) ||
        /\b(rejected|response|failure|timeout|timed_out)\b|not approved/.test(t.attributes.label),
    );
    if (!handlesReject) {
      ctx.report({
        code: "AEG208",
        message: `human gate '${state}' has no transition for a rejection`,
        span: node.nameSpan,
        hint: 'add `on rejected -> STATE feedback "{{human.feedback}}"`',
      });
    }
  });
};

export function isUnconditional(edge: Pick<TransitionEdge, "otherwise" | "condition">): boolean {
  if (edge.otherwise) return true;
  const c = edge.condition;
  if (!c) return true;
  if (c.kind === "literal" && c.value === true) return true;
  const first = c.kind === "path" ? c.segments[0] : undefined;
  return (
    c.kind === "path" &&
    c.segments.length === 1 &&
    !!first &&
    "name" in first &&
    first.name === "always"
  );
}

function hint(word: string, candidates: string[]): { hint?: string } {
  const h = hintFor(word, candidates);
  return h ? { hint: h } : {};
}
