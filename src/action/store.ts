// A run store in memory that can be saved to and restored from the action's state: each
// workflow run of the action loads the run from the progress comment, drives it, and
// writes it back. No two processes share it: exactly-once is the git ref claim's job.
import type { GraphDocument } from "../compiler/graph.ts";
import { MemoryStore } from "../runtime/store/memory.ts";
import type { RunMeta } from "../runtime/store/types.ts";
import type { RunEvent, RunRecord } from "../runtime/types.ts";

export interface Snapshot {
  record: RunRecord;
  meta: RunMeta;
  journal: RunEvent[];
}

export class SnapshotStore extends MemoryStore {
  override readonly location = "the aegis progress comment";

  /** Puts a saved run back (its graph recompiled by the caller, hash already compared). */
  restore(snapshot: Snapshot, document: GraphDocument): void {
    this.runs.set(snapshot.record.id, {
      ...structuredClone({
        meta: snapshot.meta,
        journal: snapshot.journal,
        record: snapshot.record,
      }),
      document,
      log: [],
    });
  }

  snapshot(id: string): Snapshot {
    const e = this.entry(id);
    return structuredClone({ record: e.record, meta: e.meta, journal: e.journal });
  }
}
