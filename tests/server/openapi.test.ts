// The OpenAPI document: a valid OpenAPI 3.1 document (checked against the OAS 3.1 schema,
// tests/fixtures/openapi/), whose paths are exactly the app's routes, whose schemas compile
// as JSON Schema 2020-12, and whose response schemas describe what the app answers.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openapi } from "../../src/api/openapi.ts";
import { compileFile } from "../../src/compiler/compile.ts";
import { createApp } from "../../src/server/app.ts";
import { parseConfig } from "../../src/server/config.ts";
import { openRegistry, type Registry } from "../../src/server/registry.ts";
import { RunService } from "../../src/server/runs.ts";
import { isWebPath } from "../../src/server/web.ts";
import { root } from "./serve.ts";

const dir = mkdtempSync(join(tmpdir(), "aegis-openapi-"));
let registry: Registry;
let runs: RunService;
let app: ReturnType<typeof createApp>;
const document = compileFile(join(root, "examples", "hello", "hello.aegis")).document;

beforeAll(async () => {
  registry = await openRegistry(dir);
  runs = await RunService.open({ data: dir, registry });
  app = createApp({
    registry,
    runs,
    config: parseConfig({}),
    loopback: true,
    version: "0.0.0-test",
  });
});
afterAll(async () => {
  await runs.close();
  registry.close();
  rmSync(dir, { recursive: true, force: true });
});

function ajv(): Ajv2020 {
  const instance = new Ajv2020({ allErrors: true, strict: false });
  (addFormats as unknown as (a: Ajv2020) => void)(instance);
  // The OAS schema names media ranges (application/json, text/*) by a format of its own.
  instance.addFormat("media-range", /^[\w.+-]+\/[\w.*+-]+$/);
  return instance;
}

/** What the app answers to a request from 127.0.0.1. */
function call(method: string, path: string, body?: unknown): Promise<Response> {
  return Promise.resolve(
    app.request(path, {
      method,
      headers: {
        host: "127.0.0.1",
        ...(body !== undefined && { "content-type": "application/json" }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    }),
  );
}

/** A response's body checked against the schema the document gives for its status. */
async function expectDescribed(method: string, path: string, template: string, r: Response) {
  const operation = (openapi.paths as Record<string, Record<string, unknown>>)[template]?.[
    method.toLowerCase()
  ] as { responses: Record<string, { content: Record<string, { schema: object }> }> };
  expect(operation, `${method} ${template}`).toBeDefined();
  const response = operation.responses[String(r.status)];
  expect(response, `${method} ${path} ${r.status} is in the document`).toBeDefined();
  const [media, { schema }] = Object.entries(response!.content)[0]!;
  expect(r.headers.get("content-type")?.split(";")[0]).toBe(media);
  const validator = ajv();
  validator.addSchema({ ...openapi, $id: "doc" });
  const validate = validator.compile({
    $ref: `doc#${(schema as { $ref?: string }).$ref?.slice(1) ?? ""}`,
  });
  const body = await r.json();
  expect(validate(body), JSON.stringify(validate.errors)).toBe(true);
}

describe("the OpenAPI document", () => {
  it("is a valid OpenAPI 3.1 document", () => {
    // Its Schema Objects are `$dynamicRef: "#meta"` to `$defs/schema` (any object or
    // boolean, in this schema "without Schema Object validation"); Ajv resolves a
    // $dynamicAnchor only at a schema's root, so the reference is made static, with the
    // same meaning. (The schemas themselves are checked as JSON Schema below.)
    const text = readFileSync(
      join(root, "tests", "fixtures", "openapi", "oas-3.1-schema.json"),
      "utf8",
    ).replaceAll('"$dynamicRef": "#meta"', '"$ref": "#/$defs/schema"');
    expect(text).not.toContain("$dynamicRef");
    const schema = JSON.parse(text);
    const validate = ajv().compile(schema);
    expect(validate(openapi), JSON.stringify(validate.errors, null, 2)).toBe(true);
    expect(openapi.openapi).toMatch(/^3\.1\.\d+$/);
  });

  it("its paths are exactly the app's routes", () => {
    const routes = new Set(
      app.routes
        // /mcp is left out on purpose: it speaks MCP (JSON-RPC over streamable HTTP), which
        // the MCP specification describes, not this document (tests/mcp/ cover it).
        // So are the web viewer's pages (/ and /ui/…): a page, not the API.
        .filter((r) => r.method !== "ALL" && r.path !== "/mcp" && !isWebPath(r.path))
        .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, "{$1}")}`),
    );
    const documented = new Set(
      Object.entries(openapi.paths).flatMap(([path, item]) =>
        Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
      ),
    );
    expect([...routes].sort()).toEqual([...documented].sort());
  });

  it("every schema compiles as strict JSON Schema 2020-12", () => {
    const strict = new Ajv2020({ strict: true, allErrors: true });
    (addFormats as unknown as (a: Ajv2020) => void)(strict);
    // "components" is where the schemas are, not a keyword of theirs.
    strict.addKeyword({ keyword: "components" });
    strict.addSchema({ $id: "doc", components: openapi.components }, undefined, undefined, false);
    for (const name of Object.keys(openapi.components.schemas)) {
      expect(() => strict.compile({ $ref: `doc#/components/schemas/${name}` }), name).not.toThrow();
    }
  });

  it("every operation has an id, and each id is used once", () => {
    const ids = Object.values(openapi.paths).flatMap((item) =>
      Object.values(item).map((op) => (op as { operationId: string }).operationId),
    );
    expect(ids.every((id) => typeof id === "string")).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("is what GET /v1/openapi.json serves", async () => {
    const r = await call("GET", "/v1/openapi.json");
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual(JSON.parse(JSON.stringify(openapi)));
  });
});

describe("the app answers as the document says", () => {
  it("health", async () => {
    const r = await call("GET", "/v1/health");
    await expectDescribed("GET", "/v1/health", "/v1/health", r);
  });

  it("deploy (201, then 200), list, a workflow, a version", async () => {
    await expectDescribed(
      "POST",
      "/v1/workflows",
      "/v1/workflows",
      await call("POST", "/v1/workflows", document),
    );
    const again = await call("POST", "/v1/workflows", document);
    expect(again.status).toBe(200);
    await expectDescribed("POST", "/v1/workflows", "/v1/workflows", again);
    await expectDescribed(
      "GET",
      "/v1/workflows",
      "/v1/workflows",
      await call("GET", "/v1/workflows"),
    );
    await expectDescribed(
      "GET",
      "/v1/workflows/hello",
      "/v1/workflows/{name}",
      await call("GET", "/v1/workflows/hello"),
    );
    const path = `/v1/workflows/hello/versions/${document.hash}`;
    await expectDescribed(
      "GET",
      path,
      "/v1/workflows/{name}/versions/{version}",
      await call("GET", path),
    );
  });

  it("problems: a bad body, an unknown workflow, an unknown version", async () => {
    await expectDescribed(
      "POST",
      "/v1/workflows",
      "/v1/workflows",
      await call("POST", "/v1/workflows", { x: 1 }),
    );
    await expectDescribed(
      "GET",
      "/v1/workflows/none",
      "/v1/workflows/{name}",
      await call("GET", "/v1/workflows/none"),
    );
    const path = `/v1/workflows/hello/versions/${"a".repeat(64)}`;
    await expectDescribed(
      "GET",
      path,
      "/v1/workflows/{name}/versions/{version}",
      await call("GET", path),
    );
  });
});
