// Agents that are programs: `command("…")` (any command line) and the coding-agent CLIs
// (`claude`, `gemini`, `opencode`, `codex`), which are command lines built from a table of
// their documented non-interactive flags. Every such agent gets the environment variables
// AEGIS_IDEMPOTENCY_KEY, AEGIS_RUN_ID, AEGIS_STATE and AEGIS_AGENT (and AEGIS_INTENT when
// the state has an intent). A non-zero exit is a reply with its exit_code (the executor
// counts it as a failure); a program that cannot start, a timeout, a cancellation or an
// answer longer than the output limit (1 MiB) is a thrown RuntimeError.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AgentSpec } from "../../compiler/graph.ts";
import { type CommandLine, runProcess } from "../process.ts";
import { shellQuote } from "../render.ts";
import type { AgentInvocation, AgentProvider, AgentReply } from "../types.ts";
import { RuntimeError } from "../types.ts";
import { parseAgentOutput, parseJsonObject } from "./output.ts";
import { stringList, stringMap, stringOption } from "./values.ts";

/** Milliseconds between SIGTERM and SIGKILL when an agent is stopped. */
export const AGENT_KILL_GRACE_MS = 2000;

interface Run {
  command: CommandLine;
  input?: string;
  env: Record<string, string>;
  cwd?: string;
}

function agentEnv(
  invocation: AgentInvocation,
  extra: Record<string, string>,
): Record<string, string> {
  return {
    ...extra,
    AEGIS_IDEMPOTENCY_KEY: invocation.idempotencyKey,
    AEGIS_RUN_ID: invocation.run,
    AEGIS_STATE: invocation.state,
    AEGIS_AGENT: invocation.agent,
    ...(invocation.intent !== undefined && { AEGIS_INTENT: invocation.intent }),
    // The state's options (an AgentOS step's config), as a function agent gets them.
    ...(invocation.options && { AEGIS_OPTIONS: JSON.stringify(invocation.options) }),
  };
}

/** Runs an agent program once; its standard output, unless it failed to run at all. */
async function runAgent(
  invocation: AgentInvocation,
  run: Run,
): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const result = await runProcess({
    command: run.command,
    ...(run.input !== undefined && { input: run.input }),
    env: run.env,
    ...(invocation.environment && { baseEnv: invocation.environment }),
    ...(run.cwd !== undefined && { cwd: run.cwd }),
    ...(invocation.timeoutMs !== undefined && { timeoutMs: invocation.timeoutMs }),
    killGraceMs: AGENT_KILL_GRACE_MS,
    signal: invocation.signal,
    onOutput: (stream, text) => {
      if (stream === "stdout") invocation.onOutput?.(text);
    },
  });
  switch (result.status) {
    case "spawn_failed":
      throw new RuntimeError(
        "agent-spawn",
        `agent '${invocation.agent}' could not be started: ${result.error}`,
      );
    case "timed_out":
      throw new RuntimeError(
        "timeout",
        `agent '${invocation.agent}' did not answer within ${invocation.timeoutMs} ms`,
      );
    case "cancelled":
      throw new RuntimeError("cancelled", `agent '${invocation.agent}' was cancelled`);
    case "exited":
      // An answer cut to its tail is not the answer: parsing it would read a fragment.
      if (result.printed.stdout > result.stdout.length)
        throw new RuntimeError(
          "agent-output-too-large",
          `agent '${invocation.agent}' printed ${result.printed.stdout} characters on standard output; an answer may have at most ${result.stdout.length}`,
        );
      return { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode ?? 1 };
  }
}

function withExit(reply: AgentReply, stderr: string, exitCode: number): AgentReply {
  return { ...reply, exit_code: exitCode, ...(stderr && { stderr }) };
}

// ---------------------------------------------------------------- command("…")

