// followLog: a reader of a run's log that follows it until the run ends. What the run
// writes between a read and the moment it is seen to have ended is not lost (under load,
// `aegis logs --follow` lost a run's last lines that way).
import { describe, expect, it } from "vitest";
import { followLog } from "../../../src/runtime/events.ts";
import type { RunStore } from "../../../src/runtime/store/types.ts";
import type { RunObservation } from "../../../src/runtime/types.ts";

function observation(type: string): RunObservation {
  return { type, run: "r", at: "2026-12-02T00:00:00.000Z" } as unknown as RunObservation;
}

describe("followLog", () => {
  it("reads the log once more when the run is seen to have ended", async () => {
    const log = [observation("run-started")];
    const store = { readLog: async () => [...log] } as unknown as RunStore;
    let checks = 0;
    const until = () => {
      checks += 1;
      // The run finishes between the reader's read and this check.
      log.push(observation("state-completed"), observation("run-finished"));
      return true;
    };
    const seen: string[] = [];
    for await (const o of followLog(store, "r", { until, intervalMs: 1 })) seen.push(o.type);
    expect(checks).toBe(1);
    expect(seen).toEqual(["run-started", "state-completed", "run-finished"]);
  });

  it("yields each observation once while it follows", async () => {
    const log = [observation("a")];
    const store = { readLog: async () => [...log] } as unknown as RunStore;
    let round = 0;
    const until = () => {
      round += 1;
      if (round === 1) log.push(observation("b"));
      return round === 3;
    };
    const seen: string[] = [];
    for await (const o of followLog(store, "r", { until, intervalMs: 1 })) seen.push(o.type);
    expect(seen).toEqual(["a", "b"]);
  });
});
