// The run's life: start, cancellation, events after the end; and the core's purity and
// determinism (same graph, record and event → same output; the input is never modified).
import { describe, expect, it } from "vitest";
import { exportGraph } from "../../../src/compiler/graph.ts";
import { createRun, step } from "../../../src/runtime/step.ts";
import type { RunEvent, RunRecord } from "../../../src/runtime/types.ts";
import { at, compileGraph, deepFreeze, drive, Harness, type Script, T0, wf } from "./drive.ts";

const source = wf(
  `  input task: string
  state PLAN = agent bot timeout 5m visits 3 {
    prompt "Plan {{input.task}}. {{state.feedback}}"
    on success -> APPROVE
    otherwise -> FAILED
  }
  state APPROVE = human timeout 1h {
    prompt "Plan: {{PLAN.output}}"
    on approved -> BUILD
    on timeout -> FAILED
    on rejected -> PLAN feedback "{{human.feedback}}"
  }
  state BUILD = run "make" timeout 5m retry 2 backoff 1s {
    on exit 0 -> DONE
    otherwise -> PLAN feedback "build failed: {{BUILD.stderr}}"
  }`,
  { start: "PLAN" },
);

const script: Script = {
  inputs: { task: "a parser" },
  results: {
    PLAN: [{ output: "p1" }, { output: "p2" }, { output: "p3" }],
    BUILD: [
      { exit_code: 1, stderr: "e1" },
      { exit_code: 2, stderr: "e2" },
      { exit_code: 1, stderr: "e3" },
      { exit_code: 0, stdout: "built" },
    ],
  },
  human: {
    APPROVE: [{ approve: false, feedback: "more tests" }, { approve: true }, { approve: true }],
  },
};

describe("lifecycle", () => {
  it("a createRun record is running, with nothing done", () => {
    const graph = compileGraph(source);
    const record = createRun(graph, { id: "r", graphHash: "abc", inputs: { task: "t" }, at: T0 });
    expect(record).toMatchObject({
      format: "aegis-run",
      version: 1,
      id: "r",
      workflow: "core",
      graphHash: "abc",
      status: "running",
      attempt: 0,
      results: {},
      visits: {},
      transitions: 0,
      agentCalls: 0,
      costUsd: 0,
      feedback: {},
      history: [],
      startedAt: T0,
      updatedAt: T0,
      seq: 0,
    });
  });

  it("started: enters the start state and asks to execute it", () => {
    const h = new Harness(source, { task: "x" });
    const out = h.send({ type: "started", at: at(5) });
    expect(out.effects).toEqual([
      { type: "execute", state: "PLAN", attempt: 1, key: "run-1:PLAN:1:1", delayMs: 0 },
    ]);
    expect(out.observations.map((o) => o.type)).toEqual(["run-started", "state-entered"]);
    expect(h.record).toMatchObject({
      current: "PLAN",
      attempt: 1,
      seq: 1,
      updatedAt: at(5),
      visits: { PLAN: 1 },
    });
  });

  it("a second started event does not enter the start state again", () => {
    const h = new Harness(source, { task: "x" });
    h.send({ type: "started", at: T0 });
    h.send({ type: "started", at: at(1) });
    expect(h.last).toEqual([]);
    expect(h.record.visits.PLAN).toBe(1);
    expect(h.path).toEqual(["PLAN"]);
  });

  it("runs the whole script to the end", () => {
    const { record, path } = drive(source, script);
    expect(path).toEqual([
      "PLAN",
      "APPROVE",
      "PLAN",
      "APPROVE",
      "BUILD",
      "PLAN",
      "APPROVE",
      "BUILD",
      "DONE",
    ]);
    expect(record.status).toBe("succeeded");
    expect(record.output).toBe("built");
    expect(record.seq).toBe(11);
  });

  it("ignores a completion for a state that is not current", () => {
    const h = new Harness(source, { task: "x" });
    h.send({ type: "started", at: T0 });
    h.send({
      type: "state-completed",
      state: "BUILD",
      result: { status: "succeeded", attempts: 1, duration: 1, agentCalls: 0 },
      at: at(1),
    });
    expect(h.last).toEqual([]);
    expect(h.record.current).toBe("PLAN");
    expect(h.record.results).toEqual({});
    expect(h.record.seq).toBe(2);
  });
});

