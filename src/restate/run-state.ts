// How a Restate run keeps its record and log in the workflow's state, for the shared
// handlers (`get`, `log`, `answer`, `cancel`) to read while it runs. The driver holds the
// record in memory (a replay rebuilds it from the journal); every key it writes is a
// journal entry that the server appends, replicates and applies, and what it costs grows
// with its bytes. So each event writes one key, with only what the event changed:
//
//   event/N   t: the event's time; n: how many observations came before it;
//             head: the record's small fields that the event changed (status, current …;
//               of its maps — visits, feedback, sessions — the entries it changed), the
//               whole head every CHECKPOINT-th event, so that a reader of where the run is
//               reads a few keys, not all; conversations without their messages:
//             messages: the messages the event added to each conversation;
//             the results it changed, its observations and its history entries, without
//               what the key already says (the run's id, the event's time and seq);
//             the first event also what never changes (id, workflow, graph hash, inputs,
//               intent, start), the run's meta and its invocation's id.
//
// What a state costs stays the same over a long run: the head is not written whole at each
// event (a run's visits would be written again and again), nor is a conversation (its
// messages are read back by `get`; `head` gives where the run is, without them).
// Events written before this format (a whole head, whole entries; no `t`) are read too.
import * as restate from "@restatedev/restate-sdk";
import { HISTORY_LIMIT } from "../runtime/step.ts";
import type {
  HistoryEntry,
  RunObservation,
  RunRecord,
  SessionMessage,
  SessionRecord,
} from "../runtime/types.ts";

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
const inHead = (key: string) => !isFixed.has(key) && key !== "results" && key !== "history";

/**
 * A run's record without its results and history, its conversations without their
 * messages: where it is (what a follower polls).
 */
export type RunHead = Omit<RunRecord, "results" | "history">;

/** What the first event holds besides the event: the run's fixed fields, and `T`. */
type Opening<T> = Fixed & T;

/** Every CHECKPOINT-th event (from the first) keeps the whole head. */
export const CHECKPOINT = 16;

/** The head's maps, written entry by entry. */
const MAPS = ["visits", "feedback", "sessions"] as const;
type MapKey = (typeof MAPS)[number];
const isMap: ReadonlySet<string> = new Set(MAPS);

/**
 * What an event changed of the head: the fields it set; for a map, its changed entries
 * (`-visits`: the names it removed); `-`: the fields it removed.
 */
type HeadPatch = Record<string, unknown>;

type SavedObservation = Omit<RunObservation, "run" | "at"> & { run?: string; at?: string };
type SavedHistoryEntry = Omit<HistoryEntry, "seq" | "at"> & { seq?: number; at?: string };

interface SavedEvent<T = unknown> {
  /** The first event only: what never changes. */
  run?: Opening<T>;
  /** How many observations the run reported before this event. */
  n: number;
  /** The event's time: the record's updatedAt after it. Absent: the format before this one. */
  t?: string;
  /** What the event changed of the head; the whole head when `full` (or `t` is absent). */
  head: HeadPatch;
  full?: true;
  /** The messages the event added to each conversation (`restarted`: those it began anew). */
  messages?: Record<string, SessionMessage[]>;
  restarted?: string[];
  results?: RunRecord["results"];
  observations?: SavedObservation[];
  history?: SavedHistoryEntry[];
}

const EVENT = "event/";

/** Where a run's state is written: the run handler's context (a stand-in in tests). */
export interface StateWriter {
  set(key: string, value: unknown): void;
}

/** Where a run's state is read: a handler's context, through `stateReader` (a stand-in in tests). */
export interface StateReader {
  /** The run's id (the workflow's key). */
  readonly key: string;
  get<T>(key: string): PromiseLike<T | null>;
  keys(): PromiseLike<string[]>;
  /** All the reads at once (one round trip to Restate, not one each). */
  all<T>(reads: PromiseLike<T>[]): PromiseLike<T[]>;
}

/** A handler's context as a StateReader (its reads at once with RestatePromise.all). */
export function stateReader(ctx: restate.WorkflowSharedContext): StateReader {
  return {
    key: ctx.key,
    get: <T>(key: string) => ctx.get<T>(key),
    keys: () => ctx.stateKeys(),
    all: <T>(reads: PromiseLike<T>[]) =>
      restate.RestatePromise.all(reads as restate.RestatePromise<T>[]),
  };
}

