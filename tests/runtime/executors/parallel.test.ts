// Parallel states: judges at once (executables and functions), every consensus strategy,
// thresholds, agreement, min_judges, and per-judge timeouts.
import { describe, expect, it } from "vitest";
import { decide, scoreOf } from "../../../src/runtime/executors/consensus.ts";
import type { AgentInvocation } from "../../../src/runtime/types.ts";
import { agentPath, harness, q } from "./helpers.ts";

const scorer = (score: number, confidence = 1) =>
  `command(${q(`${agentPath("score-agent.js")} ${score} ${confidence}`)})`;

function workflow(
  agents: Record<string, string>,
  judges: string[],
  consensus: string,
  prompt = "Review: {{input.diff}}",
): string {
  return `workflow t {
  input diff: string = "a change"
${Object.entries(agents)
  .map(([name, provider]) => `  agent ${name} = ${provider}`)
  .join("\n")}
  start P
  state P = parallel timeout 20s {
    prompt "${prompt}"
${judges.map((j) => `    judge ${j}`).join("\n")}
    ${consensus}
    on consensus -> DONE
    otherwise -> FAILED
  }
  final DONE
  final FAILED failure
}`;
}

describe("parallel states", () => {
  it("runs the judges at once with their own prompt or the shared one", async () => {
    const prompts: Record<string, string> = {};
    // At once: every judge starts before any has answered (how many had, when each started).
    // Each waits until all three have started: judges run one after the other would never
    // get there, and the state's 20 s timeout would fail the test.
    let answered = 0;
    const answeredAtStart: number[] = [];
    let allStarted!: () => void;
    const everyJudgeStarted = new Promise<void>((resolve) => {
      allStarted = resolve;
    });
    const judge = (name: string, score: number) => async (inv: AgentInvocation) => {
      answeredAtStart.push(answered);
      prompts[name] = inv.prompt;
      if (answeredAtStart.length === 3) allStarted();
      await everyJudgeStarted;
      answered += 1;
      return { score, output: `${name} says ${score}` };
    };
    const source = workflow(
      { a: 'function("a")', b: 'function("b")', c: 'function("c")' },
      ["a weight 2", 'b prompt "Security of {{input.diff}}"', "c"],
      "consensus { strategy: weighted_average, threshold: 0.7 }",
    );
    const h = harness(source, "P", {
      functions: { a: judge("a", 0.9), b: judge("b", 0.6), c: judge("c", 0.9) },
    });
    const result = await h.run();
    expect(answeredAtStart).toEqual([0, 0, 0]);
    expect(prompts).toEqual({
      a: "Review: a change",
      b: "Security of a change",
      c: "Review: a change",
    });
    // (2·0.9 + 0.6 + 0.9) / 4
    expect(result).toMatchObject({
      status: "succeeded",
      score: 0.825,
      agentCalls: 3,
      approvals: 2,
      all_approved: false,
      any_rejected: true,
    });
    expect(result.consensus?.reached).toBe(true);
    expect(result.output).toEqual(["a says 0.9", "b says 0.6", "c says 0.9"]);
    expect(result.agents?.map((a) => [a.agent, a.score, a.approved])).toEqual([
      ["a", 0.9, true],
      ["b", 0.6, false],
      ["c", 0.9, true],
    ]);
  });

  it("weighted_average with executable judges", async () => {
    const source = workflow(
      { high: scorer(0.9, 0.8), low: scorer(0.5, 0.6) },
      ["high weight 3", "low"],
      "consensus { strategy: weighted_average, threshold: 0.8 }",
    );
    const result = await harness(source, "P").run();
    expect(result.score).toBeCloseTo(0.8); // (3·0.9 + 0.5) / 4
    expect(result.consensus?.reached).toBe(true);
    expect(result.agents?.[0]?.output).toMatchObject({ verdict: "pass" });
  });

  it("weighted_average below the threshold is not reached, but the state succeeds", async () => {
    const source = workflow(
      { a: scorer(0.4), b: scorer(0.6) },
      ["a", "b"],
      "consensus { strategy: weighted_average, threshold: 0.8 }",
    );
    const result = await harness(source, "P").run();
    expect(result).toMatchObject({ status: "succeeded", score: 0.5 });
    expect(result.consensus?.reached).toBe(false);
  });

  it("agreement: widely spread scores do not reach consensus", async () => {
    const source = workflow(
      { a: scorer(1), b: scorer(0.2), c: scorer(1) },
      ["a", "b", "c"],
      "consensus { strategy: weighted_average, threshold: 0.5, agreement: 0.75 }",
    );
    const result = await harness(source, "P").run();
    expect(result.score).toBeCloseTo(0.7333, 3);
    // σ of (1, 0.2, 1) = 0.3771 → agreement 1 − 2σ = 0.2458
    expect(result.consensus?.agreement).toBeCloseTo(0.2458, 3);
    expect(result.consensus?.reached).toBe(false);
  });

  it("majority: more than half of the judges approve", async () => {
    const yes = workflow(
      { a: scorer(0.9), b: scorer(0.7), c: scorer(0.1) },
      ["a", "b", "c"],
      "consensus { strategy: majority, threshold: 0.6 }",
    );
    const passed = await harness(yes, "P").run();
    expect(passed.approvals).toBe(2);
    expect(passed.score).toBeCloseTo(0.6667, 3);
    expect(passed.consensus).toMatchObject({ reached: true });
    expect(passed.consensus?.agreement).toBeCloseTo(0.6667, 3);
    const no = workflow(
      { a: scorer(0.9), b: scorer(0.5), c: scorer(0.1) },
      ["a", "b", "c"],
      "consensus { strategy: majority, threshold: 0.6 }",
    );
    expect((await harness(no, "P").run()).consensus?.reached).toBe(false);
  });

  it("unanimous: every judge approves; a failed judge does not", async () => {
    const all = workflow(
      { a: scorer(0.9), b: scorer(0.8) },
      ["a", "b"],
      "consensus { strategy: unanimous, threshold: 0.8 }",
    );
    const passed = await harness(all, "P").run();
    expect(passed).toMatchObject({
      all_approved: true,
      any_rejected: false,
      approvals: 2,
      score: 1,
    });
    expect(passed.consensus?.reached).toBe(true);
    const oneFails = workflow(
      { a: scorer(0.9), b: scorer(0.8), broken: `command(${q(agentPath("fail-agent.js"))})` },
      ["a", "b", "broken"],
      "consensus { strategy: unanimous, threshold: 0.8 }",
    );
    const failed = await harness(oneFails, "P").run();
    expect(failed.status).toBe("succeeded");
    expect(failed.consensus?.reached).toBe(false);
    expect(failed.all_approved).toBe(false);
    expect(failed.any_rejected).toBe(false);
    expect(failed.agents?.[2]).toMatchObject({
      agent: "broken",
      status: "failed",
      approved: false,
    });
  });

  it("best_of_n: the best-scoring judge's answer is the output", async () => {
    const source = workflow(
      { first: 'function("first")', second: 'function("second")', third: 'function("third")' },
      ["first", "second", "third"],
      "consensus { strategy: best_of_n, threshold: 0.7 }",
    );
    const result = await harness(source, "P", {
      functions: {
        first: () => ({ output: "draft A", score: 0.5 }),
        second: () => ({ output: "draft B", score: 0.95, reasoning: "clearest" }),
        third: () => '{"score": 0.7, "output": "draft C"}',
      },
    }).run();
    expect(result).toMatchObject({
      status: "succeeded",
      output: "draft B",
      score: 0.95,
      reasoning: "clearest",
    });
    expect(result.consensus?.reached).toBe(true);
  });

  it("min_judges: fewer answers fail the state", async () => {
    const source = workflow(
      {
        good: scorer(0.9),
        broken: `command(${q(agentPath("fail-agent.js"))})`,
        garbage: `command(${q(agentPath("garbage-agent.js"))})`,
      },
      ["good", "broken", "garbage"],
      "consensus { strategy: weighted_average, threshold: 0.5, min_judges: 3 }",
    );
    const result = await harness(source, "P").run();
    expect(result.status).toBe("failed");
    expect(result.error?.code).toBe("judges-quorum");
    expect(result.error?.message).toContain("2 of 3 judges answered");
    // The garbage judge answered (a score is even found in its text: "score": 0.9).
    expect(result.agents?.[2]).toMatchObject({ status: "succeeded", score: 0.9 });
    expect(result.agents?.[1]).toMatchObject({ status: "failed", approved: false });
  });

  it("a judge's own timeout ends only that judge", async () => {
    const source = `workflow t {
  agent fast = command(${q(`${agentPath("score-agent.js")} 0.9`)})
  agent slow = command(${q(agentPath("hang-agent.js"))})
  start P
  state P = parallel timeout 20s {
    prompt "x"
    judge fast
    judge slow timeout 300ms
    consensus { strategy: weighted_average, threshold: 0.5, min_judges: 1 }
    on consensus -> DONE
    otherwise -> FAILED
  }
  final DONE
  final FAILED failure
}`;
    const result = await harness(source, "P").run({ killGraceMs: 300 });
    // Succeeded, not timed out: the state's own timeout did not end it; only the slow
    // judge was stopped (no clock is read: a loaded machine is slow).
    expect(result).toMatchObject({ status: "succeeded", score: 0.9 });
    expect(result.agents?.[1]).toMatchObject({ agent: "slow", status: "timed_out" });
  });

  it("the state times out when every judge does", async () => {
    const source = `workflow t {
  agent slow = command(${q(agentPath("hang-agent.js"))})
  start P
  state P = parallel timeout 400ms {
    prompt "x"
    judge slow
    on consensus -> DONE
    otherwise -> FAILED
  }
  final DONE
  final FAILED failure
}`;
    const result = await harness(source, "P").run({ killGraceMs: 300 });
    expect(result).toMatchObject({
      status: "timed_out",
      error: { code: "timeout" },
      agentCalls: 1,
    });
  });
});

