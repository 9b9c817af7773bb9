// Workers fail (issue 16): two `aegis worker` processes behind one address (a TCP load
// balancer, as a pool of workers has), on a real Restate server. The worker running a
// run's agent call is killed with SIGKILL mid-call; the other one finishes the run. Each
// completed state ran once (counted by the agents themselves); the call in flight was made
// again with the same idempotency key; the run then waits at a gate with no worker busy, is
// answered (fire-and-forget, accepted even with no worker up) and ends.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import { compileFile } from "../../src/compiler/compile-core.ts";
import { RestateRuns } from "../../src/restate/client.ts";
import { registerWorker } from "../../src/restate/worker.ts";
import type { RunRecord } from "../../src/runtime/types.ts";
import { eventually } from "../helpers/eventually.ts";
import { useRestate } from "../helpers/restate.ts";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const fixtures = join(root, "tests/restate/fixtures");
const projectNode = join(root, "node_modules/.bin/node");
const node = existsSync(projectNode) ? projectNode : process.execPath;
const restate = useRestate();
const dir = mkdtempSync(join(tmpdir(), "aegis-restate-failover-"));
const callsLog = join(dir, "calls.log");
const release = join(dir, "release");

interface WorkerProcess {
  name: string;
  child: ChildProcess;
  port: number;
}
const workers: WorkerProcess[] = [];
let proxy: TcpProxy;
let runs: RestateRuns;

/** `aegis worker` in its own process group (its agents die with it), on a free port. */
async function startWorkerProcess(name: string): Promise<WorkerProcess> {
  const child = spawn(node, [join(root, "bin/aegis.js"), "worker", "--port", "0"], {
    cwd: fixtures,
    detached: true,
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, WORKER: name, CALLS_LOG: callsLog, RELEASE: release, NO_COLOR: "1" },
  });
  const port = await new Promise<number>((resolve, reject) => {
    let text = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(text);
      if (match) resolve(Number(match[1]));
    });
    child.once("exit", (code) => reject(new Error(`worker ${name} exited ${code}: ${text}`)));
  });
  const worker = { name, child, port };
  workers.push(worker);
  return worker;
}

function kill(worker: WorkerProcess): Promise<void> {
  const exited = new Promise<void>((resolve) => worker.child.once("exit", () => resolve()));
  process.kill(-worker.child.pid!, "SIGKILL");
  return exited;
}

interface Call {
  role: string;
  phase: "start" | "end";
  key: string;
  worker: string;
  pid: number;
}
const calls = (): Call[] =>
  existsSync(callsLog)
    ? readFileSync(callsLog, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Call)
    : [];

beforeAll(async () => {
  await startWorkerProcess("A");
  await startWorkerProcess("B");
  proxy = await startTcpProxy(() =>
    workers
      .filter((w) => w.child.exitCode === null && w.child.signalCode === null)
      .map((w) => ({ host: "127.0.0.1", port: w.port })),
  );
  await registerWorker(restate().nodes[0]!.adminUrl, proxy.url);
  runs = new RestateRuns({ ingress: restate().nodes[0]!.ingressUrl });
});

afterAll(async () => {
  for (const worker of workers)
    if (worker.child.exitCode === null && worker.child.signalCode === null) await kill(worker);
  await proxy?.close();
  rmSync(dir, { recursive: true, force: true });
});

it("a worker killed mid-call: another finishes the run, each completed state run once", async () => {
  const compiled = compileFile(join(fixtures, "failover.aegis"));
  expect(compiled.ok).toBe(true);
  const { id } = await runs.start(compiled.document, {}, { id: "failover-1", workdir: fixtures });

  // The slow call has started, on worker A (the balancer's first choice).
  const inFlight = await eventually("the slow call", () =>
    calls().find((c) => c.role === "slow" && c.phase === "start"),
  );
  expect(inFlight.worker).toBe("A");
  // The machine dies: the worker, and the agent's process (in a process group of its own,
  // as aegis starts processes, so that a state's timeout can stop the whole tree).
  await kill(workers[0]!);
  process.kill(inFlight.pid, "SIGKILL");
  writeFileSync(release, "");

  // B runs the call again, with the same key, and the run goes on to its gate.
  const waiting = await eventually("the gate", async () => {
    const { record } = await runs.get(id);
    return record.status === "waiting" ? record : undefined;
  });
  expect(waiting.waiting?.state).toBe("GATE");
  const slow = calls().filter((c) => c.role === "slow");
  expect(slow.map((c) => [c.phase, c.worker])).toEqual([
    ["start", "A"],
    ["start", "B"],
    ["end", "B"],
  ]);
  expect(new Set(slow.map((c) => c.key))).toEqual(new Set([inFlight.key]));

  // Every worker gone: the answer is still accepted, and delivered when one is back.
  await kill(workers[1]!);
  const sent = await runs.answer(id, { approve: true, approver: "alice" });
  expect(sent.status).toBe("Accepted");
  await startWorkerProcess("C");
  const record: RunRecord = await runs.result(id);
  expect(record.status).toBe("succeeded");
  expect(record.results.GATE?.approver).toBe("alice");

  // Each completed state's call was made once; the interrupted one twice, with one key.
  const started = calls().filter((c) => c.phase === "start");
  const byKey = new Map<string, number>();
  for (const call of started) byKey.set(call.key, (byKey.get(call.key) ?? 0) + 1);
  expect([...byKey.values()].sort()).toEqual([1, 1, 2]);
  expect(byKey.get(inFlight.key)).toBe(2);
  expect(started.find((c) => c.key.includes(":LAST:"))?.worker).toBe("C");
});

it("cancelled mid-call: the call is stopped, the run ends cancelled with the reason", async () => {
  rmSync(release, { force: true });
  const compiled = compileFile(join(fixtures, "failover.aegis"));
  const { id } = await runs.start(compiled.document, {}, { id: "failover-2", workdir: fixtures });
  const inFlight = await eventually("the slow call", () =>
    calls().find((c) => c.role === "slow" && c.phase === "start" && c.key.startsWith(id)),
  );
  await runs.cancel(id, "testing");
  const record = await runs.result(id);
  expect(record.status).toBe("cancelled");
  expect(record.error?.message ?? "").toContain("testing");
  // The agent's process was stopped with its step: it never ended on its own.
  await eventually("the agent's process to go", () => {
    try {
      process.kill(inFlight.pid, 0);
      return undefined;
    } catch {
      return true;
    }
  });
  expect(calls().filter((c) => c.key === inFlight.key && c.phase === "end")).toEqual([]);
});
