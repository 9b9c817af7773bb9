// Providers: reading answers, command agents (stdin, arg, file; env), an OpenAI-compatible
// server (node:http), and function agents. The coding-agent CLIs: cli-agents.test.ts.
import { once } from "node:events";
import { existsSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentSpec, ProviderName } from "../../../src/compiler/graph.ts";
import {
  createAgentResolver,
  createProvider,
  parseAgentOutput,
} from "../../../src/runtime/providers/index.ts";
import { type AgentInvocation, RuntimeError } from "../../../src/runtime/types.ts";
import { agentPath, eventually, harness, q, tempDir } from "./helpers.ts";

const span = { file: "/virtual/x.aegis", start: 0, end: 0 };

function spec(
  provider: ProviderName | undefined,
  options: Record<string, unknown>,
  name = "tester",
): AgentSpec {
  return { name, ...(provider && { provider }), options, span };
}

function invocation(prompt: string, extra: Partial<AgentInvocation> = {}): AgentInvocation {
  return {
    agent: "tester",
    prompt,
    state: "STATE",
    run: "run-9",
    idempotencyKey: "run-9:STATE:1:1",
    signal: new AbortController().signal,
    ...extra,
  };
}

async function rejection(promise: Promise<unknown>): Promise<RuntimeError> {
  try {
    await promise;
  } catch (error) {
    return error as RuntimeError;
  }
  throw new Error("expected a rejection");
}

describe("parseAgentOutput", () => {
  it("reads text, trimmed", () => {
    expect(parseAgentOutput("  hello world \n")).toEqual({
      output: "hello world",
      text: "  hello world \n",
    });
  });

  it("reads a JSON object: score, confidence and reasoning, the object kept as output", () => {
    const reply = parseAgentOutput(
      '{"score": 0.8, "confidence": "0.6", "reasoning": "fine", "title": "T"}\n',
    );
    expect(reply).toMatchObject({ score: 0.8, confidence: 0.6, reasoning: "fine" });
    expect(reply.output).toEqual({ score: 0.8, confidence: "0.6", reasoning: "fine", title: "T" });
  });

  it("unwraps an envelope of result fields", () => {
    const reply = parseAgentOutput('{"output": "the answer", "score": 1}');
    expect(reply).toMatchObject({ output: "the answer", score: 1 });
  });

  it("reads a fenced JSON block", () => {
    expect(parseAgentOutput('```json\n{"score": 0.4}\n```').score).toBe(0.4);
  });

  it("keeps JSON that is not an object, and garbage, as text", () => {
    expect(parseAgentOutput("[1, 2]").output).toBe("[1, 2]");
    expect(parseAgentOutput('{"score": 0.9, oops').output).toBe('{"score": 0.9, oops');
  });

  it("requires JSON in json mode and never parses in text mode", () => {
    expect(() => parseAgentOutput("not json", "json")).toThrow(/JSON object/);
    expect(parseAgentOutput('{"a": 1}', "text").output).toBe('{"a": 1}');
  });
});

