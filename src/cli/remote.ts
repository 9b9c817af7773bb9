// The CLI's client of `aegis serve`: fetch, the server from --server URL or $AEGIS_SERVER,
// a bearer token from $AEGIS_TOKEN. A problem document becomes one line with its code
// (exit 2, through main's RuntimeError handling); a server that cannot be reached, one line
// naming its URL. Imports the wire contract (src/api/), never the server.
import { createParser } from "eventsource-parser";
import { DEFAULT_PORT } from "../api/openapi.ts";
import { isProblem } from "../api/problem.ts";
import { RuntimeError } from "../runtime/types.ts";
import { UsageError } from "./errors.ts";

/** Where `aegis serve` listens unless told otherwise. */
export const DEFAULT_SERVER = `http://127.0.0.1:${DEFAULT_PORT}`;

/** --server, for the commands that talk to a server. */
export const serverOption = { server: { type: "string" } } as const;

export interface Remote {
  /** The server's base URL (no trailing slash). */
  readonly url: string;
  /** A JSON request; a problem (or any non-2xx answer) throws a RuntimeError. */
  request<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  /**
   * A text/event-stream, event by event (a comment line as `{ comment }`: a keep-alive).
   * A connection that drops is made again with Last-Event-ID (the last id seen) for a while
   * (a server restarting); the stream ends when the server ends it and `complete()` (by
   * default) agrees — else it is made again as a dropped one is — or when `signal` aborts.
   */
  events(path: string, options?: EventsOptions): AsyncGenerator<SseItem>;
}

export interface EventsOptions {
  /** The id of the last event already seen. */
  after?: number;
  signal?: AbortSignal;
  /** Whether all there is has come when the server ends the stream (a server that stops
   * ends its streams early). */
  complete?: () => boolean | Promise<boolean>;
}

/** One Server-Sent Event, or a comment (what a server sends to keep a quiet stream open). */
export type SseItem = { id?: string; event: string; data: string } | { comment: string };

/**
 * The server configured by --server or $AEGIS_SERVER, or undefined. With `fallback`, the
 * default local server when none is configured (for commands that only talk to a server).
 */
export function remoteOf(
  values: { server?: string | undefined },
  command: string,
  fallback = false,
): Remote | undefined {
  const given = values.server ?? (process.env.AEGIS_SERVER || undefined);
  const base = given ?? (fallback ? DEFAULT_SERVER : undefined);
  if (base === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new UsageError(`the server '${base}' is not a URL (e.g. ${DEFAULT_SERVER})`, command);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`the server '${base}' is not an http(s) URL`, command);
  }
  return createRemote(url.href.replace(/\/+$/, ""), process.env.AEGIS_TOKEN || undefined);
}

export function createRemote(url: string, token?: string): Remote {
  const unreachable = (error: unknown) => {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (error as Error).message;
    return new RuntimeError(
      "server-unreachable",
      `cannot reach the aegis server at ${url} (${why}); start one with 'aegis serve', or give --server URL / AEGIS_SERVER`,
    );
  };
  const headersFor = (accept: string): Record<string, string> => ({
    accept,
    ...(token !== undefined && { authorization: `Bearer ${token}` }),
  });
  /** A non-2xx answer as one RuntimeError: its problem's code, else its status. */
  const refusal = (method: string, path: string, response: Response, parsed: unknown) => {
    if (isProblem(parsed)) {
      const detail = parsed.detail ? `: ${parsed.detail}` : "";
      return new RuntimeError(parsed.code, `${parsed.title}${detail}`);
    }
    return new RuntimeError(
      "server-error",
      `the server at ${url} answered ${method} ${path} with ${response.status} ${response.statusText}`,
    );
  };
  const parse = (text: string): unknown => {
    try {
      return text === "" ? undefined : JSON.parse(text);
    } catch {
      return undefined;
    }
  };
  return {
    url,
    async request<T>(method: string, path: string, body?: unknown) {
      const headers = headersFor("application/json");
      if (body !== undefined) headers["content-type"] = "application/json";
      let response: Response;
      try {
        response = await fetch(`${url}${path}`, {
          method,
          headers,
          ...(body !== undefined && { body: JSON.stringify(body) }),
        });
      } catch (error) {
        throw unreachable(error);
      }
      const text = await response.text();
      const parsed = parse(text);
      if (!response.ok) throw refusal(method, path, response, parsed);
      if (parsed === undefined && text !== "") {
        throw new RuntimeError(
          "server-error",
          `the server at ${url} answered ${method} ${path} with a body that is not JSON`,
        );
      }
      return { status: response.status, body: parsed as T };
    },

    async *events(path: string, options: EventsOptions = {}) {
      let last = options.after !== undefined && options.after > 0 ? String(options.after) : "";
      let retry = 500;
      let failures = 0;
      let connected = false;
      for (;;) {
        let response: Response;
        try {
          response = await fetch(`${url}${path}`, {
            headers: {
              ...headersFor("text/event-stream"),
              ...(last !== "" && { "last-event-id": last }),
            },
            ...(options.signal && { signal: options.signal }),
          });
        } catch (error) {
          if (options.signal?.aborted) return;
          // The first connection says at once that the server is not there; a lost one is
          // tried again a few times (a server restarting), then said the same way.
          if (!connected || ++failures > RECONNECTS) throw unreachable(error);
          await pause(Math.min(retry * failures, 5000), options.signal);
          continue;
        }
        if (!response.ok) throw refusal("GET", path, response, parse(await response.text()));
        connected = true;
        // What each chunk completes, in order: events (one with no data is none) and comments.
        const ready: SseItem[] = [];
        const parser = createParser({
          onEvent: (event) => {
            if (event.id !== undefined) last = event.id;
            if (event.data === "") return;
            ready.push({
              ...(event.id !== undefined && { id: event.id }),
              event: event.event ?? "message",
              data: event.data,
            });
          },
          onComment: (comment) => ready.push({ comment: comment.trimStart() }),
          onRetry: (ms) => {
            retry = ms;
          },
        });
        const decoder = new TextDecoder();
        try {
          for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
            parser.feed(decoder.decode(chunk, { stream: true }));
            for (const item of ready.splice(0)) {
              if ("data" in item) failures = 0; // it makes progress
              yield item;
            }
          }
          // The server ended the stream: the end, unless more is to come (it is stopping).
          if ((await options.complete?.()) ?? true) return;
          throw new Error("the stream ended early");
        } catch (error) {
          if (options.signal?.aborted) return;
          if (++failures > RECONNECTS) throw unreachable(error);
          await pause(Math.min(retry * failures, 5000), options.signal);
        }
      }
    },
  };
}

/** How many times in a row a lost stream is made again (waiting up to 5 s between). */
const RECONNECTS = 10;

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
