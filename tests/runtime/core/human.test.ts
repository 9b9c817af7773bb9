// Human gates: waiting, answers, answers for the wrong gate, timers, default responses.
import { describe, expect, it } from "vitest";
import { at, drive, Harness, T0, wf } from "./drive.ts";

const HOUR = 3_600_000;

const gate = (settings = "timeout 2h", extra = "") =>
  wf(
    `  state BUILD = agent bot timeout 10m {
    prompt "Prepare the release notes."
    on success -> APPROVE
    otherwise -> FAILED
  }
  state APPROVE = human ${settings} {
    prompt "Release notes:\\n{{BUILD.output}}\\nApprove?"
    ${extra}
    on approved -> DEPLOY
    on timeout -> EXPIRED
    on rejected -> FAILED feedback "Rejected by {{human.approver}}: {{human.feedback}}"
  }
  state DEPLOY = run "./deploy.sh" timeout 15m {
    on exit 0 -> DONE
    otherwise -> FAILED
  }
  final EXPIRED failure`,
    { start: "BUILD" },
  );

/** A harness with BUILD done: the run waits at APPROVE since T0 + 1s. */
function waiting(source = gate()): Harness {
  const h = new Harness(source);
  h.send({ type: "started", at: T0 });
  h.send({
    type: "state-completed",
    state: "BUILD",
    result: {
      status: "succeeded",
      output: "v2: faster",
      attempts: 1,
      duration: 1000,
      agentCalls: 1,
    },
    at: at(1000),
  });
  return h;
}

