// The OpenAPI 3.1 document of `aegis serve`: one const, served as GET /v1/openapi.json. Its
// components.schemas are JSON Schema 2020-12, and the server validates request bodies with
// the same schemas (src/server/validate.ts), so the document and the checks cannot drift.
// Each area adds its schemas and paths here (workflows now; runs next).
import { json, problems, ref } from "./oas.ts";
import { problemSchema } from "./problem.ts";
import { runPaths, runSchemas } from "./runs.ts";
import { workflowPaths, workflowSchemas } from "./workflows.ts";

/** The port `aegis serve` listens on unless told otherwise (and the CLI's default server). */
export const DEFAULT_PORT = 4680;

/** GET /v1/health. */
export interface Health {
  status: "ok";
  /** The server's aegis version. */
  version: string;
}

const serverPaths = {
  "/v1/health": {
    get: {
      operationId: "health",
      summary: "Whether the server is up, and its version",
      security: [],
      responses: {
        "200": json("Up", ref("Health")),
        ...problems("forbidden-host", "internal"),
      },
    },
  },
  "/v1/openapi.json": {
    get: {
      operationId: "openapi",
      summary: "This document",
      security: [],
      responses: {
        "200": json("The OpenAPI document", { type: "object" }),
        ...problems("forbidden-host", "internal"),
      },
    },
  },
} as const;

export const openapi = {
  openapi: "3.1.1",
  info: {
    title: "aegis",
    version: "1",
    description:
      "The HTTP API of `aegis serve`: deploy workflows and run them. Every failure is an " +
      "RFC 9457 problem document (application/problem+json) with a stable `code`.",
  },
  jsonSchemaDialect: "https://spec.openapis.org/oas/3.1/dialect/base",
  security: [{ bearer: [] }],
  paths: { ...serverPaths, ...workflowPaths, ...runPaths },
  components: {
    securitySchemes: {
      bearer: {
        type: "http",
        scheme: "bearer",
        description:
          "A token of the server's config. A server on loopback with no tokens configured " +
          "accepts requests without one.",
      },
    },
    schemas: {
      Problem: problemSchema,
      Health: {
        type: "object",
        required: ["status", "version"],
        properties: { status: { const: "ok" }, version: { type: "string" } },
      },
      ...workflowSchemas,
      ...runSchemas,
    },
  },
} as const;

/** The names of components.schemas. */
export type SchemaName = keyof typeof openapi.components.schemas;
