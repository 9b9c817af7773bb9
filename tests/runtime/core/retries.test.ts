// Retries with exponential backoff, idempotency keys, and the error modes fail / skip / retry.
import { describe, expect, it } from "vitest";
import { runScope } from "../../../src/runtime/scope.ts";
import { attemptKey } from "../../../src/runtime/step.ts";
import type { Effect } from "../../../src/runtime/types.ts";
import { drive, Harness, T0, wf } from "./drive.ts";

const executes = (effects: Effect[]) =>
  effects.filter((e): e is Effect & { type: "execute" } => e.type === "execute");

const flaky = (settings: string) =>
  wf(`  state A = agent bot timeout 5m ${settings} {
    prompt "Fetch."
    on success -> DONE
    on failure -> RECOVER
  }
  state RECOVER = agent bot timeout 5m {
    prompt "Recover from: {{A.error}}"
    on success -> DONE
    otherwise -> FAILED
  }`);

const failed = { status: "failed" as const, error: { code: "agent", message: "boom" } };

describe("retries", () => {
  it("waits 1x, 2x, 4x the backoff, then hands the failure to the transitions", () => {
    const { record, path, effects, observations } = drive(flaky("retry 3 backoff 10s"), {
      results: { A: failed, RECOVER: {} },
    });
    const a = executes(effects).filter((e) => e.state === "A");
    expect(a.map((e) => e.delayMs)).toEqual([0, 10_000, 20_000, 40_000]);
    expect(a.map((e) => e.attempt)).toEqual([1, 2, 3, 4]);
    expect(a.map((e) => e.key)).toEqual([
      "run-1:A:1:1",
      "run-1:A:1:2",
      "run-1:A:1:3",
      "run-1:A:1:4",
    ]);
    expect(new Set(a.map((e) => e.key)).size).toBe(4);
    // One visit: retries are attempts, not entries.
    expect(path).toEqual(["A", "RECOVER", "DONE"]);
    expect(record.visits.A).toBe(1);
    expect(record.results.A?.status).toBe("failed");
    expect(record.status).toBe("succeeded");
    const retries = observations.filter((o) => o.type === "retry");
    expect(retries.map((o) => [o.attempt, o.delayMs, o.error])).toEqual([
      [2, 10_000, "boom"],
      [3, 20_000, "boom"],
      [4, 40_000, "boom"],
    ]);
    // Only the final outcome is recorded as a completion.
    expect(
      record.history.filter((h) => h.state === "A" && h.status === "failed" && !h.to),
    ).toHaveLength(1);
  });

  it("stops retrying at the first success", () => {
    const { record, path, effects } = drive(flaky("retry 3 backoff 10s"), {
      results: { A: [failed, { status: "timed_out" }, { output: "ok" }] },
    });
    expect(executes(effects).map((e) => e.delayMs)).toEqual([0, 10_000, 20_000]);
    expect(path).toEqual(["A", "DONE"]);
    expect(record.results.A).toMatchObject({ status: "succeeded", output: "ok", attempts: 3 });
  });

  it("uses a backoff of 1s by default", () => {
    const { effects } = drive(flaky("retry 2"), { results: { A: failed, RECOVER: {} } });
    expect(
      executes(effects)
        .filter((e) => e.state === "A")
        .map((e) => e.delayMs),
    ).toEqual([0, 1000, 2000]);
  });

  it("keys attempts per visit: a new visit starts again at attempt 1 with a new key", () => {
    const source = wf(`  state A = agent bot timeout 5m visits 2 retry 1 backoff 5s {
    prompt "Fetch."
    on score >= 0.9 -> DONE
    on success -> A
    otherwise -> FAILED
  }`);
    const { effects, path } = drive(source, {
      results: { A: [failed, { score: 0.1 }, failed, { score: 0.95 }] },
    });
    expect(path).toEqual(["A", "A", "DONE"]);
    const a = executes(effects);
    expect(a.map((e) => [e.attempt, e.delayMs, e.key])).toEqual([
      [1, 0, "run-1:A:1:1"],
      [2, 5000, "run-1:A:1:2"],
      [1, 0, "run-1:A:2:1"],
      [2, 5000, "run-1:A:2:2"],
    ]);
  });

  it("attemptKey names run, state, visit and attempt", () => {
    const h = new Harness(flaky("retry 1"));
    h.send({ type: "started", at: T0 });
    expect(attemptKey(h.record, "A", 1)).toBe("run-1:A:1:1");
    expect(attemptKey(h.record, "A", 2)).toBe("run-1:A:1:2");
    expect(attemptKey(h.record, "RECOVER", 1)).toBe("run-1:RECOVER:0:1");
    expect(h.record.attempt).toBe(1);
  });

  it("exposes the attempt to templates as run.attempt", () => {
    const h = new Harness(flaky("retry 2"));
    h.send({ type: "started", at: T0 });
    h.send({
      type: "state-completed",
      state: "A",
      result: { ...failed, attempts: 1, duration: 1, agentCalls: 1 },
      at: T0,
    });
    expect(h.record.attempt).toBe(2);
    expect(h.last).toEqual([
      { type: "execute", state: "A", attempt: 2, key: "run-1:A:1:2", delayMs: 1000 },
    ]);
    expect(runScope(h.graph, h.record, "A").run).toMatchObject({ id: "run-1", attempt: 2 });
    // A failed attempt that is retried is not a result yet.
    expect(h.record.results).toEqual({});
  });
});

