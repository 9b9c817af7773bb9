// The server's runs: one engine over the durable file store (<data>/runs), a run index in
// SQLite (<data>/runs.db: what lists and timers ask, so that nothing reads every run), a
// queue with a concurrency limit, timers, and the live fan-out of each run's log.
//
// Durability: the run store is the truth; the index follows it and is repaired from it
// when the server starts. A run enters the index (queued) before the store has it, so a
// crash between the two leaves an index row without a run (dropped at start), never a run
// the server does not know. Runs being driven when the server stopped are resumed; runs
// whose gate timed out while it was down are resumed, which fires the timer once (the core
// ignores a timer whose gate was answered or that is not due).

import { join } from "node:path";
import type { RunSummary } from "../api/runs.ts";
import type { GraphDocument } from "../compiler/graph.ts";
import { createEngine } from "../runtime/engine.ts";
import type { LoggedObservation } from "../runtime/events.ts";
import { newRunId } from "../runtime/run-id.ts";
import { FileStore } from "../runtime/store/file.ts";
import type { RunCaller, RunMeta } from "../runtime/store/types.ts";
import { RUN_ID } from "../runtime/store/types.ts";
import type { AgentFunction, RunObservation, RunRecord } from "../runtime/types.ts";
import { RuntimeError } from "../runtime/types.ts";
import { wakeAt } from "../runtime/wake.ts";
import { type Database, openDatabase } from "./db.ts";
import { KEEP_VERSIONS, type Registry } from "./registry.ts";
import { localBackend, type OnLogged, type RunBackend, type RunHead } from "./run-backend.ts";
import { Timers } from "./timers.ts";

export const RUNS_INDEX_FILE = "runs.db";

const migrations = [
  `CREATE TABLE runs (
     id TEXT PRIMARY KEY,
     workflow TEXT NOT NULL,
     version TEXT NOT NULL,
     status TEXT NOT NULL,
     queued INTEGER NOT NULL DEFAULT 1,
     current TEXT,
     waiting_state TEXT,
     wake_at INTEGER,
     caller TEXT,
     started_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   );
   CREATE INDEX runs_by_workflow ON runs (workflow, started_at);
   CREATE INDEX runs_by_status ON runs (status, started_at);
   CREATE INDEX runs_by_wake ON runs (wake_at) WHERE wake_at IS NOT NULL;`,
  // Subworkflows' runs: indexed as they start, with the run and state that started them.
  "ALTER TABLE runs ADD COLUMN parent TEXT;",
];

/** A run as the index has it: what `GET /v1/runs` lists (the wire contract's RunSummary). */
export type IndexedRun = RunSummary;

interface IndexRow {
  id: string;
  workflow: string;
  version: string;
  status: string;
  queued: number;
  current: string | null;
  waiting_state: string | null;
  wake_at: number | null;
  caller: string | null;
  parent: string | null;
  started_at: string;
  updated_at: string;
}

export interface RunFilter {
  workflow?: string;
  status?: string;
  limit?: number;
  /** Runs started before this one (the previous page's last id). */
  before?: string;
}

export interface StartRequest {
  workflow: string;
  /** A deployed version's hash (default: the current one). */
  version?: string;
  inputs?: Record<string, unknown>;
  intent?: string;
  id?: string;
}

export interface Answer {
  approve?: boolean;
  response?: string;
  feedback?: string;
  state?: string;
  /** Who answers: checked by the caller of `signal` (authorize), recorded with the answer. */
  approver: string;
}

export interface RunServiceOptions {
  /** The server's data directory: runs/ and runs.db go there. */
  data: string;
  registry: Registry;
  /** Runs driven at once; more wait in the queue (default 8). */
  concurrency?: number;
  /** The environment every state's processes start from (default: the server's own). */
  environment?: Readonly<Record<string, string>>;
  /** Where a run's states work when it is started without one (default: the server's directory). */
  workdir?: string;
  /** Function agents of built workflows, by name (the local engine's; see StartOptions). */
  functions?: Readonly<Record<string, AgentFunction>>;
  log?: (line: string) => void;
  /** What runs the runs (default: the local engine over <data>/runs). */
  backend?: (onLogged: OnLogged) => RunBackend;
}

