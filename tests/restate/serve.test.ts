// `aegis serve --restate URL` (issue 16): the server of the HTTP API, the CLI against it and
// the web viewer, its runs on a real Restate server and executed by a worker. The same
// requests as on the local engine: deploy, start by name, follow the events, answer the
// gate, read the record and the log; cancel a waiting run.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { registerWorker, startWorker, type Worker } from "../../src/restate/worker.ts";
import { eventually } from "../helpers/eventually.ts";
import { useRestate } from "../helpers/restate.ts";
import { aegisAsync, api, releaseWorkflow, type Served, serve, watch } from "../server/serve.ts";

const restate = useRestate();
const dir = mkdtempSync(join(tmpdir(), "aegis-restate-serve-"));
let worker: Worker;
let server: Served;

beforeAll(async () => {
  writeFileSync(join(dir, "release.aegis"), releaseWorkflow());
  writeFileSync(
    join(dir, "hurried.aegis"),
    releaseWorkflow({ timeout: "2s", gate: "default rejected" }).replace(
      "workflow release",
      "workflow hurried",
    ),
  );
  worker = await startWorker({ port: 0, log: () => {} });
  await registerWorker(restate().nodes[0]!.adminUrl, worker.url);
  server = await serve(dir, ["--restate", restate().nodes[0]!.ingressUrl]);
  writeFileSync(
    join(dir, "kid.aegis"),
    `workflow kid {
  input message: string = "hi"
  start ASK
  output "{{ASK.response}}"
  state ASK = human timeout 1h {
    prompt "Go on with {{input.message}}?"
    on approved -> DONE
    on rejected -> FAILED
  }
  final DONE
  final FAILED failure
}
`,
  );
  writeFileSync(
    join(dir, "parent.aegis"),
    `import "./kid.aegis" as kid
workflow parent {
  start CALL
  output "{{CALL.output}}"
  state CALL = subworkflow kid blocking timeout 1h {
    input { message: "from the parent" }
    on success -> DONE
    otherwise -> FAILED
  }
  final DONE
  final FAILED failure
}
`,
  );
  for (const file of ["release.aegis", "hurried.aegis", "parent.aegis"]) {
    const deployed = await aegisAsync(dir, ["deploy", file], { AEGIS_SERVER: server.url });
    expect(deployed.status).toBe(0);
  }
});

