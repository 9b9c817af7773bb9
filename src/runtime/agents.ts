// Agents as an engine calls them: a declared agent with its run-time override (an agents
// file, the engine's `agents`) or a supplied function, and the check made before a run
// starts — every agent the workflow (and every subworkflow it embeds) can call has a
// provider, and every override names an agent the workflow has. Without it a typo in an
// agents file left an agent without a provider, and a panel with `min_judges` passed
// without that judge.
import { didYouMean } from "../compiler/diagnostics.ts";
import type { AgentSpec, GraphDocument, StateNode, TemplateRef } from "../compiler/graph.ts";
import { providers } from "../compiler/providers.ts";
import type { AgentOverride } from "./store/types.ts";
import { type AgentFunction, RuntimeError } from "./types.ts";

/** An agents file's entry: a provider and its options, given flat or under `options`. */
export type AgentOverrideInput = AgentOverride | (Record<string, unknown> & { provider?: string });

const noSpan = { file: "<agents>", start: 0, end: 0 };

/** An agents file's entries as overrides: `{provider, command}` → `{provider, options: {command}}`. */
export function normalizeAgentOverrides(
  agents: Record<string, AgentOverrideInput> | undefined,
): Record<string, AgentOverride> {
  const out: Record<string, AgentOverride> = {};
  for (const [name, entry] of Object.entries(agents ?? {})) {
    if (!entry || typeof entry !== "object") continue;
    const { provider, options, ...flat } = entry as Record<string, unknown>;
    out[name] = {
      ...(typeof provider === "string" && { provider: provider as AgentSpec["provider"] }),
      options: { ...(options as Record<string, unknown> | undefined), ...flat },
    };
  }
  return out;
}

/** A declared agent with an override applied: same provider → options merged; another → replaced. */
export function mergeAgent(
  name: string,
  declared: AgentSpec | undefined,
  override: AgentOverride | undefined,
): AgentSpec | undefined {
  if (!override) return declared;
  const base: AgentSpec = declared ?? { name, options: {}, span: noSpan };
  const same = !override.provider || override.provider === base.provider;
  const provider = override.provider ?? base.provider;
  return {
    ...base,
    ...(provider !== undefined && { provider }),
    options: same ? { ...base.options, ...override.options } : { ...override.options },
  };
}

/**
 * What an engine calls for the agent `name` of a workflow: a function supplied under the
 * name wins; else the declared agent with its override — or, when that cannot be called,
 * why (`missing`, a sentence naming the agent).
 */
export function resolveAgent(
  name: string,
  declared: AgentSpec | undefined,
  override: AgentOverride | undefined,
  functions: Record<string, AgentFunction>,
  workflow: string,
): { spec: AgentSpec } | { missing: string } {
  if (Object.hasOwn(functions, name))
    return { spec: { name, provider: "function", options: { name }, span: noSpan } };
  const spec = mergeAgent(name, declared, override);
  if (!spec) return { missing: `no agent '${name}' is declared in workflow '${workflow}'` };
  if (spec.provider === undefined) return { missing: `agent '${name}' has no provider` };
  if (spec.provider === "function") {
    const fn = String(spec.options.name ?? spec.name);
    return Object.hasOwn(functions, fn)
      ? { spec }
      : {
          missing: `agent '${name}' is a function agent, and no function '${fn}' was supplied`,
        };
  }
  // An override may change the provider without the options it needs (`"command"` with
  // its command misspelt): such an agent cannot be called either.
  const info = Object.hasOwn(providers, spec.provider) ? providers[spec.provider] : undefined;
  const absent = info?.required.filter((option) => spec.options[option] === undefined) ?? [];
  if (absent.length > 0)
    return {
      missing: `agent '${name}' (${spec.provider}) has no '${absent.join("', '")}' option`,
    };
  return { spec };
}

/** How to give an agent (or several, `name` the first) a provider, for messages. */
export function supplyHint(name: string, several = false): string {
  return (
    `give ${several ? "each a provider" : "it one"} in an agents file (aegis run --agents FILE, with ` +
    `{"agents": {"${name}": {"provider": "command", "command": "…"}}}) or, in a program, ` +
    `as createEngine({ functions: { "${name}": async (call) => "…" } })`
  );
}

interface Workflow {
  /** "" for the workflow run; "subworkflow 'a' › 'b'" for embedded ones. */
  where: string;
  name: string;
  agents: Record<string, AgentSpec>;
  /** Agent name → the states that call it. */
  calls: Map<string, string[]>;
  /** Names rendered at run time (`agent "review-{{input.lang}}"`), as patterns. */
  patterns: RegExp[];
}