/** `command("cmd", input: stdin | arg | file, output: text | json, env, cwd)`. */
export function commandProvider(spec: AgentSpec): AgentProvider {
  const options = spec.options;
  const line = stringOption(options.command);
  const input = (stringOption(options.input) ?? "stdin") as "stdin" | "arg" | "file";
  const output = (stringOption(options.output) ?? "auto") as "auto" | "json" | "text";
  return {
    async call(invocation) {
      if (!line) throw new RuntimeError("agent-config", `agent '${spec.name}' has no command`);
      const env = agentEnv(invocation, stringMap(options.env));
      const cwd = stringOption(options.cwd);
      let command: CommandLine;
      let stdin: string | undefined;
      let tempDir: string | undefined;
      if (input === "arg") {
        // The prompt is "$1" of the shell: no quoting, whatever it holds.
        command = { argv: ["sh", "-c", `${line} "$@"`, "sh", invocation.prompt] };
      } else if (input === "file") {
        tempDir = await mkdtemp(join(tmpdir(), "aegis-prompt-"));
        const file = join(tempDir, "prompt.txt");
        await writeFile(file, invocation.prompt, "utf8");
        const quoted = shellQuote(file);
        command = {
          shell: line.includes("{prompt_file}")
            ? line.split("{prompt_file}").join(quoted)
            : `${line} ${quoted}`,
        };
        env.AEGIS_PROMPT_FILE = file;
      } else {
        command = { shell: line };
        stdin = invocation.prompt;
      }
      try {
        const { stdout, stderr, exitCode } = await runAgent(invocation, {
          command,
          ...(stdin !== undefined && { input: stdin }),
          env,
          ...(cwd !== undefined && { cwd }),
        });
        if (exitCode !== 0) return withExit(parseAgentOutput(stdout, "auto"), stderr, exitCode);
        return withExit(parseAgentOutput(stdout, output), stderr, exitCode);
      } finally {
        if (tempDir) await rm(tempDir, { recursive: true, force: true });
      }
    },
  };
}

// ---------------------------------------------------------------- the coding-agent CLIs

type Permission = "read" | "write" | "full" | "auto";

interface CliPreset {
  program: string;
  /** Arguments that select the non-interactive mode. */
  base: string[];
  model?: (model: string) => string[];
  effort?: (effort: string) => string[];
  /** `permission` → flags; a permission missing here adds no flag. */
  permission: Partial<Record<Permission, string[]>>;
  /** Where the prompt goes: standard input, or the last argument(s). */
  prompt: "stdin" | ((prompt: string) => string[]);
  /** How a state's intent reaches the agent (default: a paragraph before the prompt). */
  intent?: (intent: string) => string[];
  /** Reads standard output (default: parseAgentOutput). */
  parse?: (stdout: string) => AgentReply;
}

/** A prompt that starts with "-" would read as a flag: a leading space keeps it a word. */
const word = (prompt: string) => (prompt.startsWith("-") ? ` ${prompt}` : prompt);

/**
 * The CLIs' documented non-interactive modes, one row per tool:
 * - claude: Claude Code's print mode — `claude -p` reads the prompt from standard input,
 *   `--output-format json` prints one result object {result, is_error, total_cost_usd,
 *   usage}; `--model`, `--effort low|medium|high|max`, `--append-system-prompt`;
 *   permissions (`--permission-mode plan|acceptEdits|default|bypassPermissions`,
 *   `--dangerously-skip-permissions`) per the Claude Code CLI reference.
 * - gemini: Gemini CLI headless mode — `gemini -p PROMPT` (non-interactive), `-m MODEL`,
 *   `--approval-mode default|auto_edit|yolo|plan` (read = plan, write = auto_edit,
 *   full = yolo, auto = default, as the language's provider docs map them).
 * - opencode: `opencode run [-m provider/model] MESSAGE` — its non-interactive command;
 *   it has no permission flag (permissions live in opencode.json), so `permission` adds
 *   nothing.
 * - codex: `codex exec [--model M] [--sandbox read-only|workspace-write|danger-full-access]
 *   PROMPT` — Codex CLI's non-interactive mode; standard input is empty (/dev/null) so it
 *   does not wait for piped input.
 */
