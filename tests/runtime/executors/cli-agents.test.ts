// The coding-agent CLIs as agents (claude, gemini, codex, opencode), against local fakes
// that parse their arguments as the real CLIs do (tests/fixtures/agents/cli/: the same
// flags, errors and exit codes, checked against the real ones by scripts/check-presets.ts),
// read the prompt from where the real ones read it and print their JSON. Each fake's model
// answers with what it was given, or FAKE_CLI_ANSWER, or fails with FAKE_CLI_ERROR.
import { describe, expect, it } from "vitest";
import type { AgentSpec, ProviderName } from "../../../src/compiler/graph.ts";
import {
  cliArgv,
  cliPresets,
  createProvider,
  parseAgentOutput,
} from "../../../src/runtime/providers/index.ts";
import type { AgentInvocation, AgentReply } from "../../../src/runtime/types.ts";
import { FAKE_BIN, harness, q, tempDir } from "./helpers.ts";

const span = { file: "/virtual/x.aegis", start: 0, end: 0 };
const PATH = `${FAKE_BIN}:${process.env.PATH}`;

function invocation(prompt: string, intent?: string): AgentInvocation {
  return {
    agent: "tester",
    prompt,
    ...(intent !== undefined && { intent }),
    state: "STATE",
    run: "run-9",
    idempotencyKey: "run-9:STATE:1:1",
    signal: new AbortController().signal,
  };
}

interface Seen {
  program: string;
  args: string[];
  prompt: string;
  cwd: string;
  aegisAgent: string;
  approvalMode?: string;
  sandbox?: string;
  effort?: string;
  agent?: string;
  variant?: string;
  tool?: { name: string; status: string };
}

/** Calls a CLI agent; `env` is added to the fakes' PATH and a HOME of its own (their sessions). */
async function call(
  provider: ProviderName,
  options: Record<string, unknown> = {},
  { prompt = "do it", intent, env = {} }: { prompt?: string; intent?: string; env?: object } = {},
): Promise<{ reply: AgentReply; seen: Seen }> {
  const spec: AgentSpec = {
    name: "tester",
    provider,
    options: { cwd: tempDir(), ...options, env: { PATH, HOME: tempDir(), ...env } },
    span,
  };
  const reply = await createProvider(spec, {}).call(invocation(prompt, intent));
  return { reply, seen: reply.output as Seen };
}

/** A prompt of `size` characters that a shell, an argument parser or a quoter would change. */
function awkwardPrompt(size: number): string {
  const head = `--model "x" it's $HOME \`id\` \\n\n  - a list item\n`;
  return head + "é".repeat(size - head.length);
}

describe("claude", () => {
  it("runs print mode with JSON output; model, effort, permission and extra args; the prompt on stdin", async () => {
    const { reply, seen } = await call("claude", {
      model: "opus",
      effort: "high",
      permission: "read",
      args: ["--max-turns", "3"],
    });
    expect(reply.exit_code).toBe(0);
    expect(seen.args).toEqual([
      "-p",
      "--output-format",
      "json",
      "--model",
      "opus",
      "--effort",
      "high",
      "--permission-mode",
      "plan",
      "--max-turns",
      "3",
    ]);
    expect(seen.prompt).toBe("do it");
    expect(seen.aegisAgent).toBe("tester");
  });

  it("maps write and full permissions, and sends the intent as a system prompt", async () => {
    const write = await call("claude", { permission: "write" });
    expect(write.seen.args.slice(3)).toEqual(["--permission-mode", "acceptEdits"]);
    // Claude Code refuses to skip permissions as root unless it is told it runs in a sandbox.
    const full = await call("claude", { permission: "full" }, { env: { IS_SANDBOX: "1" } });
    expect(full.seen.args.slice(3)).toEqual(["--dangerously-skip-permissions"]);
    const auto = await call("claude", { permission: "auto" }, { prompt: "p", intent: "ship it" });
    expect(auto.seen.args.slice(3)).toEqual([
      "--append-system-prompt",
      "The intent behind this task: ship it",
    ]);
    expect(auto.seen.prompt).toBe("p");
  });

  it("reads tokens (cache reads and writes are input) and the cost from the result object", async () => {
    const { reply } = await call("claude", { model: "opus" });
    expect(reply.usage).toEqual({ inputTokens: 120 + 400 + 30, outputTokens: 25, costUsd: 0.0125 });
  });

  it("a result with is_error is a failure whose message is the result", async () => {
    const { reply } = await call(
      "claude",
      {},
      { env: { FAKE_CLI_ERROR: "API Error: 529 overloaded" } },
    );
    expect(reply).toMatchObject({ exit_code: 1, output: "API Error: 529 overloaded" });
    expect(reply.stderr).toContain("API Error: 529 overloaded");
  });
});