/**
 * Writes what each event changed (for one run handler invocation); the first event also
 * keeps `opening` (what the run's host keeps with it: its meta, its invocation).
 */
export class RunState<T extends object> {
  private events = 0;
  private observed = 0;
  private readonly ctx: StateWriter;
  private readonly opening: T;

  constructor(ctx: StateWriter, opening: T) {
    this.ctx = ctx;
    this.opening = opening;
  }

  /** After an event took the run from `before` to `after`, reporting `observations`. */
  save(before: RunRecord, after: RunRecord, observations: RunObservation[]): void {
    const t = after.updatedAt;
    const full = this.events % CHECKPOINT === 0;
    const saved: SavedEvent<T> = {
      n: this.observed,
      t,
      head: full ? wholeHead(after) : headPatch(before, after),
    };
    if (full) saved.full = true;
    if (this.events === 0) saved.run = { ...this.opening, ...fixedOf(after) };
    if (after.sessions !== before.sessions) addedMessages(saved, before.sessions, after.sessions);
    this.observed += observations.length;
    const { results, history } = after;
    for (const state in results) {
      if (before.results[state] === results[state]) continue;
      saved.results ??= {};
      saved.results[state] = results[state]!;
    }
    if (observations.length > 0)
      saved.observations = observations.map((o) => stripObservation(o, after.id, t));
    // The entries this event added: the last ones, which step() stamps with the event's seq.
    let first = history.length;
    while (first > 0 && history[first - 1]!.seq === after.seq) first -= 1;
    if (first < history.length)
      saved.history = history.slice(first).map((entry) => stripEntry(entry, after.seq, t));
    this.ctx.set(`${EVENT}${this.events}`, saved);
    this.events += 1;
  }
}

// ------------------------------------------------------------------ writing an event

/** The head's fields (copied key by key: an object that loses keys is slow to serialize). */
function wholeHead(record: RunRecord): HeadPatch {
  const head: HeadPatch = {};
  for (const key in record) {
    if (!inHead(key) || key === "updatedAt") continue;
    const value = record[key as keyof RunRecord];
    head[key] = key === "sessions" && isObject(value) ? bareSessions(value) : value;
  }
  return head;
}

function headPatch(before: RunRecord, after: RunRecord): HeadPatch {
  const patch: HeadPatch = {};
  const was = before as unknown as Record<string, unknown>;
  const now = after as unknown as Record<string, unknown>;
  for (const key in now) {
    if (!inHead(key) || key === "updatedAt" || now[key] === was[key] || now[key] === undefined)
      continue;
    if (isMap.has(key) && isObject(now[key]))
      mapPatch(patch, key as MapKey, isObject(was[key]) ? was[key] : {}, now[key]);
    else patch[key] = now[key];
  }
  const removed = gone(was, now).filter(inHead);
  if (removed.length > 0) patch["-"] = removed;
  return patch;
}

/** The keys `was` has a value for and `now` has not (JSON keeps no undefined). */
const gone = (was: Record<string, unknown>, now: Record<string, unknown>) =>
  Object.keys(was).filter((key) => was[key] !== undefined && now[key] === undefined);

function mapPatch(
  patch: HeadPatch,
  key: MapKey,
  was: Record<string, unknown>,
  now: Record<string, unknown>,
): void {
  let changed: Record<string, unknown> | undefined;
  for (const name in now) {
    if (now[name] === was[name] || now[name] === undefined) continue;
    changed ??= {};
    changed[name] = key === "sessions" ? withoutMessages(now[name] as SessionRecord) : now[name];
  }
  if (changed) patch[key] = changed;
  const removed = gone(was, now);
  if (removed.length > 0) patch[`-${key}`] = removed;
}

/** Conversations without their messages (as the head keeps them). */
function bareSessions(sessions: Record<string, unknown>): Record<string, unknown> {
  const bare: Record<string, unknown> = {};
  for (const name in sessions) bare[name] = withoutMessages(sessions[name] as SessionRecord);
  return bare;
}

