// The runs endpoints of `aegis serve`: start a deployed workflow, list and read runs,
// answer a gate, cancel, resume, and a run's log — as JSON, and live as Server-Sent Events.
import type { LoggedObservation } from "../runtime/events.ts";
import type { RunCaller, RunMeta } from "../runtime/store/types.ts";
import type { RunRecord, RunStatus } from "../runtime/types.ts";
import { common, json, pathParameter, problems, ref, withBody } from "./oas.ts";

export interface StartRunRequest {
  workflow: string;
  /** A deployed version's hash (default: the current one). */
  version?: string;
  inputs?: Record<string, unknown>;
  intent?: string;
  /** The run's id (default: `<workflow>-<date>-<time>-<random>`). */
  id?: string;
  /**
   * Who the request is made for, as the client tells it (an MCP client relaying an agent:
   * `aegis mcp`). Recorded in the run's meta beside the user, which is always the request's
   * principal.
   */
  caller?: StartRunCaller;
}

export interface StartRunCaller {
  via: "mcp";
  /** The MCP client's name/version. */
  client?: string;
  /** The agent's session. */
  session?: string;
}

/** A run as the server's index has it. */
export interface RunSummary {
  id: string;
  workflow: string;
  version: string;
  /** "queued" until the server has a slot for it. */
  status: RunStatus | "queued";
  current?: string;
  /** The gate it waits at. */
  waitingAt?: string;
  /** When that gate times out. */
  wakeAt?: string;
  caller?: RunCaller;
  /** A subworkflow's run: the run and state that started it. */
  parent?: { run: string; state: string };
  startedAt: string;
  updatedAt: string;
}

export interface RunList {
  runs: RunSummary[];
  /** Pass as `before` for the next page. */
  next?: string;
}

export interface RunDetail {
  run: RunSummary;
  record: RunRecord;
  meta: RunMeta;
  /** The gate the run waits at, as the one asking sees it. */
  gate?: GateView;
}

/** A human gate a run waits at. */
export interface GateView {
  state: string;
  /** The gate's prompt, rendered. */
  prompt: string;
  since: string;
  timeoutAt?: string;
  /** The response a timeout gives. */
  default?: string;
  /** An approval (approve / reject) or a response (text its transitions read). */
  asks: "approval" | "response";
  /** Who may answer the workflow's gates (the server's config); null: anyone it lets in. */
  who: { users?: string[]; roles?: string[] } | null;
  /** Whether the principal of the request may answer. */
  mayAnswer: boolean;
}

export interface SignalRequest {
  approve?: boolean;
  response?: string;
  feedback?: string;
  /** The gate answered (default: wherever the run waits). */
  state?: string;
}

export interface SignalResponse {
  record: RunRecord;
  /** Set when the answer came after the gate's timeout (the run went on as the timeout says). */
  notice?: string;
}

export interface CancelRequest {
  reason?: string;
}

export interface RunLogResponse {
  entries: LoggedObservation[];
}

const caller = {
  type: "object",
  required: ["via"],
  properties: {
    via: { type: "string" },
    user: { type: "string" },
    client: { type: "string" },
    session: { type: "string" },
  },
} as const;

