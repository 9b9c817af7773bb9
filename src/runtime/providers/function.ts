// `function("name")`: an AgentFunction registered by the embedding program. It returns
// text (read like any agent's answer: JSON objects are parsed), an object (a partial reply
// — {output, score, confidence, reasoning, usage} — or, with other keys, the output
// itself), or nothing. A throw is the agent's failure.
import type { AgentSpec } from "../../compiler/graph.ts";
import type { AgentFunction, AgentProvider } from "../types.ts";
import { RuntimeError } from "../types.ts";
import { replyFromValue } from "./output.ts";
import { stringOption } from "./values.ts";

export function functionProvider(name: string, fn: AgentFunction): AgentProvider {
  return {
    async call(invocation) {
      let value: unknown;
      try {
        value = await fn(invocation);
      } catch (error) {
        if (error instanceof RuntimeError) throw error;
        throw new RuntimeError(
          "agent-function",
          `function agent '${name}' failed: ${(error as Error)?.message ?? String(error)}`,
        );
      }
      return replyFromValue(value);
    },
  };
}

/** The function a `function(…)` agent names (its `name` option, else the agent's name). */
export function functionName(spec: AgentSpec): string {
  return stringOption(spec.options.name) ?? spec.name;
}
