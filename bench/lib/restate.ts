// aegis on Restate (issue 16), on real Restate servers (scripts/restate/restate.ts):
//
//  1. What the aegis host (src/restate/run-workflow.ts) costs per state next to a raw
//     `ctx.run` no-op step: an aegis workflow of N agent states whose agent is a function
//     returning at once, against a plain Restate workflow of N no-op `ctx.run` steps
//     written here with the SDK. Same server, same kind of endpoint (HTTP/2, in this
//     process, built as startWorker builds it), same client path (a send through the
//     ingress, then an attach for the result), one run at a time, side by side (each round
//     runs every case once, in a rotating order). Also the CPU each run costs the Restate
//     server and this process, and what each journals per state (entries and bytes).
//  2. Runs per second through 1, 2 and 4 `aegis worker` processes behind one address (a
//     round-robin TCP proxy), on a fresh server: a workflow of a few agent states whose
//     agent is an OpenAI-compatible endpoint served by this process (an HTTP call per state,
//     no process started per state), batches of runs started together.
//
//   node bench/lib/restate.ts      prints the results as JSON
// Settings: BENCH_RESTATE_SAMPLES (101 rounds), BENCH_RESTATE_STATES (20),
// BENCH_RESTATE_RUNS (200 runs in a batch), BENCH_RESTATE_BATCHES (2 per pass; each
// configuration runs two passes).
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { createServer, type ServerHttp2Session } from "node:http2";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as restate from "@restatedev/restate-sdk";
import { type Restate, startRestate } from "../../scripts/restate/restate.ts";
import { compile } from "../../src/compiler/compile.ts";
import type { GraphDocument } from "../../src/compiler/graph.ts";
import { RestateRuns } from "../../src/restate/client.ts";
import { RUN_SERVICE } from "../../src/restate/run-workflow.ts";
import { registerWorker, startWorker } from "../../src/restate/worker.ts";
import { chainSource } from "./aegis-sources.ts";
import { startRoundRobinProxy } from "./round-robin-proxy.ts";
import { type Stat, stat } from "./stats.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const log = (...a: unknown[]) => console.error("[bench restate]", ...a);

/** The plain Restate workflow the aegis host is measured against. */
export const RAW_SERVICE = "benchRawSteps";

export interface EngineFigures {
  /** A whole run, start to result, for each number of states (ms). */
  runMs: Record<number, Stat>;
  /** The N-state run divided by N (ms). */
  perStateMs: Stat;
  /** (median N-state run − median small run) / (N − small): a state's cost without the run's own (ms). */
  addedStateMs: number;
  /** CPU per state of the N-state run (ms): the Restate server's, and this process's (client and endpoint). */
  restateCpuMs?: Stat;
  processCpuMs: Stat;
  /** What one N-state run journals: entries and bytes by entry type, and per state. */
  journal?: Journal;
}

export interface Journal {
  byType: Record<string, { entries: number; bytes: number }>;
  entriesPerState: number;
  bytesPerState: number;
}

export interface WorkerRound {
  /** aegis worker processes serving the runs (0: the raw workflow, in this process). */
  workers: number;
  /** Through the round-robin proxy, or the one endpoint registered directly. */
  proxy: boolean;
  runsPerSecond: Stat;
  statesPerSecond: number;
  /** Connections Restate opened to each worker (through the proxy). */
  connections?: number[];
  /** Share of one CPU busy during the batches: the Restate server, the workers, this process. */
  busy: { restate?: number; workers?: number; bench: number };
}

export interface RestateBench {
  server: string;
  sdk: string;
  states: number;
  smallStates: number;
  rounds: number;
  aegis: EngineFigures;
  raw: EngineFigures;
  /** aegis / raw, per state (medians). */
  ratio: number;
  /** aegis / raw, per added state. */
  addedRatio: number;
  throughput: {
    statesPerRun: number;
    runsPerBatch: number;
    batches: number;
    rounds: WorkerRound[];
  };
  wallSeconds: number;
}

// ------------------------------------------------------------------ CPU time of a process
/** CPU time of every thread of `pid` so far (ms), from /proc (Linux); undefined elsewhere. */
function cpuMs(pid: number): number | undefined {
  try {
    let ns = 0;
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, "utf8").split(" ")[0]);
      } catch {
        // A thread that ended meanwhile.
      }
    }
    return ns / 1e6;
  } catch {
    return undefined;
  }
}
const processCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

