// The engine around the pure core: start → human gate → (no process) → signal → done, with
// the memory store and the file store; rejection feedback; gate timeouts on a controlled
// clock; input validation; retries; executor failures; cancellation; observations.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createEngine } from "../../../src/runtime/engine.ts";
import { InputError, validateInputs } from "../../../src/runtime/inputs.ts";
import { FileStore } from "../../../src/runtime/store/file.ts";
import { MemoryStore } from "../../../src/runtime/store/memory.ts";
import type { RunStore } from "../../../src/runtime/store/types.ts";
import type { RunObservation, StateResult } from "../../../src/runtime/types.ts";
import { compileSource, gated, scripted, TestClock, tempDir } from "./helpers.ts";

const workflow = compileSource(gated);

const stores: [string, () => RunStore][] = [
  ["memory store", () => new MemoryStore()],
  ["file store", () => new FileStore(join(tempDir(), "runs"))],
];

describe.each(stores)("a run with a human gate (%s)", (_name, makeStore) => {
  it("waits at the gate, holding nothing, and a signal continues it to the end", async () => {
    const store = makeStore();
    const first = scripted();
    const engine = createEngine({ store, executor: first.executor });
    const handle = await engine.start(workflow, { task: "a parser" }, { id: "run-1" });
    const waiting = await handle.result();
    expect(waiting.status).toBe("waiting");
    expect(waiting.waiting).toMatchObject({
      state: "APPROVE",
      prompt: "Approve this plan? PLAN done",
    });
    expect(waiting.inputs).toEqual({ task: "a parser", language: "python" });
    expect(first.calls.map((c) => c.state)).toEqual(["PLAN"]);
    expect(first.calls[0]!.prompt).toBe("Plan a parser in python.");
    // Nothing holds the run: no lock, nothing in flight.
    expect(await store.owner("run-1")).toBeUndefined();

    // Another engine (another process, later) answers the gate.
    const second = scripted();
    const later = createEngine({ store, executor: second.executor });
    const done = await (await later.signal("run-1", { approve: true, approver: "ana" })).result();
    expect(done.status).toBe("succeeded");
    expect(done.results.APPROVE).toMatchObject({ approved: true, approver: "ana" });
    expect(second.calls.map((c) => c.state)).toEqual(["BUILD"]);
    expect(done.history.filter((h) => h.status === "entered").map((h) => h.state)).toEqual([
      "PLAN",
      "APPROVE",
      "BUILD",
      "DONE",
    ]);
    expect(await later.get("run-1")).toEqual(done);
    const log = await store.readLog("run-1");
    expect(log.map((o) => o.type)).toEqual([
      "run-started",
      "state-entered",
      "state-completed",
      "transition",
      "state-entered",
      "waiting-for-human",
      "human-answered",
      "state-completed",
      "transition",
      "state-entered",
      "state-completed",
      "transition",
      "state-entered",
      "run-finished",
    ]);
    expect(log.find((o) => o.type === "human-answered")).toMatchObject({
      state: "APPROVE",
      approved: true,
      approver: "ana",
    });
    const [summary] = await later.list();
    expect(summary).toMatchObject({ id: "run-1", workflow: "gated", status: "succeeded" });
  });

  it("takes a rejection's feedback back into the planner's prompt", async () => {
    const store = makeStore();
    const { executor, calls } = scripted();
    const engine = createEngine({ store, executor });
    await (await engine.start(workflow, { task: "a parser" }, { id: "r" })).result();
    const again = await (
      await engine.signal("r", { approve: false, feedback: "use a PEG grammar" })
    ).result();
    expect(again.status).toBe("waiting");
    expect(again.results.APPROVE).toMatchObject({ rejected: true, feedback: "use a PEG grammar" });
    expect(again.feedback.PLAN).toBe("use a PEG grammar");
    expect(calls.map((c) => [c.state, c.prompt])).toEqual([
      ["PLAN", "Plan a parser in python."],
      ["PLAN", "Plan a parser in python. Feedback: use a PEG grammar"],
    ]);
    // The second visit has its own idempotency key.
    expect(calls[0]!.key).toBe("r:PLAN:1:1");
    expect(calls[1]!.key).toBe("r:PLAN:2:1");
    const done = await (await engine.signal("r", { approve: true })).result();
    expect(done.status).toBe("succeeded");
  });
});

