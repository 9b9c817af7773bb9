// The agent providers the language knows, and the options each one takes. The runtime's
// provider implementations (src/runtime/providers) follow this table.
import type { ProviderName } from "./graph.ts";

export type OptionType = "string" | "number" | "boolean" | "object" | "list" | "secret";

export interface ProviderInfo {
  summary: string;
  /** What a positional first argument means, if the provider takes one. */
  positional?: { option: string; type: OptionType };
  required: string[];
  options: Record<string, { type: OptionType; values?: readonly string[] }>;
}

const permission = { type: "string", values: ["read", "write", "full", "auto"] } as const;
const effort = { type: "string", values: ["low", "medium", "high", "max"] } as const;
const common = {
  model: { type: "string" },
  permission,
  env: { type: "object" },
  args: { type: "list" },
  cwd: { type: "string" },
} as const;

export const providers: Record<ProviderName, ProviderInfo> = {
  claude: {
    summary: "Anthropic's Claude Code CLI (`claude -p`)",
    required: [],
    options: { ...common, effort },
  },
  gemini: { summary: "Google's Gemini CLI (headless)", required: [], options: { ...common } },
  // opencode's variants are its providers' own names (high, max, minimal …).
  opencode: {
    summary: "OpenCode (`opencode run`)",
    required: [],
    options: { ...common, effort: { type: "string" } },
  },
  codex: {
    summary: "OpenAI Codex CLI (`codex exec`)",
    required: [],
    options: { ...common, effort },
  },
  command: {
    summary: "any command line; the prompt goes to stdin, an argument or a file",
    positional: { option: "command", type: "string" },
    required: ["command"],
    options: {
      command: { type: "string" },
      input: { type: "string", values: ["stdin", "arg", "file"] },
      output: { type: "string", values: ["text", "json"] },
      env: { type: "object" },
      cwd: { type: "string" },
    },
  },
  openai: {
    summary: "an OpenAI-compatible chat completions endpoint (OpenAI, Ollama, vLLM, llama.cpp)",
    positional: { option: "url", type: "string" },
    required: ["url", "model"],
    options: {
      url: { type: "string" },
      model: { type: "string" },
      api_key: { type: "secret" },
      system: { type: "string" },
      temperature: { type: "number" },
      max_tokens: { type: "number" },
      headers: { type: "object" },
      output: { type: "string", values: ["text", "json"] },
    },
  },
  function: {
    summary: "a function supplied by the embedding program",
    positional: { option: "name", type: "string" },
    required: [],
    options: { name: { type: "string" } },
  },
};

export function isProvider(name: string): name is ProviderName {
  return Object.hasOwn(providers, name);
}
