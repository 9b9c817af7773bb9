// What a tool answers: its result as text (the JSON, for clients that read only text) and
// as structuredContent; a refusal as an isError result with the stable problem code, never
// a stack trace.
import type { CallToolResult } from "@modelcontextprotocol/server";
import type { RunDetail } from "../api/runs.ts";
import { RuntimeError } from "../runtime/types.ts";

export function success(data: Record<string, unknown>): CallToolResult {
  return {
    content: [{ type: "text", text: JSON.stringify(data, null, 2) }],
    structuredContent: data,
  };
}

/** An isError result: `code: message` as text, and { error: { code, message } }. */
export function refusal(code: string, message: string): CallToolResult {
  return {
    isError: true,
    content: [{ type: "text", text: `${code}: ${message}` }],
    structuredContent: { error: { code, message } },
  };
}

/**
 * A thrown error as a refusal: a RuntimeError keeps its code and message; anything else is
 * `internal`, told to `log` (the host's stderr) and not to the client.
 */
export function failure(error: unknown, log: (line: string) => void): CallToolResult {
  if (error instanceof RuntimeError) return refusal(error.code, error.message);
  log(`aegis mcp: internal error: ${(error as Error)?.stack ?? String(error)}`);
  return refusal("internal", "the tool failed; the server's log says why");
}

/**
 * A run's status: its record's (the truth: the index can be a moment ahead of the record a
 * server reads back while it lets a run go at its gate), "queued" before it has started.
 */
export function statusOf(detail: RunDetail): string {
  return detail.run.status === "queued" ? "queued" : detail.record.status;
}

/** A run as an agent needs it: where it is, what it waits for, how it ended. */
export function runView(detail: RunDetail): Record<string, unknown> {
  const { run, record } = detail;
  const status = statusOf(detail);
  return {
    id: run.id,
    workflow: run.workflow,
    version: run.version,
    status,
    ...(record.current !== undefined && { current: record.current }),
    ...(record.waiting &&
      status === "waiting" && {
        waiting: {
          state: record.waiting.state,
          prompt: record.waiting.prompt,
          ...(record.waiting.timeoutAt !== undefined && { timeoutAt: record.waiting.timeoutAt }),
          ...(record.waiting.default !== undefined && { default: record.waiting.default }),
        },
      }),
    ...(record.output !== undefined && { output: record.output }),
    ...(record.error !== undefined && { error: record.error }),
    ...(run.caller !== undefined && { caller: run.caller }),
    startedAt: run.startedAt,
    updatedAt: run.updatedAt,
  };
}