function withoutMessages(session: SessionRecord): Omit<SessionRecord, "messages"> {
  if (session.messages === undefined) return session;
  const { messages: _messages, ...fields } = session;
  return fields;
}

/** The messages each conversation gained (all of them, for one that began anew). */
function addedMessages(
  saved: SavedEvent,
  before: RunRecord["sessions"] = {},
  after: RunRecord["sessions"] = {},
): void {
  for (const name in after) {
    const was = before[name]?.messages ?? [];
    const now = after[name]!.messages ?? [];
    if (now === was) continue;
    let kept = now.length >= was.length;
    for (let i = 0; kept && i < was.length; i++) kept = now[i] === was[i];
    const added = kept ? now.slice(was.length) : now;
    if (kept && added.length === 0) continue;
    saved.messages ??= {};
    saved.messages[name] = added;
    if (!kept) {
      saved.restarted ??= [];
      saved.restarted.push(name);
    }
  }
}

function stripObservation(o: RunObservation, run: string, t: string): SavedObservation {
  const { run: own, at, ...saved } = o as RunObservation & { run?: string; at?: string };
  const kept = saved as SavedObservation;
  if (own !== run) kept.run = own;
  if (at !== t) kept.at = at;
  return kept;
}

function stripEntry(entry: HistoryEntry, seq: number, t: string): SavedHistoryEntry {
  const { seq: own, at, ...saved } = entry;
  const kept = saved as SavedHistoryEntry;
  if (own !== seq) kept.seq = own;
  if (at !== t) kept.at = at;
  return kept;
}

// ------------------------------------------------------------------ reading events

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const eventCount = async (ctx: StateReader) =>
  (await ctx.keys()).filter((key) => key.startsWith(EVENT)).length;