// ------------------------------------------------------------------ the raw workflow
const rawSteps = restate.workflow({
  name: RAW_SERVICE,
  handlers: {
    run: async (ctx: restate.WorkflowContext, steps: number) => {
      for (let i = 0; i < steps; i++) await ctx.run(`step ${i}`, () => "ok");
      return steps;
    },
  },
  // As aegisRun's (src/restate/run-workflow.ts).
  options: { abortTimeout: 24 * 3600 * 1000, workflowRetention: 7 * 24 * 3600 * 1000 },
});

/** An HTTP/2 endpoint serving the raw workflow, built as startWorker builds aegis's. */
async function serveRaw(): Promise<{ url: string; close(): Promise<void> }> {
  const endpoint = restate
    .endpoint()
    .bind(rawSteps)
    .setLogger(() => {});
  const server = createServer(endpoint.http2Handler());
  const open = new Set<ServerHttp2Session>();
  server.on("session", (session) => {
    open.add(session);
    session.once("close", () => open.delete(session));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const session of open) session.destroy();
      }),
  };
}

/** Starts a run of the raw workflow through the ingress, as RestateRuns.start does aegis's. */
async function rawSend(ingress: string, id: string, steps: number): Promise<string> {
  const sent = await fetch(`${ingress}/${RAW_SERVICE}/${id}/run/send`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(steps),
  });
  const text = await sent.text();
  if (!sent.ok) throw new Error(`raw send: ${sent.status} ${text}`);
  return (JSON.parse(text) as { invocationId: string }).invocationId;
}

/** Waits for a raw run's end, as RestateRuns.result does for aegis's. */
async function rawResult(ingress: string, id: string, steps: number): Promise<void> {
  const attached = await fetch(`${ingress}/restate/workflow/${RAW_SERVICE}/${id}/attach`);
  const result = await attached.text();
  if (!attached.ok || Number(result) !== steps)
    throw new Error(`raw run ${id}: ${attached.status} ${result}`);
}

function compiled(source: string): GraphDocument {
  const result = compile(source);
  if (!result.ok) throw new Error(`bench workflow: ${JSON.stringify(result.diagnostics)}`);
  return result.document;
}

const median = (values: number[]) => stat(values, "").median;

// ------------------------------------------------------------------ 1. per state
interface Case {
  engine: "aegis" | "raw";
  states: number;
  wall: number[];
  process: number[];
  restate: number[];
}

