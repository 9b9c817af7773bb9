// The crash soak (issue 7): runs of a workflow that uses every state kind, driven by the
// real command line in child processes and killed with SIGKILL at random moments (seeded),
// then continued (`aegis resume`, `aegis signal` for the human gate, `aegis resume CHILD`
// for a detached child run) until they end; each is compared with an uninterrupted run of
// the same inputs. Checked for every run:
//   lost        a state completion (or a human answer) the uninterrupted run has and this
//               one has not, or an execution it made that this one never made
//   repeated    an execution (agent call, shell command, container) of a state attempt that
//               was already completed in the journal when the process that made it started,
//               an execution made twice by one process, one with a key the uninterrupted
//               run never used (an in-flight call may be made again only with its key), or
//               a completion more than the uninterrupted run has
//   unreadable  a run directory that does not load, or whose log cannot be read
//   mismatched  a final status, output or result that differs from the uninterrupted run
// Used by scripts/soak.ts (`npm run soak`) and, with a handful of runs, tests/soak/soak.test.ts.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadGraph } from "../../src/compiler/graph.ts";
import { step } from "../../src/runtime/step.ts";
import { FileStore } from "../../src/runtime/store/file.ts";
import { replay } from "../../src/runtime/store/rebuild.ts";
import type { LoadedRun } from "../../src/runtime/store/types.ts";
import type { RunEvent, RunRecord } from "../../src/runtime/types.ts";

const here = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(here, "../..");
export const BIN = join(ROOT, "bin/aegis.js");
export const FIXTURES = join(here, "fixtures");
export const WORKFLOW = join(FIXTURES, "everything.aegis");
export const FAKE_DOCKER = join(ROOT, "tests/fixtures/agents/bin/docker");
/** Every soak run has its own store, and in it the run "s". */
export const ID = "s";

/** What must not depend on interruptions: the path, the results, the counts, the output. */
export function essence(record: RunRecord) {
  return {
    status: record.status,
    output: record.output,
    path: record.history.filter((h) => h.status === "entered").map((h) => h.state),
    results: Object.fromEntries(
      Object.entries(record.results).map(([state, r]) => [
        state,
        { status: r.status, output: r.output, score: r.score, exit_code: r.exit_code },
      ]),
    ),
    visits: record.visits,
    transitions: record.transitions,
    agentCalls: record.agentCalls,
    inputs: record.inputs,
  };
}

/** A seeded random number generator (mulberry32): [0, 1). */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function lines<T>(file: string): T[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);
}

interface Exit {
  code: number | null;
  killed: boolean;
  output: string;
}

/** When to kill a process: so long after it starts, or after its first output. */
interface Kill {
  afterMs: number;
  from: "start" | "output";
}

