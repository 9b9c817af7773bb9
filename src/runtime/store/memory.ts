// A store in memory: for tests and for embedding programs that keep runs themselves. Runs
// are kept as copies, so what a caller does with a record never changes the store's.
import type { GraphDocument } from "../../compiler/graph.ts";
import { type RunEvent, type RunObservation, type RunRecord, RuntimeError } from "../types.ts";
import { metaOf, summarize } from "./replay.ts";
import type { LoadedRun, LockOwner, RunLock, RunMeta, RunStore, RunSummary } from "./types.ts";

/** A run as the memory store keeps it (for subclasses that save and restore runs). */
export interface MemoryEntry {
  meta: RunMeta;
  document: GraphDocument;
  journal: RunEvent[];
  record: RunRecord;
  log: RunObservation[];
  owner?: LockOwner & { token: symbol };
  cancel?: string;
}

/**
 * One copy per document, shared by the stores of the process: many runs of one workflow
 * (and many stores, one per request …) keep the same graph, and nothing changes a document.
 */
const documents = new WeakMap<GraphDocument, GraphDocument>();
function copyOf(document: GraphDocument): GraphDocument {
  let copy = documents.get(document);
  if (!copy) {
    copy = structuredClone(document);
    documents.set(document, copy);
  }
  return copy;
}

export class MemoryStore implements RunStore {
  readonly location: string = "memory";
  protected readonly runs = new Map<string, MemoryEntry>();

  protected entry(id: string): MemoryEntry {
    const entry = this.runs.get(id);
    if (!entry) throw new RuntimeError("run-not-found", `no run '${id}' in the memory store`);
    return entry;
  }

  async create(record: RunRecord, document: GraphDocument, meta: Partial<RunMeta> = {}) {
    if (this.runs.has(record.id)) {
      throw new RuntimeError("run-exists", `a run with the id '${record.id}' exists already`);
    }
    this.runs.set(record.id, {
      meta: structuredClone(metaOf(record, meta)),
      document: copyOf(document),
      journal: [],
      record: structuredClone(record),
      log: [],
    });
  }

  async load(id: string): Promise<LoadedRun> {
    const e = this.entry(id);
    return structuredClone({ record: e.record, document: e.document, meta: e.meta });
  }

  async exists(id: string): Promise<boolean> {
    return this.runs.has(id);
  }

  async commit(record: RunRecord, event: RunEvent): Promise<void> {
    const e = this.entry(record.id);
    // Records and events are values: the core never changes one after making it (step
    // copies on write), so they are kept as they are; load() hands out copies.
    e.journal.push(event);
    e.record = record;
  }

  /** The journal, for tests. */
  journal(id: string): RunEvent[] {
    return structuredClone(this.entry(id).journal);
  }

  async list(): Promise<RunSummary[]> {
    return [...this.runs.values()].map((e) => ({
      ...summarize(e.record, e.meta),
      ...(e.owner && { owner: { pid: e.owner.pid, host: e.owner.host, since: e.owner.since } }),
    }));
  }

  async appendLog(id: string, observations: readonly RunObservation[]): Promise<void> {
    this.entry(id).log.push(...observations);
  }

  async readLog(id: string): Promise<RunObservation[]> {
    return structuredClone(this.entry(id).log);
  }

  async lock(id: string): Promise<RunLock> {
    const e = this.entry(id);
    if (e.owner) {
      throw new RuntimeError("run-locked", `run '${id}' is being driven (since ${e.owner.since})`);
    }
    const token = Symbol(id);
    e.owner = { pid: process.pid, host: "memory", since: new Date().toISOString(), token };
    return {
      release: async () => {
        if (e.owner?.token === token) delete e.owner;
      },
    };
  }

  async owner(id: string): Promise<LockOwner | undefined> {
    const o = this.entry(id).owner;
    return o && { pid: o.pid, host: o.host, since: o.since };
  }

  async requestCancel(id: string, reason: string): Promise<void> {
    this.entry(id).cancel = reason;
  }

  async cancelRequest(id: string): Promise<string | undefined> {
    return this.runs.get(id)?.cancel;
  }

  async clearCancelRequest(id: string): Promise<void> {
    const e = this.runs.get(id);
    if (e) delete e.cancel;
  }

  async remove(id: string): Promise<void> {
    const e = this.entry(id);
    if (e.owner) throw new RuntimeError("run-locked", `run '${id}' is being driven`);
    this.runs.delete(id);
  }
}
