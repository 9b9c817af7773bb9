// What the web viewer reads from a real `aegis serve` besides the runs API: every run's
// changes as one event stream, the gate a run waits at as the one asking sees it (who may
// answer, and whether they may), what the checker proves of a deployed version, and the
// viewer's page itself (no token needed for the page, a strict Content-Security-Policy).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compile } from "../../src/compiler/compile.ts";
import {
  aegisAsync,
  api,
  releaseTeamConfig,
  releaseWorkflow,
  type Served,
  type Sse,
  serve,
  watch,
} from "./serve.ts";

const dirs: string[] = [];
const servers: Served[] = [];
afterAll(async () => {
  for (const s of servers) if (s.process.exitCode === null && !s.process.killed) await s.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const config = releaseTeamConfig;

const otherWorkflow = `workflow other {
  start A
  state A = run "true" timeout 1m {
    on exit 0 -> DONE
    otherwise -> DONE
  }
  final DONE
}
`;

/** A server with tokens and gate rules, the release and other workflows deployed. */
async function served(): Promise<{ server: Served; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), "aegis-viewer-api-"));
  dirs.push(dir);
  writeFileSync(join(dir, "release.aegis"), releaseWorkflow());
  writeFileSync(join(dir, "other.aegis"), otherWorkflow);
  writeFileSync(join(dir, "config.json"), JSON.stringify(config));
  const server = await serve(dir, ["--config", "config.json"]);
  servers.push(server);
  const env = { AEGIS_SERVER: server.url, AEGIS_TOKEN: "alice-token" };
  const deployed = await aegisAsync(dir, ["deploy", "release.aegis", "other.aegis"], env);
  expect(deployed.stderr).toBe("");
  expect(deployed.status).toBe(0);
  return { server, dir };
}

/** Starts a release run as the token's user; its id. */
async function startRelease(url: string, version: string, token = "bob-token"): Promise<string> {
  const run = await api(
    url,
    "POST",
    "/v1/runs",
    { workflow: "release", inputs: { version } },
    token,
  );
  expect(run.status).toBe(201);
  return run.json.id as string;
}

/** Follows `url`'s events (as bob) until `until`; `open` resolves once the stream is open. */
function follow(
  url: string,
  until: (e: Sse) => boolean,
): { events: Promise<Sse[]>; open: Promise<void> } {
  let opened!: () => void;
  const open = new Promise<void>((resolve) => (opened = resolve));
  return { events: watch(url, until, { authorization: "Bearer bob-token" }, opened), open };
}

/** Waits for the run to stop at its gate (through its own stream). */
const atGate = (url: string, id: string) =>
  watch(`${url}/v1/runs/${id}/events`, (e) => e.event === "waiting-for-human", {
    authorization: "Bearer bob-token",
  });

