// Waiting for a run to reach its first gate or its end, bounded: what the run is when the
// time runs out (or the client gives up) is an answer too, never an error. Woken by the
// service's watch when it has one, else by a poll that backs off to one second.
import type { RunDetail } from "../api/runs.ts";
import { statusOf } from "./results.ts";
import type { AegisService } from "./service.ts";

export type WaitFor = "none" | "gate" | "end";

const ended = (status: string) =>
  status === "succeeded" || status === "failed" || status === "cancelled";

/** Whether a run in `status` is where `until` asked for. */
export function reached(status: string, until: WaitFor): boolean {
  if (until === "none") return true;
  if (until === "gate") return status === "waiting" || ended(status);
  return ended(status);
}

export async function waitForRun(
  service: AegisService,
  id: string,
  until: WaitFor,
  seconds: number,
  signal?: AbortSignal,
): Promise<{ detail: RunDetail; reached: boolean }> {
  const deadline = Date.now() + seconds * 1000;
  let woken: (() => void) | undefined;
  let changes = 0;
  const unwatch = service.watch?.(id, () => {
    changes++;
    woken?.();
  });
  const onAbort = () => woken?.();
  signal?.addEventListener("abort", onAbort);
  try {
    let pause = 100;
    for (;;) {
      const seen = changes;
      const detail = await service.getRun(id);
      if (reached(statusOf(detail), until)) return { detail, reached: true };
      const left = deadline - Date.now();
      if (left <= 0 || signal?.aborted) return { detail, reached: false };
      if (changes !== seen) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, unwatch ? 5000 : pause));
        woken = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      woken = undefined;
      pause = Math.min(pause * 2, 1000);
    }
  } finally {
    unwatch?.();
    signal?.removeEventListener("abort", onAbort);
  }
}
