// The crash soak, short: a few runs of a workflow with every state kind, each killed with
// SIGKILL at random (seeded) moments and resumed until it ends, against uninterrupted runs
// of the same inputs. `npm run soak` is the long version (tests/soak/soak.ts says what is
// checked).
import { describe, expect, it } from "vitest";
import { soak } from "./soak.ts";

describe("the crash soak", () => {
  it("loses no state, repeats none, and leaves every journal readable", async () => {
    // One uninterrupted run to compare with: the same inputs (the widest path) for both.
    const inputs = { topic: "t", items: ["a", "b", "c"], route: "wide" as const };
    const report = await soak({ runs: 2, seed: 11, kills: 2, jobs: 2, inputs });
    expect(report.violations).toEqual([]);
    expect(report.runs).toBe(2);
    expect(report.kills).toBeGreaterThanOrEqual(2);
    expect(report.resumes + report.signals + report.restarts).toBeGreaterThanOrEqual(2);
    expect(report).toMatchObject({ lost: 0, repeated: 0, unreadable: 0, mismatched: 0 });
  }, 300_000);
});
