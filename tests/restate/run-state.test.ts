// How the Restate host keeps a run's record and log in the workflow's state
// (src/restate/run-state.ts): each event writes what it changed; the shared handlers' reads
// put the record, the head and the log back together. Checked against the record step()
// makes, after every event, over runs that loop, wait at gates, carry feedback, keep
// conversations and fail, through a state store that keeps JSON (as Restate's does).
import { describe, expect, it } from "vitest";
import {
  CHECKPOINT,
  RunState,
  readHead,
  readLog,
  readOpening,
  readRecord,
  type StateReader,
} from "../../src/restate/run-state.ts";
import { step } from "../../src/runtime/step.ts";
import type { RunEvent, RunObservation, RunRecord } from "../../src/runtime/types.ts";
import { at, drive, Harness, type Script, T0, wf } from "../runtime/core/drive.ts";

/** A workflow's state as Restate keeps it: values stored as JSON. */
class JsonState {
  readonly values = new Map<string, string>();
  readonly key: string;
  constructor(key = "run-1") {
    this.key = key;
  }
  set(key: string, value: unknown): void {
    this.values.set(key, JSON.stringify(value));
  }
  reader(): StateReader {
    return {
      key: this.key,
      get: async <T>(key: string) => {
        const text = this.values.get(key);
        return text === undefined ? null : (JSON.parse(text) as T);
      },
      keys: async () => [...this.values.keys()],
      all: (reads) => Promise.all(reads),
    };
  }
}

const json = <T>(value: T): T => JSON.parse(JSON.stringify(value));
/** The head a reader gets: the record without results and history, conversations bare. */
function headOf({ results: _r, history: _h, ...head }: RunRecord) {
  if (!head.sessions) return head;
  const sessions = Object.fromEntries(
    Object.entries(head.sessions).map(([name, { messages: _m, ...session }]) => [name, session]),
  );
  return { ...head, sessions };
}

/**
 * Applies `events` from the run's first record, saving each as the host does, and checks
 * every read against what step() made after each event.
 */
async function replayAndCheck(h: Harness, events: RunEvent[]): Promise<JsonState> {
  const state = new JsonState(h.records[0]!.id);
  const saver = new RunState(state, { meta: { note: "kept" }, invocation: "inv_1" });
  let record = h.records[0]!;
  const observations: RunObservation[] = [];
  for (const event of events) {
    const out = step(h.graph, record, event);
    saver.save(record, out.record, out.observations);
    record = out.record;
    observations.push(...out.observations);
    const reader = state.reader();
    expect(json(await readHead(reader))).toEqual(json(headOf(record)));
    const read = await readRecord<{ meta: unknown }>(reader);
    expect(json(read!.record)).toEqual(json(record));
    // The same entries in the same order, their fields in step()'s order.
    expect(JSON.stringify(read!.record.history)).toBe(JSON.stringify(record.history));
    const log = await readLog(reader);
    expect(JSON.stringify(log.entries)).toBe(JSON.stringify(observations));
    expect(log.next).toBe(observations.length);
  }
  // A follower's later reads: what came after each point.
  const reader = state.reader();
  for (const after of [0, 1, Math.floor(observations.length / 2), observations.length]) {
    const log = await readLog(reader, after);
    expect(JSON.stringify(log.entries)).toBe(JSON.stringify(observations.slice(after)));
    expect(log.next).toBe(observations.length);
  }
  const opening = await readOpening<{ meta: unknown; invocation: string }>(reader);
  expect(opening).toMatchObject({ id: record.id, invocation: "inv_1", meta: { note: "kept" } });
  return state;
}

/** Drives `source` with `script`, then replays the same events through the saved state. */
async function check(
  source: string,
  script: Script,
): Promise<{ state: JsonState; record: RunRecord }> {
  const driven = drive(source, script);
  const h = new Harness(driven.graph, script.inputs ?? {});
  const state = await replayAndCheck(h, driven.events);
  return { state, record: driven.record };
}

const feedbackLoop = wf(
  `  state IMPLEMENT = agent bot visits 4 {
    prompt "Implement it."
    on success -> TEST
    otherwise -> FAILED
  }
  state TEST = run "npm test" visits 4 {
    on exit 0 -> REVIEW
    otherwise -> IMPLEMENT feedback "Tests failed ({{TEST.exit_code}})"
  }
  state REVIEW = agent bot visits 3 {
    prompt "Review"
    on score >= 0.85 -> DONE
    otherwise -> IMPLEMENT feedback "Score {{REVIEW.score}} too low"
  }`,
  { start: "IMPLEMENT" },
);

