// The coding-agent CLIs as agents: `claude(…)`, `gemini(…)`, `opencode(…)`, `codex(…)`.
// Each is a command line built from a table of the CLI's non-interactive flags, checked
// against the CLIs' own argument parsers by scripts/check-presets.ts. The prompt always
// goes to standard input — an argument is limited by the system (a 128 KiB word fails with
// E2BIG), read as a flag when it starts with "-", and requoted by opencode — and every CLI
// prints JSON, from which the answer, the tokens (cache tokens included) and the cost are
// read. A CLI that reports a failure in its JSON (an API error, a failed turn) gives a
// reply with a non-zero exit_code and the CLI's message as its stderr, its usage kept.
import type { AgentSpec } from "../../compiler/graph.ts";
import type { AgentInvocation, AgentProvider, AgentReply, AgentSession } from "../types.ts";
import { RuntimeError } from "../types.ts";
import { agentCwd, agentEnv, runAgent, withExit } from "./command.ts";
import { parseAgentOutput, parseJsonObject, trailingJsonObject } from "./output.ts";
import { stringList, stringMap, stringOption } from "./values.ts";

type Permission = "read" | "write" | "full" | "auto";

/** What a CLI printed and how it ended. */
interface Printed {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface CliPreset {
  program: string;
  /** Arguments that select the headless mode and its JSON output. */
  base: string[];
  model?: (model: string) => string[];
  effort?: (effort: string) => string[];
  /** `permission` → flags; a permission missing here adds no flag. */
  permission: Partial<Record<Permission, string[]>>;
  /** How a state's intent reaches the agent (default: a paragraph before the prompt). */
  intent?: (intent: string) => string[];
  /** Arguments after all others that make the CLI read its prompt from standard input. */
  stdinMarker?: string[];
  /** Reads what the CLI printed; exit_code and stderr, when set, replace the process's. */
  parse: (printed: Printed) => AgentReply;
  /** How the CLI continues a conversation (grammar/README.md#sessions). */
  session: CliSession;
}

/**
 * A CLI's sessions, as its own parser and store have them. Either aegis names the
 * conversation (`start` gives the flags that begin one with aegis's id) or the CLI does
 * (`named` reads its id from the output, as soon as it is printed).
 */
export interface CliSession {
  /** The flags that begin a conversation with aegis's id (absent: the CLI names it). */
  start?: (id: string) => string[];
  /** The id the CLI gave the conversation, from its output so far. */
  named?: (stdout: string) => string | undefined;
  /** How a conversation is continued: other base arguments, flags, words at the end. */
  resume: (id: string) => { base?: string[]; flags?: string[]; last?: string[] };
  /** Permission flags when continuing, where the continuing command takes others. */
  resumePermission?: Partial<Record<Permission, string[]>>;
  /** What the CLI says when asked to continue a conversation it does not have. */
  missing: RegExp;
  /** What it says when asked to begin one with an id it has already. */
  taken?: RegExp;
}

/** Characters kept of a CLI's standard output: its JSON envelope or event stream. */
const CLI_MAX_OUTPUT = 16 * 1024 * 1024;
/** Characters an answer may have (as for command agents). */
const MAX_ANSWER = 1024 * 1024;

/**
 * The CLIs' headless modes, one row per tool, as their --help and argument parsers have
 * them (claude 2.1, gemini 0.61, codex 0.171, opencode 1.18):
 * - claude: `claude -p` reads the prompt from standard input; `--output-format json`
 *   prints one result object; `--model`, `--effort`, `--permission-mode plan|acceptEdits`,
 *   `--dangerously-skip-permissions` (refused as root unless IS_SANDBOX=1),
 *   `--append-system-prompt`.
 * - gemini: headless when standard input is not a terminal, the prompt read from it;
 *   `--skip-trust` (else a directory never trusted interactively exits 55, and approval
 *   modes fall back to default), `--output-format json`, `--model`, `--approval-mode`.
 * - opencode: `opencode run` reads the message from standard input when given none (a
 *   message argument is requoted: words with spaces are wrapped in quotes);
 *   `--format json` prints events; `--model provider/model`, `--variant` (its reasoning
 *   effort), `--agent plan` (no edit tools), `--auto` (approve what is not denied; without
 *   it every permission request is rejected).
 * - codex: `codex exec … -` reads the prompt from standard input; `--json` prints events;
 *   `--skip-git-repo-check` (else it refuses a directory outside a git repository),
 *   `--model`, `-c model_reasoning_effort="…"`, `--sandbox read-only|workspace-write|
 *   danger-full-access` (exec never asks for approval).
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
    intent: (intent) => ["--append-system-prompt", `The intent behind this task: ${intent}`],
    parse: parseClaude,
    session: {
      start: (id) => ["--session-id", id],
      resume: (id) => ({ flags: ["--resume", id] }),
      missing: /No conversation found with session ID/,
      taken: /Session ID \S+ is already in use/,
    },
  },
  gemini: {
    program: "gemini",
    base: ["--skip-trust", "--output-format", "json"],
    model: (m) => ["--model", m],
    permission: {
      read: ["--approval-mode", "plan"],
      write: ["--approval-mode", "auto_edit"],
      full: ["--approval-mode", "yolo"],
      auto: ["--approval-mode", "default"],
    },
    parse: parseGemini,
    session: {
      start: (id) => ["--session-id", id],
      resume: (id) => ({ flags: ["--resume", id] }),
      missing: /Error resuming session: (No previous sessions found|Invalid session identifier)/,
      taken: /Error starting session: Session ID "[^"]*" already exists/,
    },
  },
  opencode: {
    program: "opencode",
    base: ["run", "--format", "json"],
    model: (m) => ["--model", m],
    effort: (e) => ["--variant", e],
    permission: {
      read: ["--agent", "plan"],
      full: ["--auto"],
    },
    parse: parseOpencode,
    session: {
      named: (stdout) => /"sessionID"\s*:\s*"([^"]+)"/.exec(stdout)?.[1],
      resume: (id) => ({ flags: ["--session", id] }),
      missing: /Session not found/,
    },
  },
  codex: {
    program: "codex",
    base: ["exec", "--json", "--skip-git-repo-check"],
    model: (m) => ["--model", m],
    // A TOML string: the value of a -c override is parsed as TOML.
    effort: (e) => ["-c", `model_reasoning_effort=${JSON.stringify(e)}`],
    permission: {
      read: ["--sandbox", "read-only"],
      write: ["--sandbox", "workspace-write"],
      full: ["--sandbox", "danger-full-access"],
    },
    stdinMarker: ["-"],
    parse: parseCodex,
    session: {
      named: (stdout) =>
        /"type"\s*:\s*"thread\.started"\s*,\s*"thread_id"\s*:\s*"([^"]+)"/.exec(stdout)?.[1],
      // `codex exec resume [OPTIONS] [SESSION_ID] [PROMPT]`: it takes no --sandbox, but the
      // configuration key the flag sets.
      resume: (id) => ({ base: ["exec", "resume", "--json", "--skip-git-repo-check"], last: [id] }),
      resumePermission: {
        read: ["-c", 'sandbox_mode="read-only"'],
        write: ["-c", 'sandbox_mode="workspace-write"'],
        full: ["-c", 'sandbox_mode="danger-full-access"'],
      },
      missing: /no rollout found for thread id/,
    },
  },
};

// ---------------------------------------------------------------- reading their output

type Usage = NonNullable<AgentReply["usage"]>;

const num = (value: unknown): number =>
  typeof value === "number" && Number.isFinite(value) ? value : 0;
const record = (value: unknown): Record<string, unknown> =>
  value && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};

/**
 * A failure the CLI reported: its message is the answer, and the first line of the reply's
 * stderr (what a failed state says), before what the CLI printed there.
 */
function failure(message: string, exitCode: number, stderr: string, usage?: Usage): AgentReply {
  return {
    output: message,
    text: message,
    exit_code: exitCode === 0 ? 1 : exitCode,
    stderr: [message, stderr.trimEnd()].filter(Boolean).join("\n"),
    ...(usage && { usage }),
  };
}

/** A CLI's one JSON object: all of its output, or what ends it (after a hook's lines). */
const envelope = (stdout: string) => parseJsonObject(stdout) ?? trailingJsonObject(stdout);

/** The JSON lines of an event stream (other lines, and a line cut by truncation, skipped). */
function events(stdout: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of stdout.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      const value: unknown = JSON.parse(line);
      if (value && typeof value === "object" && !Array.isArray(value))
        out.push(value as Record<string, unknown>);
    } catch {}
  }
  return out;
}

