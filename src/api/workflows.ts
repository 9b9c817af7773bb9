// The registry's part of the wire contract: deploying a compiled workflow and listing what
// is deployed. Types for both sides, the JSON Schemas (components.schemas), and the paths.
import type { GraphDocument } from "../compiler/graph.ts";
import { common, json, pathParameter, problems, ref, withBody } from "./oas.ts";

/** POST /v1/workflows: the compiled workflow, as `aegis compile --out` writes it. */
export type DeployRequest = GraphDocument;

/** What a deploy stored (201), or found already stored (200, `created: false`). */
export interface DeployResponse {
  name: string;
  /** The version: the document's content hash. */
  version: string;
  /** The `version` the workflow declares, if it declares one. */
  declaredVersion?: string;
  deployedAt: string;
  /** Stored by this request (201); false: it was stored already (200). */
  created: boolean;
  /** The version that was current before, when this request changed it (a redeploy of an
   * older version makes it current again). */
  previous?: string;
}

/** One deployed workflow, at its current version. */
export interface WorkflowSummary {
  name: string;
  version: string;
  declaredVersion?: string;
  title?: string;
  description?: string;
  deployedAt: string;
  /** How many versions the registry keeps. */
  versions: number;
  /** JSON Schema of the run inputs. */
  inputSchema: Record<string, unknown>;
}

export interface WorkflowList {
  workflows: WorkflowSummary[];
}

/** One stored version of a workflow. */
export interface WorkflowVersion {
  version: string;
  declaredVersion?: string;
  deployedAt: string;
  current: boolean;
  /** Runs that use this version (it is kept while any does). */
  runs: number;
}

/** GET /v1/workflows/{name}: the workflow and its versions, newest first. */
export interface WorkflowDetail {
  name: string;
  current: string;
  versions: WorkflowVersion[];
}

const hash = { type: "string", pattern: "^[0-9a-f]{64}$" } as const;
const time = { type: "string", format: "date-time" } as const;

export const workflowSchemas = {
  Figures: {
    type: "object",
    required: ["states", "worstCase", "visits"],
    properties: {
      states: { type: "integer", minimum: 0 },
      worstCase: {
        type: "object",
        required: ["reasons"],
        properties: {
          agentCalls: { type: "integer", minimum: 0, description: "Absent: unbounded or unknown" },
          wallTimeMs: { type: "number", minimum: 0, description: "Absent: unbounded or unknown" },
          reasons: {
            type: "array",
            items: { type: "string" },
            description: "Why a figure is unknown",
          },
        },
      },
      visits: {
        type: "object",
        description: "Each reachable state's most visits in one run (null: unbounded)",
        additionalProperties: { oneOf: [{ type: "integer", minimum: 0 }, { type: "null" }] },
      },
    },
  },
  GraphDocument: {
    description: "A compiled workflow (aegis compile --out), with its content hash.",
    type: "object",
    required: ["format", "version", "hash", "graph"],
    properties: {
      format: { const: "aegis-graph" },
      version: { type: "integer" },
      hash,
      graph: {
        type: "object",
        required: ["attributes"],
        properties: {
          attributes: {
            type: "object",
            required: ["name"],
            properties: { name: { type: "string", minLength: 1 }, version: { type: "string" } },
          },
          nodes: { type: "array" },
          edges: { type: "array" },
        },
      },
      subworkflows: { type: "object", additionalProperties: ref("GraphDocument") },
    },
  },
  DeployResponse: {
    type: "object",
    required: ["name", "version", "deployedAt", "created"],
    properties: {
      name: { type: "string" },
      version: hash,
      declaredVersion: { type: "string" },
      deployedAt: time,
      created: { type: "boolean" },
      previous: hash,
    },
  },
  WorkflowSummary: {
    type: "object",
    required: ["name", "version", "deployedAt", "versions", "inputSchema"],
    properties: {
      name: { type: "string" },
      version: hash,
      declaredVersion: { type: "string" },
      title: { type: "string" },
      description: { type: "string" },
      deployedAt: time,
      versions: { type: "integer", minimum: 1 },
      inputSchema: { type: "object" },
    },
  },
  WorkflowList: {
    type: "object",
    required: ["workflows"],
    properties: { workflows: { type: "array", items: ref("WorkflowSummary") } },
  },
  WorkflowVersion: {
    type: "object",
    required: ["version", "deployedAt", "current", "runs"],
    properties: {
      version: hash,
      declaredVersion: { type: "string" },
      deployedAt: time,
      current: { type: "boolean" },
      runs: { type: "integer", minimum: 0 },
    },
  },
  WorkflowDetail: {
    type: "object",
    required: ["name", "current", "versions"],
    properties: {
      name: { type: "string" },
      current: hash,
      versions: { type: "array", items: ref("WorkflowVersion") },
    },
  },
} as const;

const name = pathParameter("name", "The workflow's name");

export const workflowPaths = {
  "/v1/workflows": {
    post: {
      operationId: "deployWorkflow",
      summary: "Deploy a compiled workflow; it becomes the current version of its name",
      requestBody: {
        required: true,
        content: { "application/json": { schema: ref("GraphDocument") } },
      },
      responses: {
        "200": json(
          "Stored already (the same content hash); made current again if it was not",
          ref("DeployResponse"),
        ),
        "201": json("Deployed", ref("DeployResponse")),
        ...problems(...withBody, "invalid-workflow"),
      },
    },
    get: {
      operationId: "listWorkflows",
      summary: "The deployed workflows, each at its current version",
      responses: { "200": json("The workflows", ref("WorkflowList")), ...problems(...common) },
    },
  },
  "/v1/workflows/{name}": {
    get: {
      operationId: "getWorkflow",
      summary: "A workflow and its versions, newest first",
      parameters: [name],
      responses: {
        "200": json("The workflow", ref("WorkflowDetail")),
        ...problems(...common, "unknown-workflow"),
      },
    },
  },
  "/v1/workflows/{name}/versions/{version}": {
    get: {
      operationId: "getWorkflowVersion",
      summary: "The compiled document of one version",
      parameters: [name, pathParameter("version", "The version (content hash)")],
      responses: {
        "200": json("The compiled workflow", ref("GraphDocument")),
        ...problems(...common, "unknown-workflow", "unknown-version"),
      },
    },
  },
  "/v1/workflows/{name}/versions/{version}/figures": {
    get: {
      operationId: "getWorkflowFigures",
      summary: "What the checker proves of one version: its worst case and each state's visits",
      parameters: [name, pathParameter("version", "The version (content hash)")],
      responses: {
        "200": json("The figures", ref("Figures")),
        ...problems(...common, "unknown-workflow", "unknown-version"),
      },
    },
  },
} as const;