describe("human gates", () => {
  it("waits, with the prompt rendered and the timeout's time", () => {
    const h = waiting();
    const prompt = "Release notes:\nv2: faster\nApprove?";
    expect(h.record.status).toBe("waiting");
    expect(h.record.current).toBe("APPROVE");
    expect(h.record.waiting).toEqual({
      state: "APPROVE",
      since: at(1000),
      prompt,
      timeoutAt: at(1000 + 2 * HOUR),
    });
    expect(h.last).toEqual([
      { type: "wait-human", state: "APPROVE", prompt, timeoutAt: at(1000 + 2 * HOUR) },
    ]);
    expect(h.observations.at(-1)).toMatchObject({
      type: "waiting-for-human",
      state: "APPROVE",
      prompt,
    });
    expect(h.record.history.at(-1)).toMatchObject({ state: "APPROVE", status: "waiting" });
  });

  it("without a timeout, waits with no time limit; a timer is ignored", () => {
    const h = waiting(gate(""));
    expect(h.record.waiting).not.toHaveProperty("timeoutAt");
    expect(h.last).toEqual([{ type: "wait-human", state: "APPROVE", prompt: expect.any(String) }]);
    h.send({ type: "timer-fired", state: "APPROVE", at: at(100 * HOUR) });
    expect(h.last).toEqual([]);
    expect(h.record.status).toBe("waiting");
  });

  it("a gate without a prompt asks to approve the state", () => {
    const source = wf(`  state A = human {
    on approved -> DONE
    on rejected -> FAILED
  }`);
    const { effects } = drive(source, { maxEvents: 1 });
    expect(effects).toEqual([{ type: "wait-human", state: "A", prompt: "Approve 'A'?" }]);
  });

  it("approve: takes the approved path and records the answer", () => {
    const { record, path } = drive(gate(), {
      results: { BUILD: { output: "notes" }, DEPLOY: { exit_code: 0 } },
      human: { APPROVE: { approve: true, response: "/approve", approver: "alice", after: 5000 } },
    });
    expect(path).toEqual(["BUILD", "APPROVE", "DEPLOY", "DONE"]);
    expect(record.status).toBe("succeeded");
    expect(record.results.APPROVE).toMatchObject({
      status: "succeeded",
      output: "/approve",
      response: "/approve",
      approved: true,
      rejected: false,
      feedback: "",
      approver: "alice",
      duration: 5000,
      agentCalls: 0,
    });
    expect(record).not.toHaveProperty("waiting");
  });

  it("reject with feedback: takes the rejected path, the feedback template sees human.*", () => {
    const h = waiting();
    h.send({
      type: "human-answered",
      state: "APPROVE",
      response: "/reject the notes are wrong",
      approved: false,
      feedback: "the notes are wrong",
      approver: "bob",
      at: at(2000),
    });
    expect(h.path).toEqual(["BUILD", "APPROVE", "FAILED"]);
    expect(h.record.feedback.FAILED).toBe("Rejected by bob: the notes are wrong");
    expect(h.record.results.APPROVE).toMatchObject({
      approved: false,
      rejected: true,
      feedback: "the notes are wrong",
    });
    expect(h.record.status).toBe("failed");
    expect(h.record.error?.code).toBe("final-failure");
  });

  it("reject without feedback: the response is the feedback", () => {
    const h = waiting();
    h.send({
      type: "human-answered",
      state: "APPROVE",
      response: "no way",
      approved: false,
      at: at(2000),
    });
    expect(h.record.results.APPROVE?.feedback).toBe("no way");
    expect(h.record.feedback.FAILED).toBe("Rejected by : no way");
  });

  it('response == "yes": reads the answer\'s text', () => {
    const source = wf(
      `  state ASK = human timeout 1h {
    prompt "Ship it? (yes/no/later)"
    on response == "yes" -> DONE
    on response == "later" -> ASK
    on rejected -> FAILED
    otherwise -> FAILED
  }`,
      { start: "ASK", head: "limits { transitions: 5 }" },
    );
    const answer = (response: string, approve = false) => ({ approve, response });
    expect(drive(source, { human: { ASK: answer("yes", true) } }).path).toEqual(["ASK", "DONE"]);
    expect(drive(source, { human: { ASK: [answer("later"), answer("yes")] } }).path).toEqual([
      "ASK",
      "ASK",
      "DONE",
    ]);
    expect(drive(source, { human: { ASK: answer("no") } }).path).toEqual(["ASK", "FAILED"]);
  });

  it("ignores an answer for another state, and a completion while waiting", () => {
    const h = waiting();
    const before = h.record;
    h.send({
      type: "human-answered",
      state: "BUILD",
      response: "yes",
      approved: true,
      at: at(2000),
    });
    expect(h.last).toEqual([]);
    expect(h.record.status).toBe("waiting");
    expect(h.record.waiting).toEqual(before.waiting);
    expect(h.record.results).toEqual(before.results);
    h.send({
      type: "state-completed",
      state: "APPROVE",
      result: { status: "succeeded", attempts: 1, duration: 1, agentCalls: 0 },
      at: at(3000),
    });
    expect(h.last).toEqual([]);
    expect(h.record.status).toBe("waiting");
    expect(h.record.results).not.toHaveProperty("APPROVE");
    // The right answer still works afterwards.
    h.send({
      type: "human-answered",
      state: "APPROVE",
      response: "ok",
      approved: true,
      at: at(4000),
    });
    expect(h.record.current).toBe("DEPLOY");

    const driven = drive(gate(), {
      results: { BUILD: {}, DEPLOY: { exit_code: 0 } },
      human: {
        APPROVE: [
          { approve: true, state: "DEPLOY" },
          { approve: false, feedback: "no" },
        ],
      },
    });
    expect(driven.path).toEqual(["BUILD", "APPROVE", "FAILED"]);
  });

  it("ignores a timer before the timeout; after it, the gate times out", () => {
    const h = waiting();
    h.send({ type: "timer-fired", state: "APPROVE", at: at(1000 + 2 * HOUR - 1) });
    expect(h.last).toEqual([]);
    expect(h.record.status).toBe("waiting");
    h.send({ type: "timer-fired", state: "BUILD", at: at(1000 + 3 * HOUR) });
    expect(h.record.status).toBe("waiting");
    h.send({ type: "timer-fired", state: "APPROVE", at: at(1000 + 2 * HOUR) });
    expect(h.path).toEqual(["BUILD", "APPROVE", "EXPIRED"]);
    expect(h.record.results.APPROVE).toMatchObject({
      status: "timed_out",
      approved: false,
      rejected: false,
      duration: 2 * HOUR,
    });
    expect(h.record.status).toBe("failed");
    expect(h.record.error?.code).toBe("final-failure");
  });

  it("compares times as instants, not as text", () => {
    // The timeout falls at 00:00:01.500Z; "…00:00:01Z" is before it though it sorts after.
    const source = wf(`  state A = human timeout 1s500ms {
    on approved -> DONE
    on timeout -> FAILED
    on rejected -> FAILED
  }`);
    const h = new Harness(source);
    h.send({ type: "started", at: T0 });
    expect(h.record.waiting?.timeoutAt).toBe("2025-01-01T00:00:01.500Z");
    h.send({ type: "timer-fired", state: "A", at: "2025-01-01T00:00:01Z" });
    expect(h.record.status).toBe("waiting");
    // Another time zone: 01:00:01+01:00 is 00:00:01Z, still early.
    h.send({ type: "timer-fired", state: "A", at: "2025-01-01T01:00:01+01:00" });
    expect(h.record.status).toBe("waiting");
    h.send({ type: "timer-fired", state: "A", at: "2025-01-01T01:00:02+01:00" });
    expect(h.record.results.A?.status).toBe("timed_out");
  });

  it("a timeout without `on timeout` (nor a default) matches neither approved nor rejected", () => {
    const source = wf(`  state A = human timeout 1h {
    on approved -> DONE
    on rejected -> FAILED
  }`);
    const { record, path } = drive(source, { human: { A: { timer: 2 * HOUR } } });
    expect(path).toEqual(["A"]);
    expect(record.status).toBe("failed");
    expect(record.error).toMatchObject({ code: "no-transition", state: "A" });
    expect(record.error?.message).toContain("timed out");
  });

  it("default approved: the timer takes the approved path, answered by the default", () => {
    const { record, path } = drive(
      gate(
        "timeout 2h",
        "// aegis-ignore AEG605 -- a default that approves is what is under test\n    default approved",
      ),
      {
        results: { BUILD: {}, DEPLOY: { exit_code: 0 } },
        human: { APPROVE: [{ timer: HOUR }, { timer: HOUR }] },
      },
    );
    expect(path).toEqual(["BUILD", "APPROVE", "DEPLOY", "DONE"]);
    expect(record.results.APPROVE).toMatchObject({
      status: "succeeded",
      approved: true,
      rejected: false,
      response: "approved",
      approver: "(default response)",
      duration: 2 * HOUR,
    });
  });

  it("default rejected: the timer takes the rejected path", () => {
    const h = waiting(gate("timeout 2h", "default rejected"));
    expect(h.record.waiting?.default).toBe("rejected");
    h.send({ type: "timer-fired", state: "APPROVE", at: at(1000 + 2 * HOUR) });
    expect(h.path).toEqual(["BUILD", "APPROVE", "FAILED"]);
    expect(h.record.results.APPROVE).toMatchObject({
      approved: false,
      rejected: true,
      approver: "(default response)",
    });
  });

  it("a default text is the response", () => {
    const source = wf(
      `  state ASK = human timeout 1h {
    prompt "Which region?"
    default "eu-west"
    on response == "eu-west" -> DONE
    on rejected -> FAILED
    otherwise -> FAILED
  }`,
      { start: "ASK" },
    );
    const { path, record } = drive(source, { human: { ASK: { timer: 3 * HOUR } } });
    expect(path).toEqual(["ASK", "DONE"]);
    expect(record.results.ASK?.response).toBe("eu-west");
  });
});