/** The events at `indices`, read at once. */
async function readEvents(ctx: StateReader, indices: number[]): Promise<SavedEvent[]> {
  const events = await ctx.all(indices.map((index) => ctx.get<SavedEvent>(`${EVENT}${index}`)));
  return events.map((saved, i) => {
    if (!saved) throw new Error(`the run's state lacks ${EVENT}${indices[i]}`);
    return saved;
  });
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

const isWhole = (saved: SavedEvent) => saved.full === true || saved.t === undefined;

/** The head after `saved`, from the head before it (a whole head starts over). */
function foldEvent(head: Record<string, unknown>, saved: SavedEvent): Record<string, unknown> {
  let next = head;
  if (isWhole(saved)) next = { ...saved.head };
  else applyPatch(next, saved.head);
  if (saved.t !== undefined) next.updatedAt = saved.t;
  return next;
}

function applyPatch(head: Record<string, unknown>, patch: HeadPatch): void {
  for (const key in patch) {
    if (key.startsWith("-")) continue;
    head[key] = isMap.has(key)
      ? { ...(head[key] as Record<string, unknown>), ...(patch[key] as Record<string, unknown>) }
      : patch[key];
  }
  for (const key of MAPS) {
    const removed = patch[`-${key}`] as string[] | undefined;
    if (!removed) continue;
    const map: Record<string, unknown> = { ...(head[key] as Record<string, unknown>) };
    for (const name of removed) delete map[name];
    head[key] = map;
  }
  for (const key of (patch["-"] as string[] | undefined) ?? []) delete head[key];
}

/** Each conversation's messages after `saved`, from those before it. */
function foldMessages(messages: Map<string, SessionMessage[]>, saved: SavedEvent): void {
  for (const [name, added] of Object.entries(saved.messages ?? {})) {
    const restarted = saved.restarted?.includes(name) ?? false;
    messages.set(name, restarted ? added : [...(messages.get(name) ?? []), ...added]);
  }
}

/** The head as its reader sees it: conversations without their messages. */
const headSessions = (head: Record<string, unknown>) =>
  isObject(head.sessions) ? { ...head, sessions: bareSessions(head.sessions) } : head;

/** An observation as step() made it: the run's id after its type, the event's time last. */
function restoreObservation(o: SavedObservation, run: string, t: string | undefined) {
  const restored: Record<string, unknown> = { type: o.type, run: o.run ?? run };
  for (const key in o)
    if (key !== "type" && key !== "run") restored[key] = o[key as keyof typeof o];
  if (restored.at === undefined && t !== undefined) restored.at = t;
  return restored as RunObservation;
}

/** A history entry as step() made it (its fields in its order). */
function restoreEntry(entry: SavedHistoryEntry, seq: number, t: string | undefined): HistoryEntry {
  const { seq: own, state, status, at, ...rest } = entry;
  return { seq: own ?? seq, state, status, at: at ?? t!, ...rest };
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
export async function readOpening<T>(ctx: StateReader): Promise<Opening<T> | undefined> {
  return ((await ctx.get<SavedEvent<T>>(`${EVENT}0`)) ?? undefined)?.run;
}

/** Where the run is (its record without results and history), or undefined before it began. */
export async function readHead(ctx: StateReader): Promise<RunHead | undefined> {
  const count = await eventCount(ctx);
  if (count === 0) return undefined;
  // The first event (the fixed fields), the last checkpoint's head and the patches since;
  // further back if that one is not whole (a run written with another CHECKPOINT).
  let from = count - 1 - ((count - 1) % CHECKPOINT);
  const [first, ...events] = await readEvents(ctx, [0, ...range(from, count)]);
  while (!isWhole(events[0]!)) {
    if (from === 0) throw new Error(`the run's ${EVENT}0 does not keep its whole head`);
    const back = Math.max(0, from - CHECKPOINT);
    events.unshift(...(await readEvents(ctx, range(back, from))));
    from = back;
  }
  return { ...fixedOf(first!.run), ...headSessions(events.reduce(foldEvent, {})) } as RunHead;
}

/**
 * The run's record as last saved, and what its host kept with its first event; undefined
 * before its first event.
 */
export async function readRecord<T>(
  ctx: StateReader,
): Promise<{ record: RunRecord; opening: Opening<T> } | undefined> {
  const events = (await readEvents(ctx, range(0, await eventCount(ctx)))) as SavedEvent<T>[];
  if (events.length === 0) return undefined;
  const opening = events[0]!.run;
  const run = fixedOf(opening);
  const results: RunRecord["results"] = {};
  let history: HistoryEntry[] = [];
  let head: Record<string, unknown> = {};
  const messages = new Map<string, SessionMessage[]>();
  for (const saved of events) {
    head = foldEvent(head, saved);
    foldMessages(messages, saved);
    Object.assign(results, saved.results);
    // As step() keeps it: at every event the latest entries, then the event's own.
    history = history.slice(-(HISTORY_LIMIT - 8));
    if (saved.history)
      for (const entry of saved.history)
        history.push(restoreEntry(entry, head.seq as number, saved.t));
  }
  // Conversations with their messages (an event of the format before kept them whole).
  if (messages.size > 0) {
    const sessions = { ...(head.sessions as Record<string, SessionRecord>) };
    for (const [name, kept] of messages)
      if (sessions[name]) sessions[name] = { ...sessions[name], messages: kept };
    head.sessions = sessions;
  }
  const record = { ...run, ...head, results, history } as RunRecord;
  return { record, opening: opening! };
}

/**
 * What the run reported after its `after`-th observation, and how many it has reported.
 * Reads only the events that hold them (found by halving), not the whole log: a follower
 * asks again and again for the little that is new.
 */
export async function readLog(
  ctx: StateReader,
  after = 0,
): Promise<{ entries: RunObservation[]; next: number }> {
  const count = await eventCount(ctx);
  const at = async (index: number) => (await readEvents(ctx, [index]))[0]!;
  // The first event whose observations reach past `after`: events[i].n <= after < next's n.
  let low = 0;
  let high = count;
  while (high - low > 1) {
    const middle = (low + high) >> 1;
    if ((await at(middle)).n <= after) low = middle;
    else high = middle;
  }
  const entries: RunObservation[] = [];
  let next = after;
  for (const saved of await readEvents(ctx, range(low, count))) {
    const observations = saved.observations ?? [];
    for (const o of observations.slice(Math.max(0, after - saved.n)))
      entries.push(restoreObservation(o, ctx.key, saved.t));
    next = Math.max(next, saved.n + observations.length);
  }
  return { entries, next };
}