/** Runs `aegis ARGS`, and SIGKILLs it when `kill` says. */
function aegis(
  cwd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  kill?: Kill,
  timeoutMs = 120_000,
): Promise<Exit> {
  return new Promise((done) => {
    const child: ChildProcess = spawn(process.execPath, [BIN, ...args], { cwd, env });
    let output = "";
    let killed = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const hard = setTimeout(() => {
      output += `\n[soak: no end after ${timeoutMs} ms]`;
      child.kill("SIGKILL");
    }, timeoutMs);
    const arm = () => {
      timer ??= setTimeout(() => {
        killed = child.exitCode === null && child.signalCode === null;
        child.kill("SIGKILL");
      }, kill!.afterMs);
    };
    if (kill?.from === "start") arm();
    const onData = (data: Buffer) => {
      output += data;
      if (kill) arm();
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.on("close", (code) => {
      clearTimeout(hard);
      clearTimeout(timer);
      done({ code, killed, output });
    });
  });
}

/** The attempt prefixes (`run:STATE:visit:attempt`) the journal records as completed. */
function completedAttempts(loaded: LoadedRun, events: RunEvent[]): Set<string> {
  const { graph } = loadGraph(loaded.document);
  let record = replay(loaded.document, loaded.meta, []);
  const out = new Set<string>();
  for (const event of events) {
    if (event.type === "state-completed") {
      out.add(`${record.id}:${event.state}:${record.visits[event.state] ?? 0}:${record.attempt}`);
    }
    record = step(graph, record, event).record;
  }
  return out;
}

function journalOf(store: string, id: string): RunEvent[] {
  return readFileSync(join(store, id, "journal.jsonl"), "utf8")
    .split("\n")
    .slice(0, -1) // a torn last line is no event
    .map((l) => JSON.parse(l) as RunEvent);
}

/** Every run of a store (the soak run and its children), by id; a load error as a string. */
async function runsOf(store: string): Promise<Map<string, LoadedRun | string>> {
  const files = new FileStore(store);
  const out = new Map<string, LoadedRun | string>();
  if (!existsSync(store)) return out;
  for (const name of readdirSync(store).sort()) {
    if (name.startsWith(".") || !existsSync(join(store, name, "run.json"))) continue;
    try {
      const loaded = await files.load(name);
      await files.readLog(name);
      out.set(name, loaded);
    } catch (error) {
      out.set(name, `${(error as { code?: string }).code}: ${(error as Error).message}`);
    }
  }
  return out;
}

/** An execution logged by an agent, a shell command (AEGIS_AGENT_LOG) or the fake docker. */
interface Execution {
  key: string;
  /** The state attempt it belongs to: run:STATE:visit:attempt. */
  prefix: string;
}

function executions(dir: string, attempt: number): Execution[] {
  const calls = lines<{ key: string }>(join(dir, `calls.${attempt}.log`)).map(({ key }) => ({
    key,
    prefix: key.split(":").slice(0, 4).join(":"),
  }));
  // Containers are named aegis-RUN-STATE-ATTEMPT[-NAME]; the soak's are visited once.
  const containers = lines<{ args: string[] }>(join(dir, `docker.${attempt}.log`))
    .filter((c) => c.args[0] === "run")
    .map((c) => {
      const name = c.args[c.args.indexOf("--name") + 1]!;
      const [, state, n] = /^aegis-s-([A-Z_]+)-(\d+)/.exec(name) ?? [];
      return { key: name, prefix: `${ID}:${state}:1:${n}` };
    });
  return [...calls, ...containers];
}

export interface SoakInputs {
  topic: string;
  items: string[];
  route: "wide" | "narrow";
}

export interface Outcome {
  /** Final records by run id. */
  records: Map<string, RunRecord>;
  completions: Map<string, number>;
  answers: number;
  /** Gate timeouts fired (timer-fired in the journals). */
  timers: number;
  keys: Map<string, number>;
}

export interface SoakReport {
  runs: number;
  kills: number;
  resumes: number;
  signals: number;
  /** `aegis run` again for a run whose creation a kill cut short (it never existed). */
  restarts: number;
  lost: number;
  repeated: number;
  unreadable: number;
  mismatched: number;
  /** Gate timeouts the uninterrupted runs fired, summed over the runs. */
  timers: number;
  /** Of those, not fired (the run stayed at its gate past its timeout). */
  unfired: number;
  /** Timer firings beyond those (a gate timed out twice). */
  refired: number;
  /** Kills by moment (the server's soak: startup, running, gate, signal, detached). */
  moments?: Record<string, number>;
  /** Gates that fell due while no server ran (the server's soak). */
  dueWhileDown?: number;
  violations: string[];
}

export interface SoakOptions {
  runs: number;
  seed: number;
  /** At most this many kills per run (each run draws 1..kills). */
  kills: number;
  /** Runs driven at the same time. */
  jobs?: number;
  /** Longest wait after a process's first output before it is killed (ms). */
  maxKillDelayMs?: number;
  /** The inputs of every run (default: drawn for each run, from a few variants). */
  inputs?: SoakInputs;
  /** The workflow variant of every run (default: the driver's own choice for each run). */
  variant?: string;
  /** Where the runs are kept (removed at the end unless `keep`). */
  dir?: string;
  keep?: boolean;
  progress?: (line: string) => void;
}

/**
 * What the checks know of one soak run, process after process (a process is an `aegis`
 * command for the CLI soak, an `aegis serve` for the server's): the state attempts the
 * journals showed completed before each one started, and what each one executed.
 */
export class Ledger {
  /** State attempts completed before process `attempt` started, by process. */
  private readonly completedBefore: Set<string>[] = [];
  private completed = new Set<string>();

  /** Where the processes' execution logs are (calls.N.log, docker.N.log). */
  readonly dir: string;
  /** The run store the processes share. */
  readonly store: string;
  private readonly report: SoakReport;
  private readonly note: (violation: string) => void;

  constructor(dir: string, store: string, report: SoakReport, note: (violation: string) => void) {
    this.dir = dir;
    this.store = store;
    this.report = report;
    this.note = note;
  }

  /** Before process `attempt` starts. */
  begin(attempt: number): void {
    this.completedBefore[attempt] = this.completed;
  }

  /**
   * After process `attempt` ended (killed or not): every run of the store, as the next
   * process will find it (undefined when one cannot be read); what the process executed
   * must be completed or still in flight in the journals, or it was lost.
   */
  async after(attempt: number): Promise<Map<string, LoadedRun> | undefined> {
    const runs = await runsOf(this.store);
    for (const [id, run] of runs) {
      if (typeof run === "string") {
        this.report.unreadable += 1;
        this.note(`run ${id} cannot be read after process ${attempt}: ${run}`);
        return undefined;
      }
    }
    const loaded = runs as Map<string, LoadedRun>;
    this.completed = new Set(this.completedBefore[attempt]);
    for (const [id, run] of loaded) {
      for (const p of completedAttempts(run, journalOf(this.store, id))) this.completed.add(p);
    }
    const inFlight = new Set<string>();
    for (const [id, { record: r }] of loaded) {
      if (r.status === "running" && r.current !== undefined)
        inFlight.add(`${id}:${r.current}:${r.visits[r.current] ?? 0}:${r.attempt}`);
    }
    for (const e of executions(this.dir, attempt)) {
      if (!this.completed.has(e.prefix) && !inFlight.has(e.prefix)) {
        this.report.lost += 1;
        this.note(
          `${e.key} was executed by process ${attempt}, yet no journal shows it completed or in flight`,
        );
      }
    }
    return loaded;
  }

  /** The runs ended after `attempts` processes: what they executed, and when, and their ends. */
  outcome(attempts: number, runs: Map<string, LoadedRun>): Outcome {
    const keys = new Map<string, number>();
    for (let a = 1; a <= attempts; a++) {
      const seen = new Set<string>();
      for (const e of executions(this.dir, a)) {
        keys.set(e.key, (keys.get(e.key) ?? 0) + 1);
        if (this.completedBefore[a]!.has(e.prefix)) {
          this.report.repeated += 1;
          this.note(`${e.key} was executed by process ${a}, after its state had completed`);
        }
        if (seen.has(e.key)) {
          this.report.repeated += 1;
          this.note(`${e.key} was executed twice by process ${a}`);
        }
        seen.add(e.key);
      }
    }
    const completions = new Map<string, number>();
    let answers = 0;
    let timers = 0;
    const records = new Map<string, RunRecord>();
    for (const [id, run] of runs) {
      records.set(id, run.record);
      for (const e of journalOf(this.store, id)) {
        if (e.type === "state-completed") {
          const k = `${id}:${e.state}`;
          completions.set(k, (completions.get(k) ?? 0) + 1);
        }
        if (e.type === "human-answered") answers += 1;
        if (e.type === "timer-fired") timers += 1;
      }
    }
    return { records, completions, answers, timers, keys };
  }
}

/** Drives one run to its end through the CLI: killed `kills` times at random, resumed each time. */
async function drive(job: Job): Promise<Outcome | undefined> {
  const { dir, inputs, rng, kills, maxKillDelayMs, report, note } = job;
  mkdirSync(dir, { recursive: true });
  const store = join(dir, "runs");
  const ledger = new Ledger(dir, store, report, note);
  const runArgs = ["run", WORKFLOW, "--workdir", FIXTURES, "--input", JSON.stringify(inputs)];
  const common = ["--store", "runs"];
  let left = kills;
  let next: string[] = [...runArgs, "--id", ID, ...common];
  for (let attempt = 1; ; attempt++) {
    if (attempt > 40) {
      note("the run did not end after 40 processes");
      return undefined;
    }
    ledger.begin(attempt);
    const env = processEnv(dir, attempt, rng);
    // The first kill of a run is sure to come early (no run reaches its gate in 300 ms);
    // later ones come while the run is under way, or while a process starts (loading the
    // run, taking its lock, creating it).
    const kill: Kill | undefined =
      left > 0 && left === kills
        ? { afterMs: Math.floor(rng() * 300), from: "output" }
        : left > 0 && rng() < 0.7
          ? rng() < 0.2
            ? { afterMs: Math.floor(rng() * 2000), from: "start" }
            : { afterMs: Math.floor(rng() * maxKillDelayMs), from: "output" }
          : undefined;
    const exit = await aegis(dir, next, env, kill);
    if (exit.killed) {
      report.kills += 1;
      left -= 1;
    } else if (exit.code !== 0) {
      note(`\`aegis ${next.join(" ")}\` exited with ${exit.code}: ${exit.output.slice(-600)}`);
      return undefined;
    }
    // Where the run is now, from its store, as the next process will find it.
    if (!existsSync(join(store, ID, "run.json"))) {
      // The kill came before the run was created: it never existed; start it again.
      report.restarts += 1;
      next = [...runArgs, "--id", ID, ...common];
      continue;
    }
    const runs = await ledger.after(attempt);
    if (!runs) return undefined;
    const record = runs.get(ID)!.record;
    const unfinished = [...runs.entries()].find(
      ([id, run]) => id !== ID && run.record.status === "running",
    );
    if (record.status === "waiting") {
      report.signals += 1;
      next = ["signal", ID, "--approve", "--approver", "soak", ...common];
    } else if (record.status === "running") {
      report.resumes += 1;
      next = ["resume", ID, ...common];
    } else if (unfinished) {
      // A detached child run the kill interrupted after its parent ended.
      report.resumes += 1;
      next = ["resume", unfinished[0], ...common];
    } else {
      return ledger.outcome(attempt, runs);
    }
  }
}

/** The environment of process `attempt` of a soak run: where its executions are logged. */
export function processEnv(dir: string, attempt: number, rng: () => number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NO_COLOR: "1",
    AEGIS_AGENT_LOG: join(dir, `calls.${attempt}.log`),
    AEGIS_AGENT_DELAY_MS: String(Math.floor(rng() * 40)),
    AEGIS_CONTAINER_RUNTIME: FAKE_DOCKER,
    FAKE_DOCKER_LOG: join(dir, `docker.${attempt}.log`),
  };
  for (const key of ["FORCE_COLOR", "AEGIS_SERVER", "AEGIS_TOKEN"]) delete env[key];
  return env;
}

