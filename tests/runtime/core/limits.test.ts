// Limits and budgets: visits per state, transitions per run, agent calls, cost and wall time.
import { describe, expect, it } from "vitest";
import { drive, wf } from "./drive.ts";

const MINUTE = 60_000;

/** A state that loops on itself until its score is high enough. */
const selfLoop = (settings: string, head = "") =>
  wf(
    `  state A = agent bot timeout 1h ${settings} {
    prompt "Try again."
    on score >= 0.9 -> DONE
    on failure -> FAILED
    otherwise -> A
  }`,
    { head },
  );

describe("visit limits", () => {
  it("fails the (n+1)-th entry with visit-limit", () => {
    const { record, path, effects } = drive(selfLoop("visits 2"), {
      results: { A: { score: 0.1 } },
    });
    expect(path).toEqual(["A", "A"]);
    expect(record.status).toBe("failed");
    expect(record.error).toMatchObject({ code: "visit-limit", state: "A" });
    expect(record.error?.message).toContain("3rd time");
    expect(record.visits.A).toBe(2);
    expect(effects.filter((e) => e.type === "execute")).toHaveLength(2);
    expect(effects.at(-1)).toEqual({ type: "finished", status: "failed" });
  });

  it("lets the n-th entry through", () => {
    const { record, path } = drive(selfLoop("visits 3"), {
      results: { A: [{ score: 0.1 }, { score: 0.2 }, { score: 0.95 }] },
    });
    expect(path).toEqual(["A", "A", "A", "DONE"]);
    expect(record.status).toBe("succeeded");
  });

  it("takes the default from limits { visits }", () => {
    const { record, path } = drive(selfLoop("", "limits { visits: 3 }"), {
      results: { A: { score: 0.1 } },
    });
    expect(path).toEqual(["A", "A", "A"]);
    expect(record.error?.code).toBe("visit-limit");
  });

  it("prefers the state's own limit to the default", () => {
    const { record, path } = drive(selfLoop("visits 1", "limits { visits: 5 }"), {
      results: { A: { score: 0.1 } },
    });
    expect(path).toEqual(["A"]);
    expect(record.error?.code).toBe("visit-limit");
  });
});

describe("transition limit", () => {
  const pingPong = wf(
    `  state A = agent bot timeout 1h {
    prompt "A"
    on score >= 0.9 -> DONE
    otherwise -> B
  }
  state B = agent bot timeout 1h {
    prompt "B"
    on always -> A
  }`,
    { head: "limits { transitions: 3 }" },
  );

  it("fails the run that would take one transition too many", () => {
    const { record, path } = drive(pingPong, { results: { A: { score: 0 }, B: {} } });
    expect(path).toEqual(["A", "B", "A", "B"]);
    expect(record.transitions).toBe(3);
    expect(record.status).toBe("failed");
    expect(record.error).toMatchObject({ code: "transition-limit", state: "B" });
    expect(record.error?.message).toContain("4th transition");
  });

  it("counts the transition into a final state", () => {
    const { record, path } = drive(pingPong, {
      results: { A: [{ score: 0 }, { score: 0.95 }], B: {} },
    });
    expect(path).toEqual(["A", "B", "A", "DONE"]);
    expect(record.transitions).toBe(3);
    expect(record.status).toBe("succeeded");
  });
});

