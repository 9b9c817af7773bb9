// The server's timers: one timeout, armed for the earliest time a run falls due (its index
// says when: wakeAt), that hands each due run to be resumed and arms itself again. Nothing
// per run is held in memory, so thousands of runs waiting at gates cost one timer; after a
// restart, what fell due while the server was down is due at once.
import { startTimer } from "../runtime/timer.ts";

export interface TimerSource {
  /** The earliest time (ms since the epoch) any run falls due, if any. */
  next(): number | undefined;
  /** The runs due at `now`. */
  due(now: number): string[];
  /** Resumes a due run (at most once at a time: the run service queues it). */
  fire(id: string): void;
}

export class Timers {
  private readonly source: TimerSource;
  private readonly now: () => number;
  private armedAt: number | undefined;
  private cancel: (() => void) | undefined;
  private running = false;

  constructor(source: TimerSource, now: () => number = Date.now) {
    this.source = source;
    this.now = now;
  }

  start(): void {
    this.running = true;
    this.tick();
  }

  stop(): void {
    this.running = false;
    this.cancel?.();
    this.cancel = undefined;
    this.armedAt = undefined;
  }

  /** A run falls due at `at`: wake then, if that is earlier than the time armed. */
  arm(at: number): void {
    if (!this.running || (this.armedAt !== undefined && this.armedAt <= at)) return;
    this.set(at);
  }

  private tick(): void {
    if (!this.running) return;
    this.cancel?.();
    this.cancel = undefined;
    this.armedAt = undefined;
    for (const id of this.source.due(this.now())) this.source.fire(id);
    const next = this.source.next();
    // A run fired just now stays in the index as due until it is resumed: look again soon
    // rather than at once, or the timer would spin until then.
    if (next !== undefined) this.set(Math.max(next, this.now() + 1000));
  }

  private set(at: number): void {
    this.cancel?.();
    this.armedAt = at;
    // startTimer waits in chunks for delays past setTimeout's 24.8 days.
    this.cancel = startTimer(Math.max(0, at - this.now()), () => this.tick());
  }
}