describe("cancellation", () => {
  it("cancels a running run: status cancelled, one finished effect, nothing more", () => {
    const h = new Harness(source, { task: "x" });
    h.send({ type: "started", at: T0 });
    const out = h.send({ type: "cancelled", reason: "user asked", at: at(10) });
    expect(out.effects).toEqual([{ type: "finished", status: "cancelled" }]);
    expect(out.observations).toEqual([
      {
        type: "run-finished",
        run: "run-1",
        status: "cancelled",
        error: { code: "cancelled", message: "cancelled: user asked" },
        at: at(10),
      },
    ]);
    expect(h.record.status).toBe("cancelled");
    expect(h.record.error).toEqual({ code: "cancelled", message: "cancelled: user asked" });
    expect(h.record).not.toHaveProperty("output");
    // The executor's late answer, and anything else, is ignored.
    const ended = h.record;
    const late: RunEvent[] = [
      {
        type: "state-completed",
        state: "PLAN",
        result: { status: "succeeded", output: "late", attempts: 1, duration: 1, agentCalls: 1 },
        at: at(20),
      },
      { type: "started", at: at(21) },
      { type: "cancelled", at: at(22) },
      { type: "human-answered", state: "APPROVE", response: "ok", approved: true, at: at(23) },
      { type: "timer-fired", state: "APPROVE", at: at(24) },
    ];
    for (const event of late) {
      const after = h.send(event);
      expect(after.effects).toEqual([]);
      expect(after.observations).toEqual([]);
      const { seq: _s, updatedAt: _u, ...rest } = after.record;
      const { seq: _s2, updatedAt: _u2, ...was } = ended;
      expect(rest).toEqual(was);
    }
    expect(h.record.agentCalls).toBe(0);
  });

  it("cancels a waiting run: the wait is dropped", () => {
    const h = new Harness(source, { task: "x" });
    h.send({ type: "started", at: T0 });
    h.send({
      type: "state-completed",
      state: "PLAN",
      result: { status: "succeeded", output: "p", attempts: 1, duration: 1, agentCalls: 1 },
      at: at(1),
    });
    expect(h.record.status).toBe("waiting");
    h.send({ type: "cancelled", at: at(2) });
    expect(h.record.status).toBe("cancelled");
    expect(h.record.error).toEqual({ code: "cancelled", message: "cancelled" });
    expect(h.record).not.toHaveProperty("waiting");
    h.send({ type: "human-answered", state: "APPROVE", response: "ok", approved: true, at: at(3) });
    expect(h.last).toEqual([]);
    expect(h.record.status).toBe("cancelled");
  });

  it("events after a success or a failure are ignored", () => {
    for (const end of [{ results: { PLAN: { status: "failed" as const } } }, { ...script }]) {
      const run = drive(source, { inputs: { task: "x" }, ...end });
      expect(["succeeded", "failed"]).toContain(run.record.status);
      const graph = run.graph;
      const out = step(graph, deepFreeze(run.record), { type: "cancelled", at: at(99_999_999) });
      expect(out.effects).toEqual([]);
      expect(out.record.status).toBe(run.record.status);
      expect(out.record.error).toEqual(run.record.error);
      const again = step(graph, out.record, { type: "started", at: at(99_999_999) });
      expect(again.effects).toEqual([]);
      expect(again.record.history).toEqual(run.record.history);
    }
  });
});

describe("purity and determinism", () => {
  it("never modifies the record it is given (deep-frozen, and compared with a clone)", () => {
    // The harness freezes every record before stepping and compares it afterwards.
    const run = drive(source, script);
    expect(run.records.length).toBe(run.events.length + 1);
    for (const r of run.records.slice(0, -1)) expect(Object.isFrozen(r.history)).toBe(true);
  });

  it("does not modify the graph", () => {
    const graph = compileGraph(source);
    const before = exportGraph(graph);
    drive(graph, script);
    expect(exportGraph(graph)).toEqual(before);
  });

  it("gives the same records, effects and observations for the same script", () => {
    const a = drive(source, script);
    const b = drive(source, script);
    expect(b.records).toEqual(a.records);
    expect(b.effects).toEqual(a.effects);
    expect(b.observations).toEqual(a.observations);
    expect(JSON.stringify(b.records)).toBe(JSON.stringify(a.records));
  });

  it("resumes from a persisted record: JSON round trips give the same steps", () => {
    const a = drive(source, script);
    const graph = a.graph;
    for (let i = 0; i < a.events.length; i++) {
      const persisted = JSON.parse(JSON.stringify(a.records[i])) as RunRecord;
      const out = step(graph, persisted, a.events[i]!);
      expect(JSON.parse(JSON.stringify(out.record))).toEqual(
        JSON.parse(JSON.stringify(a.records[i + 1])),
      );
    }
  });

  it("replaying the events from createRun's record rebuilds the last record", () => {
    const a = drive(source, script);
    let record = a.records[0]!;
    for (const event of a.events) record = step(a.graph, record, event).record;
    expect(record).toEqual(a.record);
  });
});
