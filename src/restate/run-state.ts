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

/** A run's record without its results and history: where it is (what a follower polls). */
export type RunHead = Omit<RunRecord, "results" | "history">;

interface SavedEvent {
  /** How many observations the run reported before this event. */
  n: number;
  head: Head;
  results?: RunRecord["results"];
  observations?: RunObservation[];
  history?: HistoryEntry[];
}

const EVENT = "event/";

/** Writes what each event changed (for one run handler invocation). */
export class RunState {
  private events = 0;
  private observed = 0;
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
    const saved: SavedEvent = { n: this.observed, head: head as Head };
    this.observed += observations.length;
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

const eventCount = async (ctx: restate.WorkflowSharedContext) =>
  (await ctx.stateKeys()).filter((key) => key.startsWith(EVENT)).length;

const readEvent = async (ctx: restate.WorkflowSharedContext, index: number) => {
  const saved = await ctx.get<SavedEvent>(`${EVENT}${index}`);
  if (!saved) throw new Error(`the run's state lacks ${EVENT}${index}`);
  return saved;
};

/** The run's events as saved, from the `from`-th on. */
async function readEvents(
  ctx: restate.WorkflowSharedContext,
  from = 0,
  count?: number,
): Promise<SavedEvent[]> {
  const total = count ?? (await eventCount(ctx));
  const events: SavedEvent[] = [];
  for (let index = from; index < total; index++) events.push(await readEvent(ctx, index));
  return events;
}

/** Where the run is (its record without results and history), or undefined before it began. */
export async function readHead(ctx: restate.WorkflowSharedContext): Promise<RunHead | undefined> {
  const count = await eventCount(ctx);
  const run = await ctx.get<Fixed>("run");
  if (count === 0 || !run) return undefined;
  return { ...run, ...(await readEvent(ctx, count - 1)).head } as RunHead;
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

/**
 * What the run reported after its `after`-th observation, and how many it has reported.
 * Reads only the events that hold them (found by halving), not the whole log: a follower
 * asks again and again for the little that is new.
 */
export async function readLog(
  ctx: restate.WorkflowSharedContext,
  after = 0,
): Promise<{ entries: RunObservation[]; next: number }> {
  const count = await eventCount(ctx);
  // The first event whose observations reach past `after`: events[i].n <= after < next's n.
  let low = 0;
  let high = count;
  while (high - low > 1) {
    const middle = (low + high) >> 1;
    if ((await readEvent(ctx, middle)).n <= after) low = middle;
    else high = middle;
  }
  const entries: RunObservation[] = [];
  let next = after;
  for (const saved of await readEvents(ctx, low, count)) {
    const observations = saved.observations ?? [];
    entries.push(...observations.slice(Math.max(0, after - saved.n)));
    next = Math.max(next, saved.n + observations.length);
  }
  return { entries, next };
}