describe("gemini", () => {
  it("runs headless in a directory it was never told to trust, the prompt on stdin; -m and --approval-mode", async () => {
    const modes = { read: "plan", write: "auto_edit", full: "yolo", auto: "default" };
    for (const [permission, mode] of Object.entries(modes)) {
      const { reply, seen } = await call("gemini", { model: "gemini-3-flash-preview", permission });
      expect(reply.exit_code).toBe(0);
      expect(seen.args).toEqual([
        "--skip-trust",
        "--output-format",
        "json",
        "--model",
        "gemini-3-flash-preview",
        "--approval-mode",
        mode,
      ]);
      expect(seen.approvalMode).toBe(mode);
      expect(seen.prompt).toBe("do it");
    }
  });

  it("puts the intent before the prompt and reads the tokens of every model", async () => {
    const { reply, seen } = await call("gemini", {}, { prompt: "p", intent: "why" });
    expect(seen.prompt).toBe("Intent: why\n\np");
    // `prompt` counts the cached tokens; thoughts are output.
    expect(reply.usage).toEqual({ inputTokens: 1200, outputTokens: 80 + 20 });
  });

  it("reports the error gemini prints as JSON on stderr", async () => {
    const { reply } = await call("gemini", {}, { env: { FAKE_CLI_ERROR: "Quota exceeded" } });
    expect(reply).toMatchObject({
      exit_code: 1,
      output: "Quota exceeded",
      stderr: "Quota exceeded",
    });
  });
});

describe("codex", () => {
  it("runs exec outside a git repository with JSON events; model, effort, sandbox per permission; the prompt on stdin", async () => {
    const sandboxes = { read: "read-only", write: "workspace-write", full: "danger-full-access" };
    for (const [permission, sandbox] of Object.entries(sandboxes)) {
      const { reply, seen } = await call("codex", {
        model: "gpt-5-codex",
        effort: "max",
        permission,
      });
      expect(reply.exit_code).toBe(0);
      expect(seen.args).toEqual([
        "exec",
        "--json",
        "--skip-git-repo-check",
        "--model",
        "gpt-5-codex",
        "-c",
        'model_reasoning_effort="max"',
        "--sandbox",
        sandbox,
        "-",
      ]);
      expect(seen.sandbox).toBe(sandbox);
      expect(seen.prompt).toBe("do it");
    }
    const auto = await call("codex", { permission: "auto", args: ["--ephemeral"] });
    expect(auto.seen.args).toEqual(["exec", "--json", "--skip-git-repo-check", "--ephemeral", "-"]);
  });

  it("answers with the last agent message and reads the turn's tokens", async () => {
    const { reply } = await call("codex", {}, { env: { FAKE_CLI_ANSWER: "all done" } });
    expect(reply.output).toBe("all done");
    // input_tokens counts the cached ones, output_tokens the reasoning ones.
    expect(reply.usage).toEqual({ inputTokens: 2000, outputTokens: 300 });
  });

  it("a failed turn is a failure with codex's message", async () => {
    const { reply } = await call("codex", {}, { env: { FAKE_CLI_ERROR: "stream disconnected" } });
    expect(reply).toMatchObject({ exit_code: 1, output: "stream disconnected" });
    expect(reply.stderr).toContain("stream disconnected");
  });
});

