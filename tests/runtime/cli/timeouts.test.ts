// Gate timeouts from the command line: `aegis status` and `aegis list` show a gate whose
// timeout has passed as due (without taking it), and `aegis resume --due` takes every due
// timeout of a store — exactly once, also when two sweeps run at once.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { RunEvent, RunRecord } from "../../../src/runtime/types.ts";
import { aegis, json, launch, tempDir } from "./helpers.ts";

const source = `workflow timed "Wait a second for an answer" {
  start APPROVE
  state APPROVE = human timeout 1s {
    prompt "Ship?"
    default rejected
    on approved -> SHIPPED
    on rejected -> CLOSED
  }
  final SHIPPED
  final CLOSED
}
`;

/** Runs that wait at a gate, whose timeouts are due once this returns. */
async function waitingRuns(ids: string[]): Promise<string> {
  const dir = tempDir();
  writeFileSync(join(dir, "timed.aegis"), source);
  let due = 0;
  for (const id of ids) {
    const r = aegis(dir, ["run", "timed.aegis", "--id", id, "--store", "runs"]);
    expect(r.status, r.stderr).toBe(0);
    const record = json<RunRecord>(aegis(dir, ["status", id, "--json", "--store", "runs"]).stdout);
    due = Math.max(due, Date.parse(record.waiting!.timeoutAt!));
  }
  // Wait for the moment the timeouts are due (an event in the world, not a speed assumption).
  while (Date.now() <= due) await new Promise((r) => setTimeout(r, due - Date.now() + 5));
  return dir;
}

function journal(dir: string, id: string): RunEvent[] {
  return readFileSync(join(dir, "runs", id, "journal.jsonl"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

describe("due gate timeouts", () => {
  it("are shown as due by status and list, which take nothing", async () => {
    const dir = await waitingRuns(["a"]);
    const status = aegis(dir, ["status", "a", "--store", "runs"]);
    expect(status.stdout).toMatch(
      /its timeout is due since \S+: aegis resume --due --store runs takes it/,
    );
    const list = aegis(dir, ["list", "--store", "runs"]);
    expect(list.stdout).toMatch(/waiting at APPROVE \(timeout due since \S+\)/);
    expect(journal(dir, "a").some((e) => e.type === "timer-fired")).toBe(false);
  });

  it("are taken by resume --due, each once", async () => {
    const dir = await waitingRuns(["a", "b"]);
    const swept = aegis(dir, ["resume", "--due", "--store", "runs"]);
    expect(swept.status, swept.stderr).toBe(0);
    expect(swept.stdout).toContain("2 gate timeout(s) taken");
    for (const id of ["a", "b"]) {
      const record = json<RunRecord>(
        aegis(dir, ["status", id, "--json", "--store", "runs"]).stdout,
      );
      expect(record.status).toBe("succeeded");
      expect(record.current).toBe("CLOSED");
      expect(record.results.APPROVE?.response).toBe("rejected");
    }
    const again = aegis(dir, ["resume", "--due", "--store", "runs"]);
    expect(again.stdout).toContain("0 gate timeout(s) taken");
    expect(journal(dir, "a").filter((e) => e.type === "timer-fired")).toHaveLength(1);
  });

  it("are taken once when two sweeps run at once", async () => {
    const ids = ["r1", "r2", "r3", "r4"];
    const dir = await waitingRuns(ids);
    const sweeps = [0, 1].map(() => launch(dir, ["resume", "--due", "--store", "runs"]));
    const codes = await Promise.all(sweeps.map((s) => s.exited));
    expect(codes).toEqual([0, 0]);
    const taken = sweeps.map((s) => Number(/(\d+) gate timeout\(s\) taken/.exec(s.output())?.[1]));
    expect(taken[0]! + taken[1]!).toBe(ids.length);
    for (const id of ids) {
      expect(journal(dir, id).filter((e) => e.type === "timer-fired")).toHaveLength(1);
      expect(
        json<RunRecord>(aegis(dir, ["status", id, "--json", "--store", "runs"]).stdout).status,
      ).toBe("succeeded");
    }
  });

  it("resume --due takes no run id", () => {
    const r = aegis(tempDir(), ["resume", "a", "--due"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("resume --due takes no run id");
  });
});
