// Observations: what a running engine reports. A stream fans them out to any number of
// async iterators (each sees everything pushed since the stream began, then waits for
// more, and ends when the stream closes), and a run's JSONL log is written through its
// store in the order they happened.
import type { RunStore } from "./store/types.ts";
import type { RunObservation } from "./types.ts";

export class ObservationStream implements AsyncIterable<RunObservation> {
  private readonly buffer: RunObservation[] = [];
  private readonly waiters = new Set<() => void>();
  private ended = false;

  push(observation: RunObservation): void {
    if (this.ended) return;
    this.buffer.push(observation);
    this.wake();
  }

  close(): void {
    this.ended = true;
    this.wake();
  }

  get closed(): boolean {
    return this.ended;
  }

  /** Everything pushed so far. */
  get seen(): readonly RunObservation[] {
    return this.buffer;
  }

  private wake(): void {
    if (this.waiters.size === 0) return;
    const waiting = [...this.waiters];
    this.waiters.clear();
    for (const w of waiting) w();
  }

  [Symbol.asyncIterator](): AsyncIterator<RunObservation> {
    let index = 0;
    return {
      next: async () => {
        while (index >= this.buffer.length && !this.ended) {
          await new Promise<void>((resolve) => this.waiters.add(resolve));
        }
        if (index < this.buffer.length) return { value: this.buffer[index++]!, done: false };
        return { value: undefined, done: true };
      },
      return: async () => {
        index = Number.POSITIVE_INFINITY;
        return { value: undefined, done: true };
      },
    };
  }
}

/**
 * An observation as written to its run's log, with its place there: the n-th observation
 * of the log (from 1), the same as its index in `readLog` + 1. A host that streams a run's
 * events names them by it (an SSE event id), and a reader that lost the stream asks for
 * those after the last it saw.
 */
export interface LoggedObservation {
  n: number;
  observation: RunObservation;
}

/** Writes a run's observations to its store's log, one after the other. */
export class RunLog {
  private pending: RunObservation[] = [];
  private writing: Promise<void> | undefined;
  private failure: Error | undefined;
  /** Observations in the log before the next batch (learned before the first write). */
  private written: number | undefined;

  private readonly store: RunStore;
  private readonly id: string;
  private readonly onWritten: ((entries: LoggedObservation[]) => void) | undefined;

  /** `onWritten` is told of each batch once it is in the log, with its places (a run's log has one writer: whoever holds its lock). */
  constructor(store: RunStore, id: string, onWritten?: (entries: LoggedObservation[]) => void) {
    this.store = store;
    this.id = id;
    this.onWritten = onWritten;
  }

  append(observation: RunObservation): void {
    this.pending.push(observation);
    this.writing ??= this.drain();
  }

  private async drain(): Promise<void> {
    // After the current step: what it observes goes in one write (and `writing` is set
    // before drain can end).
    await null;
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      let before = this.written;
      if (this.onWritten && before === undefined)
        before = await this.store.readLog(this.id).then(
          (log) => log.length,
          () => undefined,
        );
      try {
        await this.store.appendLog(this.id, batch);
      } catch (error) {
        this.failure ??= error as Error;
        // What was written is unknown now: count again before the next batch.
        this.written = undefined;
        continue;
      }
      if (this.onWritten && before !== undefined) {
        const first = before + 1;
        this.written = before + batch.length;
        try {
          this.onWritten(batch.map((observation, i) => ({ n: first + i, observation })));
        } catch {
          // A listener's failure is its own.
        }
      }
    }
    this.writing = undefined;
  }

  /** Resolves when everything appended so far is written; the first write error, if any. */
  async flush(): Promise<Error | undefined> {
    while (this.writing) await this.writing;
    return this.failure;
  }
}

/**
 * Follows a run's log: yields the observations already logged, then new ones as they are
 * written, until `until` says to stop (checked after each poll) or the signal aborts.
 */
export async function* followLog(
  store: RunStore,
  id: string,
  options: {
    intervalMs?: number;
    signal?: AbortSignal;
    until?: (seen: RunObservation[]) => boolean | Promise<boolean>;
  } = {},
): AsyncGenerator<RunObservation> {
  const seen: RunObservation[] = [];
  const interval = options.intervalMs ?? 250;
  while (!options.signal?.aborted) {
    const log = await store.readLog(id);
    for (const observation of log.slice(seen.length)) {
      seen.push(observation);
      yield observation;
    }
    if (options.until && (await options.until(seen))) {
      // What was written between the read above and the run being seen to end (its last
      // states, its end) is read once more: under load that gap is wide.
      for (const observation of (await store.readLog(id)).slice(seen.length)) {
        seen.push(observation);
        yield observation;
      }
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, interval);
      options.signal?.addEventListener(
        "abort",
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    });
  }
}