describe("opencode", () => {
  it("runs with JSON events; --model, --variant for effort; the prompt on stdin", async () => {
    const { reply, seen } = await call("opencode", {
      model: "anthropic/claude-sonnet-4-5",
      effort: "high",
    });
    expect(reply.exit_code).toBe(0);
    expect(seen.args).toEqual([
      "run",
      "--format",
      "json",
      "--model",
      "anthropic/claude-sonnet-4-5",
      "--variant",
      "high",
    ]);
    expect(seen).toMatchObject({ prompt: "do it", variant: "high", agent: "build" });
  });

  it("full approves what opencode asks (--auto); write leaves it to its rules; read is its plan agent", async () => {
    const ask = { FAKE_CLI_TOOL: "external_directory" };
    const full = await call("opencode", { permission: "full" }, { env: ask });
    expect(full.seen.args.slice(3)).toEqual(["--auto"]);
    expect(full.seen.tool).toEqual({ name: "external_directory", status: "completed" });
    const write = await call("opencode", { permission: "write" }, { env: ask });
    expect(write.seen.args.slice(3)).toEqual([]);
    expect(write.seen.tool).toEqual({ name: "external_directory", status: "rejected" });
    const read = await call("opencode", { permission: "read" }, { env: { FAKE_CLI_TOOL: "edit" } });
    expect(read.seen.args.slice(3)).toEqual(["--agent", "plan"]);
    expect(read.seen.tool).toEqual({ name: "edit", status: "denied" });
  });

  it("answers with the last step's text and adds up every step's tokens and cost", async () => {
    const { reply } = await call("opencode", {}, { env: { FAKE_CLI_ANSWER: "the answer" } });
    expect(reply.output).toBe("the answer");
    expect(reply.usage?.inputTokens).toBe(100 + 50 + 30 + 900);
    expect(reply.usage?.outputTokens).toBe(20 + 5 + 40 + 10);
    expect(reply.usage?.costUsd).toBeCloseTo(0.0042, 10);
  });

  it("an error event is a failure with its message", async () => {
    const { reply } = await call("opencode", {}, { env: { FAKE_CLI_ERROR: "Overloaded" } });
    expect(reply).toMatchObject({ exit_code: 1, output: "Overloaded" });
  });
});

describe("every CLI", () => {
  const clis = ["claude", "gemini", "codex", "opencode"] as const;

  it("gets a 128 KiB prompt that starts with '-' whole, as written", async () => {
    const prompt = awkwardPrompt(128 * 1024);
    for (const cli of clis) {
      const { reply, seen } = await call(
        cli,
        { model: cli === "opencode" ? "a/b" : "m" },
        { prompt },
      );
      expect(reply.exit_code, cli).toBe(0);
      expect(seen.prompt.length, cli).toBe(prompt.length);
      expect(seen.prompt === prompt, cli).toBe(true);
    }
  });

  it("gets a short prompt that looks like a flag as a prompt", async () => {
    for (const cli of clis) {
      const { reply, seen } = await call(cli, {}, { prompt: "-p --help" });
      expect(reply.exit_code, cli).toBe(0);
      expect(seen.prompt, cli).toBe("-p --help");
    }
  });

  it("finds a score in JSON that follows prose", async () => {
    const answer = 'The change is sound; one nit.\n\n{"score": 0.85, "reasoning": "tests pass"}';
    for (const cli of clis) {
      const { reply } = await call(cli, {}, { env: { FAKE_CLI_ANSWER: answer } });
      expect(reply, cli).toMatchObject({ score: 0.85, reasoning: "tests pass", output: answer });
    }
  });

  it("reports an argument its parser rejects as a failed exit with the parser's message", async () => {
    const expected = {
      claude: [1, "error: unknown option '--no-such-flag'"],
      gemini: [1, "Unknown arguments: such-flag, suchFlag"],
      codex: [2, "error: unexpected argument '--no-such-flag' found"],
      opencode: [1, "opencode run [message..]"],
    } as const;
    for (const cli of clis) {
      const { reply } = await call(cli, { args: ["--no-such-flag"] });
      expect(reply.exit_code, cli).toBe(expected[cli][0]);
      expect(reply.stderr, cli).toContain(expected[cli][1]);
    }
  });

  it("cliArgv builds the argument vectors and the standard input without running anything", () => {
    expect(cliArgv(cliPresets.codex, { permission: "auto" }, { prompt: "x" })).toEqual({
      argv: ["codex", "exec", "--json", "--skip-git-repo-check", "-"],
      stdin: "x",
    });
    expect(cliArgv(cliPresets.gemini, {}, { prompt: "-x" })).toEqual({
      argv: ["gemini", "--skip-trust", "--output-format", "json"],
      stdin: "-x",
    });
    expect(cliArgv(cliPresets.opencode, { permission: "full" }, { prompt: "x" })).toEqual({
      argv: ["opencode", "run", "--format", "json", "--auto"],
      stdin: "x",
    });
  });
});

