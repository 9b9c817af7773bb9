// How a Restate run keeps its record and log in the workflow's state, for the shared
// handlers (`get`, `log`) to read while it runs. The driver holds the record in memory (a
// replay rebuilds it from the journal); what it writes after each event is only what the
// event changed, since every byte written is journaled and replicated:
//
//   head          the record without its results and history, and how many log batches
//   result/STATE  a state's result, written when it changes
//   log/N         one event's observations and history entries
//
// Reading puts the record back together: the history as step() keeps it (the latest
// entries), replayed from the batches.
import type * as restate from "@restatedev/restate-sdk";
import { HISTORY_LIMIT } from "../runtime/step.ts";
import type { HistoryEntry, RunObservation, RunRecord } from "../runtime/types.ts";

type Head = Omit<RunRecord, "results" | "history">;

interface SavedHead {
  record: Head;
  logBatches: number;
}

interface LogBatch {
  observations: RunObservation[];
  history: HistoryEntry[];
}

/** Writes what each event changed (for one run handler invocation). */
export class RunState {
  private logBatches = 0;
  private readonly ctx: restate.WorkflowContext;

  constructor(ctx: restate.WorkflowContext) {
    this.ctx = ctx;
  }

  /** After an event took the run from `before` to `after`, reporting `observations`. */
  save(before: RunRecord | undefined, after: RunRecord, observations: RunObservation[]): void {
    const { results, history, ...head } = after;
    for (const [state, result] of Object.entries(results))
      if (before?.results[state] !== result) this.ctx.set(`result/${state}`, result);
    // The entries this event added: step() stamps each with the event's seq.
    const added = history.filter((entry) => entry.seq === after.seq);
    if (observations.length > 0 || added.length > 0) {
      this.ctx.set(`log/${this.logBatches}`, { observations, history: added } satisfies LogBatch);
      this.logBatches += 1;
    }
    this.ctx.set("head", { record: head, logBatches: this.logBatches } satisfies SavedHead);
  }
}

/** The run's record without its results and history (what a gate's answer needs). */
export async function readHead(ctx: restate.WorkflowSharedContext): Promise<Head | undefined> {
  return (await ctx.get<SavedHead>("head"))?.record;
}

/** The run's record as last saved, or undefined before its first event. */
export async function readRecord(
  ctx: restate.WorkflowSharedContext,
): Promise<RunRecord | undefined> {
  const head = await ctx.get<SavedHead>("head");
  if (!head) return undefined;
  const results: RunRecord["results"] = {};
  for (const state of Object.keys(head.record.visits)) {
    const result = await ctx.get<RunRecord["results"][string]>(`result/${state}`);
    if (result) results[state] = result;
  }
  let history: HistoryEntry[] = [];
  for (const batch of await readBatches(ctx, head.logBatches)) {
    // As step() keeps it: the latest entries before each event, then the event's own.
    if (batch.history.length > 0)
      history = [...history.slice(-(HISTORY_LIMIT - 8)), ...batch.history];
  }
  return { ...head.record, results, history };
}

/** Everything the run reported, in order. */
export async function readLog(ctx: restate.WorkflowSharedContext): Promise<RunObservation[]> {
  const head = await ctx.get<SavedHead>("head");
  if (!head) return [];
  return (await readBatches(ctx, head.logBatches)).flatMap((batch) => batch.observations);
}

async function readBatches(ctx: restate.WorkflowSharedContext, count: number): Promise<LogBatch[]> {
  const batches: LogBatch[] = [];
  for (let n = 0; n < count; n++) {
    const batch = await ctx.get<LogBatch>(`log/${n}`);
    if (batch) batches.push(batch);
  }
  return batches;
}
