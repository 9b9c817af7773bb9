// Every form of condition, decided by the pure core from hand-made results: the state A
// goes to DONE when the condition holds and to FAILED otherwise.
import { describe, expect, it } from "vitest";
import { drive, type ResultSpec, wf } from "./drive.ts";

const judges = `
  agent j1 = claude()
  agent j2 = claude()`;

const parallel = (condition: string) => `workflow core {
  ${judges}
  start A
  state A = parallel timeout 5m {
    prompt "Judge this."
    judge j1
    judge j2
    consensus { threshold: 0.8, agreement: 0.7 }
    on ${condition} -> DONE
    otherwise -> FAILED
  }
  final DONE
  final FAILED failure
}
`;

const agent = (condition: string, head = "") =>
  wf(
    `  state A = agent bot timeout 5m {
    prompt "Do it."
    on ${condition} -> DONE
    otherwise -> FAILED
  }`,
    { head },
  );

/** An agent state whose one transition is `condition` (an `otherwise` after `always` is AEG204). */
const only = (condition: string) =>
  wf(`  state A = agent bot timeout 5m {
    prompt "Do it."
    on ${condition} -> DONE
  }`);

const run = (condition: string) =>
  wf(`  state A = run "make test" timeout 5m {
    on ${condition} -> DONE
    otherwise -> FAILED
  }`).replace("agent bot = claude()", "");

const consensus = (reached: boolean, score: number, agreement: number): ResultSpec => ({
  consensus: { reached, score, agreement, confidence: 0.9 },
});

interface Case {
  condition: string;
  source: (condition: string) => string;
  holds: ResultSpec[];
  fails: ResultSpec[];
  inputs?: Record<string, unknown>;
}

