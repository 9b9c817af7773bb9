// Agent sessions: a session is one agent's conversation, continued call after call. A
// session name used with two different agents is AEG511 — each state that says
// `session NAME` with a literal agent, and each agent declared with `session` (its session
// is named after it), gives the session its agent; every state whose agent differs from
// the first one given is reported. Agent templates are only known at run time: skipped.
// A `foreach` whose calls are in a session runs them one at a time, whatever its
// concurrency (one conversation cannot take two turns at once): AEG512 when it is above 1.
import type { Span, StateDecl } from "../ast.ts";
import type { Check } from "./context.ts";

/** The kinds whose own agent calls may continue a session. */
const sessionKinds: ReadonlySet<StateDecl["kind"]> = new Set(["agent", "loop", "foreach"]);

interface Owner {
  agent: string;
  /** Where the session got its agent, for the message. */
  where: string;
  /** The same, as a related location's message. */
  note: string;
  span: Span;
}

export const checkSessions: Check = (ctx) => {
  const wf = ctx.ast.workflow;
  if (!wf) return;
  const agents = ctx.graph.getAttribute("agents") ?? {};
  const declaredSession = (name: string) => Object.hasOwn(agents, name) && !!agents[name]!.session;
  const owners = new Map<string, Owner>();

  // An agent declared with `session`: the session named after it is its conversation.
  for (const decl of wf.agents) {
    const name = decl.name.name;
    if (!decl.session || owners.has(name) || !declaredSession(name)) continue;
    owners.set(name, {
      agent: name,
      where: `agent '${name}' is declared with \`session\``,
      note: `'${name}' is declared with \`session\` here: the session '${name}' is its conversation`,
      span: decl.session.span,
    });
  }

  for (const state of wf.states) {
    if (!sessionKinds.has(state.kind) || !state.agent || state.agentTemplate) continue;
    const setting = state.settings.find((s) => s.kind === "session");
    if (!setting) continue;
    const session = setting.name.name;
    const agent = state.agent.name;
    const owner = owners.get(session);
    if (!owner) {
      owners.set(session, {
        agent,
        where: `state ${state.name.name}`,
        note: `state ${state.name.name} continues session '${session}' with agent '${agent}' here`,
        span: setting.span,
      });
      continue;
    }
    if (owner.agent === agent) continue;
    ctx.report({
      code: "AEG511",
      message: `session '${session}' continues agent '${owner.agent}''s conversation (${owner.where}); state ${state.name.name} calls '${agent}'`,
      span: setting.span,
      related: [
        {
          file: ctx.file,
          span: owner.span,
          message: owner.note,
        },
      ],
      hint: `a session is one agent's conversation; give ${state.name.name} a session of its own`,
    });
  }

  for (const state of wf.states) {
    if (state.kind !== "foreach" || !state.agent) continue;
    const name = state.name.name;
    if (!ctx.graph.hasNode(name)) continue;
    const node = ctx.graph.getNodeAttributes(name);
    // A second state of the same name is not in the graph (AEG202).
    if (node.nameSpan.start !== state.name.span.start) continue;
    const concurrency = node.foreach?.concurrency ?? 1;
    if (concurrency <= 1) continue;
    const setting = state.settings.find((s) => s.kind === "session");
    const agent = state.agent.name;
    const session = setting ? setting.name.name : declaredSession(agent) ? agent : undefined;
    if (session === undefined) continue;
    const written = state.settings.find((s) => s.kind === "concurrency");
    ctx.report({
      code: "AEG512",
      message: `foreach state '${name}' has concurrency ${concurrency}${written ? "" : " (the default)"}, but its calls continue session '${session}': they will run one at a time, since one conversation cannot take two turns at once`,
      span: written?.span ?? setting?.span ?? state.agent.span,
      hint: `write \`concurrency 1\` to say so, or call an agent without a session to run the items side by side`,
    });
  }
};
