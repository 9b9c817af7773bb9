// When a run that no process drives needs one again by itself: the host's timers. A run
// waiting at a gate with a timeout is due then (the engine fires the gate's timer when it
// resumes it: its default response, or the state's timed_out transition). A host keeps
// these times in an index and resumes each run when it falls due; resuming early or twice
// does nothing (the core ignores a timer that is not due, or whose gate was answered).
import type { RunRecord } from "./types.ts";

/** The time (ms since the epoch) at which the run is due to be resumed, if any. */
export function wakeAt(record: Pick<RunRecord, "status" | "waiting">): number | undefined {
  if (record.status !== "waiting") return undefined;
  const timeoutAt = record.waiting?.timeoutAt;
  if (timeoutAt === undefined) return undefined;
  const at = Date.parse(timeoutAt);
  return Number.isNaN(at) ? undefined : at;
}
