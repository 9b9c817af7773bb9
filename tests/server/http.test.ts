// The HTTP API of a real `aegis serve` (a child process), over real sockets: problem
// documents for every failure (malformed JSON, a body over the limit, an unknown route, a
// wrong method, a body of the wrong type), bearer tokens, the loopback no-token mode, and
// the Host/Origin guard against DNS rebinding.
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Problem } from "../../src/api/problem.ts";
import { compileFile } from "../../src/compiler/compile.ts";
import { aegis, root, type Served, serve } from "./serve.ts";

const dir = mkdtempSync(join(tmpdir(), "aegis-http-"));
const hello = join(root, "examples", "hello", "hello.aegis");
const document = compileFile(hello).document;
const TOKEN = "a-token-for-alice-0123456789";
const CI_TOKEN = "the-ci-token-9876543210";
let open: Served;
let locked: Served;

beforeAll(async () => {
  writeFileSync(
    join(dir, "config.json"),
    JSON.stringify({
      tokens: [
        { user: "alice", roles: ["reviewers"], token: TOKEN },
        { user: "ci", sha256: createHash("sha256").update(CI_TOKEN).digest("hex") },
      ],
      maxBodyBytes: 64 * 1024,
    }),
  );
  [open, locked] = await Promise.all([
    serve(dir, ["--data", "open"]),
    serve(dir, ["--data", "locked", "--config", "config.json"]),
  ]);
});
afterAll(async () => {
  await Promise.all([open?.stop(), locked?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

/** A request with headers fetch will not set (Host), through node:http. */
function raw(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? "GET", headers: options.headers },
      (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

async function expectProblem(response: Response, status: number, code: string): Promise<Problem> {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toBe("application/problem+json");
  const body = (await response.json()) as Problem;
  expect(body).toMatchObject({ status, code, type: `urn:aegis:problem:${code}` });
  expect(typeof body.title).toBe("string");
  expect(JSON.stringify(body)).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
  return body;
}

const post = (url: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${url}/v1/workflows`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });

describe("on loopback with no tokens configured", () => {
  it("accepts local requests without a token", async () => {
    const r = await post(open.url, JSON.stringify(document));
    expect(r.status).toBe(201);
    expect(r.headers.get("location")).toBe(`/v1/workflows/hello/versions/${document.hash}`);
    expect(await r.json()).toMatchObject({ name: "hello", version: document.hash, created: true });
    const again = await post(open.url, JSON.stringify(document));
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ created: false });
    const list = await fetch(`${open.url}/v1/workflows`);
    expect(list.status).toBe(200);
    const { workflows } = (await list.json()) as { workflows: { name: string }[] };
    expect(workflows.map((w) => w.name)).toEqual(["hello"]);
  });

  it("serves a version's document as deployed", async () => {
    const r = await fetch(`${open.url}/v1/workflows/hello/versions/${document.hash}`);
    expect(r.status).toBe(200);
    expect(((await r.json()) as { hash: string }).hash).toBe(document.hash);
    await expectProblem(
      await fetch(`${open.url}/v1/workflows/hello/versions/${"0".repeat(64)}`),
      404,
      "unknown-version",
    );
  });

  it("refuses a Host that is not a loopback name (DNS rebinding)", async () => {
    const r = await raw(`${open.url}/v1/workflows`, { headers: { host: "attacker.example:80" } });
    expect(r.status).toBe(403);
    expect(r.headers["content-type"]).toBe("application/problem+json");
    expect(JSON.parse(r.body)).toMatchObject({ code: "forbidden-host" });
    const local = await raw(`${open.url}/v1/health`, { headers: { host: "localhost" } });
    expect(local.status).toBe(200);
  });

  it("refuses an Origin of another site", async () => {
    const r = await fetch(`${open.url}/v1/workflows`, {
      headers: { origin: "https://attacker.example" },
    });
    await expectProblem(r, 403, "forbidden-host");
    const local = await fetch(`${open.url}/v1/workflows`, {
      headers: { origin: "http://localhost:3000" },
    });
    expect(local.status).toBe(200);
  });
});

describe("with tokens configured", () => {
  it("401 without a token, with a challenge", async () => {
    const r = await fetch(`${locked.url}/v1/workflows`);
    const body = await expectProblem(r, 401, "unauthorized");
    expect(body.detail).toMatch(/bearer token/);
    expect(r.headers.get("www-authenticate")).toBe('Bearer realm="aegis"');
  });

  it("the MCP endpoint and every /v1 route ask for the same token", async () => {
    const initialize = JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: {
        protocolVersion: "2025-06-18",
        capabilities: {},
        clientInfo: { name: "t", version: "0" },
      },
    });
    const mcp = (headers: Record<string, string> = {}) =>
      fetch(`${locked.url}/mcp`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          ...headers,
        },
        body: initialize,
      });
    await expectProblem(await mcp(), 401, "unauthorized");
    await expectProblem(
      await mcp({ authorization: "Bearer not-the-token-at-all" }),
      401,
      "unauthorized",
    );
    // With the token, the endpoint answers MCP (an initialize result), not a problem.
    const ok = await mcp({ authorization: `Bearer ${TOKEN}` });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain("serverInfo");
    for (const path of ["/v1/runs", "/v1/workflows", "/v1/runs/x", "/v1/runs/x/events"]) {
      await expectProblem(await fetch(`${locked.url}${path}`), 401, "unauthorized");
    }
  });

  it("401 with a wrong token", async () => {
    const r = await fetch(`${locked.url}/v1/workflows`, {
      headers: { authorization: "Bearer not-the-token-at-all" },
    });
    await expectProblem(r, 401, "unauthorized");
    expect(r.headers.get("www-authenticate")).toContain('error="invalid_token"');
  });

  it("accepts a configured token, and one configured by its sha256", async () => {
    for (const token of [TOKEN, CI_TOKEN]) {
      const r = await fetch(`${locked.url}/v1/workflows`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(r.status).toBe(200);
    }
  });

  it("health and the OpenAPI document need no token", async () => {
    expect((await fetch(`${locked.url}/v1/health`)).status).toBe(200);
    expect((await fetch(`${locked.url}/v1/openapi.json`)).status).toBe(200);
  });

  it("the CLI sends $AEGIS_TOKEN; without it, one line with the problem's code", () => {
    const env = { AEGIS_SERVER: locked.url };
    const without = aegis(dir, ["workflows"], env);
    expect(without.stderr).toBe(
      "aegis: error[unauthorized]: A valid bearer token is required: send a bearer token (Authorization: Bearer TOKEN; AEGIS_TOKEN for the CLI)\n",
    );
    expect(without.status).toBe(2);
    const withToken = aegis(dir, ["deploy", hello], { ...env, AEGIS_TOKEN: TOKEN });
    expect(withToken.stderr).toBe("");
    expect(withToken.stdout).toMatch(/^deployed hello /);
    expect(withToken.status).toBe(0);
  });
});

describe("bad requests are problem documents", () => {
  const auth = { authorization: `Bearer ${TOKEN}` };

  it("malformed JSON: 400 malformed-json", async () => {
    await expectProblem(await post(locked.url, '{"format": ', auth), 400, "malformed-json");
  });

  it("a body that is not a graph document: 400 invalid-request, with where", async () => {
    const body = await expectProblem(
      await post(locked.url, JSON.stringify({ format: "aegis-graph" }), auth),
      400,
      "invalid-request",
    );
    expect(body.errors).toContainEqual({
      pointer: "/",
      message: "must have required property 'hash'",
    });
  });

  it("a document whose hash does not match: 422 invalid-workflow", async () => {
    const forged = { ...document, hash: "f".repeat(64) };
    await expectProblem(
      await post(locked.url, JSON.stringify(forged), auth),
      422,
      "invalid-workflow",
    );
  });

  it("a body over the limit: 413 body-too-large", async () => {
    const big = JSON.stringify({ ...document, padding: "x".repeat(100 * 1024) });
    await expectProblem(await post(locked.url, big, auth), 413, "body-too-large");
  });

  it("a body that is not JSON: 415", async () => {
    const r = await post(locked.url, "hello", { ...auth, "content-type": "text/plain" });
    await expectProblem(r, 415, "unsupported-media-type");
  });

  it("an unknown route: 404 not-found", async () => {
    const r = await fetch(`${locked.url}/v1/nothing`, { headers: auth });
    const body = await expectProblem(r, 404, "not-found");
    expect(body.instance).toBe("/v1/nothing");
  });

  it("a method the route does not allow: 405, with Allow", async () => {
    const r = await fetch(`${locked.url}/v1/workflows`, { method: "DELETE", headers: auth });
    await expectProblem(r, 405, "method-not-allowed");
    expect(r.headers.get("allow")).toBe("GET, POST");
  });

  it("an unknown workflow: 404 unknown-workflow", async () => {
    const r = await fetch(`${locked.url}/v1/workflows/nope`, { headers: auth });
    await expectProblem(r, 404, "unknown-workflow");
  });
});

describe("starting", () => {
  it("refuses a host that is not loopback without tokens, in one line (exit 2)", () => {
    const r = aegis(dir, ["serve", "--host", "0.0.0.0", "--port", "0", "--data", "public"]);
    expect(r.stderr).toMatch(
      /^aegis: error\[server-config\]: refusing to listen on 0\.0\.0\.0 without tokens: .*\n$/,
    );
    expect(r.stdout).toBe("");
    expect(r.status).toBe(2);
  });

  it("a config with a mistake is one line naming where (exit 2)", () => {
    writeFileSync(
      join(dir, "bad.json"),
      JSON.stringify({ tokens: [{ user: "bob", token: "short" }] }),
    );
    const r = aegis(dir, ["serve", "--port", "0", "--config", "bad.json", "--data", "bad"]);
    expect(r.stderr).toBe(
      "aegis: error[server-config]: bad.json: /tokens/0/token: must be at least 16 characters\n",
    );
    expect(r.status).toBe(2);
  });

  it("a port that is not a number is a usage error", () => {
    const r = aegis(dir, ["serve", "--port", "http"]);
    expect(r.stderr).toBe(
      "aegis: --port must be a port number (0 picks a free one), not 'http'\nRun 'aegis serve --help' for usage.\n",
    );
    expect(r.status).toBe(2);
  });
});
