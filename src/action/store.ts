// A run store in memory that can be saved to and restored from the action's state: each
// workflow run of the action loads the run from the progress comment, drives it, and
// writes it back. No two processes share it: exactly-once is the git ref claim's job.
import type { GraphDocument } from "../compiler/graph.ts";
import type {
  LoadedRun,
  LockOwner,
  RunLock,
  RunMeta,
  RunStore,
  RunSummary,
} from "../runtime/store/types.ts";
import {
  type RunEvent,
  type RunObservation,
  type RunRecord,
  RuntimeError,
} from "../runtime/types.ts";

interface Entry {
  meta: RunMeta;
  document: GraphDocument;
  journal: RunEvent[];
  record: RunRecord;
  log: RunObservation[];
  locked: boolean;
  cancel?: string;
}

export interface Snapshot {
  record: RunRecord;
  meta: RunMeta;
  journal: RunEvent[];
}

export class SnapshotStore implements RunStore {
  readonly location = "the aegis progress comment";
  private readonly runs = new Map<string, Entry>();

  private entry(id: string): Entry {
    const entry = this.runs.get(id);
    if (!entry) throw new RuntimeError("run-not-found", `no run '${id}'`);
    return entry;
  }

  /** Puts a saved run back (its graph recompiled by the caller, hash already compared). */
  restore(snapshot: Snapshot, document: GraphDocument): void {
    this.runs.set(snapshot.record.id, {
      meta: structuredClone(snapshot.meta),
      document,
      journal: structuredClone(snapshot.journal),
      record: structuredClone(snapshot.record),
      log: [],
      locked: false,
    });
  }

  snapshot(id: string): Snapshot {
    const e = this.entry(id);
    return structuredClone({ record: e.record, meta: e.meta, journal: e.journal });
  }

  async create(record: RunRecord, document: GraphDocument, meta: Partial<RunMeta> = {}) {
    if (this.runs.has(record.id))
      throw new RuntimeError("run-exists", `a run with the id '${record.id}' exists already`);
    this.runs.set(record.id, {
      meta: {
        ...meta,
        id: record.id,
        workflow: record.workflow,
        graphHash: record.graphHash,
        inputs: structuredClone(record.inputs),
        startedAt: record.startedAt,
      },
      document,
      journal: [],
      record: structuredClone(record),
      log: [],
      locked: false,
    });
  }

  async load(id: string): Promise<LoadedRun> {
    const e = this.entry(id);
    return {
      record: structuredClone(e.record),
      document: e.document,
      meta: structuredClone(e.meta),
    };
  }

  async exists(id: string) {
    return this.runs.has(id);
  }

  async commit(record: RunRecord, event: RunEvent) {
    const e = this.entry(record.id);
    e.journal.push(structuredClone(event));
    e.record = structuredClone(record);
  }

  async list(): Promise<RunSummary[]> {
    return [...this.runs.values()].map((e) => ({
      id: e.record.id,
      workflow: e.record.workflow,
      status: e.record.status,
      ...(e.record.current !== undefined && { current: e.record.current }),
      ...(e.record.waiting && { waiting: e.record.waiting }),
      ...(e.record.error && { error: e.record.error }),
      startedAt: e.record.startedAt,
      updatedAt: e.record.updatedAt,
      seq: e.record.seq,
    }));
  }

  async appendLog(id: string, observations: readonly RunObservation[]) {
    this.entry(id).log.push(...observations);
  }

  async readLog(id: string) {
    return [...this.entry(id).log];
  }

  async lock(id: string): Promise<RunLock> {
    const e = this.entry(id);
    if (e.locked) throw new RuntimeError("run-locked", `run '${id}' is being driven`);
    e.locked = true;
    return {
      release: async () => {
        e.locked = false;
      },
    };
  }

  async owner(id: string): Promise<LockOwner | undefined> {
    return this.entry(id).locked
      ? { pid: process.pid, host: "action", since: new Date().toISOString() }
      : undefined;
  }

  async requestCancel(id: string, reason: string) {
    this.entry(id).cancel = reason;
  }

  async cancelRequest(id: string) {
    return this.runs.get(id)?.cancel;
  }

  async clearCancelRequest(id: string) {
    const e = this.runs.get(id);
    if (e) delete e.cancel;
  }

  async remove(id: string) {
    this.entry(id);
    this.runs.delete(id);
  }
}