type Listener = (entries: readonly LoggedObservation[]) => void;
/** Told of a run's row in the index each time it is written. */
type Watcher = (run: IndexedRun) => void;

const terminal = (status: string) =>
  status === "succeeded" || status === "failed" || status === "cancelled";

/** Observations after which the index's row is refreshed from the record. */
const moves = new Set<RunObservation["type"]>([
  "run-started",
  "state-entered",
  "waiting-for-human",
  "human-answered",
  "run-finished",
]);

export class RunService {
  private readonly backend: RunBackend;
  private readonly db: Database;
  private readonly registry: Registry;
  private readonly options: RunServiceOptions;
  private readonly timers: Timers;
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly watchers = new Set<Watcher>();
  /** Runs to start or resume, in order; each at most once. */
  private readonly queue: string[] = [];
  private readonly driving = new Map<string, Promise<void>>();
  /** The seq of the record each index row was last refreshed from: an older one never overwrites it. */
  private readonly refreshed = new Map<string, number>();
  private closed = false;
  private readonly q;

  static async open(options: RunServiceOptions): Promise<RunService> {
    const db = await openDatabase(join(options.data, RUNS_INDEX_FILE), {
      synchronous: "NORMAL",
      migrations,
    });
    const service = new RunService(options, db);
    await service.recover();
    return service;
  }

