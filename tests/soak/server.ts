// The crash soak against `aegis serve` (issue 14): the same workflow as the CLI's soak
// (fixtures/everything.aegis), deployed to one server per soak run and started by name over
// HTTP; the server is killed with SIGKILL at seeded random moments (while it starts and
// recovers, while states run, while the run waits at its gate, right after an answer) and
// started again on the same data directory, where the run goes on by itself; the gate is
// answered over HTTP whenever the run waits. The "timeout" variant gives the gate a 3 s
// timeout with a default response (rejected, which goes on to SUPPORT there) and never
// answers it: its server is killed while the run waits, and started again only once the
// timeout has fallen due, so the timer must fire after the restart, exactly once.
// Each run is checked by soak.ts's Ledger and compared with an uninterrupted run of the
// same inputs and variant on a server never killed (lost / repeated / unreadable /
// mismatched, and timers unfired or fired twice). `npm run soak -- --server`.
import { type ChildProcess, spawn } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { FileStore } from "../../src/runtime/store/file.ts";
import type { RunRecord } from "../../src/runtime/types.ts";
import {
  BIN,
  type Driver,
  FIXTURES,
  ID,
  type Job,
  Ledger,
  type Outcome,
  processEnv,
  type SoakOptions,
  type SoakReport,
  soak,
  WORKFLOW,
} from "./soak.ts";

/** How long one server process may take to start, or a run to move, before the soak gives up. */
const DEADLINE_MS = 120_000;
/** The timeout variant's gate. */
const GATE_TIMEOUT = "3s";

const terminal = (status: string) =>
  status === "succeeded" || status === "failed" || status === "cancelled";
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/**
 * The timeout variant of the soak's workflow, written into `dir` (with the child it
 * imports): named soak_timeout, its gate times out after 3 s with the default "rejected",
 * and a rejection goes on (so that the states after the gate run after the timer fires).
 */
export function timeoutVariant(dir: string): string {
  let text = readFileSync(WORKFLOW, "utf8");
  const edits: [RegExp, string][] = [
    [/workflow soak /, "workflow soak_timeout "],
    [/human timeout 1h \{/, `human timeout ${GATE_TIMEOUT} {\n    default rejected`],
    [
      /(state APPROVE[\s\S]*?on rejected -> )FAILED/,
      "$1SUPPORT // aegis-ignore AEG604 -- the soak's timeout goes on",
    ],
  ];
  for (const [from, to] of edits) {
    if (!from.test(text)) throw new Error(`the soak's workflow has no ${from}: update server.ts`);
    text = text.replace(from, to);
  }
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(FIXTURES, "child.aegis"), join(dir, "child.aegis"));
  const file = join(dir, "everything-timeout.aegis");
  writeFileSync(file, text);
  return file;
}

interface Server {
  url?: string;
  child: ChildProcess;
  /** Whether the soak killed it (SIGKILL), rather than stopping it at the end. */
  killed: boolean;
  exited: Promise<void>;
  output(): string;
  kill(): Promise<void>;
}

/** `aegis serve` on `data`, resolved once it listens (or once it exits, its url unset). */
function serve(dir: string, data: string, env: NodeJS.ProcessEnv): Promise<Server> {
  const child = spawn(
    process.execPath,
    [BIN, "serve", "--port", "0", "--data", data, "--workdir", FIXTURES],
    { cwd: dir, env },
  );
  let out = "";
  const exited = new Promise<void>((done) => child.once("close", () => done()));
  const server: Server = {
    child,
    killed: false,
    exited,
    output: () => out,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) {
        server.killed = true;
        child.kill("SIGKILL");
      }
      return exited;
    },
  };
  return new Promise((resolve) => {
    const hard = setTimeout(() => {
      out += `\n[soak: no URL after ${DEADLINE_MS} ms]`;
      child.kill("SIGKILL");
    }, DEADLINE_MS);
    const onData = (data: Buffer) => {
      out += data;
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      if (url && !server.url) {
        server.url = url;
        clearTimeout(hard);
        resolve(server);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    void exited.then(() => {
      clearTimeout(hard);
      resolve(server);
    });
  });
}

async function api(
  url: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(url + path, {
    method,
    signal: AbortSignal.timeout(30_000),
    ...(body !== undefined && {
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
  });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    json = { text };
  }
  return { status: response.status, json };
}

/** `aegis deploy FILE` against the server (the CLI compiles it, children embedded). */
function deploy(url: string, file: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, "deploy", file], {
      env: { ...env, AEGIS_SERVER: url },
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d));
    child.stderr.on("data", (d: Buffer) => (out += d));
    child.on("close", (code) =>
      done(code === 0 ? undefined : `aegis deploy exited with ${code}: ${out}`),
    );
  });
}