const cases: Case[] = [
  { condition: "success", source: agent, holds: [{}], fails: [{ status: "failed" }] },
  {
    condition: "failure",
    source: agent,
    holds: [{ status: "failed" }, { status: "timed_out" }],
    fails: [{}],
  },
  {
    condition: "timeout",
    source: agent,
    holds: [{ status: "timed_out" }],
    fails: [{ status: "failed" }, {}],
  },
  { condition: "always", source: only, holds: [{}, { status: "failed" }], fails: [] },
  { condition: "exit 0", source: run, holds: [{ exit_code: 0 }], fails: [{ exit_code: 1 }] },
  { condition: "exit zero", source: run, holds: [{ exit_code: 0 }], fails: [{ exit_code: 2 }] },
  {
    condition: "exit nonzero",
    source: run,
    holds: [{ exit_code: 1 }, { exit_code: 127 }],
    fails: [{ exit_code: 0 }],
  },
  { condition: "exit 2", source: run, holds: [{ exit_code: 2 }], fails: [{ exit_code: 1 }] },
  {
    condition: "exit_code == 2",
    source: run,
    holds: [{ exit_code: 2 }],
    fails: [{ exit_code: 0 }, { exit_code: 3 }],
  },
  {
    condition: "score >= 0.85",
    source: agent,
    holds: [{ score: 0.85 }, { score: 1 }],
    fails: [{ score: 0.84 }, {}],
  },
  {
    condition: "score < 0.5",
    source: agent,
    holds: [{ score: 0.49 }, { score: 0 }],
    fails: [{ score: 0.5 }, {}],
  },
  {
    condition: "score between 0.5 and 0.8",
    source: agent,
    holds: [{ score: 0.5 }, { score: 0.65 }, { score: 0.8 }],
    fails: [{ score: 0.49 }, { score: 0.81 }, {}],
  },
  {
    condition: "confidence >= 0.7",
    source: agent,
    holds: [{ confidence: 0.7 }],
    fails: [{ confidence: 0.69 }, { score: 0.9 }],
  },
  {
    condition: "score >= 0.8 and confidence >= 0.7",
    source: agent,
    holds: [{ score: 0.8, confidence: 0.7 }],
    fails: [
      { score: 0.9, confidence: 0.6 },
      { score: 0.7, confidence: 0.9 },
    ],
  },
  {
    condition: "score >= 0.9 or confidence >= 0.9",
    source: agent,
    holds: [{ score: 0.95, confidence: 0 }, { confidence: 0.95 }],
    fails: [{ score: 0.5, confidence: 0.5 }],
  },
  {
    condition: "consensus",
    source: parallel,
    holds: [consensus(true, 0.9, 0.9)],
    fails: [consensus(false, 0.9, 0.9), {}],
  },
  {
    condition: "consensus.reached",
    source: parallel,
    holds: [consensus(true, 0.1, 0.1)],
    fails: [consensus(false, 0.9, 0.9)],
  },
  {
    condition: "not consensus",
    source: parallel,
    holds: [consensus(false, 0.9, 0.9)],
    fails: [consensus(true, 0.9, 0.9)],
  },
  {
    condition: "consensus.score >= 0.8 and consensus.agreement >= 0.7",
    source: parallel,
    holds: [consensus(false, 0.8, 0.7)],
    fails: [consensus(true, 0.79, 0.9), consensus(true, 0.9, 0.69)],
  },
  {
    condition: "consensus and score >= 0.8",
    source: parallel,
    holds: [{ ...consensus(true, 0.9, 0.9), score: 0.85 }],
    fails: [{ ...consensus(false, 0.9, 0.9), score: 0.85 }],
  },
  {
    condition: "all_approved",
    source: parallel,
    holds: [{ all_approved: true }],
    fails: [{ all_approved: false }, {}],
  },
  {
    condition: "any_rejected",
    source: parallel,
    holds: [{ any_rejected: true }],
    fails: [{ any_rejected: false }],
  },
  {
    condition: "approvals >= 2",
    source: parallel,
    holds: [{ approvals: 2 }],
    fails: [{ approvals: 1 }],
  },
  {
    condition: 'output contains "LGTM"',
    source: agent,
    holds: [{ output: "looks fine, LGTM." }],
    fails: [{ output: "lgtm" }, {}],
  },
  {
    // An agent's JSON answer is searched as its JSON text (as AgentOS matches it), never as
    // "[object Object]".
    condition: 'output contains "LGTM"',
    source: agent,
    holds: [{ output: { verdict: "LGTM", notes: [] } }, { output: ["fine", "LGTM"] }],
    fails: [{ output: { verdict: "needs work" } }],
  },
  {
    condition: 'lower(output) contains "approved"',
    source: agent,
    holds: [{ output: { Verdict: "APPROVED" } }],
    fails: [{ output: { verdict: "rejected" } }, { output: { object: "Object" } }],
  },
  {
    condition: 'output matches "^ok\\\\b"',
    source: agent,
    holds: [{ output: "ok then" }],
    fails: [{ output: "okay" }, { output: "not ok" }],
  },
  {
    condition: 'output contains "passed"',
    source: run,
    holds: [{ exit_code: 0, stdout: "12 tests passed" }],
    fails: [{ exit_code: 0, stdout: "12 tests", stderr: "passed" }],
  },
  {
    condition: 'output == "ok"',
    source: run,
    holds: [{ exit_code: 0, stdout: "ok" }],
    fails: [{ exit_code: 0, stdout: "ok\n" }],
  },
  {
    condition: 'stderr contains "warning"',
    source: run,
    holds: [{ exit_code: 0, stderr: "1 warning" }],
    fails: [{ exit_code: 0, stdout: "1 warning" }],
  },
  {
    condition: 'exit 0 and stdout contains "ok"',
    source: run,
    holds: [{ exit_code: 0, stdout: "all ok" }],
    fails: [
      { exit_code: 1, stdout: "all ok" },
      { exit_code: 0, stdout: "fine" },
    ],
  },
  {
    condition: 'output in ["yes", "y"]',
    source: agent,
    holds: [{ output: "yes" }, { output: "y" }],
    fails: [{ output: "yes!" }, {}],
  },
  {
    condition: 'input.language in ["python", "rust"]',
    source: (c) => agent(c, "input language: string"),
    inputs: { language: "rust" },
    holds: [{}],
    fails: [],
  },
  {
    condition: '"LG" in output',
    source: agent,
    holds: [{ output: "LGTM" }],
    fails: [{ output: "lgtm" }],
  },
  {
    condition: "len(output) > 3",
    source: agent,
    holds: [{ output: "four" }, { output: ["a", "b", "c", "d"] }],
    fails: [{ output: "abc" }, { output: ["a"] }, {}],
  },
  {
    condition: "len(output) == 4",
    source: run,
    holds: [{ exit_code: 0, stdout: "four" }],
    fails: [
      { exit_code: 0, stdout: "" },
      { exit_code: 0, stdout: "three" },
    ],
  },
  {
    condition: "output.length > 3",
    source: agent,
    holds: [{ output: "four" }, { output: [1, 2, 3, 4] }],
    fails: [{ output: "abc" }, {}],
  },
  {
    condition: "stdout.length > 3",
    source: run,
    holds: [{ exit_code: 0, stdout: "four" }],
    fails: [{ exit_code: 0, stdout: "abc" }],
  },
  {
    condition: 'output.exit_code == 0 and output.stderr == ""',
    source: run,
    holds: [{ exit_code: 0, stdout: "x" }],
    fails: [{ exit_code: 0, stderr: "warn" }],
  },
  {
    condition: 'lower(output) == "approved"',
    source: agent,
    holds: [{ output: "APPROVED" }, { output: "Approved" }],
    fails: [{ output: "approved." }],
  },
  {
    condition: "exists(output.title)",
    source: agent,
    holds: [{ output: { title: "T" } }],
    fails: [{ output: { title: "" } }, { output: { name: "x" } }, { output: "text" }],
  },
  {
    condition: "exists(output)",
    source: run,
    holds: [{ exit_code: 0, stdout: "x" }],
    fails: [{ exit_code: 0, stdout: "" }],
  },
  {
    condition: 'startswith(output, "PASS")',
    source: agent,
    holds: [{ output: "PASS: all" }],
    fails: [{ output: "FAIL: PASS" }],
  },
  {
    condition: 'endswith(trim(output), "done")',
    source: agent,
    holds: [{ output: "  all done \n" }],
    fails: [{ output: "done?" }],
  },
  {
    condition: "number(output) > 90",
    source: run,
    holds: [{ exit_code: 0, stdout: "95" }],
    fails: [
      { exit_code: 0, stdout: "85" },
      { exit_code: 0, stdout: "n/a" },
    ],
  },
  {
    condition: 'status == "skipped" or duration < 500',
    source: agent,
    holds: [{ after: 100 }],
    fails: [{ after: 600 }],
  },
  {
    condition: "visits == 1 and attempts == 1",
    source: agent,
    holds: [{}],
    fails: [{ attempts: 2 }],
  },
  {
    condition: 'state_output.output == "x"',
    source: agent,
    holds: [{ output: "x" }],
    fails: [{ output: "y" }],
  },
  {
    // A bare value is true or false as `not` sees it: an empty list is false.
    condition: "output",
    source: agent,
    holds: [{ output: "x" }, { output: ["x"] }, { output: {} }, { output: 1 }],
    fails: [{ output: "" }, { output: [] }, { output: 0 }, {}],
  },
  {
    condition: "not output",
    source: agent,
    holds: [{ output: "" }, { output: [] }, {}],
    fails: [{ output: "x" }, { output: ["x"] }, { output: {} }],
  },
  {
    condition: "not failure",
    source: agent,
    holds: [{}],
    fails: [{ status: "failed" }],
  },
];

