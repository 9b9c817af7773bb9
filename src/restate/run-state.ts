// How a Restate run keeps its record and log in the workflow's state, for the shared
// handlers (`get`, `log`, `answer`) to read while it runs. The driver holds the record in
// memory (a replay rebuilds it from the journal); every byte it writes is journaled and
// replicated, so each event writes one key with only what the event changed:
//
//   run       what never changes: id, workflow, graph hash, inputs, intent, start (once)
//   event/N   the N-th event's head (the record's small fields that move: status, current,
//             visits …), the results it changed, its observations and its history entries
//
// Reading puts the record back together: the last head, the latest result of each state,
// and the history as step() keeps it (the latest entries), replayed from the events.
import type * as restate from "@restatedev/restate-sdk";
import { HISTORY_LIMIT } from "../runtime/step.ts";
import type { HistoryEntry, RunObservation, RunRecord } from "../runtime/types.ts";

const fixed = [
  "format",
  "version",
  "id",
  "workflow",
  "graphHash",
  "inputs",
  "intent",
  "startedAt",
] as const;
type Fixed = Pick<RunRecord, (typeof fixed)[number]>;
type Head = Omit<RunRecord, (typeof fixed)[number] | "results" | "history">;

interface SavedEvent {
  head: Head;
  results?: RunRecord["results"];
  observations?: RunObservation[];
  history?: HistoryEntry[];
}

const EVENT = "event/";

/** Writes what each event changed (for one run handler invocation). */
export class RunState {
  private events = 0;
  private readonly ctx: restate.WorkflowContext;

  constructor(ctx: restate.WorkflowContext) {
    this.ctx = ctx;
  }

  /** After an event took the run from `before` to `after`, reporting `observations`. */
  save(before: RunRecord, after: RunRecord, observations: RunObservation[]): void {
    if (this.events === 0) {
      const run: Partial<Fixed> = {};
      for (const key of fixed)
        if (after[key] !== undefined) Object.assign(run, { [key]: after[key] });
      this.ctx.set("run", run);
    }
    const { results, history, ...rest } = after;
    const head = { ...rest } as Partial<RunRecord>;
    for (const key of fixed) delete head[key];
    const saved: SavedEvent = { head: head as Head };
    for (const [state, result] of Object.entries(results)) {
      if (before.results[state] === result) continue;
      saved.results ??= {};
      saved.results[state] = result;
    }
    if (observations.length > 0) saved.observations = observations;
    // The entries this event added: step() stamps each with the event's seq.
    const added = history.filter((entry) => entry.seq === after.seq);
    if (added.length > 0) saved.history = added;
    this.ctx.set(`${EVENT}${this.events}`, saved);
    this.events += 1;
  }
}

/** The run's events as saved, in order. */
async function readEvents(ctx: restate.WorkflowSharedContext): Promise<SavedEvent[]> {
  const count = (await ctx.stateKeys()).filter((key) => key.startsWith(EVENT)).length;
  const events: SavedEvent[] = [];
  for (let n = 0; n < count; n++) {
    const saved = await ctx.get<SavedEvent>(`${EVENT}${n}`);
    if (saved) events.push(saved);
  }
  return events;
}

/** The run's record without its results and history (what a gate's answer needs). */
export async function readHead(ctx: restate.WorkflowSharedContext): Promise<Head | undefined> {
  const count = (await ctx.stateKeys()).filter((key) => key.startsWith(EVENT)).length;
  if (count === 0) return undefined;
  return (await ctx.get<SavedEvent>(`${EVENT}${count - 1}`))?.head;
}

/** The run's record as last saved, or undefined before its first event. */
export async function readRecord(
  ctx: restate.WorkflowSharedContext,
): Promise<RunRecord | undefined> {
  const events = await readEvents(ctx);
  const run = await ctx.get<Fixed>("run");
  if (events.length === 0 || !run) return undefined;
  const results: RunRecord["results"] = {};
  let history: HistoryEntry[] = [];
  for (const saved of events) {
    Object.assign(results, saved.results);
    // As step() keeps it: the latest entries before each event, then the event's own.
    if (saved.history) history = [...history.slice(-(HISTORY_LIMIT - 8)), ...saved.history];
  }
  return { ...run, ...events.at(-1)!.head, results, history } as RunRecord;
}

/** Everything the run reported, in order. */
export async function readLog(ctx: restate.WorkflowSharedContext): Promise<RunObservation[]> {
  return (await readEvents(ctx)).flatMap((saved) => saved.observations ?? []);
}
