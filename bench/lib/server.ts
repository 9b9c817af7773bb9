// `aegis serve` under load (issue 14), through its real HTTP API from this process: runs
// started per second, thousands of runs waiting at gates (the server's memory, and how long
// answering one takes), and the latency of events from a state's completion to an SSE
// client. The server is a child process (the CLI as a user runs it) on a fresh data dir.
//   node bench/lib/server.ts [runs]     prints the results as JSON (default 10,000 runs)
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Stat, stat } from "./stats.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const bin = join(root, "bin", "aegis.js");

export interface ServerBench {
  runs: number;
  /** Runs started per second: POST /v1/runs answered 201, 32 requests in flight. */
  startsPerSecond: number;
  /** The server's resident memory before and after that many runs wait at a gate (MiB). */
  rssBeforeMiB: number;
  rssWaitingMiB: number;
  /** Per waiting run (KiB): what the process holds, JS heap and native (SQLite, allocator). */
  perRunKiB: number;
  /** The JS heap after a full GC, per waiting run (KiB): what the server keeps per run. */
  heapPerRunKiB: number;
  /** POST /v1/runs/{id}/signal, answered, with that many runs waiting (ms). */
  answerMs: Stat;
  /** From a state's completion (its observation's time) to the SSE client receiving it (ms). */
  eventLatencyMs: Stat;
}

/** A run of it waits at its gate at once: no process, no state run before. */
export const gate = `workflow gate {
  start APPROVE
  state APPROVE = human timeout 7d {
    prompt "Ship?"
    on approved -> DONE
    on rejected -> FAILED
  }
  final DONE
  final FAILED failure
}
`;

/** Ten short commands one after the other: each completion is an event to time. */
const chain = `workflow chain {
  start S0
${Array.from(
  { length: 10 },
  (_, i) => `  state S${i} = run "true" timeout 1m {
    on exit 0 -> ${i < 9 ? `S${i + 1}` : "DONE"}
    otherwise -> FAILED
  }`,
).join("\n")}
  final DONE
  final FAILED failure
}
`;

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

async function startServer(dir: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [bin, "serve", "--port", "0", "--concurrency", "32"], {
    cwd: dir,
    env: { ...process.env, AEGIS_CLI: "bundle" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
      const found = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      if (found) resolve(found);
    });
    child.once("exit", (code) => reject(new Error(`aegis serve exited (${code}): ${out}`)));
  });
  return { url, child };
}

async function post(url: string, body: unknown): Promise<{ status: number; json: any }> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

/** Reads a run's SSE stream to its end, noting when each event arrived. */
async function follow(url: string): Promise<{ at: number; data: any }[]> {
  const response = await fetch(url, { headers: { accept: "text/event-stream" } });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const out: { at: number; data: any }[] = [];
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return out;
    const at = Date.now();
    buffer += decoder.decode(value, { stream: true });
    let end = buffer.indexOf("\n\n");
    while (end >= 0) {
      const data = /^data: (.*)$/m.exec(buffer.slice(0, end))?.[1];
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf("\n\n");
      if (data) out.push({ at, data: JSON.parse(data) });
    }
  }
}

/**
 * The JS heap a server keeps per waiting run: its run service in a fresh process (started
 * with --expose-gc), `runs` runs started and waiting at their gate, heap after a full GC.
 */
function heapPerRun(runs: number): number {
  const r = spawnSync(
    process.execPath,
    ["--expose-gc", fileURLToPath(new URL("./server-heap.ts", import.meta.url)), String(runs)],
    { encoding: "utf8", timeout: 600_000 },
  );
  if (r.status !== 0) throw new Error(`server-heap: ${r.stderr}`);
  const { before, after } = JSON.parse(r.stdout.trim().split("\n").pop()!);
  return (after - before) / 1024 / runs;
}

export async function benchServer(runs = 10_000): Promise<ServerBench> {
  const dir = mkdtempSync(join(tmpdir(), "aegis-bench-serve-"));
  writeFileSync(join(dir, "gate.aegis"), gate);
  writeFileSync(join(dir, "chain.aegis"), chain);
  const { url, child } = await startServer(dir);
  try {
    const deployed = spawnSync(process.execPath, [bin, "deploy", "gate.aegis", "chain.aegis"], {
      cwd: dir,
      env: { ...process.env, AEGIS_SERVER: url, AEGIS_CLI: "bundle" },
      encoding: "utf8",
    });
    if (deployed.status !== 0) throw new Error(`deploy failed: ${deployed.stderr}`);
    const rssBefore = rssMiB(child.pid!);

    // Runs started per second (each goes on to wait at its gate).
    const ids: string[] = [];
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < runs) {
          next += 1;
          const r = await post(`${url}/v1/runs`, { workflow: "gate" });
          if (r.status !== 201) throw new Error(`start: ${r.status} ${JSON.stringify(r.json)}`);
          ids.push(r.json.id);
        }
      }),
    );
    const startsPerSecond = runs / ((performance.now() - t0) / 1000);
    // All of them at their gate.
    for (;;) {
      const r = await fetch(`${url}/v1/runs?status=waiting&limit=1000`);
      const body = (await r.json()) as { runs: unknown[] };
      const queued = await (await fetch(`${url}/v1/runs?status=queued&limit=1`)).json();
      const running = await (await fetch(`${url}/v1/runs?status=running&limit=1`)).json();
      if (body.runs.length > 0 && queued.runs.length === 0 && running.runs.length === 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    (globalThis as { gc?: () => void }).gc?.();
    await new Promise((r) => setTimeout(r, 1000));
    const rssWaiting = rssMiB(child.pid!);

    // Answering one of them, twenty times.
    const answers: number[] = [];
    for (const id of ids.slice(0, 20)) {
      const t = performance.now();
      const r = await post(`${url}/v1/runs/${id}/signal`, { approve: true });
      if (r.status !== 200) throw new Error(`signal: ${r.status} ${JSON.stringify(r.json)}`);
      answers.push(performance.now() - t);
    }

    // Event latency: a run of ten short commands, followed live.
    const latencies: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = await post(`${url}/v1/runs`, { workflow: "chain" });
      const events = await follow(`${url}/v1/runs/${started.json.id}/events`);
      for (const e of events)
        if (e.data.type === "state-completed") latencies.push(e.at - Date.parse(e.data.at));
    }
    return {
      runs,
      heapPerRunKiB: heapPerRun(Math.min(runs, 3000)),
      startsPerSecond,
      rssBeforeMiB: rssBefore,
      rssWaitingMiB: rssWaiting,
      perRunKiB: ((rssWaiting - rssBefore) * 1024) / runs,
      answerMs: stat(answers, "ms"),
      eventLatencyMs: stat(latencies, "ms"),
    };
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const runs = Number(process.argv[2] ?? 10_000);
  console.log(JSON.stringify(await benchServer(runs), null, 2));
}
