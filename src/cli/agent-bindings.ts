// `aegis run --agent NAME=INSTANCE`: one of the workflow's agents bound to an agent for
// this run, as AgentOS's `agentos workflow run feature-build --agent
// architect=my-architect-instance` assigns one of a workflow's agents to an agent instance.
// What aegis has for an instance, INSTANCE is:
//   - an entry of the agents file (--agents) by its name: `--agent architect=planner`;
//   - else a provider: `claude`, `gemini`, `opencode`, `codex`, or one with its argument,
//     `command:node coder.js`, `openai:URL`, `function:NAME`.
// Bindings are overrides as an agents file's entries are (they win over the file's), kept
// with the run for signal and resume, and go through the same checks when the run starts:
// a NAME the workflow has no agent for is agent-unknown (with did you mean, naming the
// --agent), an agent left without what it needs is agent-no-provider.
import { didYouMean } from "../compiler/diagnostics.ts";
import type { GraphDocument } from "../compiler/graph.ts";
import { isProvider, providers } from "../compiler/providers.ts";
import { checkAgents, normalizeAgentOverrides } from "../runtime/agents.ts";
import type { AgentOverrideInput } from "../runtime/engine.ts";
import { RuntimeError } from "../runtime/types.ts";
import type { AgentsFile } from "./agents-file.ts";

export interface AgentBindings {
  /** Agent name → its override, as an agents file's entry. */
  agents: Record<string, AgentOverrideInput>;
  /** Agent name → the --agent that bound it, for messages. */
  given: Record<string, string>;
}

/** The instances a provider name stands for, for messages. */
function providerForms(): string {
  return Object.entries(providers)
    .map(([name, info]) =>
      info.positional ? `${name}:${info.positional.option.toUpperCase()}` : name,
    )
    .join(", ");
}

/** Reads the --agent values; a malformed one is a RuntimeError "agent-binding". */
export function parseAgentBindings(values: readonly string[], file?: AgentsFile): AgentBindings {
  const bindings: AgentBindings = { agents: {}, given: {} };
  for (const value of values) {
    const eq = value.indexOf("=");
    const name = eq < 0 ? "" : value.slice(0, eq).trim();
    const instance = eq < 0 ? "" : value.slice(eq + 1).trim();
    if (!name || !instance)
      throw new RuntimeError(
        "agent-binding",
        `--agent ${value}: give NAME=INSTANCE, an agent of the workflow and what runs it (e.g. --agent coder=claude, --agent coder=command:./coder.sh)`,
      );
    if (Object.hasOwn(bindings.agents, name))
      throw new RuntimeError(
        "agent-binding",
        `--agent ${value}: agent '${name}' is already bound (--agent ${bindings.given[name]})`,
      );
    bindings.agents[name] = instanceOf(value, instance, file);
    bindings.given[name] = value;
  }
  return bindings;
}

function instanceOf(value: string, instance: string, file?: AgentsFile): AgentOverrideInput {
  const entries = file?.agents ?? {};
  // An entry of the agents file, copied: the bound agent gets that entry's provider.
  if (Object.hasOwn(entries, instance)) return structuredClone(entries[instance]!);
  const colon = instance.indexOf(":");
  const provider = colon < 0 ? instance : instance.slice(0, colon);
  if (isProvider(provider)) {
    if (colon < 0) return { provider };
    const argument = instance.slice(colon + 1);
    const positional = providers[provider].positional;
    if (!positional || argument.trim() === "")
      throw new RuntimeError(
        "agent-binding",
        positional
          ? `--agent ${value}: '${provider}:' needs its ${positional.option} after the colon`
          : `--agent ${value}: the ${provider} provider takes no argument; give its options in an agents file entry and bind that (--agent NAME=ENTRY)`,
      );
    return { provider, [positional.option]: argument };
  }
  const candidates = [...Object.keys(providers), ...Object.keys(entries)];
  const hint = didYouMean(instance, candidates);
  throw new RuntimeError(
    "agent-binding",
    `--agent ${value}: '${instance}' is neither a provider (${providerForms()}) nor an entry of ${file ? "the agents file" : "an agents file (--agents FILE)"}${hint ? `; did you mean '${hint}'?` : ""}`,
  );
}

/**
 * A run's start, refused with the --agent to blame when a binding names no agent of the
 * workflow: the engine's agent-unknown is about all overrides (the agents file's too).
 */
export async function namingBindings<T>(
  bindings: AgentBindings,
  document: () => GraphDocument,
  call: Promise<T>,
): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (
      (error as RuntimeError).code !== "agent-unknown" ||
      Object.keys(bindings.given).length === 0
    )
      throw error;
    const check = (names: string[]) =>
      checkAgents(
        document(),
        normalizeAgentOverrides(Object.fromEntries(names.map((n) => [n, bindings.agents[n]!]))),
        {},
        { unknown: true, providers: false },
      );
    const unknown = Object.keys(bindings.given).filter((name) => {
      try {
        check([name]);
        return false;
      } catch {
        return true;
      }
    });
    if (unknown.length === 0) throw error; // the agents file's
    try {
      check(unknown);
    } catch (own) {
      const flags = unknown.map((n) => `--agent ${bindings.given[n]}`).join(", ");
      throw new RuntimeError("agent-unknown", `${flags}: ${(own as Error).message}`);
    }
    throw error;
  }
}
