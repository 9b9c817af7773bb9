import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
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

function workspace(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "aegis-serve-runs-"));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

async function started(dir: string, args: string[] = []): Promise<Served> {
  const s = await serve(dir, args);
  servers.push(s);
  return s;
}

const gate = (timeout: string, extra = "") => releaseWorkflow({ timeout, gate: extra });

const lines = (dir: string) => readFileSync(join(dir, "trace.txt"), "utf8").trim().split("\n");

describe("runs on aegis serve", () => {
  it("deploys, runs by name, streams events, takes an answer, and finishes", async () => {
    const dir = workspace({ "release.aegis": gate("1h") });
    const server = await started(dir);
    const env = { AEGIS_SERVER: server.url };
    expect((await aegisAsync(dir, ["deploy", "release.aegis"], env)).status).toBe(0);

    const run = await api(server.url, "POST", "/v1/runs", {
      workflow: "release",
      inputs: { version: "1.2" },
    });
    expect(run.status).toBe(201);
    const id = run.json.id as string;
    expect(run.json).toMatchObject({ workflow: "release", caller: { via: "http", user: "local" } });

    const events = `${server.url}/v1/runs/${id}/events`;
    const first = await watch(events, (e) => e.event === "waiting-for-human");
    expect(first.map((e) => e.id)).toEqual(first.map((_, i) => i + 1));
    expect(first[0]!.event).toBe("run-started");
    const listed = await api(server.url, "GET", "/v1/runs?workflow=release&status=waiting");
    expect((listed.json.runs as { id: string }[]).map((r) => r.id)).toEqual([id]);

    const answered = await api(server.url, "POST", `/v1/runs/${id}/signal`, { approve: true });
    expect(answered.status).toBe(200);

    // A client that saw the first part comes back for the rest: nothing twice, nothing lost.
    const last = first.at(-1)!.id;
    const rest = await watch(events, (e) => e.event === "run-finished", {
      "last-event-id": String(last),
    });
    expect(rest[0]!.id).toBe(last + 1);
    expect(rest.map((e) => e.id)).toEqual(rest.map((_, i) => last + 1 + i));
    const human = rest.find((e) => e.event === "human-answered");
    expect(human?.data).toMatchObject({ approver: "local" });
    expect(rest.at(-1)!.data).toMatchObject({ status: "succeeded" });

    const got = await api(server.url, "GET", `/v1/runs/${id}`);
    expect(got.json).toMatchObject({
      run: { status: "succeeded" },
      record: { status: "succeeded" },
    });
    expect(lines(dir)).toEqual(["prepared 1.2", "shipped"]);
    // The whole log again, in one piece, numbered the same.
    const log = await api(server.url, "GET", `/v1/runs/${id}/log`);
    const entries = log.json.entries as { n: number }[];
    expect(entries.map((e) => e.n)).toEqual([...first, ...rest].map((e) => e.id));
    // A finished run's stream ends after what it logged.
    const replay = await watch(events, () => false);
    expect(replay.map((e) => e.id)).toEqual(entries.map((e) => e.n));
  });

  it("says what is wrong with a request as a problem document", async () => {
    const dir = workspace({ "release.aegis": gate("1h") });
    const server = await started(dir);
    expect(
      (await aegisAsync(dir, ["deploy", "release.aegis"], { AEGIS_SERVER: server.url })).status,
    ).toBe(0);
    const cases: [string, string, unknown, number, string][] = [
      ["GET", "/v1/runs/nope", undefined, 404, "unknown-run"],
      ["POST", "/v1/runs", { workflow: "nope" }, 404, "unknown-workflow"],
      ["POST", "/v1/runs", { workflow: "release", inputs: {} }, 422, "invalid-inputs"],
      [
        "POST",
        "/v1/runs",
        { workflow: "release", inputs: { version: "1" }, id: "../x" },
        400,
        "invalid-request",
      ],
      ["GET", "/v1/runs?status=lost", undefined, 400, "invalid-request"],
      ["POST", "/v1/runs/nope/signal", { approve: true }, 404, "unknown-run"],
    ];
    for (const [method, path, body, status, code] of cases) {
      const r = await api(server.url, method, path, body);
      expect({ path, status: r.status, code: r.json.code }).toEqual({ path, status, code });
      expect(r.type).toContain("application/problem+json");
      expect(JSON.stringify(r.json)).not.toContain("    at ");
    }
    const run = await api(server.url, "POST", "/v1/runs", {
      workflow: "release",
      inputs: { version: "2" },
    });
    const id = run.json.id as string;
    await watch(`${server.url}/v1/runs/${id}/events`, (e) => e.event === "waiting-for-human");
    const wrongGate = await api(server.url, "POST", `/v1/runs/${id}/signal`, {
      approve: true,
      state: "SHIP",
    });
    expect([wrongGate.status, wrongGate.json.code]).toEqual([409, "not-waiting"]);
    const cancelled = await api(server.url, "POST", `/v1/runs/${id}/cancel`, { reason: "testing" });
    expect(cancelled.json).toMatchObject({ status: "cancelled" });
    const again = await api(server.url, "POST", `/v1/runs/${id}/cancel`);
    expect([again.status, again.json.code]).toEqual([409, "not-cancellable"]);
  });

  it("keeps the version a run started with; an old version goes once no run holds it and ten newer are deployed", async () => {
    const dir = workspace({ "release.aegis": gate("1h") });
    const server = await started(dir);
    const env = { AEGIS_SERVER: server.url };
    expect((await aegisAsync(dir, ["deploy", "release.aegis"], env)).status).toBe(0);
    const first = await api(server.url, "POST", "/v1/runs", {
      workflow: "release",
      inputs: { version: "7" },
    });
    await watch(
      `${server.url}/v1/runs/${first.json.id}/events`,
      (e) => e.event === "waiting-for-human",
    );
    writeFileSync(join(dir, "release.aegis"), gate("2h"));
    expect((await aegisAsync(dir, ["deploy", "release.aegis"], env)).status).toBe(0);
    const second = await api(server.url, "POST", "/v1/runs", {
      workflow: "release",
      inputs: { version: "8" },
    });
    expect(second.json.version).not.toBe(first.json.version);
    const versions = async () =>
      (
        (await api(server.url, "GET", "/v1/workflows/release")).json.versions as {
          version: string;
        }[]
      ).map((v) => v.version);
    expect((await versions()).sort()).toEqual([first.json.version, second.json.version].sort());
    // The first run goes on with its own version, and that version goes when it ends.
    await api(server.url, "POST", `/v1/runs/${first.json.id}/signal`, { approve: true });
    await watch(`${server.url}/v1/runs/${first.json.id}/events`, (e) => e.event === "run-finished");
    const done = await api(server.url, "GET", `/v1/runs/${first.json.id}`);
    expect(done.json).toMatchObject({ run: { version: first.json.version, status: "succeeded" } });
    expect(done.json.record).toMatchObject({ graphHash: first.json.version });
    // Kept to go back to while it is among the ten latest; then gone, as nothing holds it.
    expect(await versions()).toContain(first.json.version);
    // (Asynchronously: a blocked event loop would miss the server closing its idle
    // keep-alive connection, and reuse it.)
    for (let i = 3; i <= 12; i++) {
      writeFileSync(join(dir, "release.aegis"), gate(`${i}h`));
      expect((await aegisAsync(dir, ["deploy", "release.aegis"], env)).status).toBe(0);
    }
    const kept = await versions();
    expect(kept).toHaveLength(11); // ten latest, and the second run's (it waits at its gate)
    expect(kept).not.toContain(first.json.version);
    expect(kept).toContain(second.json.version);
  });

  it("fires a gate's timeout with nobody calling anything", async () => {
    const dir = workspace({ "release.aegis": gate("2s", "default rejected") });
    const server = await started(dir);
    expect(
      (await aegisAsync(dir, ["deploy", "release.aegis"], { AEGIS_SERVER: server.url })).status,
    ).toBe(0);
    const run = await api(server.url, "POST", "/v1/runs", {
      workflow: "release",
      inputs: { version: "3" },
    });
    const events = await watch(
      `${server.url}/v1/runs/${run.json.id}/events`,
      (e) => e.event === "run-finished",
    );
    const answer = events.find((e) => e.event === "human-answered");
    expect(answer?.data).toMatchObject({ timedOut: true, approved: false });
    // Nobody approved in time: the default (rejected) took the run to FAILED.
    expect(events.at(-1)!.data).toMatchObject({ status: "failed" });
    expect(lines(dir)).toEqual(["prepared 3"]);
  });

  it("lets only the configured people answer a workflow's gates, and records who did", async () => {
    const config = releaseTeamConfig;
    const dir = workspace({ "release.aegis": gate("1h"), "config.json": JSON.stringify(config) });
    const server = await started(dir, ["--config", "config.json"]);
    const env = { AEGIS_SERVER: server.url, AEGIS_TOKEN: "bob-token" };
    expect((await aegisAsync(dir, ["deploy", "release.aegis"], env)).status).toBe(0);
    const run = await api(
      server.url,
      "POST",
      "/v1/runs",
      { workflow: "release", inputs: { version: "4" } },
      "bob-token",
    );
    expect(run.json).toMatchObject({ caller: { via: "http", user: "bob" } });
    const id = run.json.id as string;
    await watch(`${server.url}/v1/runs/${id}/events`, (e) => e.event === "waiting-for-human", {
      authorization: "Bearer bob-token",
    });
    const refused = await api(
      server.url,
      "POST",
      `/v1/runs/${id}/signal`,
      { approve: true },
      "bob-token",
    );
    expect([refused.status, refused.json.code]).toEqual([403, "forbidden"]);
    const noToken = await api(server.url, "POST", `/v1/runs/${id}/signal`, { approve: true });
    expect(noToken.status).toBe(401);
    const ok = await api(
      server.url,
      "POST",
      `/v1/runs/${id}/signal`,
      { approve: true },
      "alice-token",
    );
    expect(ok.status).toBe(200);
    const rest = await watch(
      `${server.url}/v1/runs/${id}/events`,
      (e) => e.event === "run-finished",
      { authorization: "Bearer alice-token" },
    );
    const answered = rest.filter((e) => e.event === "human-answered");
    expect(answered.map((e) => e.data.approver)).toEqual(["alice"]);
  });

  it("stops on SIGTERM while a client follows a waiting run, which goes on after a restart", async () => {
    const dir = workspace({ "release.aegis": gate("1h") });
    let server = await started(dir);
    expect(
      (await aegisAsync(dir, ["deploy", "release.aegis"], { AEGIS_SERVER: server.url })).status,
    ).toBe(0);
    const run = await api(server.url, "POST", "/v1/runs", {
      workflow: "release",
      inputs: { version: "6" },
    });
    const id = run.json.id as string;
    const seen: Sse[] = [];
    // Follows the run: stays open while it waits, until the server goes.
    const following = watch(`${server.url}/v1/runs/${id}/events`, (e) => {
      seen.push(e);
      return false;
    }).catch((error: Error) => error);
    while (!seen.some((e) => e.event === "waiting-for-human"))
      await new Promise((r) => setTimeout(r, 100));
    expect(await server.stop("SIGTERM")).toEqual({ code: 0, signal: null });
    await following;
    server = await started(dir);
    const answered = await api(server.url, "POST", `/v1/runs/${id}/signal`, { approve: true });
    expect(answered.status).toBe(200);
    const rest = await watch(
      `${server.url}/v1/runs/${id}/events`,
      (e) => e.event === "run-finished",
      {
        "last-event-id": String(seen.at(-1)!.id),
      },
    );
    expect(rest[0]!.id).toBe(seen.at(-1)!.id + 1);
    expect(rest.at(-1)!.data).toMatchObject({ status: "succeeded" });
  });

  it("indexes a subworkflow's run, and takes a detached one up again after SIGKILL once its parent ended", async () => {
    const kid = `workflow kid {
  start WORK
  state WORK = run "while [ ! -f go ]; do sleep 0.1; done; echo kid-done >> trace.txt" timeout 5m {
    on exit 0 -> DONE
    otherwise -> FAILED
  }
  final DONE
  final FAILED failure
}
`;
    const parent = `import "kid.aegis" as kid

workflow parent {
  start SPAWN
  state SPAWN = subworkflow kid detached timeout 1m {
    on success -> DONE
    otherwise -> FAILED
  }
  final DONE
  final FAILED failure
}
`;
    const dir = workspace({ "kid.aegis": kid, "parent.aegis": parent });
    let server = await started(dir);
    expect(
      (await aegisAsync(dir, ["deploy", "parent.aegis"], { AEGIS_SERVER: server.url })).status,
    ).toBe(0);
    const run = await api(server.url, "POST", "/v1/runs", { workflow: "parent", id: "p" });
    expect(run.status).toBe(201);
    const events = await watch(`${server.url}/v1/runs/p/events`, (e) => e.event === "run-finished");
    expect(events.at(-1)!.data).toMatchObject({ status: "succeeded" });
    // The child, still running (it waits for the file "go"), is a run of the server's.
    let child: { id: string; status: string; parent?: unknown } | undefined;
    while (!child) {
      const listed = await api(server.url, "GET", "/v1/runs?workflow=kid");
      child = (listed.json.runs as (typeof child)[])[0];
      if (!child) await new Promise((r) => setTimeout(r, 100));
    }
    expect(child).toMatchObject({ status: "running", parent: { run: "p", state: "SPAWN" } });
    await server.stop("SIGKILL");
    writeFileSync(join(dir, "go"), "");
    server = await started(dir);
    const rest = await watch(
      `${server.url}/v1/runs/${child.id}/events`,
      (e) => e.event === "run-finished",
    );
    expect(rest.at(-1)!.data).toMatchObject({ status: "succeeded" });
    expect(lines(dir)).toContain("kid-done");
  });

  it("survives SIGKILL mid-state and mid-wait: nothing lost, nothing repeated, the due timer fired once", async () => {
    const slow = `workflow slow {
  start FIRST
  state FIRST = run "echo first >> trace.txt" timeout 1m {
    on exit 0 -> SECOND
    otherwise -> FAILED
  }
  state SECOND = run "echo second-start >> trace.txt; while [ ! -f go ]; do sleep 0.1; done; echo second-end >> trace.txt" timeout 5m {
    on exit 0 -> DONE
    otherwise -> FAILED
  }
  final DONE
  final FAILED failure
}
`;
    const dir = workspace({ "slow.aegis": slow, "release.aegis": gate("3s", "default rejected") });
    let server = await started(dir);
    let env = { AEGIS_SERVER: server.url };
    expect((await aegisAsync(dir, ["deploy", "slow.aegis", "release.aegis"], env)).status).toBe(0);
    const slowRun = await api(server.url, "POST", "/v1/runs", { workflow: "slow" });
    const gated = await api(server.url, "POST", "/v1/runs", {
      workflow: "release",
      inputs: { version: "5" },
    });
    await watch(
      `${server.url}/v1/runs/${gated.json.id}/events`,
      (e) => e.event === "waiting-for-human",
    );
    await watch(
      `${server.url}/v1/runs/${slowRun.json.id}/events`,
      (e) => e.event === "state-entered" && e.data.state === "SECOND",
    );
    // SECOND is running (its process waits for the file "go"); the gate waits 3 s.
    const waiting = await api(server.url, "GET", `/v1/runs/${gated.json.id}`);
    const due = Date.parse((waiting.json.run as { wakeAt: string }).wakeAt);
    await server.stop("SIGKILL");
    writeFileSync(join(dir, "go"), "");
    // The gate falls due while no server runs (the test waits on the clock it reads).
    while (Date.now() <= due) await new Promise((r) => setTimeout(r, 200));

    server = await started(dir);
    env = { AEGIS_SERVER: server.url };
    const slowEvents = await watch(
      `${server.url}/v1/runs/${slowRun.json.id}/events`,
      (e) => e.event === "run-finished",
    );
    expect(slowEvents.at(-1)!.data, server.stderr()).toMatchObject({ status: "succeeded" });
    const gatedEvents = await watch(
      `${server.url}/v1/runs/${gated.json.id}/events`,
      (e) => e.event === "run-finished",
    );
    expect(gatedEvents.at(-1)!.data).toMatchObject({ status: "failed" });
    const answers = gatedEvents.filter((e) => e.event === "human-answered");
    expect(answers.map((e) => e.data.timedOut)).toEqual([true]);
    const trace = lines(dir);
    // FIRST completed before the kill: not again. SECOND was in flight: run again.
    expect(trace.filter((l) => l === "first")).toHaveLength(1);
    expect(trace.filter((l) => l === "second-end").length).toBeGreaterThanOrEqual(1);
    expect(trace.filter((l) => l === "prepared 5")).toHaveLength(1);
    expect(trace.filter((l) => l === "shipped")).toHaveLength(0);
    const journal = readFileSync(
      join(dir, ".aegis", "server", "runs", gated.json.id as string, "journal.jsonl"),
      "utf8",
    );
    expect(journal.match(/"timer-fired"/g)).toHaveLength(1);
  });
});
