// What a long-lived host (aegis serve) needs of the engine: runs stored without being
// driven (a queue), a caller kept with the run, each run working in its own directory
// within one process, observations named by their place in the run's log once written,
// and when a run no process drives falls due.
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createEngine } from "../../../src/runtime/engine.ts";
import type { LoggedObservation } from "../../../src/runtime/events.ts";
import { FileStore } from "../../../src/runtime/store/file.ts";
import { MemoryStore } from "../../../src/runtime/store/memory.ts";
import { wakeAt } from "../../../src/runtime/wake.ts";
import { compileSource, gated, scripted, TestClock, tempDir } from "./helpers.ts";

const pwd = compileSource(`
workflow pwd {
  start HERE
  state HERE = run "pwd > where.txt" timeout 1m {
    on exit 0 -> DONE
    otherwise -> FAILED
  }
  final DONE
  final FAILED
}`);

const agentPwd = compileSource(`
workflow agent_pwd {
  agent here = command(command: "pwd")
  start ASK
  state ASK = agent here timeout 1m {
    prompt "where?"
    on success -> DONE
    otherwise -> FAILED
  }
  final DONE
  final FAILED
}`);

describe("a host's engine", () => {
  it("stores a run without driving it, and starts it on resume", async () => {
    const { executor, calls } = scripted();
    const store = new MemoryStore();
    const engine = createEngine({ store, executor });
    const record = await engine.enqueue(compileSource(gated), { task: "x" });
    expect(record.seq).toBe(0);
    expect(calls).toEqual([]);
    expect((await engine.get(record.id)).status).toBe("running");
    const handle = await engine.resume(record.id);
    const done = await handle.result();
    expect(done.status).toBe("waiting");
    expect(calls.map((c) => c.state)).toEqual(["PLAN"]);
  });

  it("refuses to enqueue what it would refuse to start, storing nothing", async () => {
    const store = new MemoryStore();
    const engine = createEngine({ store, executor: scripted().executor });
    await expect(engine.enqueue(compileSource(gated), {})).rejects.toMatchObject({
      code: "invalid-inputs",
    });
    expect(await store.list()).toEqual([]);
  });

  it("keeps who started a run, and gives it to the run's subworkflows", async () => {
    const store = new MemoryStore();
    const engine = createEngine({ store, executor: scripted().executor });
    const caller = { via: "mcp", client: "claude-code 2.1", session: "s-42" };
    const handle = await engine.start(compileSource(gated), { task: "x" }, { caller });
    await handle.result();
    expect((await store.load(handle.id)).meta.caller).toEqual(caller);
  });

  it("runs each run's commands and agents in that run's workdir, two at once in one process", async () => {
    const root = tempDir();
    const [a, b] = [join(root, "a"), join(root, "b")];
    mkdirSync(a);
    mkdirSync(b);
    const engine = createEngine({ store: new MemoryStore() });
    const runs = await Promise.all([
      engine.start(pwd, {}, { workdir: a }),
      engine.start(pwd, {}, { workdir: b }),
      engine.start(agentPwd, {}, { workdir: b }),
    ]);
    const [ra, rb, agent] = await Promise.all(runs.map((r) => r.result()));
    expect([ra!.status, rb!.status, agent!.status]).toEqual([
      "succeeded",
      "succeeded",
      "succeeded",
    ]);
    expect(readFileSync(join(a, "where.txt"), "utf8").trim()).toBe(a);
    expect(readFileSync(join(b, "where.txt"), "utf8").trim()).toBe(b);
    expect(String(agent!.results.ASK?.output).trim()).toContain(b);
    expect(process.cwd()).not.toBe(a);
  });

  it("names each observation by its place in the run's log, across resumes", async () => {
    const store = new FileStore(tempDir());
    const logged = new Map<string, LoggedObservation[]>();
    const onLogged = (run: string, entries: readonly LoggedObservation[]) =>
      logged.set(run, [...(logged.get(run) ?? []), ...entries]);
    const workflow = compileSource(gated);
    const first = createEngine({ store, executor: scripted().executor, onLogged });
    const handle = await first.start(workflow, { task: "x" });
    expect((await handle.result()).status).toBe("waiting");
    await first.idle();
    // Another engine (a restarted server) answers the gate and goes on numbering.
    const second = createEngine({ store, executor: scripted().executor, onLogged });
    await (await second.signal(handle.id, { approve: true, approver: "alice" })).result();
    await second.idle();
    const entries = logged.get(handle.id)!;
    const log = await store.readLog(handle.id);
    expect(entries.map((e) => e.n)).toEqual(log.map((_, i) => i + 1));
    expect(entries.map((e) => e.observation)).toEqual(log);
    expect(entries.some((e) => e.observation.type === "human-answered")).toBe(true);
  });

  it("says when a run waiting at a gate with a timeout falls due, and only then", async () => {
    const clock = new TestClock();
    const engine = createEngine({ store: new MemoryStore(), executor: scripted().executor, clock });
    const handle = await engine.start(compileSource(gated), { task: "x" });
    const waiting = await handle.result();
    expect(waiting.status).toBe("waiting");
    const due = wakeAt(waiting);
    expect(due).toBe(Date.parse(waiting.waiting!.timeoutAt!));
    expect(due! > clock.now()).toBe(true);
    const answered = await (await engine.signal(handle.id, { approve: true })).result();
    expect(wakeAt(answered)).toBeUndefined();
  });
});

describe("cancelling a run as it stops at its gate", () => {
  it("cancels it all the same", async () => {
    const gateFirst = compileSource(`
workflow gate_first {
  start APPROVE
  state APPROVE = human timeout 1h {
    prompt "Ship?"
    on approved -> DONE
    on rejected -> FAILED
  }
  final DONE
  final FAILED failure
}`);
    // The run's log is written only when the test lets it: the run has reached its gate
    // (its loop is over) but is still being let go when the cancel comes.
    const store = new MemoryStore();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const append = store.appendLog.bind(store);
    store.appendLog = async (id, observations) => {
      await held;
      return append(id, observations);
    };
    const engine = createEngine({ store, executor: scripted().executor });
    const handle = await engine.start(gateFirst);
    while ((await engine.get(handle.id)).status !== "waiting")
      await new Promise((r) => setTimeout(r, 10));
    const cancelling = engine.cancel(handle.id, "changed my mind");
    release();
    const cancelled = await cancelling;
    expect(cancelled.status).toBe("cancelled");
    expect((await engine.get(handle.id)).status).toBe("cancelled");
  });
});
