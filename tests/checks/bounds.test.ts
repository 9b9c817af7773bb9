// Bounds (AEG301–AEG306): every cycle is bounded and has an exit, loops and coordinators
// have caps, and the worst case (agent calls, wall time) is checked against budgets. The
// worst-case figures below are computed by hand from the workflow.
import { describe, expect, it } from "vitest";
import { compileSource, diagnose, findings, workflow } from "../helpers/compile.ts";
import { checkTriggers } from "../helpers/triggers.ts";
import { boundsCases } from "./cases/bounds.ts";

const MINUTE = 60_000;

function worst(text: string) {
  return compileSource(text).worstCase;
}

describe("catalogue: bounds (AEG301–AEG306)", () => {
  checkTriggers(boundsCases);
});

describe("AEG301 unbounded cycle", () => {
  const cycle = (limits: string, visits = "") =>
    workflow(`
      ${limits}
      state A = agent bot ${visits} {
        on success -> B
        otherwise -> FAILED
      }
      state B = agent bot {
        on score >= 0.8 -> DONE
        otherwise -> A
      }
    `);

  it("names the cycle and its other states", () => {
    const [d] = findings(cycle(""), "AEG301");
    expect(d).toMatchObject({ line: 5, column: 9 });
    expect(d!.message).toContain("cycle A → B → A is unbounded");
    expect(d!.related).toMatchObject([{ line: 9, column: 9, message: "part of the cycle" }]);
  });

  it.each([
    ["a visit limit on one of its states", "", "visits 3"],
    ["a workflow transition limit", "limits { transitions: 20 }", ""],
    ["a default visit limit", "limits { visits: 3 }", ""],
  ])("is bounded by %s", (_what, limits, visits) => {
    expect(diagnose(cycle(limits, visits))).toEqual([]);
  });

  it("reports an inner cycle that the outer cycle's visit limit does not bound", () => {
    const text = workflow(`
      state A = agent bot visits 3 {
        on success -> B
        otherwise -> FAILED
      }
      state B = agent bot {
        on score >= 0.8 -> DONE
        on score >= 0.5 -> C
        otherwise -> A
      }
      state C = agent bot {
        otherwise -> B
      }
    `);
    expect(diagnose(text)).toEqual([{ code: "AEG301", line: 8, column: 9 }]);
    expect(findings(text, "AEG301")[0]!.message).toContain("B → C → B");
  });

  it("reports a self-loop without a limit", () => {
    const text = workflow(`
      state A = agent bot {
        on score >= 0.8 -> DONE
        on failure -> FAILED
        otherwise -> A
      }
    `);
    expect(diagnose(text)).toEqual([{ code: "AEG301", line: 4, column: 9 }]);
  });
});

describe("AEG302 cycle without exit", () => {
  it("lists the other states of the cycle", () => {
    const text = workflow(`
      state A = agent bot {
        on success -> B
        otherwise -> FAILED
      }
      state B = agent bot visits 3 {
        on success -> C
        otherwise -> C
      }
      state C = agent bot {
        otherwise -> B
      }
    `);
    const [d] = findings(text, "AEG302");
    expect(d!.message).toContain("cycle B → C → B has no exit");
    expect(d!.related).toMatchObject([{ line: 12, column: 9, message: "part of the cycle" }]);
  });
});

describe("cycles through a final state", () => {
  // Regression (fixed): the transitions of a final state (already an AEG209 error: a run ends there)
  // are kept in the graph, so a phantom cycle through the final state is reported as
  // unbounded (AEG301) — or, when nothing else leaves it, as having no exit (AEG302).
  it("reports only AEG209 for a final state that transitions back", () => {
    const text = workflow(
      `
      state A = agent bot {
        on success -> DONE
        otherwise -> FAILED
      }
      final DONE {
        on success -> A
      }
      final FAILED failure
    `,
      { finals: false },
    );
    expect(diagnose(text)).toEqual([{ code: "AEG209", line: 9, column: 5 }]);
  });
});