/**
 * Claude Code's `--output-format json` result: {type: "result", subtype, is_error, result,
 * total_cost_usd, usage, modelUsage, errors?}. `result` is the answer — or, when is_error,
 * the error ("Not logged in · Please run /login", "API Error: …"); error subtypes
 * (error_max_turns …) have `errors` instead. Tokens: modelUsage (every model the session
 * used, subagents included) or else usage (the main loop); input counts cache reads and
 * writes.
 */
function parseClaude({ stdout, stderr, exitCode }: Printed): AgentReply {
  const object = envelope(stdout);
  if (object?.type !== "result") return parseAgentOutput(stdout);
  const usage: Usage = {};
  const models = Object.values(record(object.modelUsage)).map(record);
  if (models.length > 0) {
    usage.inputTokens = models.reduce(
      (n, m) =>
        n + num(m.inputTokens) + num(m.cacheReadInputTokens) + num(m.cacheCreationInputTokens),
      0,
    );
    usage.outputTokens = models.reduce((n, m) => n + num(m.outputTokens), 0);
  } else if (object.usage && typeof object.usage === "object") {
    const u = record(object.usage);
    usage.inputTokens =
      num(u.input_tokens) + num(u.cache_read_input_tokens) + num(u.cache_creation_input_tokens);
    usage.outputTokens = num(u.output_tokens);
  }
  if (typeof object.total_cost_usd === "number") usage.costUsd = object.total_cost_usd;
  const counted = Object.keys(usage).length > 0 ? usage : undefined;
  const text = typeof object.result === "string" ? object.result : "";
  if (object.is_error === true || exitCode !== 0) {
    const errors = Array.isArray(object.errors) ? object.errors.map(String) : [];
    const message =
      text || errors.join("\n") || `claude ended with ${String(object.subtype ?? "an error")}`;
    return failure(message, exitCode, stderr, counted);
  }
  return { ...parseAgentOutput(text), ...(counted && { usage: counted }) };
}