describe("budgets", () => {
  it("agent_calls: fails when the sum of the results' agent calls goes over", () => {
    const source = selfLoop(
      "",
      "// aegis-ignore AEG303 AEG304 -- what the runtime does when a budget is spent is under test\nlimits { transitions: 20, agent_calls: 5 }",
    );
    const ok = drive(source, {
      results: {
        A: [
          { score: 0, agentCalls: 2 },
          { score: 0, agentCalls: 2 },
          { score: 1, agentCalls: 1 },
        ],
      },
    });
    expect(ok.record.status).toBe("succeeded");
    expect(ok.record.agentCalls).toBe(5);

    const over = drive(source, {
      results: {
        A: [
          { score: 0, agentCalls: 2 },
          { score: 0, agentCalls: 2 },
          { score: 1, agentCalls: 2 },
        ],
      },
    });
    expect(over.path).toEqual(["A", "A", "A"]);
    expect(over.record.status).toBe("failed");
    expect(over.record.agentCalls).toBe(6);
    expect(over.record.error).toMatchObject({ code: "budget-agent-calls" });
    // The over-budget state's result is kept, but its transition is not taken.
    expect(over.record.results.A?.agentCalls).toBe(2);
    expect(over.record.transitions).toBe(2);
  });

  it("agent_calls: counts the calls of failed attempts that are retried", () => {
    const source = wf(
      `  state A = agent bot timeout 1h retry 3 backoff 1s {
    prompt "A"
    on success -> DONE
    otherwise -> FAILED
  }`,
      {
        head: "// aegis-ignore AEG303 AEG304 -- what the runtime does when a budget is spent is under test\nlimits { agent_calls: 2 }",
      },
    );
    const { record, effects } = drive(source, { results: { A: { status: "failed" } } });
    expect(record.error?.code).toBe("budget-agent-calls");
    expect(record.agentCalls).toBe(3);
    // Three attempts ran (3 calls > 2 is found after the third); a fourth is not started.
    expect(effects.filter((e) => e.type === "execute")).toHaveLength(3);
    expect(effects.at(-1)).toEqual({ type: "finished", status: "failed" });
  });

  it("cost: sums usage.costUsd and fails when over", () => {
    const source = selfLoop("", "limits { transitions: 20, cost: 1.0 }");
    const usage = (costUsd: number) => ({ inputTokens: 10, outputTokens: 5, costUsd });
    const ok = drive(source, {
      results: {
        A: [
          { score: 0, usage: usage(0.5) },
          { score: 1, usage: usage(0.5) },
        ],
      },
    });
    expect(ok.record.status).toBe("succeeded");
    expect(ok.record.costUsd).toBeCloseTo(1.0);

    const over = drive(source, {
      results: {
        A: [
          { score: 0, usage: usage(0.6) },
          { score: 1, usage: usage(0.6) },
        ],
      },
    });
    expect(over.record.status).toBe("failed");
    expect(over.record.error).toMatchObject({ code: "budget-cost" });
    expect(over.record.costUsd).toBeCloseTo(1.2);

    const free = drive(source, { results: { A: [{ score: 0 }, { score: 0 }, { score: 1 }] } });
    expect(free.record.status).toBe("succeeded");
    expect(free.record.costUsd).toBe(0);
  });

  it("wall_time: measured with the events' times from the run's start", () => {
    const source = selfLoop(
      "",
      "// aegis-ignore AEG303 AEG304 -- what the runtime does when a budget is spent is under test\nlimits { transitions: 20, wall_time: 1h }",
    );
    const ok = drive(source, {
      results: {
        A: [
          { score: 0, after: 30 * MINUTE },
          { score: 1, after: 30 * MINUTE },
        ],
      },
    });
    expect(ok.record.status).toBe("succeeded");

    const over = drive(source, {
      results: {
        A: [{ score: 0, after: 30 * MINUTE }, { score: 0, after: 30 * MINUTE + 1 }, { score: 1 }],
      },
    });
    expect(over.path).toEqual(["A", "A"]);
    expect(over.record.status).toBe("failed");
    expect(over.record.error).toMatchObject({ code: "budget-wall-time" });
  });

  it("wall_time: counts a human's wait", () => {
    const source = wf(
      `  state A = human timeout 1d {
    prompt "OK?"
    on approved -> DONE
    on rejected -> FAILED
  }`,
      {
        head: "// aegis-ignore AEG303 AEG304 -- what the runtime does when a budget is spent is under test\nlimits { wall_time: 2h }",
      },
    );
    const fast = drive(source, { human: { A: { approve: true, after: 2 * 60 * MINUTE } } });
    expect(fast.record.status).toBe("succeeded");
    const slow = drive(source, { human: { A: { approve: true, after: 3 * 60 * MINUTE } } });
    expect(slow.record.status).toBe("failed");
    expect(slow.record.error?.code).toBe("budget-wall-time");
  });
});