async function perState(
  server: Restate,
  states: number,
  smallStates: number,
  rounds: number,
): Promise<Pick<RestateBench, "aegis" | "raw" | "ratio" | "addedRatio">> {
  const { adminUrl, ingressUrl, pid } = server.nodes[0]!;
  const aegisEndpoint = await startWorker({
    port: 0,
    functions: { noop: async () => "ok" },
    log: () => {},
  });
  const rawEndpoint = await serveRaw();
  try {
    await registerWorker(adminUrl, aegisEndpoint.url);
    await registerWorker(adminUrl, rawEndpoint.url);
    const runs = new RestateRuns({ ingress: ingressUrl });
    const documents = new Map(
      [smallStates, states].map((n) => [n, compiled(chainSource(n, `chain${n}`))]),
    );
    let serial = 0;
    /** One run, start to result; gives its invocation id. */
    const once = async (engine: Case["engine"], n: number): Promise<string> => {
      const id = `${engine}-${n}-${serial++}`;
      if (engine === "raw") {
        const invocationId = await rawSend(ingressUrl, id, n);
        await rawResult(ingressUrl, id, n);
        return invocationId;
      }
      const { invocationId } = await runs.start(documents.get(n)!, {}, { id });
      const record = await runs.result(id);
      if (record.status !== "succeeded") throw new Error(`aegis run ${id}: ${record.status}`);
      return invocationId;
    };
    const cases: Case[] = (["aegis", "raw"] as const).flatMap((engine) =>
      [smallStates, states].map((n) => ({ engine, states: n, wall: [], process: [], restate: [] })),
    );
    log(`per state: ${rounds} rounds of ${cases.length} runs (after 5 warm-up rounds)`);
    for (let round = -5; round < rounds; round++) {
      for (let k = 0; k < cases.length; k++) {
        const c = cases[(k + Math.max(round, 0)) % cases.length]!;
        (globalThis as { gc?: () => void }).gc?.();
        const restate0 = cpuMs(pid);
        const process0 = processCpuMs();
        const t0 = performance.now();
        await once(c.engine, c.states);
        const wall = performance.now() - t0;
        if (round < 0) continue;
        c.wall.push(wall);
        c.process.push(processCpuMs() - process0);
        const restate1 = cpuMs(pid);
        if (restate0 !== undefined && restate1 !== undefined) c.restate.push(restate1 - restate0);
      }
    }

    // What one run journals: kept after it ends (journal retention) for this one run each.
    const journals: Partial<Record<Case["engine"], Journal>> = {};
    try {
      for (const service of [RUN_SERVICE, RAW_SERVICE]) {
        const patched = await fetch(`${adminUrl}/services/${service}`, {
          method: "PATCH",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ journal_retention: "1h" }),
        });
        if (!patched.ok)
          throw new Error(`PATCH ${service}: ${patched.status} ${await patched.text()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
      for (const engine of ["aegis", "raw"] as const) {
        const invocation = await once(engine, states);
        const rows = await server.adminQuery<{ entry_type: string; n: number; bytes: number }>(
          `SELECT entry_type, count(*) AS n, sum(raw_length) AS bytes FROM sys_journal WHERE id = '${invocation}' GROUP BY entry_type`,
        );
        if (rows.length === 0) throw new Error(`no journal kept for ${engine}'s run`);
        const byType = Object.fromEntries(
          rows.map((r) => [r.entry_type, { entries: Number(r.n), bytes: Number(r.bytes) }]),
        );
        const all = Object.values(byType);
        journals[engine] = {
          byType,
          entriesPerState: all.reduce((s, t) => s + t.entries, 0) / states,
          bytesPerState: all.reduce((s, t) => s + t.bytes, 0) / states,
        };
      }
    } catch (error) {
      log(`journal not read: ${(error as Error).message}`);
    }

    const figures = (engine: Case["engine"]): EngineFigures => {
      const small = cases.find((c) => c.engine === engine && c.states === smallStates)!;
      const big = cases.find((c) => c.engine === engine && c.states === states)!;
      return {
        runMs: { [smallStates]: stat(small.wall, "ms"), [states]: stat(big.wall, "ms") },
        perStateMs: stat(
          big.wall.map((ms) => ms / states),
          "ms",
        ),
        addedStateMs: (median(big.wall) - median(small.wall)) / (states - smallStates),
        ...(big.restate.length > 0 && {
          restateCpuMs: stat(
            big.restate.map((ms) => ms / states),
            "ms",
          ),
        }),
        processCpuMs: stat(
          big.process.map((ms) => ms / states),
          "ms",
        ),
        ...(journals[engine] && { journal: journals[engine] }),
      };
    };
    const aegis = figures("aegis");
    const raw = figures("raw");
    return {
      aegis,
      raw,
      ratio: aegis.perStateMs.median / raw.perStateMs.median,
      addedRatio: aegis.addedStateMs / raw.addedStateMs,
    };
  } finally {
    await aegisEndpoint.close();
    await rawEndpoint.close();
  }
}