/**
 * Gemini CLI's `--output-format json`: {session_id, response, stats: {models: {NAME:
 * {tokens: {prompt, candidates, cached, thoughts, tool, …}}}}, error?} on standard output;
 * a failure prints {session_id, error: {type, message, code}} on standard error (after any
 * warnings) and exits with its code. `prompt` counts cached tokens; thoughts are output.
 */
function parseGemini({ stdout, stderr, exitCode }: Printed): AgentReply {
  const object = envelope(stdout);
  const errorOf = (o: Record<string, unknown> | undefined) => {
    const error = record(o?.error);
    return typeof error.message === "string" ? error.message : undefined;
  };
  if (!object) {
    const message = exitCode !== 0 ? errorOf(trailingJsonObject(stderr)) : undefined;
    return message ? failure(message, exitCode, "", undefined) : parseAgentOutput(stdout);
  }
  const usage: Usage = {};
  const models = Object.values(record(record(object.stats).models)).map((m) =>
    record(record(m).tokens),
  );
  if (models.length > 0) {
    usage.inputTokens = models.reduce((n, t) => n + num(t.prompt) + num(t.tool), 0);
    usage.outputTokens = models.reduce((n, t) => n + num(t.candidates) + num(t.thoughts), 0);
  }
  const counted = models.length > 0 ? usage : undefined;
  const message = errorOf(object);
  if (message !== undefined || exitCode !== 0)
    return failure(message ?? `gemini exited with code ${exitCode}`, exitCode, stderr, counted);
  const text = typeof object.response === "string" ? object.response : "";
  return { ...parseAgentOutput(text), ...(counted && { usage: counted }) };
}

/**
 * `codex exec --json` events: thread.started, turn.started, item.started/updated/completed
 * ({item: {type: "agent_message", text} …}), turn.completed ({usage: {input_tokens,
 * cached_input_tokens, output_tokens, …}}), turn.failed ({error: {message}}), error
 * ({message}; also "Reconnecting…" notices). The answer is the last agent message;
 * input_tokens counts the cached ones, output_tokens the reasoning ones.
 */