/** Where one server process kills itself (the soak kills it), if it does. */
type Plan =
  | { at: "startup"; afterMs: number }
  | { at: "running"; afterMs: number }
  | { at: "gate"; afterMs: number }
  | { at: "signal"; afterMs: number }
  /** When the run has ended while a detached child run it started still runs. */
  | { at: "detached" };

function plan(job: Job, left: number, gateKilled: boolean): Plan | undefined {
  const { rng, kills, maxKillDelayMs } = job;
  if (left === 0) return undefined;
  // The timeout variant's last kill (if none came at the gate yet) is at the gate: the
  // timer falls due while no server runs.
  if (job.variant === "timeout" && left === 1 && !gateKilled)
    return { at: "gate", afterMs: Math.floor(rng() * 200) };
  // The first kill comes early, while the first states run.
  if (left === kills) return { at: "running", afterMs: Math.floor(rng() * 1500) };
  const r = rng();
  // The timeout variant is killed at its gate at its first chance after the first kill.
  if (job.variant === "timeout" && !gateKilled && r >= 0.45)
    return { at: "gate", afterMs: Math.floor(rng() * 200) };
  if (r < 0.15) return { at: "startup", afterMs: Math.floor(rng() * 1500) };
  if (r < 0.45) return { at: "running", afterMs: Math.floor(rng() * maxKillDelayMs) };
  if (r < 0.65) return { at: "gate", afterMs: Math.floor(rng() * 300) };
  if (r < 0.85 && job.variant !== "timeout")
    return { at: "signal", afterMs: Math.floor(rng() * 40) };
  if (r < 0.95) return { at: "detached" };
  return undefined;
}

/** Every run of the store's statuses (read while the server runs: a failed read is "unknown"). */
async function statuses(store: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (!existsSync(store)) return out;
  const files = new FileStore(store);
  // Not FileStore.list: it tidies the store, which is the server's to do.
  for (const id of readdirSync(store)) {
    if (id.startsWith(".") || !existsSync(join(store, id, "run.json"))) continue;
    try {
      out.set(id, (await files.load(id)).record.status);
    } catch {
      out.set(id, "unknown");
    }
  }
  return out;
}