// ------------------------------------------------------------------ 2. workers
/** An OpenAI-compatible chat completions endpoint that answers at once. */
async function serveAgent(): Promise<{ url: string; close(): Promise<void> }> {
  const answer = JSON.stringify({ choices: [{ message: { role: "assistant", content: "ok" } }] });
  const server = createHttpServer((request, response) => {
    request.resume();
    request.once("end", () => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(answer);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function agentChain(states: number, agentUrl: string): string {
  const lines = [
    `workflow calls {`,
    `  agent echo = openai("${agentUrl}", model: "bench")`,
    `  start S0`,
  ];
  for (let i = 0; i < states; i++) {
    const next = i + 1 < states ? `S${i + 1}` : "DONE";
    lines.push(
      `  state S${i} = agent echo timeout 1m { prompt "x" on success -> ${next} otherwise -> FAILED }`,
    );
  }
  lines.push(`  final DONE`, `  final FAILED failure`, `}`);
  return lines.join("\n");
}

interface WorkerProcess {
  child: ChildProcess;
  port: number;
}

/** `aegis worker --port 0` in its own process group, from the checkout's sources. */
async function startWorkerProcess(): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [join(root, "bin", "aegis.js"), "worker", "--port", "0"], {
    cwd: root,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1" },
  });
  let text = "";
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    // The worker warns that it accepts unsigned requests: expected on loopback.
    if (!/without validating request signatures/.test(chunk)) text += chunk;
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      text += chunk;
      const found = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(text);
      if (found) resolve(Number(found[1]));
    });
    child.once("exit", (code) => reject(new Error(`aegis worker exited (${code}): ${text}`)));
    setTimeout(
      () => reject(new Error(`aegis worker did not start in 60 s: ${text}`)),
      60_000,
    ).unref();
  });
  return { child, port };
}

async function stopWorkerProcess(worker: WorkerProcess): Promise<void> {
  if (worker.child.exitCode !== null || worker.child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => worker.child.once("exit", () => resolve()));
  try {
    process.kill(-worker.child.pid!, "SIGTERM");
  } catch {
    return;
  }
  const killLater = setTimeout(() => {
    try {
      process.kill(-worker.child.pid!, "SIGKILL");
    } catch {}
  }, 10_000);
  await exited;
  clearTimeout(killLater);
}