describe("human gate timeouts (controlled clock)", () => {
  it("fires on resume once the timeout has passed, and not before", async () => {
    const clock = new TestClock();
    const store = new MemoryStore();
    const { executor } = scripted();
    const engine = createEngine({ store, executor, clock });
    const waiting = await (await engine.start(workflow, { task: "x" }, { id: "t" })).result();
    expect(waiting.waiting?.timeoutAt).toBe(new Date(clock.time + 3_600_000).toISOString());
    clock.advance(3_599_000);
    expect((await (await engine.resume("t")).result()).status).toBe("waiting");
    clock.advance(1000);
    const after = await (await engine.resume("t")).result();
    expect(after.status).toBe("failed");
    expect(after.results.APPROVE?.status).toBe("timed_out");
    expect(after.error?.code).toBe("final-failure");
  });

  it("is applied by list(), and an answer after it is refused with a notice", async () => {
    const clock = new TestClock();
    const store = new MemoryStore();
    const { executor } = scripted();
    const engine = createEngine({ store, executor, clock });
    await (await engine.start(workflow, { task: "x" }, { id: "a" })).result();
    await (await engine.start(workflow, { task: "y" }, { id: "b" })).result();
    clock.advance(2 * 3_600_000);
    const listed = await engine.list();
    expect(listed.find((s) => s.id === "a")?.status).toBe("failed");
    const fresh = await createEngine({ store, executor, clock: new TestClock(clock.time) });
    // b was timed out by the list as well; an answer now is refused.
    await expect(fresh.signal("b", { approve: true })).rejects.toMatchObject({
      code: "not-waiting",
    });
  });

  it("signal after the timeout (not yet recorded) times the gate out and says so", async () => {
    const clock = new TestClock();
    const { executor } = scripted();
    const engine = createEngine({ executor, clock });
    await (await engine.start(workflow, { task: "x" }, { id: "late" })).result();
    clock.advance(3_600_001);
    const handle = await engine.signal("late", { approve: true });
    expect(handle.notice).toMatch(/timed out/);
    expect((await handle.result()).results.APPROVE?.status).toBe("timed_out");
  });
});

describe("inputs", () => {
  it("are validated before the run starts: every problem, with its path", async () => {
    const store = new MemoryStore();
    const engine = createEngine({ store, executor: scripted().executor });
    const error = await engine
      .start(workflow, { language: "go", extra: 1 }, { id: "bad" })
      .catch((e) => e);
    expect(error.code).toBe("invalid-inputs");
    expect(error.message).toContain("task: is required");
    expect(error.message).toContain('language: must be one of "python", "typescript" (got "go")');
    expect(error.message).toContain("extra: is not an input of this workflow");
    expect(error.problems).toHaveLength(3);
    expect(await store.list()).toEqual([]);
  });

  it("of a workflow that declares none: none, or any with `input *`, as the schema validator says", async () => {
    const none = compileSource(
      'workflow plain {\n  start A\n  state A = run "true" timeout 1m {\n    on exit 0 -> DONE\n  }\n  final DONE\n}\n',
    );
    const any = compileSource(
      'workflow open {\n  input *\n  start A\n  state A = run "true" timeout 1m {\n    on exit 0 -> DONE\n  }\n  final DONE\n}\n',
    );
    expect(none.ok && any.ok).toBe(true);
    const store = new MemoryStore();
    const engine = createEngine({ store, executor: scripted().executor });
    const refused = await engine
      .start(none, { extra: 1, more: "x" }, { id: "none" })
      .catch((e) => e);
    expect(refused).toBeInstanceOf(InputError);
    // The same problems, in the same words, as the Ajv validator of the public validateInputs.
    const viaAjv = (() => {
      try {
        validateInputs(none.graph.getAttribute("inputSchema"), { extra: 1, more: "x" }, "plain");
      } catch (e) {
        return e as InputError;
      }
    })();
    expect(viaAjv?.problems).toEqual([
      { path: "extra", message: "is not an input of this workflow (it takes no inputs)" },
      { path: "more", message: "is not an input of this workflow (it takes no inputs)" },
    ]);
    expect(refused.problems).toEqual(viaAjv?.problems);
    expect(refused.message).toBe(viaAjv?.message);
    await expect(engine.start(none, [] as never)).rejects.toMatchObject({
      code: "invalid-inputs",
      message: expect.stringContaining("must be an object of named inputs (got a list)"),
    });
    expect(await store.list()).toEqual([]);
    // No inputs for the one, anything for the other (a copy: the caller's object is its own).
    const given = { extra: { deep: [1] } };
    const open = await engine.start(any, given, { id: "open" });
    expect((await open.result()).inputs).toEqual(given);
    const plain = await engine.start(none, {}, { id: "plain" });
    expect((await plain.result()).inputs).toEqual({});
  });

  it("refuses a workflow with errors", async () => {
    const broken = { ...workflow, ok: false };
    const engine = createEngine({ executor: scripted().executor });
    await expect(engine.start(broken, { task: "x" })).rejects.toMatchObject({
      code: "invalid-workflow",
    });
  });

  it("accepts a compiled graph document and makes up an id", async () => {
    const engine = createEngine({ executor: scripted().executor });
    const handle = await engine.start(workflow.document, { task: "x" });
    expect(handle.id).toMatch(/^gated-\d{8}-\d{6}-[0-9a-f]{12}$/);
    expect((await handle.result()).status).toBe("waiting");
  });

  it("refuses an id that is taken, unless asked to replace it", async () => {
    const engine = createEngine({ executor: scripted().executor });
    await (await engine.start(workflow, { task: "x" }, { id: "same" })).result();
    await expect(engine.start(workflow, { task: "x" }, { id: "same" })).rejects.toMatchObject({
      code: "run-exists",
    });
    await expect(engine.start(workflow, { task: "x" }, { id: "../x" })).rejects.toMatchObject({
      code: "invalid-run-id",
    });
    const again = await engine.start(workflow, { task: "y" }, { id: "same", replace: true });
    expect((await again.result()).inputs.task).toBe("y");
  });
});