describe("conditions", () => {
  for (const c of cases) {
    describe(c.condition, () => {
      for (const result of c.holds) {
        it(`holds for ${JSON.stringify(result)}`, () => {
          const { record, path } = drive(c.source(c.condition), {
            inputs: c.inputs ?? {},
            results: { A: result },
          });
          expect(path).toEqual(["A", "DONE"]);
          expect(record.status).toBe("succeeded");
        });
      }
      for (const result of c.fails) {
        it(`does not hold for ${JSON.stringify(result)}`, () => {
          const { record, path } = drive(c.source(c.condition), {
            inputs: c.inputs ?? {},
            results: { A: result },
          });
          expect(path).toEqual(["A", "FAILED"]);
          expect(record.status).toBe("failed");
          expect(record.error?.code).toBe("final-failure");
        });
      }
    });
  }

  it("reads fields of earlier states: REVIEW.score >= 0.85 and TEST.exit_code == 0", () => {
    const source = wf(
      `  state REVIEW = agent bot timeout 5m {
    prompt "Review."
    on success -> TEST
    otherwise -> FAILED
  }
  state TEST = run "make test" timeout 5m {
    on REVIEW.score >= 0.85 and TEST.exit_code == 0 -> DONE
    otherwise -> FAILED
  }`,
      { start: "REVIEW" },
    );
    const go = (score: number, exit: number) =>
      drive(source, { results: { REVIEW: { score }, TEST: { exit_code: exit } } }).path;
    expect(go(0.9, 0)).toEqual(["REVIEW", "TEST", "DONE"]);
    expect(go(0.85, 0)).toEqual(["REVIEW", "TEST", "DONE"]);
    expect(go(0.8, 0)).toEqual(["REVIEW", "TEST", "FAILED"]);
    expect(go(0.9, 1)).toEqual(["REVIEW", "TEST", "FAILED"]);
  });

  it("takes the first transition that holds, in declaration order", () => {
    const source = wf(`  state A = agent bot timeout 5m {
    prompt "Score it."
    on score >= 0.5 -> B
    on score >= 0.9 -> C
    otherwise -> FAILED
  }
  state B = agent bot timeout 5m {
    prompt "B"
    on always -> DONE
  }
  state C = agent bot timeout 5m {
    prompt "C"
    on always -> DONE
  }`);
    expect(drive(source, { results: { A: { score: 0.95 }, B: {}, C: {} } }).path).toEqual([
      "A",
      "B",
      "DONE",
    ]);
    expect(drive(source, { results: { A: { score: 0.2 } } }).path).toEqual(["A", "FAILED"]);
    // The history records the label of the transition taken.
    const { record } = drive(source, { results: { A: { score: 0.95 }, B: {} } });
    const taken = record.history.find((h) => h.state === "A" && h.to);
    expect(taken).toMatchObject({ to: "B", label: "score >= 0.5" });
  });

  it("fails the run with no-transition when no condition holds", () => {
    const source = wf(`  state A = agent bot timeout 5m {
    prompt "Score it."
    on score >= 0.9 -> DONE
    on failure -> FAILED
  }`);
    const { record, path, effects } = drive(source, { results: { A: { score: 0.5 } } });
    expect(path).toEqual(["A"]);
    expect(record.status).toBe("failed");
    expect(record.error).toMatchObject({ code: "no-transition", state: "A" });
    expect(record.error?.message).toContain("'A'");
    expect(record.current).toBe("A");
    expect(effects.at(-1)).toEqual({ type: "finished", status: "failed" });
    expect(record.results.A?.score).toBe(0.5);
  });

  it("names the failure in a no-transition error", () => {
    const source = wf(`  state A = agent bot timeout 5m {
    prompt "Score it."
    on success -> DONE
  }`);
    const { record } = drive(source, {
      results: { A: { status: "timed_out", error: { code: "timeout", message: "took 5m" } } },
    });
    expect(record.error?.code).toBe("no-transition");
    expect(record.error?.message).toContain("timed out: took 5m");
  });
});
