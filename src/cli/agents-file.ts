// An agents file: the providers a workflow's agents use on this machine, so that the same
// workflow runs with local scripts on a laptop and with the real CLIs in CI.
//
//   { "agents": { "coder": { "provider": "command", "command": "node coder.js" } },
//     "workdir": "../agents" }
//
// Each entry is a provider and its options (flat, or under "options"). "workdir", if
// given, is where the run works (relative to the agents file): states' commands and
// agents start there.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { providers } from "../compiler/providers.ts";
import type { AgentOverrideInput } from "../runtime/engine.ts";
import { RuntimeError } from "../runtime/types.ts";

export interface AgentsFile {
  agents: Record<string, AgentOverrideInput>;
  /** Absolute. */
  workdir?: string;
}

export function readAgentsFile(path: string): AgentsFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const why =
      (error as NodeJS.ErrnoException).code === "ENOENT"
        ? "no such file"
        : (error as Error).message;
    throw new RuntimeError("agents-file", `cannot read the agents file ${path}: ${why}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new RuntimeError(
      "agents-file",
      `the agents file ${path} is not valid JSON: ${(error as Error).message}`,
    );
  }
  const problems: string[] = [];
  const file = value as { agents?: unknown; workdir?: unknown };
  if (
    !file ||
    typeof file !== "object" ||
    !file.agents ||
    typeof file.agents !== "object" ||
    Array.isArray(file.agents)
  ) {
    throw new RuntimeError(
      "agents-file",
      `the agents file ${path} has no "agents" object (e.g. {"agents": {"coder": {"provider": "command", "command": "…"}}})`,
    );
  }
  for (const [name, entry] of Object.entries(file.agents as Record<string, unknown>)) {
    if (!entry || typeof entry !== "object" || Array.isArray(entry)) {
      problems.push(`agents.${name}: must be an object with a "provider"`);
      continue;
    }
    const provider = (entry as { provider?: unknown }).provider;
    if (
      provider !== undefined &&
      (typeof provider !== "string" || !Object.hasOwn(providers, provider))
    ) {
      problems.push(
        `agents.${name}.provider: unknown provider ${JSON.stringify(provider)} (one of ${Object.keys(providers).join(", ")})`,
      );
    }
  }
  if (file.workdir !== undefined && typeof file.workdir !== "string")
    problems.push("workdir: must be a path");
  if (problems.length > 0) {
    throw new RuntimeError(
      "agents-file",
      `the agents file ${path} has ${problems.length === 1 ? "a problem" : `${problems.length} problems`}:\n${problems.map((p) => `  - ${p}`).join("\n")}`,
    );
  }
  return {
    agents: file.agents as Record<string, AgentOverrideInput>,
    ...(typeof file.workdir === "string" && { workdir: resolve(dirname(path), file.workdir) }),
  };
}
