// MCP through the official SDK's own Client against a real `aegis serve` (a child process):
// over stdio (`aegis mcp`, spawned by the SDK's StdioClientTransport, a client of the server
// through AEGIS_SERVER) and over streamable HTTP at the server's /mcp. The tools' schemas
// derived from a workflow's inputs; run to the first gate, answer it, see the run succeed;
// cancel; bad arguments and refusals as isError results with their codes; who may answer a
// gate (tokens and gates in the config); the MCP client and session recorded with the run.
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  aegis,
  bin,
  childEnv,
  node,
  releaseWorkflow,
  type Served,
  serve,
} from "../server/serve.ts";

const dirs: string[] = [];
const servers: Served[] = [];
const clients: Client[] = [];
afterAll(async () => {
  for (const c of clients) await c.close().catch(() => {});
  for (const s of servers) if (s.process.exitCode === null && !s.process.killed) await s.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const release = releaseWorkflow({ inputs: ['notes: string = "none"'] });

const sha = (t: string) => createHash("sha256").update(t).digest("hex");

async function served(config?: unknown): Promise<{ dir: string; server: Served }> {
  const dir = mkdtempSync(join(tmpdir(), "aegis-mcp-"));
  dirs.push(dir);
  writeFileSync(join(dir, "release.aegis"), release);
  const args: string[] = [];
  if (config !== undefined) {
    writeFileSync(join(dir, "config.json"), JSON.stringify(config));
    args.push("--config", "config.json");
  }
  const server = await serve(dir, args);
  servers.push(server);
  return { dir, server };
}

/** The SDK's client over stdio: `aegis mcp` spawned with `env` (AEGIS_SERVER …). */
async function stdioClient(
  cwd: string,
  env: Record<string, string>,
): Promise<{ client: Client; stderr: () => string }> {
  const transport = new StdioClientTransport({
    command: node,
    args: [bin, "mcp"],
    cwd,
    env: childEnv(env) as Record<string, string>,
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  const client = new Client({ name: "aegis-test-stdio", version: "1.0.0" });
  clients.push(client);
  await client.connect(transport);
  return { client, stderr: () => stderr };
}

/** The SDK's client over streamable HTTP at the server's /mcp (the 2026-07-28 revision). */
async function httpClient(url: string, token?: string): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
    ...(token && { requestInit: { headers: { authorization: `Bearer ${token}` } } }),
  });
  const client = new Client(
    { name: "aegis-test-http", version: "2.0.0" },
    { versionNegotiation: { mode: { pin: "2026-07-28" } } },
  );
  clients.push(client);
  await client.connect(transport);
  return client;
}

/** JSON read back from a tool or the API, looked into by the assertions. */
// biome-ignore lint/suspicious/noExplicitAny: the assertions check its shape
type Json = Record<string, any>;

interface ToolResult {
  isError?: boolean;
  content: { type: string; text?: string }[];
  structuredContent?: Record<string, unknown>;
}

async function call(client: Client, name: string, args: Record<string, unknown>) {
  return (await client.callTool({ name, arguments: args })) as unknown as ToolResult;
}

/** A tool call that must succeed: its structuredContent. */
async function ok(client: Client, name: string, args: Record<string, unknown>) {
  const result = await call(client, name, args);
  expect(result.isError ?? false, JSON.stringify(result.content)).toBe(false);
  expect(JSON.parse(result.content[0]!.text!)).toEqual(result.structuredContent);
  return result.structuredContent as Json;
}

/** A tool call that must be refused: its code (text and structuredContent agree). */
async function refused(client: Client, name: string, args: Record<string, unknown>) {
  const result = await call(client, name, args);
  expect(result.isError).toBe(true);
  const error = (result.structuredContent as { error: { code: string; message: string } }).error;
  expect(result.content[0]!.text).toBe(`${error.code}: ${error.message}`);
  expect(result.content[0]!.text).not.toMatch(/\n\s+at /); // no stack trace
  return error;
}

/** get_run until the run has ended (each call waits for the end, boundedly). */
async function ended(client: Client, id: string): Promise<Json> {
  for (;;) {
    const { run } = await ok(client, "get_run", { id, wait: "end", waitSeconds: 30 });
    if (["succeeded", "failed", "cancelled"].includes(run.status)) return run;
  }
}

async function api(url: string, path: string, token?: string) {
  const response = await fetch(url + path, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return { status: response.status, json: (await response.json()) as Json };
}

for (const transport of ["stdio", "http"] as const) {
  describe(`MCP over ${transport}`, () => {
    let dir: string;
    let server: Served;
    let client: Client;
    const clientName = transport === "stdio" ? "aegis-test-stdio/1.0.0" : "aegis-test-http/2.0.0";

    beforeAll(async () => {
      ({ dir, server } = await served());
      expect(aegis(dir, ["deploy", "release.aegis"], { AEGIS_SERVER: server.url }).status).toBe(0);
      client =
        transport === "stdio"
          ? (await stdioClient(dir, { AEGIS_SERVER: server.url })).client
          : await httpClient(server.url);
    }, 180_000);

    it("lists the tools, with a run_<name> whose arguments are the workflow's inputs", async () => {
      const { tools } = await client.listTools();
      const names = tools.map((t) => t.name);
      for (const name of ["list_workflows", "run_workflow", "get_run", "answer_gate", "cancel_run"])
        expect(names).toContain(name);
      const run = tools.find((t) => t.name === "run_release")!;
      expect(run.inputSchema).toMatchObject({
        type: "object",
        properties: { version: { type: "string" }, notes: { type: "string", default: "none" } },
        required: ["version"],
        additionalProperties: false,
      });
      const generic = tools.find((t) => t.name === "run_workflow")!;
      expect(generic.inputSchema).toMatchObject({
        required: ["name"],
        properties: { wait: { enum: ["none", "gate", "end"] } },
      });
      const { workflows } = await ok(client, "list_workflows", {});
      expect(workflows).toEqual([
        expect.objectContaining({
          name: "release",
          tool: "run_release",
          inputSchema: expect.objectContaining({ required: ["version"] }),
        }),
      ]);
    });

    it("runs to the first gate, takes an answer, and succeeds; the caller is recorded", async () => {
      const started = await ok(client, "run_workflow", {
        name: "release",
        inputs: { version: "1.2" },
        wait: "gate",
        waitSeconds: 120,
      });
      const id = started.run.id as string;
      if (started.reached) {
        expect(started.run).toMatchObject({
          status: "waiting",
          waiting: { state: "APPROVE", prompt: "Ship 1.2?" },
        });
      }
      const detail = await api(server.url, `/v1/runs/${id}`);
      expect(detail.json.meta.caller).toMatchObject({
        via: "mcp",
        user: "local",
        client: clientName,
      });
      if (transport === "stdio") expect(detail.json.meta.caller.session).toMatch(/\S/);
      // Answer once the run waits (a wait that ran out says where the run is instead).
      for (;;) {
        const { run } = await ok(client, "get_run", { id, wait: "gate", waitSeconds: 30 });
        if (run.status === "waiting") break;
      }
      const answered = await ok(client, "answer_gate", {
        id,
        approve: true,
        feedback: "ship it",
      });
      expect(answered.run.id).toBe(id);
      const run = await ended(client, id);
      expect(run.status).toBe("succeeded");
      const log = await api(server.url, `/v1/runs/${id}/log`);
      const human = log.json.entries.find(
        (e: { observation: { type: string } }) => e.observation.type === "human-answered",
      );
      expect(human.observation).toMatchObject({ approver: "local" });
    });

    it("starts a run with the per-workflow tool, and cancels it", async () => {
      const started = await ok(client, "run_release", { version: "2.0" });
      const id = started.run.id as string;
      expect(started.run.workflow).toBe("release");
      const cancelled = await ok(client, "cancel_run", { id, reason: "not today" });
      expect(cancelled.run).toEqual({ id, status: "cancelled" });
      const again = await refused(client, "cancel_run", { id });
      expect(again.code).toBe("not-cancellable");
    });

    it("refuses bad arguments and unknown things as isError results with a code", async () => {
      expect((await refused(client, "run_workflow", { name: 5 })).code).toBe("invalid-request");
      expect((await refused(client, "run_workflow", { name: "release", extra: 1 })).code).toBe(
        "invalid-request",
      );
      expect((await refused(client, "run_release", {})).code).toBe("invalid-request");
      expect((await refused(client, "run_workflow", { name: "release", inputs: {} })).code).toBe(
        "invalid-inputs",
      );
      expect((await refused(client, "run_workflow", { name: "nope" })).code).toBe(
        "unknown-workflow",
      );
      expect((await refused(client, "get_run", { id: "no-such-run" })).code).toBe("unknown-run");
      expect(
        (await refused(client, "answer_gate", { id: "no-such-run", approve: true })).code,
      ).toBe("unknown-run");
      expect(
        (await refused(client, "answer_gate", { id: "x", response: "y".repeat(100_001) })).code,
      ).toBe("invalid-request");
    });
  });
}

describe("who may answer a gate through MCP", () => {
  it("refuses a principal the config does not allow (forbidden), takes one it allows", async () => {
    const { dir, server } = await served({
      tokens: [
        { user: "alice", roles: ["release"], sha256: sha("alice-token") },
        { user: "bob", roles: [], sha256: sha("bob-token") },
      ],
      gates: { release: { roles: ["release"] } },
    });
    const env = { AEGIS_SERVER: server.url, AEGIS_TOKEN: "bob-token" };
    expect(aegis(dir, ["deploy", "release.aegis"], env).status).toBe(0);
    const bob = (await stdioClient(dir, env)).client;
    const started = await ok(bob, "run_workflow", { name: "release", inputs: { version: "3" } });
    const id = started.run.id as string;
    for (;;) {
      const { run } = await ok(bob, "get_run", { id, wait: "gate", waitSeconds: 30 });
      if (run.status === "waiting") break;
    }
    const detail = await api(server.url, `/v1/runs/${id}`, "bob-token");
    expect(detail.json.meta.caller).toMatchObject({ via: "mcp", user: "bob" });
    expect((await refused(bob, "answer_gate", { id, approve: true })).code).toBe("forbidden");

    // Over HTTP: no token is refused at the door; alice's answer is taken and recorded.
    await expect(httpClient(server.url)).rejects.toThrow();
    const alice = await httpClient(server.url, "alice-token");
    const bobOverHttp = await httpClient(server.url, "bob-token");
    expect((await refused(bobOverHttp, "answer_gate", { id, approve: true })).code).toBe(
      "forbidden",
    );
    await ok(alice, "answer_gate", { id, approve: true });
    expect((await ended(alice, id)).status).toBe("succeeded");
    const log = await api(server.url, `/v1/runs/${id}/log`, "alice-token");
    const answers = log.json.entries.filter(
      (e: { observation: { type: string } }) => e.observation.type === "human-answered",
    );
    expect(
      answers.map((e: { observation: { approver: string } }) => e.observation.approver),
    ).toEqual(["alice"]);
  }, 180_000);
});

describe("aegis mcp with no server running", () => {
  it("says so on stderr at start, and each tool call answers server-unreachable", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aegis-mcp-none-"));
    dirs.push(dir);
    // A port nothing listens on: one the OS gave a server that has stopped.
    const { server } = await served();
    const url = server.url;
    await server.stop();
    const { client, stderr } = await stdioClient(dir, { AEGIS_SERVER: url });
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain("run_workflow");
    const error = await refused(client, "list_workflows", {});
    expect(error.code).toBe("server-unreachable");
    expect(error.message).toContain(url);
    expect(stderr()).toContain(`cannot reach the aegis server at ${url}`);
    expect(stderr().trim().split("\n")).toHaveLength(1);
  }, 180_000);
});
