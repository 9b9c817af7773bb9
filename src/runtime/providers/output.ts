// How every provider reads an agent's answer. An answer that is a JSON object (the whole
// text, or one ```json fenced block that is the whole text) is parsed: `score`,
// `confidence` and `reasoning` are taken from it and the object is the output — except an
// envelope of result fields only ({"output": …, "score": …}), whose `output` is the output.
// Any other answer is text (surrounding whitespace trimmed), and so is JSON nested deeper
// than MAX_JSON_DEPTH (a nesting bomb). Text that ends with a JSON object holding a score
// or a confidence — prose, then the verdict, as models write it — keeps the text as its
// output and takes `score`, `confidence` and `reasoning` from that object.
import type { AgentReply } from "../types.ts";
import { RuntimeError } from "../types.ts";

/** Keys of a reply envelope: an object of these only is unwrapped. */
const envelopeKeys = new Set([
  "output",
  "text",
  "score",
  "confidence",
  "reasoning",
  "usage",
  "exit_code",
  "stderr",
]);

/**
 * A score or a confidence: a number from 0 to 1, else none. An agent's 85 (percent) or 7
 * (out of 10) is not read as a pass: the checker proves conditions over 0–1 (AEG211), and
 * garbage from an agent must not satisfy `score >= 0.8`.
 */
export function fraction(value: unknown): number | undefined {
  const n = finite(value);
  return n !== undefined && n >= 0 && n <= 1 ? n : undefined;
}

function finite(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value)))
    return Number(value);
  return undefined;
}

function textOf(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === undefined || value === null) return "";
  return JSON.stringify(value);
}

/**
 * How deep a JSON answer may nest. Deeper values could not be saved (JSON.stringify
 * recurses): such an answer is not read as JSON.
 */
export const MAX_JSON_DEPTH = 128;

/** Whether JSON text nests deeper than `max` arrays and objects (strings skipped). */
export function nestsDeeper(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "[" || c === "{") {
      if (++depth > max) return true;
    } else if (c === "]" || c === "}") depth--;
  }
  return false;
}

/** The JSON object a text holds, if it is one (and nests at most MAX_JSON_DEPTH deep). */
export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  let body = text.trim();
  const fenced = /^```(?:json)?\s*\n([\s\S]*?)\n?```$/i.exec(body);
  if (fenced) body = fenced[1]!.trim();
  if (!body.startsWith("{") || nestsDeeper(body, MAX_JSON_DEPTH)) return undefined;
  try {
    const value: unknown = JSON.parse(body);
    return value && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** How many `{` from the end a trailing object may start at (bounds the parse attempts). */
const TRAILING_STARTS = 64;

/**
 * The JSON object a text ends with after other text: a ```json block at its end, or the
 * longest `{…}` that closes it. Undefined when the text does not end with one.
 */
export function trailingJsonObject(text: string): Record<string, unknown> | undefined {
  const body = text.trimEnd();
  if (body.endsWith("```") && body.length > 6) {
    const open = body.lastIndexOf("```", body.length - 4);
    if (open < 0) return undefined;
    return parseJsonObject(body.slice(open));
  }
  if (!body.endsWith("}")) return undefined;
  // The object that ends the text starts at one of the last `{`: try the nearest first, so
  // an inner object fails (text follows it) and the outer one that closes the text wins.
  let at = body.length;
  for (let tries = 0; tries < TRAILING_STARTS; tries++) {
    at = body.lastIndexOf("{", at - 1);
    if (at < 0) return undefined;
    const object = parseJsonObject(body.slice(at));
    if (object) return object;
  }
  return undefined;
}

/** A reply from an object an agent returned (parsed JSON, or a function's return value). */
export function replyFromObject(object: Record<string, unknown>, text?: string): AgentReply {
  const keys = Object.keys(object);
  const envelope =
    keys.length > 0 &&
    keys.every((k) => envelopeKeys.has(k)) &&
    ("output" in object || "text" in object);
  const output = envelope ? ("output" in object ? object.output : object.text) : object;
  const reply: AgentReply = {
    output,
    text: text ?? (typeof object.text === "string" ? object.text : textOf(output)),
  };
  const score = fraction(object.score);
  const confidence = fraction(object.confidence);
  if (score !== undefined) reply.score = score;
  if (confidence !== undefined) reply.confidence = confidence;
  if (typeof object.reasoning === "string") reply.reasoning = object.reasoning;
  const exit = finite(object.exit_code);
  if (envelope && exit !== undefined) reply.exit_code = exit;
  if (envelope && typeof object.stderr === "string") reply.stderr = object.stderr;
  if (object.usage && typeof object.usage === "object") {
    const u = object.usage as Record<string, unknown>;
    const usage: NonNullable<AgentReply["usage"]> = {};
    const input = finite(u.inputTokens ?? u.input_tokens ?? u.prompt_tokens);
    const outputTokens = finite(u.outputTokens ?? u.output_tokens ?? u.completion_tokens);
    const cost = finite(u.costUsd ?? u.cost_usd);
    if (input !== undefined) usage.inputTokens = input;
    if (outputTokens !== undefined) usage.outputTokens = outputTokens;
    if (cost !== undefined) usage.costUsd = cost;
    if (Object.keys(usage).length > 0) reply.usage = usage;
  }
  return reply;
}

/**
 * An agent's text answer as a reply. `mode` json requires a JSON object (else a
 * RuntimeError "agent-output"); text never parses; auto (the default) parses when it can.
 */
export function parseAgentOutput(
  text: string,
  mode: "auto" | "json" | "text" = "auto",
): AgentReply {
  if (mode !== "text") {
    const object = parseJsonObject(text);
    if (object) return replyFromObject(object, text);
    if (mode === "json") {
      const preview = text.trim().slice(0, 200);
      throw new RuntimeError(
        "agent-output",
        nestsDeeper(text, MAX_JSON_DEPTH)
          ? `the agent's JSON answer nests deeper than ${MAX_JSON_DEPTH} levels: it is not read`
          : `the agent was to answer with a JSON object, but printed: ${preview || "(nothing)"}`,
      );
    }
    const verdict = trailingJsonObject(text);
    if (verdict && ("score" in verdict || "confidence" in verdict)) {
      const { score, confidence, reasoning } = replyFromObject(verdict);
      return {
        output: text.trim(),
        text,
        ...(score !== undefined && { score }),
        ...(confidence !== undefined && { confidence }),
        ...(reasoning !== undefined && { reasoning }),
      };
    }
  }
  return { output: text.trim(), text };
}

/** A reply from whatever a function agent returned: text, an object, or nothing. */
export function replyFromValue(value: unknown): AgentReply {
  if (typeof value === "string") return parseAgentOutput(value);
  if (value === undefined || value === null) return { output: "", text: "" };
  if (typeof value === "object" && !Array.isArray(value))
    return replyFromObject(value as Record<string, unknown>);
  return { output: value, text: textOf(value) };
}
