// `openai("URL", model: …)`: an OpenAI-compatible chat completions endpoint (OpenAI,
// Ollama, vLLM, llama.cpp …). POST {url}/chat/completions with the model, the messages
// (the `system` option and the state's intent as a system message, a session's earlier
// prompts and answers, the prompt as the user's), temperature and max_tokens. Errors — an HTTP status of 400 or more, a network
// failure, a body that is not the expected JSON — are RuntimeErrors "agent-http"; a body
// over MAX_RESPONSE_BYTES is "agent-output-too-large" (read no further).
import type { AgentSpec } from "../../compiler/graph.ts";
import type { AgentProvider, AgentReply } from "../types.ts";
import { RuntimeError } from "../types.ts";
import { parseAgentOutput } from "./output.ts";
import { resolveValue, stringMap, stringOption } from "./values.ts";

/** The longest response body read, in bytes: a larger one is an error, not a memory hog. */
export const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

class TooLarge extends Error {}

/** A response's body as text, refusing one longer than `max` bytes. */
async function readBody(response: Response, max: number): Promise<string> {
  const declared = Number(response.headers.get("content-length"));
  if (declared > max) {
    await response.body?.cancel();
    throw new TooLarge();
  }
  if (!response.body) return "";
  const decoder = new TextDecoder();
  let text = "";
  let bytes = 0;
  for await (const chunk of response.body) {
    bytes += chunk.byteLength;
    if (bytes > max) {
      await response.body.cancel().catch(() => undefined);
      throw new TooLarge();
    }
    text += decoder.decode(chunk, { stream: true });
  }
  return text + decoder.decode();
}

function endpoint(url: string): string {
  const base = url.replace(/\/+$/, "");
  return base.endsWith("/chat/completions") ? base : `${base}/chat/completions`;
}

export function openaiProvider(spec: AgentSpec): AgentProvider {
  const options = spec.options;
  return {
    async call(invocation) {
      const url = stringOption(options.url);
      const model = stringOption(options.model);
      if (!url || !model)
        throw new RuntimeError("agent-config", `agent '${spec.name}' needs a url and a model`);
      const system = [
        stringOption(options.system),
        invocation.intent && `The intent behind this task: ${invocation.intent}`,
      ]
        .filter(Boolean)
        .join("\n\n");
      const body: Record<string, unknown> = {
        model,
        messages: [
          ...(system ? [{ role: "system", content: system }] : []),
          // A session's conversation so far: the earlier prompts and answers.
          ...(invocation.session?.messages ?? []).map(({ role, content }) => ({ role, content })),
          { role: "user", content: invocation.prompt },
        ],
      };
      const temperature = resolveValue(options.temperature);
      const maxTokens = resolveValue(options.max_tokens);
      if (typeof temperature === "number") body.temperature = temperature;
      if (typeof maxTokens === "number") body.max_tokens = maxTokens;
      const headers: Record<string, string> = {
        "content-type": "application/json",
        accept: "application/json",
        "x-idempotency-key": invocation.idempotencyKey,
        ...stringMap(options.headers),
      };
      const key = stringOption(options.api_key);
      if (key) headers.authorization = `Bearer ${key}`;

      const signals = [invocation.signal];
      if (invocation.timeoutMs !== undefined)
        signals.push(AbortSignal.timeout(invocation.timeoutMs));
      const target = endpoint(url);
      let response: Response;
      let text: string;
      try {
        response = await fetch(target, {
          method: "POST",
          headers,
          body: JSON.stringify(body),
          signal: AbortSignal.any(signals),
        });
        text = await readBody(response, MAX_RESPONSE_BYTES);
      } catch (error) {
        if (error instanceof TooLarge)
          throw new RuntimeError(
            "agent-output-too-large",
            `POST ${target} answered with more than ${MAX_RESPONSE_BYTES} bytes: the answer is not read`,
          );
        if (invocation.signal.aborted)
          throw new RuntimeError("cancelled", `agent '${spec.name}' was cancelled`);
        if ((error as Error).name === "TimeoutError") {
          throw new RuntimeError(
            "timeout",
            `agent '${spec.name}' did not answer within ${invocation.timeoutMs} ms`,
          );
        }
        const cause = (error as { cause?: { message?: string } }).cause?.message;
        throw new RuntimeError(
          "agent-http",
          `POST ${target} failed: ${cause ?? (error as Error).message}`,
        );
      }
      if (response.status >= 400) {
        throw new RuntimeError(
          "agent-http",
          `POST ${target} answered ${response.status} ${response.statusText}: ${text.slice(0, 500)}`,
        );
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new RuntimeError(
          "agent-http",
          `POST ${target} answered with a body that is not JSON: ${text.slice(0, 200)}`,
        );
      }
      const choice = (parsed as { choices?: { message?: { content?: unknown } }[] })?.choices?.[0];
      const content = choice?.message?.content;
      if (typeof content !== "string") {
        throw new RuntimeError(
          "agent-http",
          `POST ${target} answered without choices[0].message.content: ${text.slice(0, 200)}`,
        );
      }
      const mode =
        stringOption(options.output) === "json"
          ? "json"
          : stringOption(options.output) === "text"
            ? "text"
            : "auto";
      const reply: AgentReply = parseAgentOutput(content, mode);
      const usage = (parsed as { usage?: Record<string, unknown> }).usage;
      if (usage) {
        const u: NonNullable<AgentReply["usage"]> = {};
        if (typeof usage.prompt_tokens === "number") u.inputTokens = usage.prompt_tokens;
        if (typeof usage.completion_tokens === "number") u.outputTokens = usage.completion_tokens;
        if (Object.keys(u).length > 0) reply.usage = { ...reply.usage, ...u };
      }
      invocation.onOutput?.(content);
      return reply;
    },
  };
}
