// A stale attempt is stopped (issue 16): Restate guarantees that a completed step never runs
// again, not that a running one runs once. When the connection to the worker running a step
// breaks, Restate gives the run to a new attempt, which runs the step again, while the first
// attempt's call may still be going on that worker. The host stops it on the request's
// attempt-completed signal; the new attempt's call gets the same idempotency key.
import { afterAll, expect, it } from "vitest";
import { compile } from "../../src/compiler/compile.ts";
import { RestateRuns } from "../../src/restate/client.ts";
import { registerWorker, startWorker, type Worker } from "../../src/restate/worker.ts";
import type { AgentInvocation } from "../../src/runtime/types.ts";
import { eventually } from "../helpers/eventually.ts";
import { useRestate } from "../helpers/restate.ts";
import { startTcpProxy, type TcpProxy } from "../helpers/tcp-proxy.ts";

const restate = useRestate();
let worker: Worker | undefined;
let proxy: TcpProxy | undefined;
afterAll(async () => {
  await proxy?.close();
  await worker?.close();
});

interface Call {
  key: string;
  stopped: boolean;
}

it("stops the stale attempt's call when the run is given to another attempt", async () => {
  const calls: Call[] = [];
  /** The first call waits for its signal (a call that would not end by itself); later ones answer. */
  const slow = (invocation: AgentInvocation) => {
    const call: Call = { key: invocation.idempotencyKey, stopped: false };
    calls.push(call);
    if (calls.length > 1) return Promise.resolve("done");
    return new Promise<string>((_, reject) => {
      invocation.signal.addEventListener("abort", () => {
        call.stopped = true;
        reject(new Error("stopped"));
      });
    });
  };
  worker = await startWorker({ port: 0, functions: { slow }, log: () => {} });
  const port = worker.port;
  proxy = await startTcpProxy(() => [{ host: "127.0.0.1", port }]);
  const { adminUrl, ingressUrl } = restate().nodes[0]!;
  await registerWorker(adminUrl, proxy.url);
  const result = compile(`workflow stale {
  agent slow = function("slow")
  start WORK
  state WORK = agent slow { prompt "work" on success -> DONE otherwise -> FAILED }
  final DONE
  final FAILED failure
}`);
  if (!result.ok) throw new Error(JSON.stringify(result.diagnostics));
  const runs = new RestateRuns({ ingress: ingressUrl });
  const { id } = await runs.start(result.document, {}, { id: "stale-1" });
  await eventually("the first call", () => (calls.length > 0 ? true : undefined));
  // The network between Restate and the worker fails: the attempt's stream ends.
  proxy.cut();
  const record = await runs.result(id);
  expect(record.status).toBe("succeeded");
  expect(record.output).toBe("done");
  expect(calls.length).toBeGreaterThanOrEqual(2);
  expect(calls[0]!.stopped).toBe(true);
  expect(new Set(calls.map((call) => call.key))).toEqual(new Set([calls[0]!.key]));
});