describe("a Restate run's state", () => {
  it("reads back the record, the head and the log after every event of a loop with feedback", async () => {
    const { record } = await check(feedbackLoop, {
      results: {
        IMPLEMENT: { output: "code" },
        TEST: [{ exit_code: 1, stdout: "" }, { exit_code: 0 }, { exit_code: 0 }],
        REVIEW: [
          { score: 0.5, output: "meh" },
          { score: 0.9, output: "good" },
        ],
      },
    });
    expect(record.status).toBe("succeeded");
    expect(record.visits.IMPLEMENT).toBe(3);
  });

  it("reads back a run longer than several checkpoints, its history cut as step() cuts it", async () => {
    const source = wf(
      `  limits { transitions: 200 }
  state A = agent bot visits 60 { prompt "a" on success -> B otherwise -> FAILED }
  state B = agent bot visits 60 {
    prompt "b"
    on state.visits >= 60 -> DONE
    otherwise -> A
  }`,
      { start: "A" },
    );
    const { state, record } = await check(source, { results: { A: {}, B: {} } });
    expect(record.status).toBe("succeeded");
    expect(state.values.size).toBeGreaterThan(4 * CHECKPOINT);
  });

  it("writes a state's event at the same size late in a long run as early", async () => {
    const states = Array.from(
      { length: 70 },
      (_, i) =>
        `  state S${i} = agent bot { prompt "x" on success -> ${i < 69 ? `S${i + 1}` : "DONE"} otherwise -> FAILED }`,
    );
    const { state, record } = await check(wf(states.join("\n"), { start: "S0" }), {
      results: Object.fromEntries(states.map((_, i) => [`S${i}`, {}])),
    });
    expect(record.status).toBe("succeeded");
    // Not the visits (one more entry at every state) written whole each time: a few
    // characters more for the longer names and numbers, where the whole head would add ~9
    // bytes a state.
    const size = (index: number) => state.values.get(`event/${index}`)!.length;
    const early = [11, 12, 13, 14].map(size);
    const late = [61, 62, 63, 65].map(size);
    expect(Math.max(...late)).toBeLessThanOrEqual(Math.max(...early) + 32);
  });

  it("reads back a gate's wait, its answer, and a timer that fired", async () => {
    const source = wf(
      `  state WORK = agent bot visits 3 { prompt "w" on success -> GATE otherwise -> FAILED }
  state GATE = human timeout 1h {
    prompt "Ship it?"
    on approved -> SHIP
    on timeout -> GATE2
    otherwise -> WORK
  }
  state GATE2 = human { prompt "Really?" on approved -> SHIP2 otherwise -> FAILED }
  state SHIP = agent bot { prompt "s" on success -> DONE otherwise -> FAILED }
  state SHIP2 = agent bot { prompt "s" on success -> DONE otherwise -> FAILED }`,
      { start: "WORK" },
    );
    const { record } = await check(source, {
      results: { WORK: {}, SHIP: {}, SHIP2: {} },
      human: {
        GATE: [{ approve: false, feedback: "again" }, { timer: 3_600_000 }],
        GATE2: { approve: true, approver: "ana" },
      },
    });
    expect(record.status).toBe("succeeded");
    expect(record.waiting).toBeUndefined();
  });

  it("reads back a failed run's error", async () => {
    const { record } = await check(feedbackLoop, {
      results: { IMPLEMENT: [{ output: "x" }, { status: "failed" }], TEST: { exit_code: 1 } },
    });
    expect(record.status).toBe("failed");
  });

  it("reads back conversations, writing a turn's messages, not the whole conversation", async () => {
    const h = new Harness(feedbackLoop);
    const turn = (n: number, call: "started" | "ended"): RunEvent => ({
      type: "session",
      session: "review",
      agent: "bot",
      call,
      ...(call === "started" && { id: "conv-1" }),
      ...(call === "ended" && {
        answered: true,
        messages: [
          { role: "user" as const, content: `question ${n} ${"x".repeat(200)}` },
          { role: "assistant" as const, content: `answer ${n}` },
        ],
      }),
      at: at(n * 1000),
    });
    const events: RunEvent[] = [{ type: "started", at: T0 }];
    for (let n = 1; n <= 2 * CHECKPOINT; n++) events.push(turn(n, "started"), turn(n, "ended"));
    const state = await replayAndCheck(h, events);
    const read = await readRecord(state.reader());
    expect(read!.record.sessions?.review?.messages).toHaveLength(4 * CHECKPOINT);
    const last = state.values.get(`event/${events.length - 1}`)!;
    expect(last.length).toBeLessThan(1000);
  });

  it("writes a conversation whole when its messages did not only grow", async () => {
    const h = new Harness(feedbackLoop);
    const first = step(h.graph, h.records[0]!, { type: "started", at: T0 }).record;
    const message = (content: string) => ({ role: "user" as const, content });
    const session = { agent: "bot", id: "c", turns: 1, unsettled: false };
    const talked = { ...first, seq: 2, sessions: { r: { ...session, messages: [message("a")] } } };
    const grew = {
      ...talked,
      seq: 3,
      sessions: { r: { ...session, messages: [...talked.sessions.r.messages, message("b")] } },
    };
    const restarted = {
      ...grew,
      seq: 4,
      sessions: { r: { ...session, messages: [message("c")] } },
    };
    const state = new JsonState();
    const saver = new RunState(state, { meta: {}, invocation: "inv_1" });
    saver.save(h.records[0]!, first, []);
    saver.save(first, talked, []);
    saver.save(talked, grew, []);
    expect(JSON.parse(state.values.get("event/2")!).messages).toEqual({ r: [message("b")] });
    expect((await readRecord(state.reader()))!.record.sessions?.r?.messages).toEqual([
      message("a"),
      message("b"),
    ]);
    saver.save(grew, restarted, []);
    expect((await readRecord(state.reader()))!.record.sessions?.r?.messages).toEqual([
      message("c"),
    ]);
    expect((await readHead(state.reader()))!.sessions).toEqual({ r: session });
  });

  it("cuts the history as step() does at events that add none (a session's)", async () => {
    const states = Array.from(
      { length: 40 },
      (_, i) =>
        `  state S${i} = agent bot { prompt "x" on success -> ${i < 39 ? `S${i + 1}` : "DONE"} otherwise -> FAILED }`,
    );
    const h = new Harness(wf(states.join("\n"), { start: "S0" }));
    const events: RunEvent[] = [{ type: "started", at: T0 }];
    for (let i = 0; i < 35; i++) {
      const result = { status: "succeeded" as const, attempts: 1, duration: 1, agentCalls: 1 };
      events.push({ type: "state-completed", state: `S${i}`, result, at: at(i * 1000) });
    }
    events.push({
      type: "session",
      session: "s",
      agent: "bot",
      call: "started",
      id: "c",
      at: at(36_000),
    });
    await replayAndCheck(h, events);
  });

  it("reads a run written whole event by event (the format before), and goes on from it", async () => {
    const driven = drive(feedbackLoop, {
      results: { IMPLEMENT: {}, TEST: { exit_code: 0 }, REVIEW: { score: 0.9 } },
    });
    const state = new JsonState();
    let observed = 0;
    driven.records.slice(1).forEach((record, index) => {
      const { results, history, ...rest } = record;
      const { format, version, id, workflow, graphHash, inputs, startedAt, ...head } = rest;
      const before = driven.records[index]!;
      const added = driven.observations.slice(observed);
      const count = step(driven.graph, before, driven.events[index]!).observations.length;
      state.set(`event/${index}`, {
        ...(index === 0 && {
          run: {
            meta: {},
            invocation: "inv_0",
            format,
            version,
            id,
            workflow,
            graphHash,
            inputs,
            startedAt,
          },
        }),
        n: observed,
        head,
        results: Object.fromEntries(
          Object.entries(results).filter(([name, r]) => before.results[name] !== r),
        ),
        observations: added.slice(0, count),
        history: history.filter((entry) => entry.seq === record.seq),
      });
      observed += count;
    });
    const reader = state.reader();
    expect(json(await readHead(reader))).toEqual(json(headOf(driven.record)));
    expect(json((await readRecord(reader))!.record)).toEqual(json(driven.record));
    expect(json((await readLog(reader)).entries)).toEqual(json(driven.observations));
  });
});
