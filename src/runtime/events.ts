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

/** Writes a run's observations to its store's log, one after the other. */
export class RunLog {
  private pending: RunObservation[] = [];
  private writing: Promise<void> | undefined;
  private failure: Error | undefined;

  private readonly store: RunStore;
  private readonly id: string;

  constructor(store: RunStore, id: string) {
    this.store = store;
    this.id = id;
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
      try {
        await this.store.appendLog(this.id, batch);
      } catch (error) {
        this.failure ??= error as Error;
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
