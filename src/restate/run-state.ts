// How a Restate run keeps its record and log in the workflow's state, for the shared
// handlers (`get`, `log`, `answer`, `cancel`) to read while it runs. The driver holds the
// record in memory (a replay rebuilds it from the journal); every key it writes is a
// journal entry that the server appends, replicates and applies (what a state write costs
// is mostly the entry, not its bytes), so each event writes one key, with only what the
// event changed:
//
//   event/N   the N-th event's head (the record's small fields that move: status, current,
//             visits …), the results it changed, its observations and its history entries;
//             the first event also what never changes (id, workflow, graph hash, inputs,
//             intent, start), the run's meta and its invocation's id
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
const isFixed: ReadonlySet<string> = new Set(fixed);
type Head = Omit<RunRecord, (typeof fixed)[number] | "results" | "history">;

/** A run's record without its results and history: where it is (what a follower polls). */
export type RunHead = Omit<RunRecord, "results" | "history">;

/** What the first event holds besides the event: the run's fixed fields, and `T`. */
type Opening<T> = Fixed & T;

interface SavedEvent<T = unknown> {
  /** The first event only: what never changes. */
  run?: Opening<T>;
  /** How many observations the run reported before this event. */
  n: number;
  head: Head;
  results?: RunRecord["results"];
  observations?: RunObservation[];
  history?: HistoryEntry[];
}

const EVENT = "event/";

/**
 * Writes what each event changed (for one run handler invocation); the first event also
 * keeps `opening` (what the run's host keeps with it: its meta, its invocation).
 */
export class RunState<T extends object> {
  private events = 0;
  private observed = 0;
  private readonly ctx: restate.WorkflowContext;
  private readonly opening: T;

  constructor(ctx: restate.WorkflowContext, opening: T) {
    this.ctx = ctx;
    this.opening = opening;
  }

  /** After an event took the run from `before` to `after`, reporting `observations`. */
  save(before: RunRecord, after: RunRecord, observations: RunObservation[]): void {
    const { results, history } = after;
    // Copied key by key (no delete: an object that loses keys becomes slow to serialize).
    const head: Record<string, unknown> = {};
    for (const key in after)
      if (!isFixed.has(key) && key !== "results" && key !== "history")
        head[key] = after[key as keyof RunRecord];
    const saved: SavedEvent<T> = { n: this.observed, head: head as Head };
    if (this.events === 0) saved.run = { ...this.opening, ...fixedOf(after) };
    this.observed += observations.length;
    for (const [state, result] of Object.entries(results)) {
      if (before.results[state] === result) continue;
      saved.results ??= {};
      saved.results[state] = result;
    }
    if (observations.length > 0) saved.observations = observations;
    // The entries this event added: the last ones, which step() stamps with the event's seq.
    let first = history.length;
    while (first > 0 && history[first - 1]!.seq === after.seq) first -= 1;
    if (first < history.length) saved.history = history.slice(first);
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

/** The fixed fields of a record, or of what a run's first event keeps. */
function fixedOf(source: Fixed | undefined): Fixed {
  if (!source) throw new Error(`the run's state lacks what ${EVENT}0 keeps`);
  const run: Partial<Fixed> = {};
  for (const key of fixed)
    if (source[key] !== undefined) Object.assign(run, { [key]: source[key] });
  return run as Fixed;
}

/** What the run's host kept with its first event (its meta, its invocation), if it began. */
export async function readOpening<T>(
  ctx: restate.WorkflowSharedContext,
): Promise<Opening<T> | undefined> {
  return ((await ctx.get<SavedEvent<T>>(`${EVENT}0`)) ?? undefined)?.run;
}

/** Where the run is (its record without results and history), or undefined before it began. */
export async function readHead(ctx: restate.WorkflowSharedContext): Promise<RunHead | undefined> {
  const count = await eventCount(ctx);
  if (count === 0) return undefined;
  const first = await readEvent(ctx, 0);
  const last = count === 1 ? first : await readEvent(ctx, count - 1);
  return { ...fixedOf(first.run), ...last.head } as RunHead;
}

/**
 * The run's record as last saved, and what its host kept with its first event; undefined
 * before its first event.
 */
export async function readRecord<T>(
  ctx: restate.WorkflowSharedContext,
): Promise<{ record: RunRecord; opening: Opening<T> } | undefined> {
  const events = (await readEvents(ctx)) as SavedEvent<T>[];
  if (events.length === 0) return undefined;
  const opening = events[0]!.run;
  const run = fixedOf(opening);
  const results: RunRecord["results"] = {};
  let history: HistoryEntry[] = [];
  for (const saved of events) {
    Object.assign(results, saved.results);
    // As step() keeps it: the latest entries before each event, then the event's own.
    if (saved.history) history = [...history.slice(-(HISTORY_LIMIT - 8)), ...saved.history];
  }
  const record = { ...run, ...events.at(-1)!.head, results, history } as RunRecord;
  return { record, opening: opening! };
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
