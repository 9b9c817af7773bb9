// Problem documents (RFC 9457): how the server says that a request failed, and how the CLI
// reads it. Every failure carries a stable `code`; the codes are part of the wire contract
// (clients branch on them, never on the title or the detail).

/** The problem codes, with the status each is sent with and its title. */
export const problemCodes = {
  "malformed-json": { status: 400, title: "The request body is not valid JSON" },
  "invalid-request": { status: 400, title: "The request does not match its schema" },
  unauthorized: { status: 401, title: "A valid bearer token is required" },
  forbidden: { status: 403, title: "Not allowed" },
  "forbidden-host": { status: 403, title: "The Host or Origin of the request is not allowed" },
  "not-found": { status: 404, title: "No such resource" },
  "unknown-workflow": { status: 404, title: "No workflow of that name is deployed" },
  "unknown-version": { status: 404, title: "The workflow has no such version" },
  "method-not-allowed": { status: 405, title: "The resource does not allow that method" },
  "body-too-large": { status: 413, title: "The request body is too large" },
  "unsupported-media-type": { status: 415, title: "The request body must be application/json" },
  "invalid-workflow": { status: 422, title: "The workflow document cannot be deployed" },
  "unknown-run": { status: 404, title: "No run of that id" },
  "run-exists": { status: 409, title: "A run of that id exists already" },
  "not-waiting": { status: 409, title: "The run is not waiting at that gate" },
  "not-cancellable": { status: 409, title: "The run has finished: there is nothing to cancel" },
  "not-resumable": { status: 409, title: "The run has finished: there is nothing to resume" },
  "run-locked": { status: 409, title: "Another process drives the run" },
  "invalid-inputs": { status: 422, title: "The workflow refuses the inputs" },
  "invalid-answer": { status: 422, title: "The answer neither approves, rejects, nor responds" },
  internal: { status: 500, title: "Internal server error" },
  "web-unavailable": { status: 503, title: "The web viewer is not available" },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemCode = keyof typeof problemCodes;

/** The media type of a problem document. */
export const PROBLEM_MEDIA_TYPE = "application/problem+json";

/** Where a problem's `type` URI points: one per code. */
export function problemType(code: string): string {
  return `urn:aegis:problem:${code}`;
}

/** One reason a request body was refused (a JSON pointer into the body, and a message). */
export interface ProblemError {
  pointer: string;
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  code: string;
  /** The request path the problem is about. */
  instance?: string;
  /** Validation failures, one per place in the body. */
  errors?: ProblemError[];
}

/** A problem document for `code`. */
export function problem(
  code: ProblemCode,
  detail?: string,
  extra: { instance?: string; errors?: ProblemError[] } = {},
): Problem {
  const { status, title } = problemCodes[code];
  return {
    type: problemType(code),
    title,
    status,
    ...(detail !== undefined && { detail }),
    code,
    ...extra,
  };
}

/** Whether a parsed body looks like a problem document (what a client checks). */
export function isProblem(value: unknown): value is Problem {
  if (!value || typeof value !== "object") return false;
  const p = value as Partial<Problem>;
  return typeof p.code === "string" && typeof p.status === "number" && typeof p.title === "string";
}

/** The JSON Schema of a problem document (components.schemas.Problem). */
export const problemSchema = {
  type: "object",
  required: ["type", "title", "status", "code"],
  properties: {
    type: { type: "string", format: "uri-reference" },
    title: { type: "string" },
    status: { type: "integer", minimum: 400, maximum: 599 },
    detail: { type: "string" },
    code: { type: "string", description: "A stable code: clients branch on it." },
    instance: { type: "string" },
    errors: {
      type: "array",
      items: {
        type: "object",
        required: ["pointer", "message"],
        properties: { pointer: { type: "string" }, message: { type: "string" } },
      },
    },
  },
} as const;