describe("consensus arithmetic", () => {
  const v = (score: number | undefined, extra: object = {}) => ({
    agent: "j",
    weight: 1,
    status: "succeeded" as const,
    ...(score !== undefined && { score }),
    ...extra,
  });

  it("finds a score in text when there is no score field", () => {
    expect(scoreOf({ text: "0.75" })).toBe(0.75);
    expect(scoreOf({ text: "Overall score: 0.6 because…" })).toBe(0.6);
    expect(scoreOf({ text: "no idea" })).toBeUndefined();
  });

  it("confidence is agreement × the judges' mean confidence", () => {
    const outcome = decide([v(0.8, { confidence: 0.5 }), v(0.8)], {
      strategy: "weighted_average",
      threshold: 0.5,
    });
    expect(outcome.consensus).toEqual({
      score: 0.8,
      confidence: 0.75,
      agreement: 1,
      reached: true,
    });
  });

  it("has no verdict without answers", () => {
    const outcome = decide([{ agent: "j", weight: 1, status: "failed" }], undefined);
    expect(outcome).toMatchObject({ quorum: false, answered: 0, approvals: 0 });
    expect(outcome.consensus.reached).toBe(false);
  });
});

describe("a judge's score out of range", () => {
  it("is no score, in a field or in text", () => {
    expect(scoreOf({ score: 85 })).toBeUndefined();
    expect(scoreOf({ score: -0.1 })).toBeUndefined();
    expect(scoreOf({ text: "85" })).toBeUndefined();
    expect(scoreOf({ text: "Overall score: 7 out of 10" })).toBeUndefined();
    expect(scoreOf({ score: 1 })).toBe(1);
    expect(scoreOf({ text: "score: 0" })).toBe(0);
  });
});