describe("what the web viewer reads", () => {
  it("GET /v1/events tells every run's start, gate and end, for one workflow or all", async () => {
    const { server } = await served();
    let id = "";
    const seen = follow(
      `${server.url}/v1/events?workflow=release`,
      (e) => e.data.id === id && e.data.status === "succeeded",
    );
    await seen.open;
    id = await startRelease(server.url, "7");
    await atGate(server.url, id);
    const ok = await api(
      server.url,
      "POST",
      `/v1/runs/${id}/signal`,
      { approve: true },
      "alice-token",
    );
    expect(ok.status).toBe(200);
    const events = await seen.events;
    expect(new Set(events.map((e) => e.event))).toEqual(new Set(["run"]));
    const mine = events.filter((e) => e.data.id === id);
    const statuses = mine.map((e) => e.data.status);
    // Started (queued or running), at the gate, then on to the end, in that order.
    expect(statuses[0]).toMatch(/^(queued|running)$/);
    expect(statuses).toContain("waiting");
    expect(statuses.indexOf("waiting")).toBeLessThan(statuses.indexOf("succeeded"));
    expect(mine.find((e) => e.data.status === "waiting")!.data).toMatchObject({
      workflow: "release",
      waitingAt: "APPROVE",
      current: "APPROVE",
    });
    // Each is the summary GET /v1/runs gives.
    const listed = await api(
      server.url,
      "GET",
      "/v1/runs?workflow=release",
      undefined,
      "bob-token",
    );
    expect((listed.json.runs as unknown[])[0]).toEqual(mine.at(-1)!.data);

    // Another workflow's stream says nothing of this one's runs: the first it tells of is
    // its own, started after one of release's.
    const other = follow(`${server.url}/v1/events?workflow=other`, () => true);
    await other.open;
    const again = await startRelease(server.url, "8");
    const cancelled = await api(server.url, "POST", `/v1/runs/${again}/cancel`, {}, "bob-token");
    expect(cancelled.status).toBe(200);
    const otherRun = await api(server.url, "POST", "/v1/runs", { workflow: "other" }, "bob-token");
    expect(otherRun.status).toBe(201);
    const told = await other.events;
    expect(told.map((e) => [e.data.workflow, e.data.id])).toEqual([["other", otherRun.json.id]]);
  });

  it("GET /v1/events needs a token like the rest of the API", async () => {
    const { server } = await served();
    const response = await fetch(`${server.url}/v1/events`);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ code: "unauthorized" });
  });

  it("GET /v1/runs/:id shows the gate: its prompt, who may answer, and whether the asker may", async () => {
    const { server } = await served();
    const id = await startRelease(server.url, "9");
    await atGate(server.url, id);
    const asBob = await api(server.url, "GET", `/v1/runs/${id}`, undefined, "bob-token");
    expect(asBob.json.gate).toMatchObject({
      state: "APPROVE",
      prompt: "Ship 9?",
      asks: "approval",
      who: { users: [], roles: ["release"] },
      mayAnswer: false,
    });
    expect(Date.parse((asBob.json.gate as { since: string }).since)).not.toBeNaN();
    const asAlice = await api(server.url, "GET", `/v1/runs/${id}`, undefined, "alice-token");
    expect(asAlice.json.gate).toMatchObject({ state: "APPROVE", mayAnswer: true });
    await api(server.url, "POST", `/v1/runs/${id}/signal`, { approve: true }, "alice-token");
    await watch(`${server.url}/v1/runs/${id}/events`, (e) => e.event === "run-finished", {
      authorization: "Bearer alice-token",
    });
    const after = await api(server.url, "GET", `/v1/runs/${id}`, undefined, "alice-token");
    expect(after.json.gate).toBeUndefined();
    expect((after.json.record as { status: string }).status).toBe("succeeded");
  });

  it("GET …/versions/:version/figures gives the checker's worst case and each state's visits", async () => {
    const { server } = await served();
    const listed = await api(server.url, "GET", "/v1/workflows", undefined, "bob-token");
    const version = (listed.json.workflows as { name: string; version: string }[]).find(
      (w) => w.name === "release",
    )!.version;
    const figures = await api(
      server.url,
      "GET",
      `/v1/workflows/release/versions/${version}/figures`,
      undefined,
      "bob-token",
    );
    expect(figures.status).toBe(200);
    const compiled = compile(releaseWorkflow());
    expect(figures.json).toEqual({
      states: 5,
      // What `aegis compile --check` says of the same source: 1m + 1h + 1m.
      worstCase: { agentCalls: 0, wallTimeMs: 3_720_000, reasons: [] },
      visits: { PREPARE: 1, APPROVE: 1, SHIP: 1, DONE: 1, FAILED: 1 },
    });
    expect(figures.json.worstCase).toEqual(compiled.worstCase);
    const unknown = await api(
      server.url,
      "GET",
      `/v1/workflows/release/versions/${"0".repeat(64)}/figures`,
      undefined,
      "bob-token",
    );
    expect([unknown.status, unknown.json.code]).toEqual([404, "unknown-version"]);
  });

  it("GET /v1/runs/:id/graph gives the document a run runs, a subworkflow's run its own", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aegis-viewer-api-"));
    dirs.push(dir);
    writeFileSync(
      join(dir, "kid.aegis"),
      `workflow kid {\n  start WORK\n  state WORK = run "true" timeout 1m {\n    on exit 0 -> DONE\n    otherwise -> DONE\n  }\n  final DONE\n}\n`,
    );
    writeFileSync(
      join(dir, "parent.aegis"),
      `import "kid.aegis" as kid\n\nworkflow parent {\n  start CALL\n  state CALL = subworkflow kid timeout 1m {\n    on success -> DONE\n    otherwise -> DONE\n  }\n  final DONE\n}\n`,
    );
    const server = await serve(dir);
    servers.push(server);
    expect(
      (await aegisAsync(dir, ["deploy", "parent.aegis"], { AEGIS_SERVER: server.url })).status,
    ).toBe(0);
    const run = await api(server.url, "POST", "/v1/runs", { workflow: "parent", id: "p" });
    expect(run.status).toBe(201);
    await watch(`${server.url}/v1/runs/p/events`, (e) => e.event === "run-finished");
    const deployed = await api(
      server.url,
      "GET",
      `/v1/workflows/parent/versions/${run.json.version}`,
    );
    const own = await api(server.url, "GET", "/v1/runs/p/graph");
    expect(own.status).toBe(200);
    expect(own.json).toEqual(deployed.json);
    const kid = (await api(server.url, "GET", "/v1/runs?workflow=kid")).json.runs as {
      id: string;
    }[];
    expect(kid).toHaveLength(1);
    const child = await api(server.url, "GET", `/v1/runs/${kid[0]!.id}/graph`);
    expect(child.status).toBe(200);
    const embedded = (deployed.json.subworkflows as Record<string, { hash: string }>).kid!;
    expect(child.json.hash).toBe(embedded.hash);
    // The registry holds the parent's versions only: the child's graph is the run's.
    const inRegistry = await api(server.url, "GET", `/v1/workflows/kid/versions/${embedded.hash}`);
    expect(inRegistry.status).toBe(404);
    const unknown = await api(server.url, "GET", "/v1/runs/nope/graph");
    expect([unknown.status, unknown.json.code]).toEqual([404, "unknown-run"]);
  });

  it("serves the viewer's page without a token, under a strict Content-Security-Policy", async () => {
    const { server } = await served();
    const root = await fetch(`${server.url}/`, { redirect: "manual" });
    expect(root.status).toBe(302);
    expect(root.headers.get("location")).toBe("/ui/");
    const page = await fetch(`${server.url}/ui/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const csp = page.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");
    const html = await page.text();
    const script = /<script[^>]*src="([^"]+)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    expect(html).not.toMatch(/<script(?![^>]*src=)[^>]*>/); // no inline script
    const js = await fetch(new URL(script!, `${server.url}/ui/`));
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    const missing = await fetch(`${server.url}/ui/nothing.js`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: "not-found" });
    // The page is public; what it reads is not.
    expect((await fetch(`${server.url}/v1/runs`)).status).toBe(401);
  });
});
