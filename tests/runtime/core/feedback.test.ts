// Feedback: a transition's template, rendered with the scope after its source state, reaches
// the target as {{state.feedback}} on the visit that follows, and a later transition
// without feedback clears it.
import { describe, expect, it } from "vitest";
import { render } from "../../../src/runtime/render.ts";
import { runScope } from "../../../src/runtime/scope.ts";
import type { RunRecord } from "../../../src/runtime/types.ts";
import { at, drive, Harness, T0, wf } from "./drive.ts";

const source = wf(
  `  state IMPLEMENT = agent bot timeout 10m visits 4 {
    prompt "Implement it.{{#if state.feedback}} Fix: {{state.feedback}}{{/if}}"
    on success -> TEST
    otherwise -> FAILED
  }
  state TEST = run "npm test" timeout 5m visits 4 {
    on exit 0 -> REVIEW
    on exit 2 -> IMPLEMENT
    otherwise -> IMPLEMENT feedback "Tests failed ({{TEST.exit_code}}):\\n{{TEST.stderr}}"
  }
  state REVIEW = agent bot timeout 5m visits 3 {
    prompt "Review: {{IMPLEMENT.output}}"
    on score >= 0.85 -> DONE
    otherwise -> IMPLEMENT feedback "Score {{REVIEW.score}} too low: {{REVIEW.output}}"
  }`,
  { start: "IMPLEMENT" },
);

/** The prompt of `state` rendered as the executor would on entering it now. */
function prompt(h: Harness, state: string): string {
  const node = h.graph.getNodeAttributes(state);
  return render(node.prompt!.text, runScope(h.graph, h.record, state));
}

describe("feedback", () => {
  it("carries the rendered template to the target's {{state.feedback}}", () => {
    const h = new Harness(source);
    h.send({ type: "started", at: T0 });
    expect(prompt(h, "IMPLEMENT")).toBe("Implement it.");
    h.send({
      type: "state-completed",
      state: "IMPLEMENT",
      result: { status: "succeeded", output: "v1", attempts: 1, duration: 1, agentCalls: 1 },
      at: at(1000),
    });
    h.send({
      type: "state-completed",
      state: "TEST",
      result: {
        status: "failed",
        exit_code: 1,
        stdout: "",
        stderr: "1 failing",
        attempts: 1,
        duration: 1,
        agentCalls: 0,
      },
      at: at(2000),
    });
    expect(h.record.current).toBe("IMPLEMENT");
    expect(h.record.feedback.IMPLEMENT).toBe("Tests failed (1):\n1 failing");
    expect(prompt(h, "IMPLEMENT")).toBe("Implement it. Fix: Tests failed (1):\n1 failing");
    expect(runScope(h.graph, h.record, "IMPLEMENT").state).toMatchObject({
      name: "IMPLEMENT",
      visits: 2,
      feedback: "Tests failed (1):\n1 failing",
    });
  });

  it("renders the source state's latest result", () => {
    const { records } = drive(source, {
      results: {
        IMPLEMENT: [{ output: "v1" }, { output: "v2" }],
        TEST: { exit_code: 0 },
        REVIEW: [
          { score: 0.5, output: "too terse" },
          { score: 0.9, output: "good" },
        ],
      },
    });
    const second = records.find((r) => r.current === "IMPLEMENT" && r.visits.IMPLEMENT === 2)!;
    expect(second.feedback.IMPLEMENT).toBe("Score 0.5 too low: too terse");
    expect(records.at(-1)!.status).toBe("succeeded");
  });

  it("is cleared by a later transition into the state without feedback", () => {
    const { records, path } = drive(source, {
      results: {
        IMPLEMENT: [{ output: "v1" }, { output: "v2" }, { output: "v3" }],
        TEST: [
          { exit_code: 1, stderr: "boom" },
          { exit_code: 2, stderr: "flaky" },
          { exit_code: 0 },
        ],
        REVIEW: { score: 0.9 },
      },
    });
    expect(path).toEqual([
      "IMPLEMENT",
      "TEST",
      "IMPLEMENT",
      "TEST",
      "IMPLEMENT",
      "TEST",
      "REVIEW",
      "DONE",
    ]);
    const visit = (n: number) =>
      records.find((r) => r.current === "IMPLEMENT" && r.visits.IMPLEMENT === n) as RunRecord;
    expect(visit(1).feedback).toEqual({});
    expect(visit(2).feedback.IMPLEMENT).toBe("Tests failed (1):\nboom");
    // `on exit 2 -> IMPLEMENT` carries no feedback: the old message is gone.
    expect(visit(3).feedback).not.toHaveProperty("IMPLEMENT");
    expect(records.at(-1)!.status).toBe("succeeded");
  });

  it("is rendered in the gate's transitions with {{human.feedback}}", () => {
    const gate = wf(
      `  state WRITE = agent bot timeout 5m visits 3 {
    prompt "Write.{{#if state.feedback}} Reviewer: {{state.feedback}}{{/if}}"
    on success -> APPROVE
    otherwise -> FAILED
  }
  state APPROVE = human timeout 1d visits 3 {
    prompt "Approve {{WRITE.output}}?"
    on approved -> DONE
    on rejected -> WRITE feedback "{{human.feedback}} (said {{human.approver}})"
  }`,
      { start: "WRITE" },
    );
    const h = new Harness(gate);
    h.send({ type: "started", at: T0 });
    h.send({
      type: "state-completed",
      state: "WRITE",
      result: { status: "succeeded", output: "draft", attempts: 1, duration: 1, agentCalls: 1 },
      at: at(1000),
    });
    h.send({
      type: "human-answered",
      state: "APPROVE",
      response: "/reject too long",
      approved: false,
      feedback: "too long",
      approver: "alice",
      at: at(2000),
    });
    expect(h.record.current).toBe("WRITE");
    expect(h.record.feedback.WRITE).toBe("too long (said alice)");
    expect(prompt(h, "WRITE")).toBe("Write. Reviewer: too long (said alice)");
  });
});