describe("command agents", () => {
  it("passes the prompt on stdin by default, with the AEGIS_* environment", async () => {
    const provider = createProvider(
      spec("command", { command: agentPath("env-agent.js"), env: { TEST_EXTRA: "x" } }),
      {},
    );
    const reply = await provider.call(invocation("the prompt", { intent: "why" }));
    const seen = reply.output as { args: string[]; stdin: string; env: Record<string, string> };
    expect(seen.stdin).toBe("the prompt");
    expect(seen.args).toEqual([]);
    expect(seen.env).toEqual({
      AEGIS_IDEMPOTENCY_KEY: "run-9:STATE:1:1",
      AEGIS_RUN_ID: "run-9",
      AEGIS_STATE: "STATE",
      AEGIS_AGENT: "tester",
      AEGIS_INTENT: "why",
      TEST_EXTRA: "x",
    });
    expect(reply.exit_code).toBe(0);
  });

  it("appends the prompt as the last argument with input: arg, unquoted by any shell", async () => {
    const provider = createProvider(
      spec("command", { command: `${agentPath("env-agent.js")} --flag`, input: "arg" }),
      {},
    );
    const reply = await provider.call(invocation('it\'s $HOME `x` "q"'));
    expect((reply.output as { args: string[] }).args).toEqual(["--flag", 'it\'s $HOME `x` "q"']);
  });

  it("writes the prompt to a file with input: file ({prompt_file} or appended)", async () => {
    const placed = createProvider(
      spec("command", { command: `${agentPath("echo-agent.js")} {prompt_file}`, input: "file" }),
      {},
    );
    expect((await placed.call(invocation("from a file"))).output).toBe("echo: from a file");
    const appended = createProvider(
      spec("command", { command: agentPath("echo-agent.js"), input: "file" }),
      {},
    );
    expect((await appended.call(invocation("appended file"))).output).toBe("echo: appended file");
  });

  it("input: file removes the prompt's temporary directory after the call: answered, failed or cancelled", async () => {
    // The command prints where its prompt file is; after the call that directory is gone.
    const printing = (tail = "") =>
      createProvider(
        spec("command", { command: `printf %s {prompt_file}${tail}`, input: "file" }),
        {},
      );
    const answered = (await printing().call(invocation("p"))).output as string;
    expect(answered).toMatch(/aegis-prompt-[^/]+\/prompt\.txt$/);
    expect(existsSync(dirname(answered))).toBe(false);
    const failed = await printing("; exit 3").call(invocation("p"));
    expect(failed.exit_code).toBe(3);
    expect(failed.output as string).toMatch(/aegis-prompt-[^/]+\/prompt\.txt$/);
    expect(existsSync(dirname(failed.output as string))).toBe(false);
    // Cancelled while the command runs: it has written where its file is, then waits.
    const where = join(tempDir(), "where");
    const controller = new AbortController();
    const waiting = createProvider(
      spec("command", {
        command: `printf %s {prompt_file} > "$WHERE"; sleep 60`,
        input: "file",
        env: { WHERE: where },
      }),
      {},
    ).call(invocation("p", { signal: controller.signal }));
    const settled = waiting.then(
      () => "answered",
      () => "rejected",
    );
    expect(
      await eventually(() => existsSync(where) && readFileSync(where, "utf8").endsWith(".txt")),
    ).toBe(true);
    const file = readFileSync(where, "utf8");
    expect(existsSync(file)).toBe(true);
    controller.abort();
    expect(await settled).toBe("rejected");
    expect(existsSync(dirname(file))).toBe(false);
  });

  it("runs in cwd", async () => {
    const dir = tempDir();
    const provider = createProvider(
      spec("command", { command: agentPath("env-agent.js"), cwd: dir }),
      {},
    );
    expect(((await provider.call(invocation("x"))).output as { cwd: string }).cwd).toBe(dir);
  });

  it("output: json rejects an answer that is not JSON", async () => {
    const provider = createProvider(
      spec("command", { command: agentPath("garbage-agent.js"), output: "json" }),
      {},
    );
    const error = await rejection(provider.call(invocation("x")));
    expect(error.code).toBe("agent-output");
  });

  it("reports a non-zero exit as the reply's exit_code, with stderr", async () => {
    const provider = createProvider(
      spec("command", { command: `${agentPath("fail-agent.js")} 4` }),
      {},
    );
    const reply = await provider.call(invocation("x"));
    expect(reply).toMatchObject({
      exit_code: 4,
      stderr: "something broke\n",
      output: "partial answer",
    });
  });

  it("throws agent-spawn for a program that does not exist (argv form)", async () => {
    const provider = createProvider(spec("claude", { env: { PATH: "/nonexistent" } }), {});
    const error = await rejection(provider.call(invocation("x")));
    expect(error).toBeInstanceOf(RuntimeError);
    expect(error.code).toBe("agent-spawn");
  });

  it("throws timeout when the agent does not answer in time", async () => {
    const provider = createProvider(spec("command", { command: agentPath("hang-agent.js") }), {});
    const error = await rejection(provider.call(invocation("x", { timeoutMs: 300 })));
    expect(error.code).toBe("timeout");
  });
});

