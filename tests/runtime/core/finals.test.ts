// Final states (success, failure, with an action) and the run's output.
import { describe, expect, it } from "vitest";
import { drive, wf } from "./drive.ts";

const work = (finals: string, head = "") => `workflow core {
  agent bot = claude()
  ${head}
  start WORK
  state WORK = agent bot timeout 5m {
    prompt "Work."
    on success -> DONE
    on timeout -> TIMED_OUT
    otherwise -> FAILED
  }
${finals}
}
`;

const plainFinals = `  final DONE
  final TIMED_OUT failure
  final FAILED failure`;

describe("final states", () => {
  it("success: the run succeeds, with no error", () => {
    const { record, path, effects, observations } = drive(work(plainFinals), {
      results: { WORK: { output: "result" } },
    });
    expect(path).toEqual(["WORK", "DONE"]);
    expect(record.status).toBe("succeeded");
    expect(record.current).toBe("DONE");
    expect(record).not.toHaveProperty("error");
    expect(effects.at(-1)).toEqual({ type: "finished", status: "succeeded" });
    expect(observations.at(-1)).toMatchObject({
      type: "run-finished",
      status: "succeeded",
      output: "result",
    });
    // A final state without an action has no result of its own.
    expect(record.results).not.toHaveProperty("DONE");
  });

  it("failure: the run fails with final-failure at that state", () => {
    const { record, path, observations } = drive(work(plainFinals), {
      results: { WORK: { status: "timed_out" } },
    });
    expect(path).toEqual(["WORK", "TIMED_OUT"]);
    expect(record.status).toBe("failed");
    expect(record.error).toMatchObject({ code: "final-failure", state: "TIMED_OUT" });
    expect(record).not.toHaveProperty("output");
    expect(observations.at(-1)).toMatchObject({
      type: "run-finished",
      status: "failed",
      error: { code: "final-failure" },
    });
  });

  const withActions = `  final DONE success = run "./publish.sh" timeout 1m
  final TIMED_OUT failure = run "echo 'timed out' >> report.txt" timeout 10s
  final FAILED failure`;

  it("a final state with an action: it is executed, and its completion finishes the run", () => {
    const { record, path, effects } = drive(work(withActions), {
      results: { WORK: { output: "w" }, DONE: { exit_code: 0, stdout: "published" } },
    });
    expect(path).toEqual(["WORK", "DONE"]);
    expect(
      effects.filter((e) => e.type === "execute").map((e) => e.type === "execute" && e.state),
    ).toEqual(["WORK", "DONE"]);
    expect(record.status).toBe("succeeded");
    expect(record.results.DONE?.exit_code).toBe(0);
    expect(record.output).toBe("published");
  });

  it("a final state with an action: the run is running until the action completes", () => {
    const { record, effects } = drive(work(withActions), {
      results: { WORK: { output: "w" } },
    });
    expect(record.status).toBe("running");
    expect(record.current).toBe("DONE");
    expect(effects.at(-1)).toMatchObject({ type: "execute", state: "DONE" });
  });

  it("a final state with an action: its failure fails the run", () => {
    const { record } = drive(work(withActions), {
      results: {
        WORK: {},
        DONE: { exit_code: 1, stderr: "denied", error: { code: "exit", message: "exit status 1" } },
      },
    });
    expect(record.status).toBe("failed");
    expect(record.error).toMatchObject({ code: "state-failed", state: "DONE" });
    expect(record.error?.message).toContain("exit status 1");
  });

  it("a failure final with an action fails the run when the action succeeds", () => {
    const { record } = drive(work(withActions), {
      results: { WORK: { status: "timed_out" }, TIMED_OUT: { exit_code: 0 } },
    });
    expect(record.status).toBe("failed");
    expect(record.error).toMatchObject({ code: "final-failure", state: "TIMED_OUT" });
  });

  it("a final action is retried, and errors skip ends as declared", () => {
    const finals = `  final DONE success = run "./publish.sh" timeout 1m retry 1 backoff 2s errors skip
  final TIMED_OUT failure
  final FAILED failure`;
    const { record, effects } = drive(work(finals), {
      results: { WORK: {}, DONE: { exit_code: 1 } },
    });
    expect(effects.filter((e) => e.type === "execute" && e.state === "DONE")).toHaveLength(2);
    expect(record.results.DONE?.status).toBe("skipped");
    expect(record.status).toBe("succeeded");
  });
});