function parseCodex({ stdout, stderr, exitCode }: Printed): AgentReply {
  const lines = events(stdout);
  if (lines.length === 0) return parseAgentOutput(stdout);
  let answer: string | undefined;
  let failed: string | undefined;
  let lastError: string | undefined;
  let usage: Usage | undefined;
  for (const event of lines) {
    const item = record(event.item);
    if (event.type === "item.completed" && item.type === "agent_message")
      answer = typeof item.text === "string" ? item.text : "";
    else if (event.type === "turn.completed") {
      const u = record(event.usage);
      usage = {
        inputTokens: (usage?.inputTokens ?? 0) + num(u.input_tokens),
        outputTokens: (usage?.outputTokens ?? 0) + num(u.output_tokens),
      };
    } else if (event.type === "turn.failed") failed = String(record(event.error).message ?? "");
    else if (event.type === "error" && typeof event.message === "string") lastError = event.message;
  }
  if (failed !== undefined || exitCode !== 0)
    return failure(
      failed || lastError || `codex exited with code ${exitCode}`,
      exitCode,
      stderr,
      usage,
    );
  return { ...parseAgentOutput(answer ?? ""), ...(usage && { usage }) };
}

/**
 * `opencode run --format json` events, each {type, timestamp, sessionID, …}: step_start,
 * text ({part: {text}}), reasoning, tool_use, step_finish ({part: {cost, tokens: {input,
 * output, reasoning, cache: {read, write}}}}) and error ({error: {name, data: {message}}}).
 * The answer is the text of the last step that wrote any; its input tokens leave the cache
 * out and its output tokens the reasoning, so both are added.
 */
function parseOpencode({ stdout, stderr, exitCode }: Printed): AgentReply {
  const lines = events(stdout);
  if (lines.length === 0) return parseAgentOutput(stdout);
  let answer = "";
  let step: string[] = [];
  const errors: string[] = [];
  let usage: Usage | undefined;
  for (const event of lines) {
    const part = record(event.part);
    if (event.type === "step_start") step = [];
    else if (event.type === "text" && typeof part.text === "string") {
      step.push(part.text);
      answer = step.join("\n");
    } else if (event.type === "step_finish") {
      const tokens = record(part.tokens);
      const cache = record(tokens.cache);
      usage = {
        inputTokens:
          (usage?.inputTokens ?? 0) + num(tokens.input) + num(cache.read) + num(cache.write),
        outputTokens: (usage?.outputTokens ?? 0) + num(tokens.output) + num(tokens.reasoning),
        costUsd: (usage?.costUsd ?? 0) + num(part.cost),
      };
    } else if (event.type === "error") {
      const error = record(event.error);
      const message = record(error.data).message;
      errors.push(typeof message === "string" ? message : String(error.name ?? "error"));
    }
  }
  if (errors.length > 0 || exitCode !== 0)
    return failure(
      errors.join("\n") || `opencode exited with code ${exitCode}`,
      exitCode,
      stderr,
      usage,
    );
  return { ...parseAgentOutput(answer), ...(usage && { usage }) };
}

// ---------------------------------------------------------------- running them

/** A call in a session: it begins the conversation (with aegis's id, if the CLI takes one) or continues one. */
export type CliTurn = { begin: true; id?: string } | { begin: false; id: string };

/** The argument vector a CLI agent runs with, and its standard input (the prompt). */
export function cliArgv(
  preset: CliPreset,
  options: Record<string, unknown>,
  invocation: Pick<AgentInvocation, "prompt" | "intent">,
  turn?: CliTurn,
): { argv: string[]; stdin: string } {
  const resume = turn && !turn.begin ? preset.session.resume(turn.id) : undefined;
  const argv = [preset.program, ...(resume?.base ?? preset.base)];
  const model = stringOption(options.model);
  const effort = stringOption(options.effort);
  const permission = stringOption(options.permission) as Permission | undefined;
  if (model && preset.model) argv.push(...preset.model(model));
  if (effort && preset.effort) argv.push(...preset.effort(effort));
  if (permission) {
    const flags = (resume?.base && preset.session.resumePermission) || preset.permission;
    argv.push(...(flags[permission] ?? []));
  }
  if (turn?.begin && turn.id !== undefined && preset.session.start)
    argv.push(...preset.session.start(turn.id));
  argv.push(...(resume?.flags ?? []));
  let prompt = invocation.prompt;
  if (invocation.intent) {
    if (preset.intent) argv.push(...preset.intent(invocation.intent));
    else prompt = `Intent: ${invocation.intent}\n\n${prompt}`;
  }
  argv.push(...stringList(options.args), ...(resume?.last ?? []), ...(preset.stdinMarker ?? []));
  return { argv, stdin: prompt };
}