/** The agents a state calls by name (a templated name is known only when it runs). */
function agentsOf(node: StateNode): string[] {
  const names: string[] = [];
  if (node.agent && !node.agentTemplate) names.push(node.agent);
  if (node.handler?.agent) names.push(node.handler.agent);
  for (const judge of node.judges ?? []) names.push(judge.agent);
  if (node.coordinate) names.push(node.coordinate.router, ...node.coordinate.specialists);
  return names;
}

function pattern(template: TemplateRef): RegExp {
  const literal = template.text
    .split(/\{\{[\s\S]*?\}\}/)
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${literal.join("[\\s\\S]*")}$`);
}

/** The workflow and the subworkflows embedded in it (at any depth). */
function workflowsOf(document: GraphDocument, where = "", out: Workflow[] = []): Workflow[] {
  const attributes = document.graph.attributes as { name?: string; agents?: Workflow["agents"] };
  const workflow: Workflow = {
    where,
    name: attributes?.name ?? "?",
    agents: attributes?.agents ?? {},
    calls: new Map(),
    patterns: [],
  };
  for (const { key, attributes: node } of document.graph.nodes ?? []) {
    if (!node) continue;
    if (node.agentTemplate) workflow.patterns.push(pattern(node.agentTemplate));
    for (const agent of agentsOf(node)) {
      const states = workflow.calls.get(agent) ?? [];
      if (!states.includes(key)) states.push(key);
      workflow.calls.set(agent, states);
    }
  }
  out.push(workflow);
  for (const [alias, sub] of Object.entries(document.subworkflows ?? {})) {
    workflowsOf(sub, where ? `${where} › '${alias}'` : `subworkflow '${alias}'`, out);
  }
  return out;
}

/** Per document, as the engine's loaded graphs: a thousand runs of one workflow, one walk. */
const analysed = new WeakMap<GraphDocument, Workflow[]>();

function plural(n: number, one: string, many: string): string {
  return n === 1 ? one : many;
}

/**
 * Refuses a run that could call an agent it cannot: with "agent-unknown" when an override
 * names an agent neither the workflow nor its subworkflows have (with "did you mean"),
 * else with "agent-no-provider" when any agent a state calls — on whatever path — has no
 * provider once overrides and functions are applied.
 */
export function checkAgents(
  document: GraphDocument,
  overrides: Record<string, AgentOverride>,
  functions: Record<string, AgentFunction>,
  options: {
    unknown: boolean;
    providers: boolean;
    /** A stopped run to be continued (resume, signal), not a new one. */
    continued?: boolean;
  },
): void {
  let workflows = analysed.get(document);
  if (!workflows) {
    workflows = workflowsOf(document);
    analysed.set(document, workflows);
  }
  const main = workflows[0]!;
  if (options.unknown) {
    const known = new Set<string>();
    for (const w of workflows) {
      for (const name of Object.keys(w.agents)) known.add(name);
      for (const name of w.calls.keys()) known.add(name);
    }
    const unknown = Object.keys(overrides).filter(
      (name) => !known.has(name) && !workflows.some((w) => w.patterns.some((p) => p.test(name))),
    );
    if (unknown.length > 0) {
      const listed = unknown.map((name) => {
        const hint = didYouMean(name, known);
        return `'${name}'${hint ? ` (did you mean '${hint}'?)` : ""}`;
      });
      const names = [...known].sort().map((n) => `'${n}'`);
      const what =
        unknown.length === 1
          ? `agent ${listed[0]} is given a provider but is not an agent`
          : `agents ${listed.join(", ")} are given providers but are not agents`;
      throw new RuntimeError(
        "agent-unknown",
        `${what} of workflow '${main.name}'; its agents are ${names.join(", ") || "none"}`,
      );
    }
  }
  if (!options.providers) return;
  const problems: string[] = [];
  let first: string | undefined;
  for (const w of workflows) {
    for (const [name, states] of w.calls) {
      const declared = Object.hasOwn(w.agents, name) ? w.agents[name] : undefined;
      const resolved = resolveAgent(name, declared, overrides[name], functions, w.name);
      if (!("missing" in resolved)) continue;
      first ??= name;
      const where = `${plural(states.length, "state", "states")} ${states.join(", ")}${w.where ? ` of ${w.where}` : ""}`;
      problems.push(`${resolved.missing} (${where})`);
    }
  }
  if (problems.length === 0) return;
  const what =
    problems.length === 1
      ? `${problems[0]}: `
      : `${problems.length} of its agents cannot be called:\n${problems.map((p) => `  - ${p}`).join("\n")}\n`;
  throw new RuntimeError(
    "agent-no-provider",
    `workflow '${main.name}' cannot ${options.continued ? "go on" : "start"}: ${what}${supplyHint(first!, problems.length > 1)}`,
  );
}