describe("openai agents", () => {
  let server: Server;
  let base: string;
  const requests: {
    url: string;
    headers: IncomingMessage["headers"];
    body: Record<string, unknown>;
  }[] = [];
  const handlers: Record<string, (res: ServerResponse, body: Record<string, unknown>) => void> = {
    "/ok/chat/completions": (res, body) => {
      const messages = body.messages as { role: string; content: string }[];
      res.setHeader("content-type", "application/json");
      res.end(
        JSON.stringify({
          choices: [
            { message: { role: "assistant", content: `you said: ${messages.at(-1)!.content}` } },
          ],
          usage: { prompt_tokens: 11, completion_tokens: 7 },
        }),
      );
    },
    "/judge/chat/completions": (res) => {
      res.end(
        JSON.stringify({
          choices: [{ message: { content: '{"score": 0.75, "reasoning": "ok"}' } }],
        }),
      );
    },
    "/error/chat/completions": (res) => {
      res.statusCode = 503;
      res.end('{"error": {"message": "overloaded"}}');
    },
    "/garbage/chat/completions": (res) => {
      res.end("<html>definitely not json");
    },
    "/empty/chat/completions": (res) => {
      res.end('{"choices": []}');
    },
    "/slow/chat/completions": () => {},
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      let data = "";
      req.on("data", (chunk) => {
        data += chunk;
      });
      req.on("end", () => {
        const body = JSON.parse(data || "{}") as Record<string, unknown>;
        requests.push({ url: req.url ?? "", headers: req.headers, body });
        const handler = handlers[req.url ?? ""];
        if (handler) handler(res, body);
        else {
          res.statusCode = 404;
          res.end("not found");
        }
      });
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it("posts model, messages, temperature and max_tokens with the key from the environment", async () => {
    process.env.TEST_OPENAI_KEY = "sk-test-123";
    const provider = createProvider(
      spec("openai", {
        url: `${base}/ok/`,
        model: "llama3.1",
        api_key: { $env: "TEST_OPENAI_KEY" },
        system: "Be brief.",
        temperature: 0.2,
        max_tokens: 64,
        headers: { "x-extra": "1" },
      }),
      {},
    );
    const reply = await provider.call(invocation("hello", { intent: "greeting" }));
    expect(reply.output).toBe("you said: hello");
    expect(reply.usage).toEqual({ inputTokens: 11, outputTokens: 7 });
    const request = requests.at(-1)!;
    expect(request.url).toBe("/ok/chat/completions");
    expect(request.headers.authorization).toBe("Bearer sk-test-123");
    expect(request.headers["x-extra"]).toBe("1");
    expect(request.body).toEqual({
      model: "llama3.1",
      messages: [
        { role: "system", content: "Be brief.\n\nThe intent behind this task: greeting" },
        { role: "user", content: "hello" },
      ],
      temperature: 0.2,
      max_tokens: 64,
    });
  });

  it("reads {$secret} keys from the environment too, and JSON answers", async () => {
    process.env.TEST_SECRET_KEY = "sk-secret";
    const provider = createProvider(
      spec("openai", { url: `${base}/judge`, model: "m", api_key: { $secret: "TEST_SECRET_KEY" } }),
      {},
    );
    const reply = await provider.call(invocation("judge this"));
    expect(reply).toMatchObject({ score: 0.75, reasoning: "ok" });
    expect(requests.at(-1)!.headers.authorization).toBe("Bearer sk-secret");
  });

  it("turns an error status, a garbage body, a missing answer and a network failure into agent-http", async () => {
    for (const path of ["error", "garbage", "empty"]) {
      const provider = createProvider(spec("openai", { url: `${base}/${path}`, model: "m" }), {});
      const error = await rejection(provider.call(invocation("x")));
      expect(error).toBeInstanceOf(RuntimeError);
      expect(error.code).toBe("agent-http");
    }
    const statusError = await rejection(
      createProvider(spec("openai", { url: `${base}/error`, model: "m" }), {}).call(
        invocation("x"),
      ),
    );
    expect(statusError.message).toContain("503");
    const closed = createProvider(spec("openai", { url: "http://127.0.0.1:1/v1", model: "m" }), {});
    expect((await rejection(closed.call(invocation("x")))).code).toBe("agent-http");
  });

  it("an agent state fails with agent-http, and times out, through the executor", async () => {
    const source = (path: string, timeout: string) => `workflow t {
  agent llm = openai(${q(`${base}/${path}`)}, model: "m")
  start A
  state A = agent llm timeout ${timeout} {
    prompt "hi"
    on success -> DONE
    otherwise -> FAILED
  }
  final DONE
  final FAILED failure
}`;
    const ok = await harness(source("ok", "5s"), "A").run();
    expect(ok).toMatchObject({
      status: "succeeded",
      output: "you said: hi",
      usage: { inputTokens: 11, outputTokens: 7 },
    });
    const failed = await harness(source("garbage", "5s"), "A").run();
    expect(failed).toMatchObject({
      status: "failed",
      error: { code: "agent-http" },
      agentCalls: 1,
    });
    const slow = await harness(source("slow", "300ms"), "A").run();
    expect(slow).toMatchObject({ status: "timed_out", error: { code: "timeout" } });
  });

  it("times out", async () => {
    const provider = createProvider(spec("openai", { url: `${base}/slow`, model: "m" }), {});
    const error = await rejection(provider.call(invocation("x", { timeoutMs: 200 })));
    expect(error.code).toBe("timeout");
  });
});

describe("function agents", () => {
  it("reads text, JSON text, objects and nothing", async () => {
    const functions = {
      text: () => "plain answer",
      json: () => '{"score": 0.6}',
      reply: async () => ({ output: { a: 1 }, score: 0.9, confidence: 0.5, reasoning: "r" }),
      route: () => ({ next: "billing", done: false }),
      nothing: () => undefined,
      boom: () => {
        throw new Error("kaput");
      },
    };
    const call = (name: string) =>
      createProvider(spec("function", { name }), functions).call(invocation("p"));
    expect((await call("text")).output).toBe("plain answer");
    expect((await call("json")).score).toBe(0.6);
    expect(await call("reply")).toMatchObject({
      output: { a: 1 },
      score: 0.9,
      confidence: 0.5,
      reasoning: "r",
    });
    expect((await call("route")).output).toEqual({ next: "billing", done: false });
    expect((await call("nothing")).output).toBe("");
    const error = await rejection(call("boom"));
    expect(error.code).toBe("agent-function");
    expect(error.message).toContain("kaput");
    expect((await rejection(call("unregistered"))).code).toBe("agent-missing");
  });

  it("supplies agents declared without a provider, by name", async () => {
    const resolve = createAgentResolver(
      { reviewer: spec(undefined, {}, "reviewer") },
      { reviewer: (inv) => `reviewed: ${inv.prompt}` },
    );
    expect((await resolve("reviewer").call(invocation("x"))).output).toBe("reviewed: x");
    expect(() => resolve("nobody")).toThrow(/no agent 'nobody'/);
    const missing = createAgentResolver({ reviewer: spec(undefined, {}, "reviewer") });
    expect((await rejection(missing("reviewer").call(invocation("x")))).code).toBe("agent-missing");
  });
});