export const cliPresets: Record<"claude" | "gemini" | "opencode" | "codex", CliPreset> = {
  claude: {
    program: "claude",
    base: ["-p", "--output-format", "json"],
    model: (m) => ["--model", m],
    effort: (e) => ["--effort", e],
    permission: {
      read: ["--permission-mode", "plan"],
      write: ["--permission-mode", "acceptEdits"],
      full: ["--dangerously-skip-permissions"],
    },
    prompt: "stdin",
    intent: (intent) => ["--append-system-prompt", `The intent behind this task: ${intent}`],
    parse: parseClaudeJson,
  },
  gemini: {
    program: "gemini",
    base: [],
    model: (m) => ["-m", m],
    permission: {
      read: ["--approval-mode", "plan"],
      write: ["--approval-mode", "auto_edit"],
      full: ["--approval-mode", "yolo"],
      auto: ["--approval-mode", "default"],
    },
    prompt: (p) => ["-p", p],
  },
  opencode: {
    program: "opencode",
    base: ["run"],
    model: (m) => ["-m", m],
    permission: {},
    prompt: (p) => [word(p)],
  },
  codex: {
    program: "codex",
    base: ["exec"],
    model: (m) => ["--model", m],
    permission: {
      read: ["--sandbox", "read-only"],
      write: ["--sandbox", "workspace-write"],
      full: ["--sandbox", "danger-full-access"],
    },
    prompt: (p) => [word(p)],
  },
};

/** Claude Code's `--output-format json` result object; its `result` is the answer. */
function parseClaudeJson(stdout: string): AgentReply {
  const object = parseJsonObject(stdout);
  if (!object || (object.type !== "result" && !("result" in object)))
    return parseAgentOutput(stdout);
  const text = typeof object.result === "string" ? object.result : "";
  if (object.is_error === true) {
    throw new RuntimeError(
      "agent-error",
      `claude reported an error (${String(object.subtype ?? "error")}): ${text.slice(0, 500)}`,
    );
  }
  const reply = parseAgentOutput(text);
  const usage = (object.usage ?? {}) as Record<string, unknown>;
  const result: NonNullable<AgentReply["usage"]> = {};
  if (typeof usage.input_tokens === "number") result.inputTokens = usage.input_tokens;
  if (typeof usage.output_tokens === "number") result.outputTokens = usage.output_tokens;
  if (typeof object.total_cost_usd === "number") result.costUsd = object.total_cost_usd;
  if (Object.keys(result).length > 0) reply.usage = result;
  return reply;
}

/** The argument vector a CLI agent runs with (without the prompt when it goes to stdin). */
export function cliArgv(
  preset: CliPreset,
  options: Record<string, unknown>,
  invocation: Pick<AgentInvocation, "prompt" | "intent">,
): {
  argv: string[];
  stdin?: string;
} {
  const argv = [preset.program, ...preset.base];
  const model = stringOption(options.model);
  const effort = stringOption(options.effort);
  const permission = stringOption(options.permission) as Permission | undefined;
  if (model && preset.model) argv.push(...preset.model(model));
  if (effort && preset.effort) argv.push(...preset.effort(effort));
  if (permission) argv.push(...(preset.permission[permission] ?? []));
  let prompt = invocation.prompt;
  if (invocation.intent) {
    if (preset.intent) argv.push(...preset.intent(invocation.intent));
    else prompt = `Intent: ${invocation.intent}\n\n${prompt}`;
  }
  argv.push(...stringList(options.args));
  if (preset.prompt === "stdin") return { argv, stdin: prompt };
  argv.push(...preset.prompt(prompt));
  return { argv };
}

export function cliProvider(spec: AgentSpec, preset: CliPreset): AgentProvider {
  const options = spec.options;
  return {
    async call(invocation) {
      const { argv, stdin } = cliArgv(preset, options, invocation);
      const cwd = stringOption(options.cwd);
      const { stdout, stderr, exitCode } = await runAgent(invocation, {
        command: { argv },
        ...(stdin !== undefined && { input: stdin }),
        env: agentEnv(invocation, stringMap(options.env)),
        ...(cwd !== undefined && { cwd }),
      });
      const parse = preset.parse ?? ((text: string) => parseAgentOutput(text));
      if (exitCode !== 0) {
        let reply: AgentReply;
        try {
          reply = parse(stdout);
        } catch {
          reply = parseAgentOutput(stdout);
        }
        return withExit(reply, stderr, exitCode);
      }
      return withExit(parse(stdout), stderr, exitCode);
    },
  };
}
