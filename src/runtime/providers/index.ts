// Agent providers: from a declared agent (src/compiler/graph.ts AgentSpec, its options as
// src/compiler/providers.ts lists them) to something that answers prompts.
import type { AgentSpec } from "../../compiler/graph.ts";
import type { AgentFunction, AgentProvider } from "../types.ts";
import { RuntimeError } from "../types.ts";
import { cliPresets, cliProvider } from "./cli.ts";
import { commandProvider } from "./command.ts";
import { functionName, functionProvider } from "./function.ts";
import { openaiProvider } from "./openai.ts";

export { cliArgv, cliPresets, firstTurn } from "./cli.ts";
export { parseAgentOutput, replyFromValue } from "./output.ts";
export { resolveValue } from "./values.ts";

/**
 * The provider of a declared agent. An agent declared without a provider (`agent NAME`)
 * is supplied at run time: a function registered under its name, else a RuntimeError
 * "agent-missing" when it is called.
 */
export function createProvider(
  spec: AgentSpec,
  functions: Record<string, AgentFunction>,
): AgentProvider {
  switch (spec.provider) {
    case "claude":
    case "gemini":
    case "opencode":
    case "codex":
      return cliProvider(spec, cliPresets[spec.provider]);
    case "command":
      return commandProvider(spec);
    case "openai":
      return openaiProvider(spec);
    case "function":
    case undefined: {
      const name = spec.provider === "function" ? functionName(spec) : spec.name;
      const fn = Object.hasOwn(functions, name) ? functions[name] : undefined;
      if (fn) return functionProvider(name, fn);
      return {
        call() {
          const why =
            spec.provider === "function"
              ? `no function '${name}' is registered for agent '${spec.name}'`
              : `agent '${spec.name}' has no provider; supply it when the workflow runs (an agents file or a function)`;
          return Promise.reject(new RuntimeError("agent-missing", why));
        },
      };
    }
  }
}

/**
 * Resolves agent names to providers (cached): the declared agents, then functions
 * registered under the name. An unknown name is a RuntimeError "agent-missing".
 */
export function createAgentResolver(
  agents: Record<string, AgentSpec>,
  functions: Record<string, AgentFunction> = {},
): (name: string) => AgentProvider {
  const cache = new Map<string, AgentProvider>();
  return (name) => {
    let provider = cache.get(name);
    if (provider) return provider;
    const spec = Object.hasOwn(agents, name) ? agents[name] : undefined;
    if (spec) provider = createProvider(spec, functions);
    else if (Object.hasOwn(functions, name)) provider = functionProvider(name, functions[name]!);
    else throw new RuntimeError("agent-missing", `no agent '${name}' is declared or supplied`);
    cache.set(name, provider);
    return provider;
  };
}
