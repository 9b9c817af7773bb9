// The CLI's client of `aegis serve`: fetch, the server from --server URL or $AEGIS_SERVER,
// a bearer token from $AEGIS_TOKEN. A problem document becomes one line with its code
// (exit 2, through main's RuntimeError handling); a server that cannot be reached, one line
// naming its URL. Imports the wire contract (src/api/), never the server.
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
}

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
  return {
    url,
    async request<T>(method: string, path: string, body?: unknown) {
      const headers: Record<string, string> = { accept: "application/json" };
      if (token !== undefined) headers.authorization = `Bearer ${token}`;
      if (body !== undefined) headers["content-type"] = "application/json";
      let response: Response;
      try {
        response = await fetch(`${url}${path}`, {
          method,
          headers,
          ...(body !== undefined && { body: JSON.stringify(body) }),
        });
      } catch (error) {
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        const why = cause?.code ?? cause?.message ?? (error as Error).message;
        throw new RuntimeError(
          "server-unreachable",
          `cannot reach the aegis server at ${url} (${why}); start one with 'aegis serve', or give --server URL / AEGIS_SERVER`,
        );
      }
      const text = await response.text();
      let parsed: unknown;
      try {
        parsed = text === "" ? undefined : JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      if (!response.ok) {
        if (isProblem(parsed)) {
          const detail = parsed.detail ? `: ${parsed.detail}` : "";
          throw new RuntimeError(parsed.code, `${parsed.title}${detail}`);
        }
        throw new RuntimeError(
          "server-error",
          `the server at ${url} answered ${method} ${path} with ${response.status} ${response.statusText}`,
        );
      }
      if (parsed === undefined && text !== "") {
        throw new RuntimeError(
          "server-error",
          `the server at ${url} answered ${method} ${path} with a body that is not JSON`,
        );
      }
      return { status: response.status, body: parsed as T };
    },
  };
}