describe("error modes", () => {
  it("errors skip: a failure becomes skipped, which counts as success", () => {
    const { record, path, observations } = drive(flaky("errors skip"), {
      results: { A: failed },
    });
    expect(path).toEqual(["A", "DONE"]);
    expect(record.results.A?.status).toBe("skipped");
    expect(record.results.A?.error?.message).toBe("boom");
    expect(record.status).toBe("succeeded");
    expect(observations.find((o) => o.type === "state-completed")).toMatchObject({
      state: "A",
      status: "skipped",
    });
  });

  it("errors skip: a timeout is skipped too; the skipped flag is visible", () => {
    const source = wf(`  state A = agent bot timeout 5m errors skip {
    prompt "Fetch."
    on skipped -> B
    on success -> DONE
    otherwise -> FAILED
  }
  state B = agent bot timeout 5m {
    prompt "{{#if A.skipped}}A was skipped ({{A.status}}){{/if}}"
    on always -> DONE
  }`);
    const { path, record } = drive(source, { results: { A: { status: "timed_out" }, B: {} } });
    expect(path).toEqual(["A", "B", "DONE"]);
    expect(record.results.A?.status).toBe("skipped");
  });

  it("errors skip with retry: retries first, then skips", () => {
    const { path, effects, record } = drive(flaky("retry 2 backoff 1s errors skip"), {
      results: { A: failed },
    });
    expect(executes(effects).map((e) => e.attempt)).toEqual([1, 2, 3]);
    expect(path).toEqual(["A", "DONE"]);
    expect(record.results.A?.status).toBe("skipped");
  });

  it("errors fail: the failure goes to the transitions at once", () => {
    const { path, effects, record } = drive(flaky("errors fail"), {
      results: { A: failed, RECOVER: { status: "failed" } },
    });
    expect(executes(effects).filter((e) => e.state === "A")).toHaveLength(1);
    expect(path).toEqual(["A", "RECOVER", "FAILED"]);
    expect(record.status).toBe("failed");
    expect(record.error?.code).toBe("final-failure");
  });

  it("errors retry: retries twice by default", () => {
    const { effects, path } = drive(flaky("errors retry"), { results: { A: failed, RECOVER: {} } });
    expect(
      executes(effects)
        .filter((e) => e.state === "A")
        .map((e) => e.delayMs),
    ).toEqual([0, 1000, 2000]);
    expect(path).toEqual(["A", "RECOVER", "DONE"]);
  });

  it("does not retry a success, nor a skipped result", () => {
    const { effects } = drive(flaky("retry 3"), { results: { A: { status: "skipped" } } });
    expect(executes(effects)).toHaveLength(1);
  });
});
