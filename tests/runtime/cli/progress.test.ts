// The progress display: on a terminal, finished states are printed once and the running
// ones redrawn in place (checked with a tiny screen emulator); plain lines otherwise; the
// closing message of each way a run can stop.
import { describe, expect, it } from "vitest";
import { cancelledText, outcomeText, Progress } from "../../../src/cli/progress.ts";
import type { RunObservation, RunRecord } from "../../../src/runtime/types.ts";

/** What a terminal shows after `text`: lines, with "up N, clear below" applied. */
function screen(text: string): string[] {
  const lines: string[] = [];
  let current = "";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: terminal control sequences
  const tokens = text.split(/(\x1b\[\d+A\r\x1b\[J|\n)/);
  for (const token of tokens) {
    if (token === "\n") {
      lines.push(current);
      current = "";
    } else if (token.startsWith("\x1b[")) {
      const n = Number(/\d+/.exec(token)![0]);
      lines.splice(lines.length - n, n);
    } else current += token;
  }
  if (current) lines.push(current);
  return lines;
}

const at = "2025-01-01T00:00:00.000Z";
const run = "r1";
const observations: RunObservation[] = [
  { type: "run-started", run, workflow: "wf", at },
  { type: "state-entered", run, state: "PLAN", visit: 1, at },
  {
    type: "state-output",
    run,
    state: "PLAN",
    stream: "agent",
    text: "thinking…\nstill thinking",
    at,
  },
  { type: "state-completed", run, state: "PLAN", status: "succeeded", duration: 1200, at },
  { type: "transition", run, from: "PLAN", to: "BUILD", label: "success", at },
  { type: "state-entered", run, state: "BUILD", visit: 1, at },
  { type: "retry", run, state: "BUILD", attempt: 2, delayMs: 1000, error: "exit 1", at },
  { type: "state-completed", run, state: "BUILD", status: "succeeded", duration: 3000, at },
  { type: "transition", run, from: "BUILD", to: "APPROVE", label: "success", at },
  { type: "state-entered", run, state: "APPROVE", visit: 1, at },
  { type: "waiting-for-human", run, state: "APPROVE", prompt: "ok?", at },
];

describe("progress", () => {
  it("on a terminal: one line per state, the running one redrawn in place", () => {
    let out = "";
    let now = 0;
    const p = new Progress({ mode: "tty", write: (t) => (out += t), run, now: () => now });
    for (const o of observations.slice(0, 3)) p.observe(o);
    now = 2500;
    expect(screen(out)).toEqual([
      "▶ run r1 (wf)",
      expect.stringMatching(/^ {2}. PLAN +0ms {2}still thinking$/),
      "  0ms elapsed",
    ]);
    for (const o of observations.slice(3)) p.observe(o);
    p.stop();
    expect(screen(out)).toEqual([
      "▶ run r1 (wf)",
      "  ✓ PLAN           1.2s  → BUILD",
      "  ✓ BUILD          3.0s  → APPROVE",
      "  ⏸ APPROVE        waiting for a human",
    ]);
  });

  it("shows the final state a run ended at, and a subworkflow's states under its parent", () => {
    let out = "";
    const p = new Progress({ mode: "tty", write: (t) => (out += t), run });
    p.observe({ type: "state-entered", run, state: "CALL", visit: 1, at });
    p.observe({ type: "state-entered", run: `${run}.CALL.1.1`, state: "GREET", visit: 1, at });
    p.observe({
      type: "state-completed",
      run: `${run}.CALL.1.1`,
      state: "GREET",
      status: "failed",
      duration: 10,
      at,
    });
    p.observe({
      type: "state-completed",
      run,
      state: "CALL",
      status: "succeeded",
      duration: 20,
      at,
    });
    p.observe({ type: "transition", run, from: "CALL", to: "DONE", label: "success", at });
    p.observe({ type: "state-entered", run, state: "DONE", visit: 1, at });
    p.observe({ type: "run-finished", run, status: "succeeded", at });
    p.stop();
    expect(screen(out)).toEqual([
      "  ✗ CALL › GREET   failed 10ms",
      "  ✓ CALL           20ms  → DONE",
      "  ● DONE           final: the run succeeded",
    ]);
  });

  it("plain lines when not on a terminal", () => {
    let out = "";
    const p = new Progress({ mode: "plain", write: (t) => (out += t), run });
    for (const o of observations) p.observe(o);
    p.stop();
    expect(out).toBe(
      [
        "run r1 (wf) started",
        "PLAN started",
        "PLAN succeeded in 1.2s",
        "  → BUILD (success)",
        "BUILD started",
        "BUILD failed (exit 1); attempt 2 in 1.0s",
        "BUILD succeeded in 3.0s",
        "  → APPROVE (success)",
        "APPROVE started",
        "APPROVE waits for a human",
        "",
      ].join("\n"),
    );
  });

  it("closes with what happened and what to do next", () => {
    const base = {
      id: "r1",
      startedAt: at,
      updatedAt: "2025-01-01T00:00:05.000Z",
      history: [{ seq: 1, state: "A", status: "entered", at }],
      visits: { A: 1 },
      agentCalls: 2,
      costUsd: 0,
      results: {},
    } as unknown as RunRecord;
    expect(outcomeText({ ...base, status: "succeeded", output: "hi" })).toBe(
      "✓ run r1 succeeded in 5.0s (1 state, 2 agent calls)\noutput:\n  hi\n",
    );
    expect(
      outcomeText(
        { ...base, status: "waiting", waiting: { state: "OK", since: at, prompt: "Ship it?" } },
        { store: "runs" },
      ),
    ).toBe(
      "⏸ run r1 is waiting for a human at OK:\n  Ship it?\n" +
        'answer with `aegis signal r1 --store runs --approve` or `aegis signal r1 --store runs --reject --feedback "…"`\n',
    );
    expect(
      outcomeText({
        ...base,
        status: "failed",
        error: { code: "visit-limit", message: "too many", state: "A" },
      }),
    ).toBe("✗ run r1 failed at A: too many [visit-limit]\n");
    // A failure final's output, under the failure as a success's is.
    expect(
      outcomeText({
        ...base,
        status: "failed",
        error: { code: "final-failure", message: "ended at FAILED", state: "FAILED" },
        output: { problems: ["no tests"] },
      }),
    ).toBe(
      '✗ run r1 failed at FAILED: ended at FAILED [final-failure]\noutput:\n  {\n    "problems": [\n      "no tests"\n    ]\n  }\n',
    );
  });
});

describe("fan-outs, gate answers, timestamps and cancellations", () => {
  const fanOut = (
    done: number,
    total: number,
    failed = 0,
    unit = "items",
    state = "EACH",
  ): RunObservation => ({
    type: "state-progress",
    run,
    state,
    done,
    total,
    failed,
    unit,
    at,
  });
  const answered = (
    extra: Partial<Extract<RunObservation, { type: "human-answered" }>> = {},
  ): RunObservation => ({
    type: "human-answered",
    run,
    state: "OK",
    response: "approved",
    approved: true,
    rejected: false,
    approver: "alice",
    waited: 192_000,
    at: "2026-12-02T03:02:28.419Z",
    ...extra,
  });

  it("on a terminal: a fan-out's running line counts its finished calls", () => {
    let out = "";
    const p = new Progress({ mode: "tty", write: (t) => (out += t), run, now: () => 0 });
    p.observe({ type: "state-entered", run, state: "AUDIT", visit: 1, at });
    p.observe(fanOut(0, 4, 0, "judges", "AUDIT"));
    p.observe(fanOut(2, 4, 0, "judges", "AUDIT"));
    expect(screen(out)).toEqual([
      expect.stringMatching(/^ {2}. AUDIT +0ms {2}2\/4 judges$/),
      "  0ms elapsed",
    ]);
    p.observe({ type: "state-entered", run, state: "EACH", visit: 1, at });
    p.observe(fanOut(17, 100, 1));
    expect(screen(out)).toEqual([
      expect.stringMatching(/^ {2}. AUDIT +0ms {2}2\/4 judges$/),
      expect.stringMatching(/^ {2}. EACH +0ms {2}17\/100 items \(1 failed\)$/),
      "  0ms elapsed",
    ]);
    p.observe(fanOut(4, 4, 0, "judges", "AUDIT"));
    p.observe({
      type: "state-completed",
      run,
      state: "AUDIT",
      status: "succeeded",
      duration: 900,
      at,
    });
    p.observe({ type: "transition", run, from: "AUDIT", to: "REVIEW", label: "consensus", at });
    p.stop();
    // The finished line keeps its count; the one still running stays as it was.
    expect(screen(out)).toEqual([
      "  ✓ AUDIT          900ms  4/4 judges  → REVIEW",
      expect.stringMatching(/^ {2}. EACH +0ms {2}17\/100 items \(1 failed\)$/),
    ]);
  });

  it("plain lines: each judge, and at most about ten lines for a long foreach", () => {
    let out = "";
    const p = new Progress({ mode: "plain", write: (t) => (out += t), run });
    for (let done = 0; done <= 3; done++) p.observe(fanOut(done, 3, 0, "judges"));
    for (let done = 0; done <= 100; done++) p.observe(fanOut(done, 100, done > 50 ? 1 : 0));
    const lines = out.trim().split("\n");
    expect(lines.slice(0, 3)).toEqual(["EACH 1/3 judges", "EACH 2/3 judges", "EACH 3/3 judges"]);
    expect(lines.slice(3)).toEqual([
      "EACH 10/100 items",
      "EACH 20/100 items",
      "EACH 30/100 items",
      "EACH 40/100 items",
      "EACH 50/100 items",
      "EACH 60/100 items (1 failed)",
      "EACH 70/100 items (1 failed)",
      "EACH 80/100 items (1 failed)",
      "EACH 90/100 items (1 failed)",
      "EACH 100/100 items (1 failed)",
    ]);
  });

  it("plain lines: who answered a gate and when; its completion says nothing more", () => {
    let out = "";
    const p = new Progress({ mode: "plain", write: (t) => (out += t), run });
    p.observe(answered());
    p.observe({ type: "state-completed", run, state: "OK", status: "succeeded", duration: 1, at });
    p.observe(
      answered({
        response: "too vague",
        approved: false,
        rejected: true,
        approver: "bob",
        feedback: "too vague",
        waited: 5000,
      }),
    );
    p.observe(answered({ response: "eu-west", approved: false, rejected: false, waited: 10 }));
    p.observe(
      answered({ response: "yes", approver: undefined, timedOut: true, waited: 3_600_000 }),
    );
    expect(out.trim().split("\n")).toEqual([
      "OK approved by alice at 2026-12-02T03:02:28.419Z (after 3m12s)",
      "OK rejected by bob at 2026-12-02T03:02:28.419Z (after 5.0s): too vague",
      'OK answered "eu-west" by alice at 2026-12-02T03:02:28.419Z (after 10ms)',
      'OK approved by its default answer "yes" (it timed out) at 2026-12-02T03:02:28.419Z (after 1h00m)',
    ]);
  });

  it("on a terminal: the gate's line says how it was answered", () => {
    let out = "";
    const p = new Progress({ mode: "tty", write: (t) => (out += t), run, now: () => 0 });
    p.observe(answered());
    p.observe({ type: "state-completed", run, state: "OK", status: "succeeded", duration: 5, at });
    p.observe({ type: "transition", run, from: "OK", to: "SHIP", label: "approved", at });
    p.stop();
    expect(screen(out)).toEqual(["  ✓ OK             5ms  approved by alice  → SHIP"]);
  });

  it("timestamps: each line (each line of an output too) begins with its time", () => {
    let out = "";
    const p = new Progress({
      mode: "plain",
      write: (t) => (out += t),
      run,
      verbose: true,
      timestamps: true,
    });
    p.observe({ type: "state-entered", run, state: "PLAN", visit: 1, at });
    p.observe({ type: "state-output", run, state: "PLAN", stream: "agent", text: "a\nb\n", at });
    expect(out).toBe(`${at}  PLAN started\n${at}    PLAN │ a\n${at}    PLAN │ b\n`);
  });

  it("a cancelled run says why once", () => {
    expect(cancelledText("cancelled: testing")).toBe("cancelled: testing");
    expect(cancelledText("cancelled: cancelled by alice")).toBe("cancelled by alice");
    expect(cancelledText("cancelled")).toBe("cancelled");
    expect(cancelledText(undefined)).toBe("cancelled");
    let out = "";
    const p = new Progress({ mode: "plain", write: (t) => (out += t), run });
    p.observe({
      type: "run-finished",
      run,
      status: "cancelled",
      error: { code: "cancelled", message: "cancelled: testing" },
      at,
    });
    expect(out).toBe("run r1 cancelled: testing\n");
    const record = {
      id: "r1",
      status: "cancelled",
      startedAt: at,
      updatedAt: at,
      history: [],
      visits: {},
      agentCalls: 0,
      costUsd: 0,
      results: {},
      error: { code: "cancelled", message: "cancelled: testing" },
    } as unknown as RunRecord;
    expect(outcomeText(record)).toBe("✗ run r1 cancelled: testing\n");
  });
});