function compare(reference: Outcome, got: Outcome, report: SoakReport, note: (v: string) => void) {
  for (const [id, record] of reference.records) {
    const mine = got.records.get(id);
    if (!mine) {
      report.lost += 1;
      note(`run ${id} is missing`);
    } else if (JSON.stringify(essence(mine)) !== JSON.stringify(essence(record))) {
      report.mismatched += 1;
      note(
        `run ${id} differs from the uninterrupted run: ${JSON.stringify(essence(mine))} vs ${JSON.stringify(essence(record))}`,
      );
    }
  }
  for (const [k, n] of reference.completions) {
    const m = got.completions.get(k) ?? 0;
    if (m < n) {
      report.lost += n - m;
      note(`${k} completed ${m} times, uninterrupted ${n}`);
    }
  }
  for (const [k, m] of got.completions) {
    const n = reference.completions.get(k) ?? 0;
    if (m > n) {
      report.repeated += m - n;
      note(`${k} completed ${m} times, uninterrupted ${n}`);
    }
  }
  report.timers += reference.timers;
  if (got.timers < reference.timers) {
    report.unfired += reference.timers - got.timers;
    note(`a gate's timer fired ${got.timers} times, uninterrupted ${reference.timers}`);
  } else if (got.timers > reference.timers) {
    report.refired += got.timers - reference.timers;
    note(`a gate's timer fired ${got.timers} times, uninterrupted ${reference.timers}`);
  }
  if (got.answers !== reference.answers) {
    report[got.answers < reference.answers ? "lost" : "repeated"] += 1;
    note(`the gate was answered ${got.answers} times, uninterrupted ${reference.answers}`);
  }
  for (const key of reference.keys.keys()) {
    if (!got.keys.has(key)) {
      report.lost += 1;
      note(`${key} was never executed`);
    }
  }
  for (const key of got.keys.keys()) {
    if (!reference.keys.has(key)) {
      report.repeated += 1;
      note(`${key} was executed, a key the uninterrupted run never used`);
    }
  }
}