export const runSchemas = {
  StartRunRequest: {
    type: "object",
    required: ["workflow"],
    additionalProperties: false,
    properties: {
      workflow: { type: "string", minLength: 1, maxLength: 200 },
      version: { type: "string", pattern: "^[0-9a-f]{8,128}$" },
      inputs: { type: "object" },
      intent: { type: "string", maxLength: 10_000 },
      id: { type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$" },
      caller: {
        type: "object",
        required: ["via"],
        additionalProperties: false,
        properties: {
          via: { enum: ["mcp"] },
          client: { type: "string", maxLength: 200 },
          session: { type: "string", maxLength: 200 },
        },
      },
    },
  },
  RunSummary: {
    type: "object",
    required: ["id", "workflow", "version", "status", "startedAt", "updatedAt"],
    properties: {
      id: { type: "string" },
      workflow: { type: "string" },
      version: { type: "string" },
      status: {
        enum: ["queued", "running", "waiting", "succeeded", "failed", "cancelled"],
      },
      current: { type: "string" },
      waitingAt: { type: "string" },
      wakeAt: { type: "string", format: "date-time" },
      caller,
      parent: {
        type: "object",
        required: ["run", "state"],
        properties: { run: { type: "string" }, state: { type: "string" } },
      },
      startedAt: { type: "string", format: "date-time" },
      updatedAt: { type: "string", format: "date-time" },
    },
  },
  RunList: {
    type: "object",
    required: ["runs"],
    properties: {
      runs: { type: "array", items: ref("RunSummary") },
      next: { type: "string" },
    },
  },
  RunDetail: {
    type: "object",
    required: ["run", "record", "meta"],
    properties: {
      run: ref("RunSummary"),
      record: { type: "object", description: "The run's record (src/runtime/types.ts RunRecord)" },
      meta: { type: "object", description: "What was fixed at its start (RunMeta)" },
      gate: ref("GateView"),
    },
  },
  GateView: {
    type: "object",
    required: ["state", "prompt", "since", "asks", "who", "mayAnswer"],
    properties: {
      state: { type: "string" },
      prompt: { type: "string" },
      since: { type: "string", format: "date-time" },
      timeoutAt: { type: "string", format: "date-time" },
      default: { type: "string" },
      asks: { enum: ["approval", "response"] },
      who: {
        oneOf: [
          { type: "null" },
          {
            type: "object",
            properties: {
              users: { type: "array", items: { type: "string" } },
              roles: { type: "array", items: { type: "string" } },
            },
          },
        ],
      },
      mayAnswer: { type: "boolean" },
    },
  },
  SignalRequest: {
    type: "object",
    additionalProperties: false,
    properties: {
      approve: { type: "boolean" },
      response: { type: "string", maxLength: 100_000 },
      feedback: { type: "string", maxLength: 100_000 },
      state: { type: "string", maxLength: 200 },
    },
  },
  SignalResponse: {
    type: "object",
    required: ["record"],
    properties: { record: { type: "object" }, notice: { type: "string" } },
  },
  CancelRequest: {
    type: "object",
    additionalProperties: false,
    properties: { reason: { type: "string", maxLength: 1000 } },
  },
  RunLog: {
    type: "object",
    required: ["entries"],
    properties: {
      entries: {
        type: "array",
        items: {
          type: "object",
          required: ["n", "observation"],
          properties: { n: { type: "integer", minimum: 1 }, observation: { type: "object" } },
        },
      },
    },
  },
} as const;

const id = pathParameter("id", "The run's id");
const after = {
  name: "after",
  in: "query",
  required: false,
  description: "Only the observations after the n-th (an SSE event id)",
  schema: { type: "integer", minimum: 0 },
};
const query = (name: string, description: string, schema: object = { type: "string" }) => ({
  name,
  in: "query",
  required: false,
  description,
  schema,
});

export const runPaths = {
  "/v1/runs": {
    post: {
      operationId: "startRun",
      summary: "Start the current (or a given) version of a deployed workflow",
      requestBody: {
        required: true,
        content: { "application/json": { schema: ref("StartRunRequest") } },
      },
      responses: {
        "201": json("Started (queued until a slot is free)", ref("RunSummary")),
        ...problems(
          ...withBody,
          "unknown-workflow",
          "unknown-version",
          "invalid-inputs",
          "run-exists",
        ),
      },
    },
    get: {
      operationId: "listRuns",
      summary: "Runs, newest first",
      parameters: [
        query("workflow", "Only this workflow's runs"),
        query("status", "Only runs with this status", {
          enum: ["queued", "running", "waiting", "succeeded", "failed", "cancelled"],
        }),
        query("limit", "At most this many (default 100, at most 1000)", {
          type: "integer",
          minimum: 1,
          maximum: 1000,
        }),
        query("before", "The runs started before this run (the previous page's `next`)"),
      ],
      responses: {
        "200": json("The runs", ref("RunList")),
        ...problems(...common, "invalid-request"),
      },
    },
  },
  "/v1/runs/{id}": {
    get: {
      operationId: "getRun",
      summary: "A run: its summary, record and meta",
      parameters: [id],
      responses: {
        "200": json("The run", ref("RunDetail")),
        ...problems(...common, "unknown-run"),
      },
    },
  },
  "/v1/runs/{id}/signal": {
    post: {
      operationId: "answerGate",
      summary: "Answer the human gate a run waits at (approve, reject, or a response)",
      parameters: [id],
      requestBody: {
        required: true,
        content: { "application/json": { schema: ref("SignalRequest") } },
      },
      responses: {
        "200": json("Answered; the run goes on", ref("SignalResponse")),
        ...problems(...withBody, "unknown-run", "forbidden", "not-waiting", "invalid-answer"),
      },
    },
  },
  "/v1/runs/{id}/cancel": {
    post: {
      operationId: "cancelRun",
      summary: "Cancel a run",
      parameters: [id],
      requestBody: {
        required: false,
        content: { "application/json": { schema: ref("CancelRequest") } },
      },
      responses: {
        "200": json("Cancelled: the run's record", { type: "object" }),
        ...problems(...withBody, "unknown-run", "not-cancellable"),
      },
    },
  },
  "/v1/runs/{id}/resume": {
    post: {
      operationId: "resumeRun",
      summary: "Drive a run that stopped on again",
      parameters: [id],
      responses: {
        "202": json("Queued to be driven", ref("RunSummary")),
        ...problems(...common, "unknown-run", "not-resumable"),
      },
    },
  },
  "/v1/runs/{id}/graph": {
    get: {
      operationId: "runGraph",
      summary:
        "The compiled document the run runs (a subworkflow's run: its own, embedded in its parent's)",
      parameters: [id],
      responses: {
        "200": json("The compiled workflow", ref("GraphDocument")),
        ...problems(...common, "unknown-run"),
      },
    },
  },
  "/v1/runs/{id}/log": {
    get: {
      operationId: "runLog",
      summary: "The run's observations, each with its place in the log",
      parameters: [id, after],
      responses: {
        "200": json("The observations", ref("RunLog")),
        ...problems(...common, "unknown-run", "invalid-request"),
      },
    },
  },
  "/v1/runs/{id}/events": {
    get: {
      operationId: "runEvents",
      summary:
        "The run's observations as Server-Sent Events: those logged so far (after Last-Event-ID or `after`), then live, until the run finishes",
      parameters: [
        id,
        after,
        {
          name: "Last-Event-ID",
          in: "header",
          required: false,
          description: "The id of the last event received (a reconnecting client)",
          schema: { type: "string" },
        },
      ],
      responses: {
        "200": {
          description:
            "text/event-stream: each event's `id` is its place in the log, `event` the observation's type, `data` the observation as JSON",
          content: { "text/event-stream": { schema: { type: "string" } } },
        },
        ...problems(...common, "unknown-run", "invalid-request"),
      },
    },
  },
  "/v1/events": {
    get: {
      operationId: "runChanges",
      summary:
        "Every run's changes as Server-Sent Events, from now on: a `run` event with the run's summary each time one is started, moves, waits or finishes",
      parameters: [query("workflow", "Only this workflow's runs")],
      responses: {
        "200": {
          description:
            "text/event-stream: `event` is `run`, `data` the RunSummary as JSON; nothing is replayed (a client that reconnects lists the runs again)",
          content: { "text/event-stream": { schema: { type: "string" } } },
        },
        ...problems(...common),
      },
    },
  },
} as const;
