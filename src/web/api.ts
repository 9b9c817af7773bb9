// The viewer's client of the server's API (/v1): JSON requests with the bearer token the
// user gave (sessionStorage), problem documents (RFC 9457) as ApiError, and Server-Sent
// Events read with fetch() so that the Authorization header goes along (EventSource cannot
// send it).

import { createParser } from "eventsource-parser";
import type {
  RunDetail,
  RunList,
  RunSummary,
  SignalRequest,
  SignalResponse,
  StartRunRequest,
} from "../api/runs.ts";
import type { WorkflowDetail, WorkflowList } from "../api/workflows.ts";
import type { Figures } from "../compiler/figures.ts";
import type { GraphDocument } from "../compiler/graph.ts";

export type { GateView } from "../api/runs.ts";
export type { WorkflowSummary } from "../api/workflows.ts";
export type { HistoryEntry, RunObservation, RunRecord, StateResult } from "../runtime/types.ts";
export type {
  Figures,
  GraphDocument,
  RunDetail,
  RunList,
  RunSummary,
  WorkflowDetail,
  WorkflowList,
};

const TOKEN_KEY = "aegis-token";

/** Where the API is: the server that serves the page (/ui/ → /v1). */
const base = new URL("../", document.baseURI).href.replace(/\/$/, "");

export function token(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setToken(value: string | null): void {
  try {
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {}
}

/** A refusal of the server (a problem document), or a failure to reach it. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail?: string;
  readonly errors?: { pointer: string; message: string }[];
  constructor(
    status: number,
    code: string,
    title: string,
    detail?: string,
    errors?: { pointer: string; message: string }[],
  ) {
    super(detail ?? title);
    this.status = status;
    this.code = code;
    this.title = title;
    if (detail !== undefined) this.detail = detail;
    if (errors !== undefined) this.errors = errors;
  }
  get unauthorized(): boolean {
    return this.status === 401;
  }
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const t = token();
  return { ...extra, ...(t && { authorization: `Bearer ${t}` }) };
}

async function problemOf(response: Response): Promise<ApiError> {
  let body: Record<string, unknown> = {};
  try {
    body = (await response.json()) as Record<string, unknown>;
  } catch {}
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  return new ApiError(
    response.status,
    str(body.code) ?? `http-${response.status}`,
    str(body.title) ?? response.statusText ?? "Request failed",
    str(body.detail),
    Array.isArray(body.errors)
      ? (body.errors as { pointer: string; message: string }[])
      : undefined,
  );
}

/** A JSON request to the API; a refusal throws ApiError. */
export async function request<T>(
  method: string,
  path: string,
  body?: unknown,
  signal?: AbortSignal,
): Promise<T> {
  let response: Response;
  try {
    response = await fetch(base + path, {
      method,
      headers: headers({
        accept: "application/json",
        ...(body !== undefined && { "content-type": "application/json" }),
      }),
      ...(body !== undefined && { body: JSON.stringify(body) }),
      ...(signal && { signal }),
      cache: "no-store",
    });
  } catch (error) {
    if ((error as Error)?.name === "AbortError") throw error;
    throw new ApiError(0, "unreachable", "The server cannot be reached", String(error));
  }
  if (!response.ok) throw await problemOf(response);
  return (await response.json()) as T;
}

const q = (params: Record<string, string | undefined>): string => {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) search.set(k, v);
  const text = search.toString();
  return text ? `?${text}` : "";
};
const enc = encodeURIComponent;

export const api = {
  runs: (
    filter: { workflow?: string; status?: string; limit?: string; before?: string },
    signal?: AbortSignal,
  ) => request<RunList>("GET", `/v1/runs${q(filter)}`, undefined, signal),
  run: (id: string, signal?: AbortSignal) =>
    request<RunDetail>("GET", `/v1/runs/${enc(id)}`, undefined, signal),
  signal: (id: string, body: SignalRequest) =>
    request<SignalResponse>("POST", `/v1/runs/${enc(id)}/signal`, body),
  cancel: (id: string, reason?: string) =>
    request<unknown>("POST", `/v1/runs/${enc(id)}/cancel`, reason ? { reason } : {}),
  start: (body: StartRunRequest) => request<RunSummary>("POST", "/v1/runs", body),
  workflows: (signal?: AbortSignal) =>
    request<WorkflowList>("GET", "/v1/workflows", undefined, signal),
  workflow: (name: string, signal?: AbortSignal) =>
    request<WorkflowDetail>("GET", `/v1/workflows/${enc(name)}`, undefined, signal),
  version: (name: string, version: string, signal?: AbortSignal) =>
    request<GraphDocument>(
      "GET",
      `/v1/workflows/${enc(name)}/versions/${enc(version)}`,
      undefined,
      signal,
    ),
  figures: (name: string, version: string, signal?: AbortSignal) =>
    request<Figures>(
      "GET",
      `/v1/workflows/${enc(name)}/versions/${enc(version)}/figures`,
      undefined,
      signal,
    ),
  runGraph: (id: string, signal?: AbortSignal) =>
    request<GraphDocument>("GET", `/v1/runs/${enc(id)}/graph`, undefined, signal),
  runEventsPath: (id: string) => `/v1/runs/${enc(id)}/events`,
  changesPath: (workflow?: string) => `/v1/events${q({ workflow })}`,
};

export interface ServerEvent {
  id?: string;
  event: string;
  data: string;
}

/**
 * Reads a Server-Sent Events stream until it ends (resolves) or fails (rejects; an abort
 * through `signal` resolves). `lastEventId` is sent as Last-Event-ID; `opened` is called
 * once the first bytes have arrived.
 */
export async function readEvents(
  path: string,
  onEvent: (event: ServerEvent) => void,
  options: { signal: AbortSignal; lastEventId?: string; opened?: () => void },
): Promise<void> {
  let response: Response;
  try {
    response = await fetch(base + path, {
      headers: headers({
        accept: "text/event-stream",
        ...(options.lastEventId && { "last-event-id": options.lastEventId }),
      }),
      signal: options.signal,
      cache: "no-store",
    });
  } catch (error) {
    if (options.signal.aborted) return;
    throw new ApiError(0, "unreachable", "The server cannot be reached", String(error));
  }
  if (!response.ok || !response.body) throw await problemOf(response);
  let opened = false;
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const parser = createParser({
    onEvent: (event) =>
      onEvent({
        event: event.event ?? "message",
        data: event.data,
        ...(event.id !== undefined && { id: event.id }),
      }),
  });
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      // The first bytes (the server's ": watching" comment, or an event) say that the
      // stream is open: what happens from here on is sent.
      if (!opened) {
        opened = true;
        options.opened?.();
      }
      parser.feed(value);
    }
  } catch (error) {
    if (options.signal.aborted) return;
    throw error;
  } finally {
    reader.releaseLock();
  }
}

