// What the core decides by itself: branches need no effect, late results of an older
// attempt are ignored, and a human gate's timer never outlives the wall-time budget.
import { describe, expect, it } from "vitest";
import { attemptKey, createRun, step } from "../../../src/runtime/step.ts";
import { at, compileGraph, drive, makeResult, T0, wf } from "./drive.ts";

describe("decisions of the core", () => {
  it("decides a branch without asking for an effect", () => {
    const graph = compileGraph(
      wf(
        `
  state A = branch { on input.go == "yes" -> B  otherwise -> DONE }
  state B = agent bot timeout 1m { prompt "b" on success -> DONE otherwise -> FAILED }`,
        { head: "input go: string" },
      ),
    );
    const run = createRun(graph, { id: "r", graphHash: "h", inputs: { go: "yes" }, at: T0 });
    const out = step(graph, run, { type: "started", at: T0 });
    expect(out.effects).toEqual([
      { type: "execute", state: "B", attempt: 1, key: attemptKey(out.record, "B", 1), delayMs: 0 },
    ]);
    expect(out.record.results.A?.status).toBe("succeeded");
    const skip = step(
      graph,
      createRun(graph, { id: "r", graphHash: "h", inputs: { go: "no" }, at: T0 }),
      { type: "started", at: T0 },
    );
    expect(skip.record.status).toBe("succeeded");
    expect(skip.effects).toEqual([{ type: "finished", status: "succeeded" }]);
  });

  it("ignores the late result of an older attempt", () => {
    const graph = compileGraph(
      wf(`
  state A = agent bot timeout 1m retry 2 backoff 1s { prompt "a" on success -> DONE otherwise -> FAILED }`),
    );
    let record = step(graph, createRun(graph, { id: "r", graphHash: "h", inputs: {}, at: T0 }), {
      type: "started",
      at: T0,
    }).record;
    const first = attemptKey(record, "A", 1);
    record = step(graph, record, {
      type: "state-completed",
      state: "A",
      key: first,
      result: makeResult(graph, "A", { status: "failed" }, 1),
      at: at(10),
    }).record;
    expect(record.attempt).toBe(2);
    // The first attempt's result arrives again (a duplicate): nothing changes.
    const late = step(graph, record, {
      type: "state-completed",
      state: "A",
      key: first,
      result: makeResult(graph, "A", { status: "succeeded" }, 1),
      at: at(20),
    });
    expect(late.effects).toEqual([]);
    expect(late.record.status).toBe("running");
    const current = step(graph, record, {
      type: "state-completed",
      state: "A",
      key: attemptKey(record, "A", 2),
      result: makeResult(graph, "A", { status: "succeeded" }, 2),
      at: at(30),
    });
    expect(current.record.status).toBe("succeeded");
  });

  it("fires a gate's timer when the wall-time budget runs out, and fails the run then", () => {
    const source = wf(
      `
  state A = human timeout 1d { prompt "ok?" on approved -> DONE on rejected -> FAILED otherwise -> FAILED }`,
      {
        head: "// aegis-ignore AEG304 -- what the runtime does when the budget is spent is under test\n  limits { wall_time: 1h }",
      },
    );
    const graph = compileGraph(source);
    const started = step(graph, createRun(graph, { id: "r", graphHash: "h", inputs: {}, at: T0 }), {
      type: "started",
      at: T0,
    });
    const wait = started.effects.find((e) => e.type === "wait-human");
    expect(wait && "timeoutAt" in wait ? Date.parse(wait.timeoutAt!) - Date.parse(T0) : 0).toBe(
      3_600_001,
    );
    const driven = drive(source, { human: { A: { timer: 3_600_001 } } });
    expect(driven.record.status).toBe("failed");
    expect(driven.record.error?.code).toBe("budget-wall-time");
  });
});
