// The Restate host against the local engine (issue 16): the soak's workflow of every state
// kind (tests/soak/fixtures/everything.aegis: command agents, shell commands, a fake
// container runtime, a human gate, blocking and detached child runs) runs on a real Restate
// server, through a worker and the ingress, to the same path, results and output as on the
// local engine; every execution is made once, with the key the local engine gives it.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { compileFile } from "../../src/compiler/compile-core.ts";
import { RestateRuns } from "../../src/restate/client.ts";
import { registerWorker, startWorker, type Worker } from "../../src/restate/worker.ts";
import { createEngine } from "../../src/runtime/engine.ts";
import type { RunRecord } from "../../src/runtime/types.ts";
import { eventually } from "../helpers/eventually.ts";
import { useRestate } from "../helpers/restate.ts";
import { essence, FAKE_DOCKER, FIXTURES, WORKFLOW } from "../soak/soak.ts";

const restate = useRestate();
const dir = mkdtempSync(join(tmpdir(), "aegis-restate-parity-"));
let worker: Worker;
let runs: RestateRuns;

/** Where a host's executions are logged (agents, commands, containers). */
function environment(host: string): Record<string, string> {
  return {
    ...(process.env as Record<string, string>),
    NO_COLOR: "1",
    AEGIS_AGENT_LOG: join(dir, `calls.${host}.log`),
    AEGIS_AGENT_DELAY_MS: "0",
    FAKE_DOCKER_LOG: join(dir, `docker.${host}.log`),
  };
}

beforeAll(async () => {
  process.env.AEGIS_CONTAINER_RUNTIME = FAKE_DOCKER;
  worker = await startWorker({ port: 0, environment: environment("restate"), log: () => {} });
  await registerWorker(restate().nodes[0]!.adminUrl, worker.url);
  runs = new RestateRuns({ ingress: restate().nodes[0]!.ingressUrl });
});

afterAll(async () => {
  await worker?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The executions a host made: each call's key without the run's id, in a sorted list. */
function executions(host: string, runIds: string[]): string[] {
  const lines = readFileSync(join(dir, `calls.${host}.log`), "utf8")
    .split("\n")
    .filter(Boolean);
  return lines
    .map((line) => (JSON.parse(line) as { key: string }).key)
    .map((key) => {
      const run = runIds.find((id) => key.startsWith(`${id}`));
      return run ? key.replace(run, "RUN") : key;
    })
    .sort();
}

it("runs the workflow of every state kind as the local engine does", async () => {
  const compiled = compileFile(WORKFLOW);
  expect(compiled.ok).toBe(true);
  const options = { workdir: FIXTURES };

  // The local engine.
  const engine = createEngine({ environment: environment("local") });
  const local = await engine.start(compiled.document, {}, { ...options, id: "parity-local" });
  expect((await local.result()).status).toBe("waiting");
  const localRecord = await (
    await engine.signal("parity-local", { approve: true, approver: "alice" })
  ).result();
  await engine.idle();
  expect(localRecord.status).toBe("succeeded");

  // Restate.
  const { id } = await runs.start(compiled.document, {}, { ...options, id: "parity-restate" });
  // The run's record is there once its first step has saved it.
  const waiting = await eventually("the gate", async () => {
    const { record } = await runs.get(id);
    return record.status !== "running" ? record : undefined;
  });
  expect(waiting.status).toBe("waiting");
  expect(waiting.waiting?.state).toBe("APPROVE");
  await runs.answer(id, { approve: true, approver: "alice" });
  const record = await runs.result(id);
  expect(record.status).toBe("succeeded");
  // The record as the run's state keeps it (what `get` puts back together from the head,
  // each state's result and the log's history) is the record the run ended with.
  const got = await runs.get(id);
  expect(got.record).toEqual(record);
  expect(got.meta).toEqual({ workdir: FIXTURES });
  // One state key per event: what never changes, the meta and the invocation ride with the
  // first event (each key written is a journal entry); the graph document is the registry's.
  const keys = await restate().adminQuery<{ key: string }>(
    `SELECT key FROM state WHERE service_name = 'aegisRun' AND service_key = '${id}'`,
  );
  const events = keys.filter((k) => /^event\/\d+$/.test(k.key)).length;
  expect(events).toBeGreaterThan(5);
  expect(keys.map((k) => k.key).sort()).toEqual(
    Array.from({ length: events }, (_, i) => `event/${i}`).sort(),
  );
  expect(await runs.document(id)).toEqual(compiled.document);
  // A child's meta names its parent run and state; its document is its subworkflow's.
  const notifyId = record.results.NOTIFY?.child_execution_id as string;
  expect((await runs.get(notifyId)).meta.parent).toEqual({ run: id, state: "NOTIFY" });
  expect(await runs.document(notifyId)).toEqual(compiled.document.subworkflows?.child);
  // The same, but for the run's id (containers are named after it).
  const same = (r: RunRecord) => JSON.parse(JSON.stringify(essence(r)).replaceAll(r.id, "RUN"));
  expect(same(record)).toEqual(same(localRecord));
  expect(record.results.APPROVE?.approver).toBe("alice");

  // The detached child finished too, and every execution was made once, with the local
  // engine's keys.
  const notify = record.results.NOTIFY?.child_execution_id as string;
  expect((await runs.result(notify)).status).toBe("succeeded");
  const localIds = ["parity-local"];
  const restateIds = [id];
  const made = executions("restate", restateIds);
  expect(new Set(made).size).toBe(made.length);
  expect(made).toEqual(executions("local", localIds));
});

it("answers what a run cannot take with the local engine's codes", async () => {
  const compiled = compileFile(WORKFLOW);
  await expect(runs.start(compiled.document, { route: "sideways" })).rejects.toMatchObject({
    code: "invalid-inputs",
  });
  await expect(runs.get("no-such-run")).rejects.toMatchObject({ code: "run-not-found" });
});

it("a run cancelled as soon as it is sent ends cancelled, with the reason", async () => {
  const compiled = compileFile(WORKFLOW);
  const { id } = await runs.start(compiled.document, {}, { workdir: FIXTURES });
  await runs.cancel(id, "changed my mind");
  const record = await runs.result(id);
  expect(record.status).toBe("cancelled");
  expect(record.error?.message ?? "").toContain("changed my mind");
});