/**
 * How a call in a session starts: continuing the conversation when it has one — an answered
 * turn, or an earlier call that may have begun it (the process stopped mid-call) — else
 * beginning it.
 */
export function firstTurn(preset: CliPreset, session: AgentSession): CliTurn {
  if (!preset.session.start)
    return session.providerId !== undefined
      ? { begin: false, id: session.providerId }
      : { begin: true };
  return session.turns > 0 || session.unsettled
    ? { begin: false, id: session.id }
    : { begin: true, id: session.id };
}

/** The other way, when the CLI refused the first: the conversation did, or did not, exist. */
function otherTurn(
  preset: CliPreset,
  session: AgentSession,
  turn: CliTurn,
  printed: Printed,
): CliTurn | undefined {
  // What it said on standard error when it refused (an answer may quote anything).
  const said = printed.exitCode !== 0 ? printed.stderr : "";
  // A conversation that was never begun (the earlier call stopped before the CLI stored
  // it) is begun now; one with answered turns that is gone is an error, not a new start.
  if (!turn.begin && session.turns === 0 && preset.session.missing.test(said))
    return { begin: true, ...(preset.session.start && { id: session.id }) };
  if (turn.begin && turn.id !== undefined && preset.session.taken?.test(said))
    return { begin: false, id: turn.id };
  return undefined;
}

export function cliProvider(spec: AgentSpec, preset: CliPreset): AgentProvider {
  const options = spec.options;
  const run = (invocation: AgentInvocation, turn?: CliTurn) => {
    const cwd = agentCwd(invocation, stringOption(options.cwd));
    const { argv, stdin } = cliArgv(preset, options, invocation, turn);
    const named = preset.session.named;
    const session = invocation.session;
    let seen = "";
    // The CLI's id of a new conversation is journaled as soon as it prints it.
    const watched: AgentInvocation =
      session && named && turn?.begin
        ? {
            ...invocation,
            onOutput: (text) => {
              invocation.onOutput?.(text);
              if (seen.length > 64 * 1024) return;
              seen += text;
              const id = named(seen);
              if (id !== undefined) session.identify(id);
            },
          }
        : invocation;
    return runAgent(watched, {
      command: { argv },
      input: stdin,
      env: agentEnv(invocation, stringMap(options.env)),
      ...(cwd !== undefined && { cwd }),
      maxOutput: CLI_MAX_OUTPUT,
    });
  };
  return {
    sessions: "native",
    async call(invocation) {
      const session = invocation.session;
      let turn = session ? firstTurn(preset, session) : undefined;
      let printed = await run(invocation, turn);
      const other = session && turn ? otherTurn(preset, session, turn, printed) : undefined;
      if (other) {
        turn = other;
        printed = await run(invocation, turn);
      }
      if (
        session &&
        turn &&
        !turn.begin &&
        printed.exitCode !== 0 &&
        preset.session.missing.test(printed.stderr)
      )
        throw new RuntimeError(
          "agent-session",
          `agent '${invocation.agent}' cannot continue session '${session.name}': ${preset.program} no longer has its conversation ${turn.id} (${causeLine(printed.stderr)}); it keeps conversations per user and working directory`,
        );
      const read = preset.parse(printed);
      if (read.text.length > MAX_ANSWER)
        throw new RuntimeError(
          "agent-output-too-large",
          `agent '${invocation.agent}' answered with ${read.text.length} characters; an answer may have at most ${MAX_ANSWER}`,
        );
      const reply = withExit(
        read,
        read.stderr ?? printed.stderr,
        read.exit_code ?? printed.exitCode,
      );
      if (!session || !turn) return reply;
      const id = turn.begin
        ? (preset.session.named?.(printed.stdout) ?? turn.id ?? sessionIdOf(printed.stdout))
        : turn.id;
      return id !== undefined ? { ...reply, session: id } : reply;
    },
  };
}

/** The `session_id` of a CLI's JSON result (claude, gemini). */
function sessionIdOf(stdout: string): string | undefined {
  const id = envelope(stdout)?.session_id;
  return typeof id === "string" ? id : undefined;
}

/** The first line of what a CLI said on standard error. */
function causeLine(stderr: string): string {
  return (
    stderr
      .split("\n")
      .map((l) => l.trim())
      .find(Boolean) ?? "no message"
  );
}
