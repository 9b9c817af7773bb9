// What a run waiting at a human gate shows a client (the web viewer, MCP): the gate, its
// rendered prompt, whether it asks for an approval or a response, who may answer it, and
// whether the one asking may. Answers are still authorized on every signal (routes/runs.ts).
import type { GateView } from "../api/runs.ts";
import type { RunRecord } from "../runtime/types.ts";
import { authorize, gateRule, type Principal, type ServerConfig } from "./config.ts";
import type { Registry } from "./registry.ts";

export function gateView(
  record: RunRecord,
  version: string,
  registry: Registry,
  config: Pick<ServerConfig, "gates">,
  principal: Principal,
): GateView | undefined {
  const waiting = record.status === "waiting" ? record.waiting : undefined;
  if (!waiting) return undefined;
  const rule = gateRule(config, record.workflow);
  return {
    state: waiting.state,
    prompt: waiting.prompt,
    since: waiting.since,
    ...(waiting.timeoutAt !== undefined && { timeoutAt: waiting.timeoutAt }),
    ...(waiting.default !== undefined && { default: waiting.default }),
    asks: asks(registry, record.workflow, version, waiting.state),
    who:
      rule === null ? null : { users: [...(rule?.users ?? [])], roles: [...(rule?.roles ?? [])] },
    mayAnswer: authorize(config, principal, record.workflow).allowed,
  };
}

/**
 * A gate whose transitions test `approved` or `rejected` asks for an approval; one whose
 * transitions read only its response asks for a response. A version the registry does not
 * hold (a subworkflow's, embedded in its parent) is taken to ask for an approval.
 */
function asks(
  registry: Registry,
  workflow: string,
  version: string,
  state: string,
): GateView["asks"] {
  const stored = registry.version(workflow, version);
  if (!stored) return "approval";
  // The stored document's edges as they are (a deployed document's hash was checked when
  // it was deployed): no graph is loaded for a GET.
  const labels = (stored.document.graph.edges ?? [])
    .filter((edge) => edge.source === state)
    .map((edge) => String((edge.attributes as { label?: unknown } | undefined)?.label ?? ""));
  if (labels.length === 0) return "approval";
  const approval = labels.some((label) => /\b(approved|rejected)\b/.test(label));
  return approval || labels.every((label) => label === "") ? "approval" : "response";
}