describe("the answer, as observed (aegis logs says who answered and when)", () => {
  it("an answer is observed with who gave it, when, and how long the gate waited", () => {
    const h = waiting();
    h.send({
      type: "human-answered",
      state: "APPROVE",
      response: "/reject the notes are wrong",
      approved: false,
      feedback: "the notes are wrong",
      approver: "bob",
      at: at(61_000),
    });
    const answered = h.observations.filter((o) => o.type === "human-answered");
    expect(answered).toEqual([
      {
        type: "human-answered",
        run: h.record.id,
        state: "APPROVE",
        response: "/reject the notes are wrong",
        approved: false,
        rejected: true,
        feedback: "the notes are wrong",
        approver: "bob",
        waited: 60_000,
        at: at(61_000),
      },
    ]);
    // Before the state's completion, so that a display can tell the two apart.
    const types = h.observations.map((o) => o.type);
    expect(types.indexOf("human-answered")).toBeLessThan(types.lastIndexOf("state-completed"));
  });

  it("a default answer at the timeout is observed as the timeout's, with no approver", () => {
    const h = waiting(gate("timeout 2h", "default rejected"));
    h.send({ type: "timer-fired", state: "APPROVE", at: at(1000 + 2 * HOUR) });
    expect(h.observations.filter((o) => o.type === "human-answered")).toEqual([
      {
        type: "human-answered",
        run: h.record.id,
        state: "APPROVE",
        response: "rejected",
        approved: false,
        rejected: true,
        timedOut: true,
        waited: 2 * HOUR,
        at: at(1000 + 2 * HOUR),
      },
    ]);
  });

  it("an answer for another gate, or after the run moved on, is not observed", () => {
    const h = waiting();
    h.send({
      type: "human-answered",
      state: "BUILD",
      response: "yes",
      approved: true,
      at: at(2000),
    });
    expect(h.observations.some((o) => o.type === "human-answered")).toBe(false);
  });
});
