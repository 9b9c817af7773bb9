// Agents that are programs: `command("…")` (any command line), and how every program agent
// runs — the coding-agent CLIs (cli.ts) too. Every such agent gets the environment variables
// AEGIS_IDEMPOTENCY_KEY, AEGIS_RUN_ID, AEGIS_STATE and AEGIS_AGENT (and AEGIS_INTENT when
// the state has an intent; AEGIS_SESSION, AEGIS_SESSION_ID and AEGIS_SESSION_TURN when the
// call continues a session: the program keeps the conversation). A non-zero exit is a reply with its exit_code (the executor
// counts it as a failure); a program that cannot start, a timeout, a cancellation or an
// answer longer than the output limit (1 MiB) is a thrown RuntimeError.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { AgentSpec } from "../../compiler/graph.ts";
import { type CommandLine, runProcess } from "../process.ts";
import { shellQuote } from "../render.ts";
import type { AgentInvocation, AgentProvider, AgentReply } from "../types.ts";
import { RuntimeError } from "../types.ts";
import { parseAgentOutput } from "./output.ts";
import { stringMap, stringOption } from "./values.ts";

/** Milliseconds between SIGTERM and SIGKILL when an agent is stopped. */
export const AGENT_KILL_GRACE_MS = 2000;

export interface Run {
  command: CommandLine;
  input?: string;
  env: Record<string, string>;
  cwd?: string;
  /** Characters of standard output kept (default: the process runner's 1 MiB). */
  maxOutput?: number;
}

/** Where an agent's process starts: its `cwd` option, taken from the run's workdir if relative. */
export function agentCwd(invocation: AgentInvocation, cwd: string | undefined): string | undefined {
  if (invocation.workdir === undefined) return cwd;
  return cwd === undefined ? invocation.workdir : resolve(invocation.workdir, cwd);
}

export function agentEnv(
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
    // The conversation the call continues: the program keeps it under the id.
    ...(invocation.session && {
      AEGIS_SESSION: invocation.session.name,
      AEGIS_SESSION_ID: invocation.session.id,
      AEGIS_SESSION_TURN: String(invocation.session.turns),
      ...(invocation.session.unsettled && { AEGIS_SESSION_UNSETTLED: "1" }),
    }),
  };
}

/** Runs an agent program once; its standard output, unless it failed to run at all. */
export async function runAgent(
  invocation: AgentInvocation,
  run: Run,
): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const result = await runProcess({
    command: run.command,
    ...(run.input !== undefined && { input: run.input }),
    env: run.env,
    ...(invocation.environment && { baseEnv: invocation.environment }),
    ...(run.cwd !== undefined && { cwd: run.cwd }),
    ...(run.maxOutput !== undefined && { maxOutput: run.maxOutput }),
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

export function withExit(reply: AgentReply, stderr: string, exitCode: number): AgentReply {
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
    sessions: "native",
    async call(invocation) {
      if (!line) throw new RuntimeError("agent-config", `agent '${spec.name}' has no command`);
      const env = agentEnv(invocation, stringMap(options.env));
      const cwd = agentCwd(invocation, stringOption(options.cwd));
      let command: CommandLine;
      let stdin: string | undefined;
      let tempDir: string | undefined;
      try {
        if (input === "arg") {
          // The prompt is "$1" of the shell: no quoting, whatever it holds.
          command = { argv: ["sh", "-c", `${line} "$@"`, "sh", invocation.prompt] };
        } else if (input === "file") {
          // Removed in the finally below, however the call ends (also when the write fails).
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