describe("through the executor", () => {
  const workflow = (agent: string, env: Record<string, string>) => `workflow t {
  agent a = ${agent}(cwd: ${q(tempDir())}, env: { PATH: ${q(PATH)}${Object.entries({
    HOME: tempDir(),
    ...env,
  })
    .map(([k, v]) => `, ${k}: ${q(v)}`)
    .join("")} })
  start A
  state A = agent a timeout 30s {
    prompt "Review it."
    on score >= 0.8 -> DONE
    otherwise -> FAILED
  }
  final DONE
  final FAILED failure
}`;

  it("a verdict after prose decides the transition; the usage and cost are the state's", async () => {
    const answer = 'Looks right.\n{"score": 0.9}';
    const result = await harness(workflow("claude", { FAKE_CLI_ANSWER: answer }), "A").run();
    expect(result).toMatchObject({
      status: "succeeded",
      score: 0.9,
      output: answer,
      usage: { inputTokens: 550, outputTokens: 25, costUsd: 0.0125 },
    });
  });

  it("a CLI's reported failure fails the state with its message", async () => {
    const result = await harness(
      workflow("codex", { FAKE_CLI_ERROR: "usage limit reached" }),
      "A",
    ).run();
    expect(result.status).toBe("failed");
    expect(result.error?.code).toBe("agent-exit");
    expect(result.error?.message).toContain("exited with code 1");
    expect(result.error?.message).toContain("usage limit reached");
  });
});

describe("parseAgentOutput: a verdict after prose", () => {
  it("takes score, confidence and reasoning from a JSON object or a ```json block that ends the text", () => {
    const plain = parseAgentOutput('Fine.\n{"score": 0.7, "confidence": 0.9, "reasoning": "ok"}');
    expect(plain).toMatchObject({ score: 0.7, confidence: 0.9, reasoning: "ok" });
    expect(plain.output).toBe('Fine.\n{"score": 0.7, "confidence": 0.9, "reasoning": "ok"}');
    const fenced = parseAgentOutput('Fine.\n\n```json\n{"score": 0.6}\n```\n');
    expect(fenced.score).toBe(0.6);
    const nested = parseAgentOutput('Fine. {"score": 0.5, "detail": {"a": {"b": 1}}}');
    expect(nested.score).toBe(0.5);
  });

  it("leaves text alone when what ends it is not a verdict", () => {
    for (const text of [
      "function f() { return 1; }",
      'const config = {"retries": 3}',
      'Score: {"score": 0.9} — but then more prose.',
      "{ not json }",
    ]) {
      const reply = parseAgentOutput(text);
      expect(reply.score, text).toBeUndefined();
      expect(reply.output, text).toBe(text);
    }
  });
});
