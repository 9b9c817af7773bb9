// The crash soak against `aegis serve`, short: a few runs of the soak's workflow on a
// server killed with SIGKILL at random (seeded) moments and started again, the gate answered
// over HTTP or left to time out while no server runs, against uninterrupted runs on a
// server never killed. `npm run soak -- --server` is the long version (tests/soak/server.ts
// says how the server is driven, tests/soak/soak.ts what is checked).
import { describe, expect, it } from "vitest";
import { serverSoak } from "./server.ts";

describe("the crash soak against aegis serve", () => {
  it("loses no run, repeats no completed state, and fires each due timer once after a restart", async () => {
    // The same inputs for every run: two uninterrupted runs to compare with (one per variant).
    const inputs = { topic: "t", items: ["a"], route: "narrow" as const };
    // Seed 7: runs 0 and 2 have their gate answered, run 1 leaves it to time out.
    const report = await serverSoak({ runs: 3, seed: 7, kills: 2, jobs: 2, inputs });
    expect(report.violations).toEqual([]);
    expect(report.runs).toBe(3);
    expect(report.kills).toBeGreaterThanOrEqual(3);
    expect(report.signals).toBeGreaterThanOrEqual(2);
    expect(report.timers).toBe(1);
    expect(report).toMatchObject({
      lost: 0,
      repeated: 0,
      unreadable: 0,
      mismatched: 0,
      unfired: 0,
      refired: 0,
    });
  }, 240_000);
});