/** Drives one soak run through servers started one after another on the same data. */
async function driveServer(job: Job): Promise<Outcome | undefined> {
  const { dir, inputs, rng, report, note } = job;
  mkdirSync(dir, { recursive: true });
  const data = join(dir, "data");
  const store = join(data, "runs");
  const ledger = new Ledger(dir, store, report, note);
  const timeout = job.variant === "timeout";
  const file = timeout ? timeoutVariant(join(dir, "workflow")) : WORKFLOW;
  const name = timeout ? "soak_timeout" : "soak";
  let left = job.kills;
  let deployed = false;
  let gateKilled = false;
  /** When the gate falls due (the timeout variant), once a server has said. */
  let due: number | undefined;
  for (let attempt = 1; ; attempt++) {
    if (attempt > 40) {
      note("the run did not end after 40 server processes");
      return undefined;
    }
    ledger.begin(attempt);
    const env = processEnv(dir, attempt, rng);
    const kill = plan(job, left, gateKilled);
    const spawned = Date.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let serverRef: Server | undefined;
    const killAfter = (ms: number) => {
      timer ??= setTimeout(() => void serverRef?.kill(), ms);
    };
    const serverPromise = serve(dir, data, env);
    if (kill?.at === "startup") {
      // Killed while it starts: opening its data, recovering the runs, arming the timers.
      void serverPromise.then((s) => {
        serverRef = s;
      });
      timer = setTimeout(() => void serverPromise.then((s) => s.kill()), kill.afterMs);
    }
    const server = await serverPromise;
    serverRef = server;
    let failure: string | undefined;
    let ended = false;
    if (server.url) {
      if (!deployed) {
        // Not killed while deploying: the deployment is not what this soak is about.
        failure = await deploy(server.url, file, env);
        deployed = failure === undefined;
      }
      if (deployed && !existsSync(join(store, ID, "run.json"))) {
        if (attempt > 1) report.restarts += 1;
        if (kill?.at === "running") killAfter(kill.afterMs);
        const started = await api(server.url, "POST", "/v1/runs", {
          workflow: name,
          inputs,
          id: ID,
        }).catch((error: Error) => ({ status: 0, json: { error: error.message } }));
        if (started.status !== 201 && started.status !== 409 && !server.killed)
          failure = `POST /v1/runs answered ${started.status}: ${JSON.stringify(started.json)}`;
      } else if (kill?.at === "running") killAfter(kill.afterMs);
      // Follow the run until the server is killed or every run has ended.
      let answered = false;
      let stuckSince: number | undefined;
      while (!failure && !server.killed && server.child.exitCode === null) {
        const got = await api(server.url, "GET", `/v1/runs/${ID}`).catch(() => undefined);
        if (server.killed) break;
        if (got?.status !== 200) {
          if (Date.now() - spawned > DEADLINE_MS)
            failure = `GET /v1/runs/${ID} answered ${got?.status ?? "nothing"}`;
          await sleep(100);
          continue;
        }
        const record = got.json.record as RunRecord;
        const run = got.json.run as { wakeAt?: string };
        if (run.wakeAt) due = Date.parse(run.wakeAt);
        if (record.status === "waiting") {
          if (kill?.at === "gate") {
            gateKilled = true;
            killAfter(kill.afterMs);
            await server.exited;
            break;
          }
          if (!timeout && !answered) {
            answered = true;
            report.signals += 1;
            const answer = api(server.url, "POST", `/v1/runs/${ID}/signal`, {
              approve: true,
            }).catch(() => undefined);
            if (kill?.at === "signal") {
              // Right after the answer is sent: it may be recorded, or not, or half.
              killAfter(kill.afterMs);
              await server.exited;
              break;
            }
            const r = await answer;
            if (r && r.status !== 200 && !server.killed)
              failure = `the answer got ${r.status}: ${JSON.stringify(r.json)}`;
          }
        }
        if (terminal(record.status)) {
          const all = await statuses(store);
          const open = [...all].filter(([, s]) => !terminal(s));
          if (open.length === 0) {
            ended = true;
            break;
          }
          // A detached child still running: the server must drive it to its end.
          if (kill?.at === "detached") {
            killAfter(0);
            await server.exited;
            break;
          }
          stuckSince ??= Date.now();
          if (Date.now() - stuckSince > 30_000) {
            failure = `run ${open.map(([id, s]) => `${id} (${s})`).join(", ")} did not move for 30 s after ${ID} ended`;
          }
        } else if (Date.now() - spawned > DEADLINE_MS) {
          failure = `run ${ID} did not end in ${DEADLINE_MS} ms (${record.status} at ${record.current})`;
        }
        await sleep(100);
      }
    } else if (!server.killed) {
      failure = `aegis serve exited before listening: ${server.output().slice(-600)}`;
    }
    clearTimeout(timer);
    if (server.killed) {
      report.kills += 1;
      left -= 1;
      report.moments ??= {};
      report.moments[kill!.at] = (report.moments[kill!.at] ?? 0) + 1;
    } else {
      // Ended (or given up on): stopped cleanly, then checked.
      server.child.kill("SIGTERM");
      await server.exited;
    }
    if (failure) {
      note(`${failure}\n${server.output().slice(-600)}`);
      if (/did not (end|move)/.test(failure)) report.lost += 1;
      return undefined;
    }
    if (!existsSync(join(store, ID, "run.json"))) continue; // created by the next server
    const runs = await ledger.after(attempt);
    if (!runs) return undefined;
    if (ended) return ledger.outcome(attempt, runs);
    report.resumes += 1;
    // The gate falls due while no server runs: the next one must fire it.
    if (timeout && due !== undefined && runs.get(ID)?.record.status === "waiting") {
      const until = due + Math.floor(rng() * 500);
      if (Date.now() <= until) report.dueWhileDown = (report.dueWhileDown ?? 0) + 1;
      while (Date.now() <= until) await sleep(100);
    }
  }
}

/** Timeout variant for about a third of the runs; the others have their gate answered. */
export const serverDriver: Driver = {
  variant: (rng) => (rng() < 0.35 ? "timeout" : "gate"),
  drive: driveServer,
};

export function serverSoak(options: SoakOptions): Promise<SoakReport> {
  return soak(options, serverDriver);
}
