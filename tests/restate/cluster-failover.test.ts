// The cluster fails (issue 16): a run on a real 3-node Restate cluster (replication 2)
// waits at a human gate; the node leading the run's partition is killed with SIGKILL; the
// gate is answered through a surviving node, and the run finishes there. Each state that
// completed before the failover made its call once (counted by the agents themselves); one
// in flight while the partition moved may be made again, with the same idempotency key.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import { compileFile } from "../../src/compiler/compile-core.ts";
import { RestateRuns } from "../../src/restate/client.ts";
import { registerWorker, startWorker, type Worker } from "../../src/restate/worker.ts";
import { eventually } from "../helpers/eventually.ts";
import { useRestate } from "../helpers/restate.ts";

const fixtures = fileURLToPath(new URL("fixtures/", import.meta.url));
const restate = useRestate({ nodes: 3 });
const dir = mkdtempSync(join(tmpdir(), "aegis-restate-cluster-"));
const callsLog = join(dir, "calls.log");
let worker: Worker;

beforeAll(async () => {
  writeFileSync(join(dir, "release"), "");
  worker = await startWorker({
    port: 0,
    // The SDK reports the connection to the killed node dropping: expected here.
    log: () => {},
    environment: {
      ...(process.env as Record<string, string>),
      WORKER: "W",
      CALLS_LOG: callsLog,
      RELEASE: join(dir, "release"),
    },
  });
  await registerWorker(restate().nodes[0]!.adminUrl, worker.url);
});

afterAll(async () => {
  await worker?.close();
  rmSync(dir, { recursive: true, force: true });
});

it("the leader of a waiting run's partition killed: answered through another node, the run ends", async () => {
  const compiled = compileFile(join(fixtures, "failover.aegis"));
  const first = new RestateRuns({ ingress: restate().nodes[0]!.ingressUrl });
  const { id, invocationId } = await first.start(
    compiled.document,
    {},
    {
      id: "cluster-failover-1",
      workdir: fixtures,
    },
  );
  await eventually("the gate", async () => {
    const { record } = await first.get(id);
    return record.status === "waiting" ? record : undefined;
  });

  const { leader } = await restate().locateInvocation(invocationId);
  expect(leader).toBeDefined();
  await restate().kill(leader!);
  const survivor = restate().running()[0]!;
  expect(survivor.name).not.toBe(leader);
  const other = new RestateRuns({ ingress: survivor.ingressUrl });
  await eventually("the answer", () => other.answer(id, { approve: true, approver: "bob" }));
  const record = await eventually("the run's end", () => other.result(id));
  expect(record.status).toBe("succeeded");
  expect(record.results.GATE?.approver).toBe("bob");

  const starts = existsSync(callsLog)
    ? readFileSync(callsLog, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { phase: string; key: string })
        .filter((call) => call.phase === "start")
    : [];
  // The states completed before the failover ran once. The one after it may have been
  // started again while the cluster moved its partition (Restate runs a step at least
  // once): every start of it with the same idempotency key, for the agent to deduplicate on.
  const byState = (state: string) => starts.filter((call) => call.key.split(":")[1] === state);
  expect(byState("FIRST")).toHaveLength(1);
  expect(byState("SLOW")).toHaveLength(1);
  const last = byState("LAST");
  expect(last.length).toBeGreaterThanOrEqual(1);
  expect(new Set(last.map((call) => call.key)).size).toBe(1);
  expect(starts).toHaveLength(2 + last.length);
});