/** The inputs of soak run `index`: a few variants, so that paths and list sizes differ. */
export function inputsOf(rng: () => number): SoakInputs {
  const items = ["a", "b", "c", "d"].slice(0, 1 + Math.floor(rng() * 4));
  return { topic: `t${Math.floor(rng() * 2)}`, items, route: rng() < 0.5 ? "wide" : "narrow" };
}

/** One soak run to drive to its end (kills 0: the uninterrupted run). */
export interface Job {
  dir: string;
  inputs: SoakInputs;
  /** The driver's workflow variant ("" when it has none). */
  variant: string;
  rng: () => number;
  kills: number;
  maxKillDelayMs: number;
  report: SoakReport;
  note: (violation: string) => void;
}

/** How soak runs are driven: through the CLI (this file) or a server (server.ts). */
export interface Driver {
  /** The variant of a run (drawn from its generator); the uninterrupted run shares it. */
  variant?: (rng: () => number) => string;
  drive: (job: Job) => Promise<Outcome | undefined>;
}

export const cliDriver: Driver = { drive };

export async function soak(options: SoakOptions, driver: Driver = cliDriver): Promise<SoakReport> {
  const base = options.dir ?? join(tmpdir(), `aegis-soak-${process.pid}-${Date.now()}`);
  const maxDelay = options.maxKillDelayMs ?? 2500;
  const report: SoakReport = {
    runs: 0,
    kills: 0,
    resumes: 0,
    signals: 0,
    restarts: 0,
    lost: 0,
    repeated: 0,
    unreadable: 0,
    mismatched: 0,
    timers: 0,
    unfired: 0,
    refired: 0,
    violations: [],
  };
  const references = new Map<string, Promise<Outcome | undefined>>();
  const reference = (inputs: SoakInputs, variant: string) => {
    const key = JSON.stringify(inputs) + (variant && ` ${variant}`);
    let found = references.get(key);
    if (!found) {
      found = driver.drive({
        dir: join(base, `reference-${references.size}`),
        inputs,
        variant,
        rng: random(0),
        kills: 0,
        maxKillDelayMs: 0,
        report: { ...report, violations: [] },
        note: (v) => report.violations.push(`uninterrupted run ${key}: ${v}`),
      });
      references.set(key, found);
    }
    return found;
  };
  let index = 0;
  const worker = async () => {
    while (index < options.runs) {
      const i = index++;
      const rng = random(options.seed * 1_000_003 + i);
      const inputs = options.inputs ?? inputsOf(rng);
      const variant = options.variant ?? driver.variant?.(rng) ?? "";
      const kills = 1 + Math.floor(rng() * options.kills);
      const note = (v: string) =>
        report.violations.push(
          `run ${i} (${JSON.stringify(inputs)}${variant && ` ${variant}`}): ${v}`,
        );
      const [expected, got] = await Promise.all([
        reference(inputs, variant),
        driver.drive({
          dir: join(base, `run-${i}`),
          inputs,
          variant,
          rng,
          kills,
          maxKillDelayMs: maxDelay,
          report,
          note,
        }),
      ]);
      report.runs += 1;
      if (expected && got) compare(expected, got, report, note);
      options.progress?.(
        `run ${i + 1}/${options.runs}${variant && ` (${variant})`}: ${got ? "ended" : "FAILED"} (kills so far ${report.kills}, violations ${report.violations.length})`,
      );
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, options.jobs ?? 2) }, worker));
  } finally {
    if (!options.keep) rmSync(base, { recursive: true, force: true });
  }
  return report;
}
