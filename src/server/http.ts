// What every route shares: the Hono environment (the request's principal), problem
// responses, and reading a JSON body checked against its schema.
import type { Context } from "hono";
import type { SchemaName } from "../api/openapi.ts";
import {
  PROBLEM_MEDIA_TYPE,
  type Problem,
  type ProblemCode,
  type ProblemError,
  problem,
} from "../api/problem.ts";
import type { Principal } from "./config.ts";
import { validationErrors } from "./validate.ts";

export interface Env {
  Variables: { principal: Principal };
}

/** A request refused with a problem document (thrown by a route, answered by onError). */
export class ProblemException extends Error {
  readonly problem: Problem;
  readonly headers: Record<string, string>;
  constructor(
    code: ProblemCode,
    detail?: string,
    extra: { errors?: ProblemError[]; headers?: Record<string, string> } = {},
  ) {
    super(detail ?? code);
    this.problem = problem(code, detail, extra.errors ? { errors: extra.errors } : {});
    this.headers = extra.headers ?? {};
  }
}

/** The response of a problem, about the request's path. */
export function problemResponse(
  c: Context,
  value: Problem,
  headers: Record<string, string> = {},
): Response {
  const body = { ...value, instance: value.instance ?? c.req.path };
  return new Response(JSON.stringify(body), {
    status: value.status,
    headers: { "content-type": PROBLEM_MEDIA_TYPE, ...headers },
  });
}

/** The request's JSON body, checked against components.schemas[`schema`]. */
export async function readJson<T>(c: Context, schema: SchemaName): Promise<T> {
  const type = c.req.header("content-type") ?? "";
  const media = type.split(";")[0]!.trim().toLowerCase();
  if (media !== "application/json" && !media.endsWith("+json")) {
    throw new ProblemException(
      "unsupported-media-type",
      `send the body as application/json${media ? `, not ${media}` : ""}`,
    );
  }
  const text = await c.req.text();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ProblemException("malformed-json", (error as Error).message);
  }
  const errors = validationErrors(schema, value);
  if (errors.length > 0) {
    const first = errors[0]!;
    throw new ProblemException("invalid-request", `${first.pointer}: ${first.message}`, {
      errors,
    });
  }
  return value as T;
}