const retrying = compileSource(`
workflow retrying {
  agent bot
  start FLAKY
  state FLAKY = agent bot timeout 1m retry 2 backoff 10s {
    prompt "try"
    on success -> DONE
    on failure -> FAILED
  }
  final DONE
  final FAILED failure
}
`);

describe("executing states", () => {
  it("turns an executor's exception into a failed result (executor-error), with retries and backoff", async () => {
    const clock = new TestClock();
    const { executor, calls } = scripted({
      FLAKY: [
        () => {
          throw new Error("boom");
        },
        () => {
          throw new Error("boom again");
        },
        { output: "fine" },
      ],
    });
    const engine = createEngine({ executor, clock });
    const record = await (await engine.start(retrying, {}, { id: "f" })).result();
    expect(record.status).toBe("succeeded");
    expect(calls.map((c) => c.key)).toEqual(["f:FLAKY:1:1", "f:FLAKY:1:2", "f:FLAKY:1:3"]);
    expect(clock.sleeps).toEqual([10_000, 20_000]);
    expect(record.output).toBe("fine");
  });

  it("fails the run after the last retry, with the executor's error", async () => {
    const { executor } = scripted({
      FLAKY: () => {
        throw new Error("always");
      },
    });
    const engine = createEngine({ executor, clock: new TestClock() });
    const record = await (await engine.start(retrying, {}, { id: "g" })).result();
    expect(record.status).toBe("failed");
    expect(record.results.FLAKY?.error).toEqual({
      code: "executor-error",
      message: "the executor failed: always",
    });
  });

  it("gives an agent with no provider a clear agent-missing failure", async () => {
    const engine = createEngine({
      executor: async (ctx, services) => {
        const reply = await services.agent(ctx.state.agent!).call({
          agent: ctx.state.agent!,
          prompt: "x",
          state: ctx.state.name,
          run: ctx.run.id,
          idempotencyKey: ctx.idempotencyKey,
          signal: ctx.signal,
        });
        return {
          status: "succeeded",
          output: reply.output,
          attempts: 1,
          duration: 1,
          agentCalls: 1,
        };
      },
      clock: new TestClock(),
    });
    const record = await (await engine.start(retrying, {}, { id: "m" })).result();
    expect(record.results.FLAKY?.error?.code).toBe("agent-missing");
    expect(record.results.FLAKY?.error?.message).toMatch(/agent 'bot' has no provider.*--agents/);
    // With a function, the same workflow runs.
    const withFunction = createEngine({
      executor: async (ctx, services) => {
        const reply = await services.agent("bot").call({
          agent: "bot",
          prompt: "x",
          state: ctx.state.name,
          run: ctx.run.id,
          idempotencyKey: ctx.idempotencyKey,
          signal: ctx.signal,
        });
        return {
          status: "succeeded",
          output: reply.output,
          attempts: 1,
          duration: 1,
          agentCalls: 1,
        };
      },
      functions: { bot: () => "hello from a function" },
    });
    const ok = await (await withFunction.start(retrying, {}, { id: "n" })).result();
    expect(ok.output).toBe("hello from a function");
  });

  it("cancels a run in flight: the execution is aborted and the run ends cancelled", async () => {
    let aborted = false;
    let planStarted!: () => void;
    const started = new Promise<void>((resolve) => {
      planStarted = resolve;
    });
    const { executor } = scripted({
      PLAN: (ctx) =>
        new Promise<Partial<StateResult>>((resolve) => {
          planStarted();
          ctx.signal.addEventListener("abort", () => {
            aborted = true;
            resolve({ status: "failed" });
          });
        }),
    });
    const store = new MemoryStore();
    const engine = createEngine({ store, executor });
    const handle = await engine.start(workflow, { task: "x" }, { id: "c" });
    await started; // PLAN is in flight: an event, not a guess at how long that takes
    const record = await handle.cancel("changed my mind");
    expect(aborted).toBe(true);
    expect(record.status).toBe("cancelled");
    expect(record.error).toEqual({ code: "cancelled", message: "cancelled: changed my mind" });
    // The aborted attempt's result is not recorded.
    expect(record.results.PLAN).toBeUndefined();
    expect(store.journal("c").map((e) => e.type)).toEqual(["started", "cancelled"]);
    await expect(engine.cancel("c")).rejects.toMatchObject({ code: "not-cancellable" });
  });

  it("cancels a run waiting at a gate", async () => {
    const engine = createEngine({ executor: scripted().executor });
    await (await engine.start(workflow, { task: "x" }, { id: "w" })).result();
    const record = await engine.cancel("w");
    expect(record.status).toBe("cancelled");
  });

  it("streams typed observations, including the executor's output", async () => {
    const { executor } = scripted({
      PLAN: (ctx) => {
        ctx.emit({
          type: "state-output",
          run: ctx.run.id,
          state: "PLAN",
          stream: "agent",
          text: "thinking",
          at: "t",
        });
        return {};
      },
    });
    const seen: RunObservation[] = [];
    const engine = createEngine({ executor, onObservation: (o) => seen.push(o) });
    const handle = await engine.start(workflow, { task: "x" }, { id: "o" });
    const events: RunObservation[] = [];
    for await (const o of handle.events) events.push(o);
    expect(events.map((e) => e.type)).toEqual([
      "run-started",
      "state-entered",
      "state-output",
      "state-completed",
      "transition",
      "state-entered",
      "waiting-for-human",
    ]);
    expect(events[2]).toMatchObject({ text: "thinking" });
    expect(seen).toEqual(events);
    // A second iterator sees the same.
    const again: RunObservation[] = [];
    for await (const o of handle.events) again.push(o);
    expect(again).toEqual(events);
  });
});

describe("the file store's files", () => {
  it("holds the graph, the journal, the record and the log of a run", async () => {
    const root = join(tempDir(), "runs");
    const engine = createEngine({ store: new FileStore(root), executor: scripted().executor });
    await (await engine.start(workflow, { task: "x" }, { id: "files" })).result();
    const dir = join(root, "files");
    for (const f of ["graph.json", "run.json", "journal.jsonl", "record.json", "events.jsonl"]) {
      expect(existsSync(join(dir, f)), f).toBe(true);
    }
    expect(existsSync(join(dir, "lock"))).toBe(false);
    const journal = readFileSync(join(dir, "journal.jsonl"), "utf8").trim().split("\n");
    expect(journal.map((l) => JSON.parse(l).type)).toEqual(["started", "state-completed"]);
    const record = JSON.parse(readFileSync(join(dir, "record.json"), "utf8"));
    expect(record.seq).toBe(2);
    expect(JSON.parse(readFileSync(join(dir, "graph.json"), "utf8")).hash).toBe(
      workflow.document.hash,
    );
  });
});