describe("AEG303 / AEG304 budgets", () => {
  it("gives the worst case and the budget in the message", () => {
    const text = workflow(`
      limits { agent_calls: 2, wall_time: 2m }
      state A = agent bot timeout 1m retry 2 backoff 10s {
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([
      { code: "AEG303", line: 4, column: 10 },
      { code: "AEG304", line: 4, column: 10 },
    ]);
    // 3 attempts: 3 calls; 3 × 1m + 10s + 20s of backoff = 3m30s.
    expect(findings(text, "AEG303")[0]!.message).toBe(
      "in the worst case this workflow makes 3 agent calls, over its budget of 2",
    );
    expect(findings(text, "AEG304")[0]!.message).toBe(
      "in the worst case this workflow runs for 3m30s, over its budget of 2m",
    );
  });

  it("accepts a worst case equal to the budget", () => {
    const text = workflow(`
      limits { agent_calls: 3, wall_time: 3m30s }
      state A = agent bot timeout 1m retry 2 backoff 10s {
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([]);
  });
});

describe("AEG305 unknown worst case", () => {
  it("explains why the agent-call budget cannot be checked (a fan-out over an input list)", () => {
    const text = workflow(`
      input files: list<string>
      limits { agent_calls: 20 }
      state A = foreach file in input.files agent bot timeout 1m {
        prompt "Review {{file}}"
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([{ code: "AEG305", line: 5, column: 10 }]);
    const message = findings(text, "AEG305")[0]!.message;
    expect(message).toContain("the budget of 20 agent calls cannot be checked");
    expect(message).toContain("'A'");
    expect(message).toContain("input list");
  });

  it("knows the calls of a fan-out over a literal list", () => {
    const text = workflow(`
      limits { agent_calls: 3 }
      state A = foreach lang in ["en", "fr", "de"] agent bot timeout 1m {
        prompt "Translate into {{lang}}"
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([]);
    expect(worst(text)).toMatchObject({ agentCalls: 3, wallTimeMs: MINUTE });
  });

  it("reports an unbounded cycle under a budget", () => {
    const text = workflow(`
      limits { agent_calls: 50 }
      state A = agent bot timeout 1m {
        on success -> DONE
        on timeout -> FAILED
        otherwise -> A
      }
    `);
    expect(diagnose(text)).toEqual([
      { code: "AEG305", line: 4, column: 10 },
      { code: "AEG301", line: 5, column: 9 },
    ]);
  });
});

describe("AEG306 missing loop bound", () => {
  it("reports a coordinator without `steps`, at its kind", () => {
    const text = workflow(
      `
      agent coder = claude()
      agent tester = claude()
      agent router = function("route")
      state A = coordinate [coder, tester] by router {
        prompt "Fix the bug"
        on success -> DONE
        otherwise -> FAILED
      }
    `,
      { agent: false },
    );
    expect(diagnose(text)).toEqual([{ code: "AEG306", line: 7, column: 13 }]);
    expect(findings(text, "AEG306")[0]!.message).toBe("coordinator 'A' has no step cap");
  });

  it("accepts a coordinator with `steps`", () => {
    const text = workflow(
      `
      agent coder = claude()
      agent tester = claude()
      agent router = function("route")
      state A = coordinate [coder, tester] by router steps 4 timeout 10m {
        prompt "Fix the bug"
        on success -> DONE
        otherwise -> FAILED
      }
    `,
      { agent: false },
    );
    expect(diagnose(text)).toEqual([]);
    // Each step: one routing call and one specialist call.
    expect(worst(text)).toMatchObject({ agentCalls: 8, wallTimeMs: 10 * MINUTE });
  });

  const coordinator = (steps: string) =>
    workflow(
      `
      agent coder = claude()
      agent tester = claude()
      agent router = function("route")
      state A = coordinate [coder, tester] by router ${steps} timeout 10m {
        on success -> DONE
        otherwise -> FAILED
      }
    `,
      { agent: false },
    );

  it("reads what running out of steps does: `steps N then fail | finish`", () => {
    for (const mode of ["fail", "finish"] as const) {
      const result = compileSource(coordinator(`steps 4 then ${mode}`));
      expect(result.diagnostics).toEqual([]);
      expect(result.graph.getNodeAttribute("A", "coordinate")).toEqual({
        specialists: ["coder", "tester"],
        router: "router",
        steps: 4,
        exhausted: mode,
      });
    }
    expect(compileSource(coordinator("steps 4")).graph.getNodeAttribute("A", "coordinate")).toEqual(
      { specialists: ["coder", "tester"], router: "router", steps: 4 },
    );
    expect(worst(coordinator("steps 4 then finish"))).toMatchObject({ agentCalls: 8 });
  });

  it("reports any other `then` (AEG104), with the word it may have meant", () => {
    const text = coordinator("steps 4 then finsh");
    expect(diagnose(text)).toEqual([{ code: "AEG104", line: 7, column: 63 }]);
    const [finding] = findings(text, "AEG104");
    expect(finding!.message).toBe(
      "what running out of steps does must be fail or finish, not 'finsh'",
    );
    expect(finding!.hint).toContain("finish");
  });
});

describe("worst case, computed by hand", () => {
  it("a chain of three agent states: 3 calls, the sum of the timeouts", () => {
    const text = workflow(`
      state A = agent bot timeout 1m {
        on success -> B
        otherwise -> FAILED
      }
      state B = agent bot timeout 2m {
        on success -> C
        otherwise -> FAILED
      }
      state C = agent bot timeout 3m {
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(worst(text)).toEqual({ agentCalls: 3, wallTimeMs: 6 * MINUTE, reasons: [] });
  });

  it("a write/review loop: the limit of the writer bounds the reviewer", () => {
    const text = workflow(`
      state A = agent bot timeout 1m visits 3 {
        on success -> B
        otherwise -> FAILED
      }
      state B = agent bot timeout 2m {
        on score >= 0.8 -> DONE
        otherwise -> A
      }
    `);
    // A runs at most 3 times, so B (only entered from A) at most 3 times: 6 calls,
    // 3 × 1m + 3 × 2m = 9m.
    expect(worst(text)).toEqual({ agentCalls: 6, wallTimeMs: 9 * MINUTE, reasons: [] });
  });

  it("a self-loop with a visit limit", () => {
    const text = workflow(`
      state A = agent bot timeout 1m visits 5 {
        on score >= 0.8 -> DONE
        on visits >= 5 -> FAILED
        otherwise -> A
      }
    `);
    expect(worst(text)).toEqual({ agentCalls: 5, wallTimeMs: 5 * MINUTE, reasons: [] });
  });

  it("retries multiply the calls and add the backoffs, doubling each time", () => {
    const text = workflow(`
      state A = agent bot timeout 1m retry 2 backoff 10s {
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    // 3 attempts of 1m, plus 10s and 20s of backoff.
    expect(worst(text)).toEqual({ agentCalls: 3, wallTimeMs: 3 * MINUTE + 30_000, reasons: [] });
  });

  it("`errors retry` without `retry N` retries twice, with a 1s backoff", () => {
    const text = workflow(`
      state A = agent bot timeout 1m errors retry {
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(worst(text)).toEqual({ agentCalls: 3, wallTimeMs: 3 * MINUTE + 3000, reasons: [] });
  });

  it("a retried state inside a bounded loop: visits × attempts", () => {
    const text = workflow(`
      state A = agent bot timeout 1m visits 2 retry 1 backoff 1s {
        on score >= 0.8 -> DONE
        on failure -> FAILED
        otherwise -> A
      }
    `);
    // 2 visits × 2 attempts = 4 calls; each visit 2 × 1m + 1s.
    expect(worst(text)).toEqual({
      agentCalls: 4,
      wallTimeMs: 2 * (2 * MINUTE + 1000),
      reasons: [],
    });
  });

  it("the transition limit caps the total, whatever the visit limits", () => {
    const text = workflow(`
      limits { transitions: 4 }
      state A = agent bot timeout 1m visits 10 {
        on success -> B
        otherwise -> FAILED
      }
      state B = agent bot timeout 1m visits 10 {
        on score >= 0.8 -> DONE
        otherwise -> A
      }
    `);
    // 4 transitions: at most 5 states run, each at most 1 call of at most 1m.
    expect(worst(text)).toEqual({ agentCalls: 5, wallTimeMs: 5 * MINUTE, reasons: [] });
  });

  it("a transition limit alone bounds an otherwise unbounded cycle", () => {
    const text = workflow(`
      limits { transitions: 9 }
      state A = agent bot timeout 1m {
        on success -> B
        otherwise -> FAILED
      }
      state B = agent bot timeout 2m {
        on score >= 0.8 -> DONE
        otherwise -> A
      }
    `);
    // 10 states at most, each at most 1 call and 2m.
    expect(worst(text)).toEqual({ agentCalls: 10, wallTimeMs: 20 * MINUTE, reasons: [] });
  });

  it("a state without timeout leaves the wall time unknown, and says why", () => {
    const text = workflow(`
      state A = agent bot timeout 1m {
        on success -> B
        otherwise -> FAILED
      }
      state B = agent bot {
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    const w = worst(text);
    expect(w.agentCalls).toBe(2);
    expect(w.wallTimeMs).toBeUndefined();
    expect(w.reasons).toEqual(["'B' has no timeout"]);
  });

  it("a human gate without timeout leaves the wall time unknown", () => {
    const text = workflow(
      `
      state A = human {
        on approved -> DONE
        on rejected -> FAILED
      }
    `,
      { agent: false },
    );
    expect(worst(text)).toEqual({ agentCalls: 0, reasons: ["'A' has no timeout"] });
  });

  it("an unbounded cycle leaves both figures unknown", () => {
    const text = workflow(`
      state A = agent bot timeout 1m {
        on success -> DONE
        on failure -> FAILED
        otherwise -> A
      }
    `);
    const w = worst(text);
    expect(w.agentCalls).toBeUndefined();
    expect(w.wallTimeMs).toBeUndefined();
    expect(w.reasons).toContain("the visits of 'A' are unbounded");
  });

  it("a run state and a parallel audit: one call per judge", () => {
    const text = workflow(
      `
      agent j1 = claude()
      agent j2 = claude()
      agent j3 = claude()
      state A = run "make test" timeout 5m {
        on exit 0 -> AUDIT
        otherwise -> FAILED
      }
      state AUDIT = parallel timeout 10m {
        judge j1
        judge j2 weight 2
        judge j3
        on consensus -> DONE
        otherwise -> FAILED
      }
    `,
      { agent: false },
    );
    expect(worst(text)).toEqual({ agentCalls: 3, wallTimeMs: 15 * MINUTE, reasons: [] });
  });

  it("a loop state: max iterations, each within the timeout", () => {
    const text = workflow(`
      state A = loop agent bot max 4 until score >= 0.9 timeout 2m {
        prompt "Improve: {{previous}}"
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(worst(text)).toEqual({ agentCalls: 4, wallTimeMs: 8 * MINUTE, reasons: [] });
  });

  it("an agent state with iterations and a judge", () => {
    const text = workflow(`
      agent critic = claude()
      state A = agent bot timeout 1m {
        iterations 3
        judge critic
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    // Each of the 3 iterations calls the agent and its judge.
    expect(worst(text).agentCalls).toBe(6);
  });

  it("ignores unreachable states", () => {
    const text = workflow(`
      state A = agent bot timeout 1m {
        on success -> DONE
        otherwise -> FAILED
      }
      state Z = agent bot {
        otherwise -> DONE
      }
    `);
    expect(worst(text)).toEqual({ agentCalls: 1, wallTimeMs: MINUTE, reasons: [] });
  });

  // Regression (fixed): the worst case adds up every reachable state, even states on mutually exclusive
  // branches, so a branch to a 1m state or a 5m state counts 2 calls and 6m; a run can
  // take only one branch (1 call, 5m). With `limits { agent_calls: 1 }` this gives a
  // false AEG303. (A sound over-approximation; flagged in case exactness is intended.)
  it("takes the worse of two exclusive branches, not their sum", () => {
    const text = workflow(
      `
      input fast: boolean = false
      state B = branch {
        on input.fast -> A
        otherwise -> C
      }
      state A = agent bot timeout 1m {
        otherwise -> DONE
      }
      state C = agent bot timeout 5m {
        otherwise -> DONE
      }
    `,
      { start: "B" },
    );
    expect(worst(text)).toEqual({ agentCalls: 1, wallTimeMs: 5 * MINUTE, reasons: [] });
  });

  // Regression (fixed): a loop without `max` (and a coordinator without `steps`) is reported in the
  // worst case as "the number of agent calls of 'A' depends on its input list", the
  // reason meant for foreach; this text also ends up in AEG305 messages.
  it("gives the right reason for a loop without max", () => {
    const text = workflow(`
      state A = loop agent bot until score >= 0.9 timeout 1m {
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    for (const reason of worst(text).reasons) expect(reason).not.toContain("input list");
  });
});