async function throughput(
  statesPerRun: number,
  runsPerBatch: number,
  batches: number,
): Promise<RestateBench["throughput"]> {
  const agent = await serveAgent();
  const server = await startRestate({ nodes: 1 });
  const workers: WorkerProcess[] = [];
  let rawEndpoint: Awaited<ReturnType<typeof serveRaw>> | undefined;
  try {
    const { adminUrl, ingressUrl, pid } = server.nodes[0]!;
    log("throughput: starting 4 aegis worker processes");
    workers.push(...(await Promise.all([1, 2, 3, 4].map(() => startWorkerProcess()))));
    const runs = new RestateRuns({ ingress: ingressUrl });
    const document = compiled(agentChain(statesPerRun, agent.url));
    let serial = 0;
    /** `size` runs started together, then each one's result awaited. */
    const aegisBatch = async (size: number) => {
      const ids = await Promise.all(
        Array.from({ length: size }, async () => {
          const id = `calls-${serial++}`;
          await runs.start(document, {}, { id });
          return id;
        }),
      );
      const records = await Promise.all(ids.map((id) => runs.result(id)));
      const failed = records.find((r) => r.status !== "succeeded");
      if (failed) throw new Error(`run ${failed.id} ${failed.status}: ${failed.error?.message}`);
    };
    // The server's ceiling here: the raw workflow's no-op steps, from this process.
    rawEndpoint = await serveRaw();
    await registerWorker(adminUrl, rawEndpoint.url);
    const rawBatch = async (size: number) => {
      const ids = Array.from({ length: size }, () => `raw-${serial++}`);
      await Promise.all(ids.map((id) => rawSend(ingressUrl, id, statesPerRun)));
      await Promise.all(ids.map((id) => rawResult(ingressUrl, id, statesPerRun)));
    };
    // Each pass over a configuration registers a new deployment (a new URL): Restate sends
    // new runs to the latest. The worker counts run in a palindrome (1 2 4 4 2 1), so that a
    // drift of the machine's load, or of the server as finished runs pile up, hits them alike.
    // The worker registered directly runs once: its URL cannot become the latest again.
    type Config = { workers: number; proxy: boolean };
    const config = (workers: number, proxy: boolean): Config => ({ workers, proxy });
    const raw = config(0, false);
    const direct = config(1, false);
    const proxied = [1, 2, 4].map((n) => config(n, true));
    const order = [raw, direct, direct, ...proxied, ...[...proxied].reverse(), raw];
    const tally = new Map<
      Config,
      {
        perSecond: number[];
        wall: number;
        restate?: number;
        workers?: number;
        bench: number;
        connections?: number[];
      }
    >();
    for (const c of order) {
      const used = workers.slice(0, c.workers);
      const proxy = c.proxy
        ? await startRoundRobinProxy(used.map((w) => ({ host: "127.0.0.1", port: w.port })))
        : undefined;
      const batch = c.workers === 0 ? rawBatch : aegisBatch;
      const t = tally.get(c) ?? { perSecond: [], wall: 0, restate: 0, workers: 0, bench: 0 };
      tally.set(c, t);
      try {
        if (c.workers > 0 && !(c === direct && t.perSecond.length > 0))
          await registerWorker(adminUrl, proxy?.url ?? `http://127.0.0.1:${used[0]!.port}`);
        log(
          `throughput: ${c.workers === 0 ? "the raw workflow" : `${c.workers} worker(s)`}${proxy ? " behind the proxy" : ", direct"}`,
        );
        await batch(Math.ceil(runsPerBatch / 4));
        const cpu0 = used.map((w) => cpuMs(w.child.pid!));
        const restate0 = cpuMs(pid);
        const bench0 = processCpuMs();
        const t0 = performance.now();
        for (let b = 0; b < batches; b++) {
          const started = performance.now();
          await batch(runsPerBatch);
          t.perSecond.push(runsPerBatch / ((performance.now() - started) / 1000));
        }
        t.wall += performance.now() - t0;
        const restate1 = cpuMs(pid);
        t.restate =
          t.restate !== undefined && restate0 !== undefined && restate1 !== undefined
            ? t.restate + restate1 - restate0
            : undefined;
        for (const [i, w] of used.entries()) {
          const before = cpu0[i];
          const after = cpuMs(w.child.pid!);
          t.workers =
            t.workers !== undefined && before !== undefined && after !== undefined
              ? t.workers + after - before
              : undefined;
        }
        t.bench += processCpuMs() - bench0;
        if (proxy) t.connections = proxy.connections.map((n, i) => n + (t.connections?.[i] ?? 0));
      } finally {
        await proxy?.close();
      }
    }
    const rounds: WorkerRound[] = [raw, direct, ...proxied].map((c) => {
      const t = tally.get(c)!;
      const runsPerSecond = stat(t.perSecond, "runs/s");
      return {
        ...c,
        runsPerSecond,
        statesPerSecond: runsPerSecond.median * statesPerRun,
        ...(t.connections && { connections: t.connections }),
        busy: {
          ...(t.restate !== undefined && { restate: t.restate / t.wall }),
          ...(c.workers > 0 && t.workers !== undefined && { workers: t.workers / t.wall }),
          bench: t.bench / t.wall,
        },
      };
    });
    return { statesPerRun, runsPerBatch, batches, rounds };
  } finally {
    await rawEndpoint?.close();
    await Promise.all(workers.map(stopWorkerProcess));
    await server.stop();
    await agent.close();
  }
}

// ------------------------------------------------------------------ both
const version = (pkg: string) =>
  (
    JSON.parse(readFileSync(join(root, "node_modules", pkg, "package.json"), "utf8")) as {
      version: string;
    }
  ).version;

export async function benchRestate(): Promise<RestateBench> {
  const t0 = performance.now();
  const states = env("BENCH_RESTATE_STATES", 20);
  const smallStates = Math.max(1, Math.round(states / 4));
  // Many rounds: a run is ~25 ms, and a ratio of medians of 21 moved by ±0.04 between runs.
  const rounds = env("BENCH_RESTATE_SAMPLES", 101);
  const server = await startRestate({ nodes: 1 });
  let compared: Awaited<ReturnType<typeof perState>>;
  try {
    compared = await perState(server, states, smallStates, rounds);
  } finally {
    await server.stop();
  }
  const workers = await throughput(
    5,
    env("BENCH_RESTATE_RUNS", 200),
    env("BENCH_RESTATE_BATCHES", 2),
  );
  return {
    server: version("@restatedev/restate-server"),
    sdk: version("@restatedev/restate-sdk"),
    states,
    smallStates,
    rounds,
    ...compared,
    throughput: workers,
    wallSeconds: (performance.now() - t0) / 1000,
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  // One line: bench/run.ts reads the last line of a child's output.
  console.log(JSON.stringify(await benchRestate()));
}