describe("the run's output", () => {
  it('output "template": rendered when the run ends', () => {
    const { record } = drive(
      work(plainFinals, 'input topic: string\n  output "{{input.topic}}: {{WORK.output}}"'),
      {
        inputs: { topic: "news" },
        results: { WORK: { output: "all quiet" } },
      },
    );
    expect(record.output).toBe("news: all quiet");
  });

  it("output { a, b }: an object of rendered templates", () => {
    const { record } = drive(
      work(
        plainFinals,
        'output { title: "Digest", body: "{{WORK.output}}", score: "{{WORK.score}}" }',
      ),
      { results: { WORK: { output: "body text", score: 0.5 } } },
    );
    expect(record.output).toEqual({ title: "Digest", body: "body text", score: "0.5" });
  });

  it("without an output, the last state's output (as it was given: text or JSON)", () => {
    expect(drive(work(plainFinals), { results: { WORK: { output: "text" } } }).record.output).toBe(
      "text",
    );
    expect(
      drive(work(plainFinals), { results: { WORK: { output: { a: [1, 2] } } } }).record.output,
    ).toEqual({ a: [1, 2] });
  });

  it("without an output, a chain's last state counts, not the first", () => {
    const source = wf(
      `  state ONE = agent bot timeout 5m {
    prompt "1"
    on success -> TWO
    otherwise -> FAILED
  }
  state TWO = agent bot timeout 5m {
    prompt "2"
    on success -> DONE
    otherwise -> FAILED
  }`,
      { start: "ONE" },
    );
    expect(
      drive(source, { results: { ONE: { output: "one" }, TWO: { output: "two" } } }).record.output,
    ).toBe("two");
  });

  it("a final state's own output template is the run's output", () => {
    const finals = `  final DONE success {
    output "Finished: {{WORK.output}}"
  }
  final TIMED_OUT failure
  final FAILED failure`;
    const { record } = drive(work(finals), { results: { WORK: { output: "x" } } });
    expect(record.output).toBe("Finished: x");
    // …and it is preferred to the workflow's.
    const both = drive(work(finals, 'output "Workflow: {{WORK.output}}"'), {
      results: { WORK: { output: "x" } },
    });
    expect(both.record.output).toBe("Finished: x");
  });

  it("a failure final's own output template is the run's output, next to its error", () => {
    const finals = `  final DONE
  final TIMED_OUT failure {
    output "Timed out after: {{WORK.output}}"
  }
  final FAILED failure {
    output "{{WORK.output}}"
  }`;
    const timedOut = drive(work(finals, 'output "Workflow: {{WORK.output}}"'), {
      results: { WORK: { status: "timed_out", output: "half a draft" } },
    });
    expect(timedOut.record.status).toBe("failed");
    expect(timedOut.record.error).toMatchObject({ code: "final-failure", state: "TIMED_OUT" });
    // The final's own, not the workflow's (written for runs that end well).
    expect(timedOut.record.output).toBe("Timed out after: half a draft");
    expect(timedOut.observations.at(-1)).toMatchObject({
      type: "run-finished",
      status: "failed",
      output: "Timed out after: half a draft",
      error: { code: "final-failure" },
    });
    // An agent's JSON answer is written as JSON.
    const failed = drive(work(finals), {
      results: { WORK: { status: "failed", output: { problems: ["no tests"] } } },
    });
    expect(failed.record.output).toBe('{"problems":["no tests"]}');
  });

  it("a failure final with an action and no output template: what the action printed", () => {
    const finals = `  final DONE
  final TIMED_OUT failure = run "echo 'timed out'" timeout 10s
  final FAILED failure`;
    const { record } = drive(work(finals), {
      results: {
        WORK: { status: "timed_out" },
        TIMED_OUT: { exit_code: 0, stdout: "timed out\n" },
      },
    });
    expect(record.status).toBe("failed");
    expect(record.error).toMatchObject({ code: "final-failure", state: "TIMED_OUT" });
    expect(record.output).toBe("timed out\n");
  });

  it("is not set when the run fails", () => {
    const { record } = drive(work(plainFinals, 'output "{{WORK.output}}"'), {
      results: { WORK: { status: "failed", output: "partial" } },
    });
    expect(record.status).toBe("failed");
    expect(record).not.toHaveProperty("output");
  });
});