afterAll(async () => {
  if (server && server.process.exitCode === null) await server.stop();
  await worker?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The ids of a workflow's waiting runs, once `ready` says yes of them. */
function waitingRuns(workflow: string, ready: (ids: string[]) => boolean): Promise<string[]> {
  return eventually(`${workflow}'s waiting runs`, async () => {
    const listed = await api(server.url, "GET", `/v1/runs?workflow=${workflow}&status=waiting`);
    const ids = (listed.json.runs as { id: string }[]).map((r) => r.id);
    return ready(ids) ? ids : undefined;
  });
}

it("deploys, runs by name, streams events, takes an answer, and finishes on Restate", async () => {
  const run = await api(server.url, "POST", "/v1/runs", {
    workflow: "release",
    inputs: { version: "2.0" },
  });
  expect(run.status).toBe(201);
  const id = run.json.id as string;

  const events = `${server.url}/v1/runs/${id}/events`;
  const first = await watch(events, (e) => e.event === "waiting-for-human");
  expect(first.map((e) => e.id)).toEqual(first.map((_, i) => i + 1));
  expect(first[0]!.event).toBe("run-started");
  // The index follows the cluster (the server polls it): listed as waiting within a moment.
  expect(await waitingRuns("release", (ids) => ids.includes(id))).toEqual([id]);
  const view = await api(server.url, "GET", `/v1/runs/${id}`);
  expect(view.json).toMatchObject({ gate: { state: "APPROVE", prompt: "Ship 2.0?" } });

  // Answered with the command line, against the server.
  const signalled = await aegisAsync(dir, ["signal", id, "--approve"], {
    AEGIS_SERVER: server.url,
  });
  expect(signalled.status).toBe(0);
  const last = first.at(-1)!.id;
  const rest = await watch(events, (e) => e.event === "run-finished", {
    "last-event-id": String(last),
  });
  expect(rest.map((e) => e.id)).toEqual(rest.map((_, i) => last + 1 + i));
  expect(rest.find((e) => e.event === "human-answered")?.data).toMatchObject({ approver: "local" });
  expect(rest.at(-1)!.data).toMatchObject({ status: "succeeded" });

  const got = await api(server.url, "GET", `/v1/runs/${id}`);
  expect(got.json).toMatchObject({ run: { status: "succeeded" }, record: { status: "succeeded" } });
  expect(readFileSync(join(dir, "trace.txt"), "utf8").trim().split("\n")).toEqual([
    "prepared 2.0",
    "shipped",
  ]);
  const log = await api(server.url, "GET", `/v1/runs/${id}/log`);
  const entries = log.json.entries as { n: number }[];
  expect(entries.map((e) => e.n)).toEqual([...first, ...rest].map((e) => e.id));
  const graph = await api(server.url, "GET", `/v1/runs/${id}/graph`);
  expect(graph.status).toBe(200);
});

it("cancels a waiting run, and refuses to answer a run that is not waiting", async () => {
  const run = await api(server.url, "POST", "/v1/runs", {
    workflow: "release",
    inputs: { version: "3.0" },
  });
  const id = run.json.id as string;
  await watch(`${server.url}/v1/runs/${id}/events`, (e) => e.event === "waiting-for-human");
  const cancelled = await api(server.url, "POST", `/v1/runs/${id}/cancel`, { reason: "testing" });
  expect(cancelled.status).toBe(200);
  const got = await api(server.url, "GET", `/v1/runs/${id}`);
  expect(got.json).toMatchObject({ run: { status: "cancelled" }, record: { status: "cancelled" } });
  const late = await api(server.url, "POST", `/v1/runs/${id}/signal`, { approve: true });
  expect(late.status).toBe(409);
  expect(late.json).toMatchObject({ code: "not-waiting" });
});

it("fires a gate's timeout as a durable timer, with nobody calling anything", async () => {
  const run = await api(server.url, "POST", "/v1/runs", {
    workflow: "hurried",
    inputs: { version: "4" },
  });
  expect(run.json).toMatchObject({ workflow: "hurried" });
  const events = await watch(
    `${server.url}/v1/runs/${run.json.id}/events`,
    (e) => e.event === "run-finished",
  );
  expect(events.find((e) => e.event === "human-answered")?.data).toMatchObject({
    timedOut: true,
    approved: false,
  });
  expect(events.at(-1)!.data).toMatchObject({ status: "failed" });
});

it("lists a subworkflow's run with its parent, and answers its gate", async () => {
  const run = await api(server.url, "POST", "/v1/runs", { workflow: "parent" });
  const id = run.json.id as string;
  const child = `${id}.CALL.1.1`;
  // The child's run, started by the cluster, is found, indexed and waits at its gate.
  expect(await waitingRuns("kid", (ids) => ids.includes(child))).toEqual([child]);
  const listed = (await api(server.url, "GET", "/v1/runs?status=waiting")).json.runs as {
    id: string;
    parent?: { run: string };
  }[];
  expect(listed.find((r) => r.id === child)).toMatchObject({ parent: { run: id, state: "CALL" } });
  const answered = await api(server.url, "POST", `/v1/runs/${child}/signal`, {
    response: "approved",
  });
  expect(answered.status).toBe(200);
  const events = await watch(
    `${server.url}/v1/runs/${id}/events`,
    (e) => e.event === "run-finished",
  );
  expect(events.at(-1)!.data).toMatchObject({ status: "succeeded", output: "approved" });
});