/**
 * Follows a stream for as long as `signal` is not aborted: reconnects after a drop (with
 * growing pauses, at most 10 s), calling `reconnected` first so that the caller can catch
 * up. `done` says whether the stream ended for good (a finished run's log).
 */
export function follow(
  path: () => string,
  onEvent: (event: ServerEvent) => void,
  options: {
    signal: AbortSignal;
    lastEventId?: () => string | undefined;
    reconnected?: () => void | Promise<void>;
    done?: () => boolean;
    onError?: (error: unknown) => void;
    opened?: () => void;
  },
): Promise<void> {
  return (async () => {
    let pause = 500;
    let first = true;
    while (!options.signal.aborted) {
      try {
        if (!first) await options.reconnected?.();
        first = false;
        const id = options.lastEventId?.();
        await readEvents(path(), onEvent, {
          signal: options.signal,
          ...(id !== undefined && { lastEventId: id }),
          opened: () => {
            pause = 500;
            options.opened?.();
          },
        });
        if (options.done?.()) return;
      } catch (error) {
        if (options.signal.aborted) return;
        options.onError?.(error);
        if (error instanceof ApiError && error.status >= 400 && error.status < 500) return;
      }
      await new Promise((resolve) => setTimeout(resolve, pause));
      pause = Math.min(pause * 2, 10_000);
    }
  })();
}
