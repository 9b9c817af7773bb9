// The tools' argument schemas (plain JSON Schema; the SDK validates arguments against them
// before a tool runs). Their fields reuse the wire contract's schemas (src/api/runs.ts), so
// an MCP argument is held to the limits of the HTTP body it becomes; what a workflow takes
// is its own inputSchema, as the compiler derived it from its `input` declarations.
import { runSchemas } from "../api/runs.ts";

const start = runSchemas.StartRunRequest.properties;
const signal = runSchemas.SignalRequest.properties;

/** The longest a tool call waits (clients time calls out themselves, often at 60 s). */
export const MAX_WAIT_SECONDS = 300;
export const DEFAULT_WAIT_SECONDS = 30;

const runId = { type: "string", minLength: 1, maxLength: 200, description: "The run's id" };

export const waitProperties = {
  wait: {
    enum: ["none", "gate", "end"],
    description:
      "Return at once (none, the default), when the run first waits at a human gate or ends (gate), or when it ends (end). A wait that runs out returns the run as it is then.",
  },
  waitSeconds: {
    type: "integer",
    minimum: 0,
    maximum: MAX_WAIT_SECONDS,
    description: `How long to wait at most (default ${DEFAULT_WAIT_SECONDS})`,
  },
} as const;

export const listWorkflowsArgs = { type: "object", properties: {}, additionalProperties: false };

export const runWorkflowArgs = {
  type: "object",
  required: ["name"],
  additionalProperties: false,
  properties: {
    name: { ...start.workflow, description: "The deployed workflow's name (list_workflows)" },
    inputs: {
      type: "object",
      description: "The workflow's inputs: list_workflows gives each workflow's inputSchema",
    },
    version: { ...start.version, description: "A deployed version's hash (default: current)" },
    intent: { ...start.intent, description: "What the run is for, in a sentence" },
    ...waitProperties,
  },
};

export const getRunArgs = {
  type: "object",
  required: ["id"],
  additionalProperties: false,
  properties: { id: runId, ...waitProperties },
};

export const answerGateArgs = {
  type: "object",
  required: ["id"],
  additionalProperties: false,
  properties: {
    id: runId,
    approve: { ...signal.approve, description: "true approves, false rejects" },
    response: { ...signal.response, description: "A free-text answer (for gates that take one)" },
    feedback: { ...signal.feedback, description: "Why: passed on to the next state" },
    state: { ...signal.state, description: "The gate answered (default: where the run waits)" },
  },
};

export const cancelRunArgs = {
  type: "object",
  required: ["id"],
  additionalProperties: false,
  properties: { id: runId, reason: runSchemas.CancelRequest.properties.reason },
};

/**
 * A deployed workflow's inputSchema as a tool's arguments: an object schema (MCP requires
 * one at the top), its $schema dropped (the SDK's validator picks its dialect).
 */
export function workflowArgs(inputSchema: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _dialect, ...schema } = inputSchema;
  return { ...schema, type: "object" };
}

/** The per-workflow tool's name: run_<name>, in the characters MCP allows in a tool name. */
export function workflowToolName(name: string): string {
  return `run_${name.replace(/[^A-Za-z0-9_.-]/g, "_")}`.slice(0, 128);
}
