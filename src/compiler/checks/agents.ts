// Agents and subworkflows: every agent a state uses is declared and every declared agent is
// used; subworkflow states name an imported workflow; imports are used.
import { hintFor } from "../diagnostics.ts";
import type { SourceSpan } from "../graph.ts";
import type { Check } from "./context.ts";

export const checkAgents: Check = (ctx) => {
  const { graph, ast } = ctx;
  const agents = graph.getAttribute("agents");
  const declared = Object.keys(agents);
  const used = new Set<string>();
  const wf = ast.workflow;
  if (!wf) return;
  const use = (name: string, span: SourceSpan | { start: number; end: number }) => {
    used.add(name);
    if (Object.hasOwn(agents, name)) return;
    const h = hintFor(name, declared);
    ctx.report({
      code: "AEG501",
      message: `agent '${name}' is not declared`,
      span,
      hint:
        h ??
        `declare it: \`agent ${name} = claude(model: "…")\`, or \`agent ${name}\` to supply it at run time`,
    });
  };
  for (const state of wf.states) {
    if (state.agent) use(state.agent.name, state.agent.span);
    for (const s of state.specialists ?? []) use(s.name, s.span);
    if (state.router) use(state.router.name, state.router.span);
    for (const st of state.statements) if (st.kind === "judge") use(st.agent.name, st.agent.span);
  }
  for (const decl of wf.agents) {
    if (!used.has(decl.name.name)) {
      ctx.report({
        code: "AEG502",
        message: `agent '${decl.name.name}' is declared but no state uses it`,
        span: decl.name.span,
      });
    }
  }

  const aliases = new Set(ast.imports.map((i) => i.alias.name));
  const usedImports = new Set<string>();
  for (const state of wf.states) {
    if (!state.workflowRef) continue;
    const name = state.workflowRef.name;
    usedImports.add(name);
    if (!aliases.has(name)) {
      ctx.report({
        code: "AEG505",
        message: `subworkflow '${name}' is not imported`,
        span: state.workflowRef.span,
        hint:
          hintFor(name, aliases) ??
          `add \`import "./${name}.aegis" as ${name}\` before the workflow`,
      });
    }
  }
  for (const imp of ast.imports) {
    if (!usedImports.has(imp.alias.name)) {
      ctx.report({
        code: "AEG508",
        message: `imported workflow '${imp.alias.name}' is not used`,
        span: imp.alias.span,
      });
    }
  }
};