  private constructor(options: RunServiceOptions, db: Database) {
    this.options = options;
    this.db = db;
    this.registry = options.registry;
    const logged = (run: string, entries: readonly LoggedObservation[]) =>
      this.logged(run, entries);
    if (options.backend) this.backend = options.backend(logged);
    else {
      const store = new FileStore(join(options.data, "runs"));
      const engine = createEngine({
        store,
        ...(options.environment && { environment: options.environment }),
        ...(options.functions && { functions: { ...options.functions } }),
        onLogged: logged,
      });
      this.backend = localBackend(engine, store);
    }
    this.q = {
      insert: db.sql.prepare(
        `INSERT INTO runs (id, workflow, version, status, queued, caller, started_at, updated_at)
         VALUES (?, ?, ?, 'queued', 1, ?, ?, ?)`,
      ),
      insertChild: db.sql.prepare(
        `INSERT INTO runs (id, workflow, version, status, queued, caller, parent, started_at, updated_at)
         VALUES (?, ?, ?, 'running', 0, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
      ),
      update: db.sql.prepare(
        `UPDATE runs SET status = ?, queued = ?, current = ?, waiting_state = ?, wake_at = ?, updated_at = ?
         WHERE id = ?`,
      ),
      remove: db.sql.prepare("DELETE FROM runs WHERE id = ?"),
      get: db.sql.prepare("SELECT * FROM runs WHERE id = ?"),
      unfinished: db.sql.prepare(
        "SELECT * FROM runs WHERE status NOT IN ('succeeded', 'failed', 'cancelled') ORDER BY started_at, id",
      ),
      due: db.sql.prepare(
        "SELECT id FROM runs WHERE wake_at IS NOT NULL AND wake_at <= ? ORDER BY wake_at",
      ),
      nextWake: db.sql.prepare("SELECT min(wake_at) AS at FROM runs WHERE wake_at IS NOT NULL"),
      counts: db.sql.prepare("SELECT status, count(*) AS n FROM runs GROUP BY status"),
    };
    this.timers = new Timers({
      next: () => (this.q.nextWake.get() as { at: number | null }).at ?? undefined,
      due: (now) => (this.q.due.all(now) as { id: string }[]).map((r) => r.id),
      fire: (id) => this.enqueue(id, true),
    });
  }

  // ---------------------------------------------------------------- requests

  /** Starts a deployed workflow (queued until a slot is free). */
  async start(request: StartRequest, caller: RunCaller): Promise<IndexedRun> {
    const stored = this.registry.version(request.workflow, request.version);
    if (!stored) {
      throw new RuntimeError(
        "workflow-not-found",
        request.version
          ? `no version ${request.version} of workflow '${request.workflow}' is deployed`
          : `no workflow '${request.workflow}' is deployed`,
      );
    }
    const id = request.id ?? newRunId(stored.name);
    if (!RUN_ID.test(id))
      throw new RuntimeError(
        "invalid-run-id",
        `'${id}' is not a run id (letters, digits, '.', '_' and '-')`,
      );
    const now = new Date().toISOString();
    // In the index first (see the top of this file), then stored by the engine.
    try {
      this.db.tx(() => {
        this.q.insert.run(id, stored.name, stored.version, JSON.stringify(caller), now, now);
        this.registry.retain(stored.version, id);
      });
    } catch (error) {
      if (/UNIQUE|PRIMARY KEY/.test((error as Error).message))
        throw new RuntimeError("run-exists", `a run with the id '${id}' exists already`);
      throw error;
    }
    try {
      await this.backend.create(stored.document, request.inputs ?? {}, {
        id,
        caller,
        ...(request.intent !== undefined && { intent: request.intent }),
        ...(this.options.workdir !== undefined && { workdir: this.options.workdir }),
      });
    } catch (error) {
      this.q.remove.run(id);
      this.registry.release(id);
      throw error;
    }
    this.enqueue(id);
    const run = this.indexed(id)!;
    this.told(run);
    return run;
  }

  list(filter: RunFilter = {}): IndexedRun[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (filter.workflow !== undefined) {
      where.push("workflow = ?");
      args.push(filter.workflow);
    }
    if (filter.status !== undefined) {
      where.push("status = ?");
      args.push(filter.status);
    }
    if (filter.before !== undefined) {
      const row = this.q.get.get(filter.before) as IndexRow | undefined;
      if (row) {
        where.push("(started_at < ? OR (started_at = ? AND id < ?))");
        args.push(row.started_at, row.started_at, row.id);
      }
    }
    const limit = Math.max(1, Math.min(filter.limit ?? 100, 1000));
    const sql = `SELECT * FROM runs ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY started_at DESC, id DESC LIMIT ${limit}`;
    return (this.db.sql.prepare(sql).all(...args) as unknown as IndexRow[]).map(fromRow);
  }

  /** A run's record and what was fixed at its start. */
  async get(id: string): Promise<{ run: IndexedRun; record: RunRecord; meta: RunMeta }> {
    const run = this.indexed(id);
    if (!run) throw notFound(id);
    const record = await this.backend.record(id);
    const { meta } = await this.backend.load(id);
    return { run: this.indexed(id) ?? run, record, meta };
  }

  /** The graph document a run runs (a subworkflow's too, which the registry does not hold). */
  async graph(id: string): Promise<GraphDocument> {
    if (!this.indexed(id)) throw notFound(id);
    return (await this.backend.load(id)).document;
  }

  /** The workflow a run runs (for authorizing answers to its gates). */
  workflowOf(id: string): string {
    const run = this.indexed(id);
    if (!run) throw notFound(id);
    return run.workflow;
  }

  async signal(id: string, answer: Answer): Promise<{ record: RunRecord; notice?: string }> {
    this.known(id);
    // A run that has just stopped at its gate is still being let go (its log flushed, its
    // lock released): an answer sent on seeing it wait must not find it "running".
    const driven = this.driving.get(id);
    if (driven && (await this.backend.record(id)).status === "waiting") await driven;
    const handle = await this.backend.signal(id, answer);
    this.drive(id, handle.result());
    return {
      record: await this.backend.record(id),
      ...(handle.notice && { notice: handle.notice }),
    };
  }

  async cancel(id: string, reason: string): Promise<RunRecord> {
    this.known(id);
    const at = this.queue.indexOf(id);
    if (at >= 0) this.queue.splice(at, 1);
    const record = await this.backend.cancel(id, reason);
    this.refresh(id, record);
    return record;
  }

  /** Continues a run that stopped (a failed resume of a crashed state, an early timer). */
  async resume(id: string): Promise<IndexedRun> {
    const run = this.known(id);
    if (terminal(run.status))
      throw new RuntimeError(
        "not-resumable",
        `run '${id}' has ${run.status}: there is nothing to resume`,
      );
    this.enqueue(id, true);
    return this.indexed(id)!;
  }

  /** The run's log after the `after`-th observation, with places. */
  async log(id: string, after = 0): Promise<LoggedObservation[]> {
    this.known(id);
    const log = await this.backend.readLog(id);
    return log.slice(after).map((observation, i) => ({ n: after + i + 1, observation }));
  }

  /**
   * Tells `listener` of what the run logs from now on; call before reading the log, so that
   * nothing falls between what was read and what is told (the listener skips what it saw).
   */
  subscribe(id: string, listener: Listener): () => void {
    let set = this.listeners.get(id);
    if (!set) {
      set = new Set();
      this.listeners.set(id, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(id) === set) this.listeners.delete(id);
    };
  }

  /** Tells `watcher` of every run started, moving, waiting or finishing from now on. */
  watch(watcher: Watcher): () => void {
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  /**
   * Whether the run has finished and its log is complete: finished in the index, and not
   * being driven (the index may know a run's end from its record before the last of its
   * log is written; driving ends after the log is).
   */
  finished(id: string): boolean {
    const run = this.indexed(id);
    return run !== undefined && terminal(run.status) && !this.driving.has(id);
  }

  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const row of this.q.counts.all() as { status: string; n: number }[])
      out[row.status] = row.n;
    return { ...out, driving: this.driving.size, queued: this.queue.length };
  }

  /** Stops: the runs being driven stay where they are, to be resumed when the server starts again. */
  async close(): Promise<void> {
    this.closed = true;
    this.timers.stop();
    await this.backend.close();
    await Promise.allSettled(this.driving.values());
    this.db.close();
  }

  // ---------------------------------------------------------------- driving

  private enqueue(id: string, first = false): void {
    if (this.closed || this.driving.has(id) || this.queue.includes(id)) return;
    if (first) this.queue.unshift(id);
    else this.queue.push(id);
    this.pump();
  }

  private pump(): void {
    const limit = Math.max(1, this.backend.concurrency ?? this.options.concurrency ?? 8);
    while (!this.closed && this.driving.size < limit && this.queue.length > 0) {
      const id = this.queue.shift()!;
      this.drive(
        id,
        this.backend.drive(id).then((handle) => handle.result()),
      );
    }
  }

  /** Follows a driven run to where it stops, then lets the next one in. */
  private drive(id: string, result: Promise<RunRecord>): void {
    const done = result
      .then(
        (record) => this.refresh(id, record),
        (error: RuntimeError) => {
          // Driven elsewhere (another server on the same data) or already moving: not ours.
          if (error.code !== "run-locked")
            this.options.log?.(`aegis serve: run ${id}: ${error.message}`);
          return this.backend.record(id).then(
            (record) => this.refresh(id, record),
            () => undefined,
          );
        },
      )
      .finally(() => {
        this.driving.delete(id);
        // Nothing of a run that no one drives stays in memory (thousands wait at gates).
        this.refreshed.delete(id);
        this.pump();
      });
    this.driving.set(id, done);
  }

  private logged(id: string, entries: readonly LoggedObservation[], record?: RunHead): void {
    // A run the engine started itself (a subworkflow's) is indexed when it is first seen,
    // so that it is listed, answered, timed and resumed after a restart like the others.
    const unknown = !this.indexed(id);
    if (record && !unknown) {
      // The record as of these entries (a followed run's): the index first, then the news.
      this.refresh(id, record);
    } else if (unknown || entries.some((e) => moves.has(e.observation.type))) {
      this.backend.record(id).then(
        async (record) => {
          if (unknown && !this.indexed(id)) await this.indexChild(id, record);
          this.refresh(id, record);
        },
        () => undefined,
      );
    }
    for (const listener of this.listeners.get(id) ?? []) {
      try {
        listener(entries);
      } catch {
        // A listener's failure is its own.
      }
    }
  }

  /** The index's row from the record; a run that finished releases its version. */
  private refresh(id: string, record: RunHead): void {
    if (this.closed) return;
    if ((this.refreshed.get(id) ?? -1) > record.seq) return;
    if (terminal(record.status)) this.refreshed.delete(id);
    else this.refreshed.set(id, record.seq);
    const due = wakeAt(record);
    const queued = record.seq === 0 && record.status === "running";
    this.q.update.run(
      queued ? "queued" : record.status,
      queued ? 1 : 0,
      record.current ?? null,
      record.status === "waiting" ? (record.waiting?.state ?? null) : null,
      due ?? null,
      record.updatedAt,
      id,
    );
    if (terminal(record.status)) {
      this.registry.release(id);
      this.registry.prune(KEEP_VERSIONS);
    }
    if (due !== undefined) this.timers.arm(due);
    if (this.watchers.size === 0) return;
    const run = this.indexed(id);
    if (run) this.told(run);
  }

  private told(run: IndexedRun): void {
    for (const watcher of this.watchers) {
      try {
        watcher(run);
      } catch {
        // A watcher's failure is its own.
      }
    }
  }

  private async indexChild(id: string, record: RunRecord): Promise<void> {
    const { meta } = await this.backend.load(id);
    if (this.closed) return;
    this.q.insertChild.run(
      id,
      record.workflow,
      record.graphHash,
      meta.caller ? JSON.stringify(meta.caller) : null,
      meta.parent ? JSON.stringify(meta.parent) : null,
      record.startedAt,
      record.updatedAt,
    );
  }

  /** At start: the index repaired from the store, the queue and the timers as they were. */
  private async recover(): Promise<void> {
    for (const row of this.q.unfinished.all() as unknown as IndexRow[]) {
      let record: RunRecord;
      try {
        record = await this.backend.record(row.id);
      } catch (error) {
        if ((error as RuntimeError).code === "run-not-found") {
          // Indexed, never stored (a crash between the two): it never existed.
          this.q.remove.run(row.id);
          this.registry.release(row.id);
          continue;
        }
        this.options.log?.(
          `aegis serve: run ${row.id} cannot be loaded: ${(error as Error).message}`,
        );
        continue;
      }
      this.refresh(row.id, record);
      // Queued, or driven when the server stopped: driven again (resume continues the state in
      // flight with the same idempotency key). Waiting runs wait for their answer or timer.
      if (record.status === "running") this.enqueue(row.id);
    }
    this.timers.start();
  }

  private indexed(id: string): IndexedRun | undefined {
    const row = this.q.get.get(id) as IndexRow | undefined;
    return row && fromRow(row);
  }

  private known(id: string): IndexedRun {
    const run = this.indexed(id);
    if (!run) throw notFound(id);
    return run;
  }
}

function notFound(id: string): RuntimeError {
  return new RuntimeError("run-not-found", `no run '${id}' on this server`);
}

function fromRow(row: IndexRow): IndexedRun {
  return {
    id: row.id,
    workflow: row.workflow,
    version: row.version,
    status: row.status as IndexedRun["status"],
    ...(row.current !== null && { current: row.current }),
    ...(row.waiting_state !== null && { waitingAt: row.waiting_state }),
    ...(row.wake_at !== null && { wakeAt: new Date(row.wake_at).toISOString() }),
    ...(row.caller !== null && { caller: JSON.parse(row.caller) as RunCaller }),
    ...(row.parent !== null && { parent: JSON.parse(row.parent) as IndexedRun["parent"] }),
    startedAt: row.started_at,
    updatedAt: row.updated_at,
  };
}
