// What an agent, loop or foreach state gives its own agent with each call: the session the
// call continues (the state's `session NAME`), and the state's `options` (AgentOS's step
// `config`, the input of its function), their template strings rendered for this call (with
// the call's locals: the item, the iteration …).
import type { Locals } from "../scope.ts";
import type { Attempt } from "./attempt.ts";

/** `{ session, options }` for a call of the state's agent, each when the state has it. */
export function callOptions(
  a: Attempt,
  locals: Locals = {},
): { options?: Record<string, unknown>; session?: string } {
  const node = a.state;
  const session = node.session !== undefined ? { session: node.session } : {};
  if (!node.options) return session;
  // A copy per call: the graph's value is shared by every call and every run.
  const options = structuredClone(node.options);
  for (const { path, template } of node.optionTemplates ?? []) {
    let holder: unknown = options;
    for (const key of path.slice(0, -1))
      holder = (holder as Record<string | number, unknown> | undefined)?.[key];
    const last = path.at(-1);
    if (holder && typeof holder === "object" && last !== undefined)
      (holder as Record<string | number, unknown>)[last] = a.render(template, locals);
  }
  return { ...session, options };
}