describe("feedback from a parallel state", () => {
  // The grammar's audit example, with a retry loop instead of a failure.
  const audit = `workflow audit {
  input diff: string
  agent security-reviewer = claude(model: "sonnet")
  agent performance-reviewer = gemini(model: "gemini-3-flash-preview")
  limits { transitions: 5 }
  start AUDIT

  state AUDIT = parallel timeout 10m visits 2 {
    prompt "Review this change from your point of view:\\n{{input.diff}}\\n{{state.feedback}}"
    judge security-reviewer weight 2 timeout 5m prompt "Security audit:\\n{{input.diff}}"
    judge performance-reviewer timeout 3m
    consensus { strategy: weighted_average, threshold: 0.85, agreement: 0.75, min_judges: 2 }
    on consensus -> DONE
    on AUDIT.agents.0.score < 0.5 -> FAILED
    otherwise -> AUDIT feedback "Security: {{AUDIT.agents.0.output}} (score {{AUDIT.consensus.score}}, {{len AUDIT.agents}} judges)"
  }
  final DONE
  final FAILED failure
}
`;
  const verdict = (reached: boolean, security: number) => ({
    consensus: { reached, score: 0.7, agreement: 0.8, confidence: 0.9 },
    agents: [
      {
        agent: "security-reviewer",
        output: "injection risk",
        score: security,
        status: "succeeded",
      },
      { agent: "performance-reviewer", output: "fine", score: 0.9, status: "succeeded" },
    ],
  });

  it("reads judges by position and the consensus' fields", () => {
    const h = drive(audit, {
      inputs: { diff: "+ eval(x)" },
      results: { AUDIT: [verdict(false, 0.6), verdict(true, 0.9)] },
    });
    expect(h.path).toEqual(["AUDIT", "AUDIT", "DONE"]);
    const second = h.records.find((r) => r.visits.AUDIT === 2)!;
    expect(second.feedback.AUDIT).toBe("Security: injection risk (score 0.7, 2 judges)");
    expect(h.record.agentCalls).toBe(4);
  });

  it("a judge's score decides a later transition", () => {
    const h = drive(audit, { inputs: { diff: "d" }, results: { AUDIT: verdict(false, 0.4) } });
    expect(h.path).toEqual(["AUDIT", "FAILED"]);
  });
});
