// Durability: what a crash can leave in a file store, and how a run comes back from it. A
// torn last journal line is ignored (and set aside at the next commit); a damaged line
// elsewhere stops the load with "journal-corrupt" and changes nothing; a record that is
// missing, damaged or behind the journal is rebuilt from it; a state in flight is executed
// again with the same idempotency key and a completed one never is.
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createEngine } from "../../../src/runtime/engine.ts";
import { FileStore } from "../../../src/runtime/store/file.ts";
import type { StateResult } from "../../../src/runtime/types.ts";
import { compileSource, gated, scripted, tempDir } from "./helpers.ts";

const workflow = compileSource(gated);

/** A run of `gated` that waits at APPROVE, in a fresh file store. */
async function waitingRun(id = "run") {
  const root = join(tempDir(), "runs");
  const store = new FileStore(root);
  const engine = createEngine({ store, executor: scripted().executor });
  const record = await (await engine.start(workflow, { task: "x" }, { id })).result();
  return { root, store, dir: join(root, id), record };
}

function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir)
      .sort()
      .map((f) => [f, readFileSync(join(dir, f), "utf8")]),
  );
}

describe("a damaged journal", () => {
  it("in the middle: journal-corrupt, naming the file and line, and nothing is rewritten", async () => {
    const { store, dir } = await waitingRun();
    const journal = join(dir, "journal.jsonl");
    const lines = readFileSync(journal, "utf8").split("\n");
    lines[0] = `${lines[0]!.slice(0, 20)}#garbage`;
    writeFileSync(journal, lines.join("\n"));
    const before = snapshot(dir);
    const error = await store.load("run").catch((e) => e);
    expect(error.code).toBe("journal-corrupt");
    expect(error.message).toContain(journal);
    expect(error.message).toContain("line 1 of 2");
    expect(error.message).not.toMatch(/\n\s+at /);
    const engine = createEngine({ store, executor: scripted().executor });
    await expect(engine.signal("run", { approve: true })).rejects.toMatchObject({
      code: "journal-corrupt",
    });
    await expect(engine.resume("run")).rejects.toMatchObject({ code: "journal-corrupt" });
    expect(snapshot(dir)).toEqual(before);
    // The lock taken to try was given back.
    expect(await store.owner("run")).toBeUndefined();
  });

  it("a line that is JSON but not an event is damage too", async () => {
    const { store, dir } = await waitingRun();
    const journal = join(dir, "journal.jsonl");
    writeFileSync(journal, `{"hello":"world"}\n${readFileSync(journal, "utf8")}`);
    await expect(store.load("run")).rejects.toMatchObject({ code: "journal-corrupt" });
  });

  it("a torn last line (a crash while appending) is ignored, reported, and set aside", async () => {
    const { store, dir, record } = await waitingRun();
    const journal = join(dir, "journal.jsonl");
    const intact = readFileSync(journal, "utf8");
    appendFileSync(journal, '{"type":"human-answered","state":"APPR');
    const loaded = await store.load("run");
    expect(loaded.recovery?.truncatedLine).toBe(3);
    expect(loaded.record).toEqual(record);
    // The next commit moves the torn bytes aside before it appends.
    const engine = createEngine({ store, executor: scripted().executor });
    const done = await (await engine.signal("run", { approve: true })).result();
    expect(done.status).toBe("succeeded");
    const text = readFileSync(journal, "utf8");
    expect(text.startsWith(intact)).toBe(true);
    expect(
      text
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l).type),
    ).toEqual(["started", "state-completed", "human-answered", "state-completed"]);
    const torn = readdirSync(dir).filter((f) => f.startsWith("journal.jsonl.torn-"));
    expect(torn).toHaveLength(1);
    expect(readFileSync(join(dir, torn[0]!), "utf8")).toBe(
      '{"type":"human-answered","state":"APPR',
    );
  });
});

describe("the log, the snapshots and creations a crash cut short", () => {
  it("a log line cut short by a crash does not swallow the next observation", async () => {
    const { store, dir } = await waitingRun();
    const seen = (await store.readLog("run")).length;
    appendFileSync(join(dir, "events.jsonl"), '{"type":"state-ent');
    const engine = createEngine({ store, executor: scripted().executor });
    const handle = await engine.signal("run", { approve: true });
    const observed = [];
    for await (const o of handle.events) observed.push(o);
    await handle.result();
    const log = await store.readLog("run");
    expect(log.slice(seen)).toEqual(observed);
    expect(readFileSync(join(dir, "events.jsonl"), "utf8")).toContain('{"type":"state-ent\n');
  });

  it("a temporary snapshot left by a crash is removed by the next holder of the lock", async () => {
    const { store, dir } = await waitingRun();
    const stale = join(dir, "record.json.12345.abcdef12.tmp");
    writeFileSync(stale, "{ half");
    const lock = await store.lock("run");
    await lock.release();
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(join(dir, "record.json"))).toBe(true);
  });

  it("the record is on disk, at the last event, once the run's lock is released", async () => {
    const { dir, record } = await waitingRun();
    expect(JSON.parse(readFileSync(join(dir, "record.json"), "utf8"))).toEqual(record);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("a creation cut short holds no id: the run is created again, and list() does not show it", async () => {
    const root = join(tempDir(), "runs");
    const store = new FileStore(root);
    const { createRun } = await import("../../../src/runtime/step.ts");
    const record = createRun(workflow.graph, {
      id: "fresh",
      graphHash: workflow.document.hash,
      inputs: { task: "x", language: "python" },
      at: new Date().toISOString(),
    });
    // A creation that fails half way (a graph that cannot be written) leaves nothing behind.
    const unwritable = { ...workflow.document, nodes: [{ size: 1n }] } as never;
    await expect(store.create(record, unwritable)).rejects.toThrow(/BigInt/);
    expect(readdirSync(root).filter((f) => !f.startsWith(".git") && f !== "biome.json")).toEqual(
      [],
    );
    // What a process killed while creating leaves: a half-made directory aside, not the id.
    mkdirSync(join(root, ".fresh.0badc0de.creating"));
    const engine = createEngine({ store, executor: scripted().executor });
    const done = await (await engine.start(workflow, { task: "x" }, { id: "fresh" })).result();
    expect(done.status).toBe("waiting");
    expect((await store.list()).map((r) => r.id)).toEqual(["fresh"]);
    await expect(engine.start(workflow, { task: "x" }, { id: "fresh" })).rejects.toMatchObject({
      code: "run-exists",
    });
  });

  it("what a crashed creation left is removed by list() once it is old, not while it may be under way", async () => {
    const root = join(tempDir(), "runs");
    const store = new FileStore(root);
    await (
      await createEngine({ store, executor: scripted().executor }).start(workflow, {
        task: "x",
      })
    ).result();
    const old = join(root, ".gone.0badc0de.creating");
    const recent = join(root, ".busy.0badc0de.creating");
    mkdirSync(old);
    mkdirSync(recent);
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(old, hourAgo, hourAgo);
    expect(await store.list()).toHaveLength(1);
    expect(existsSync(old)).toBe(false);
    expect(existsSync(recent)).toBe(true);
  });
});

describe("a record that is missing, damaged or behind the journal", () => {
  for (const [what, damage] of [
    ["missing", (f: string) => rmSync(f)],
    ["not JSON", (f: string) => writeFileSync(f, "{ nope")],
    [
      "someone else's",
      (f: string) => writeFileSync(f, JSON.stringify({ format: "aegis-run", id: "other" })),
    ],
  ] as const) {
    it(`is rebuilt from the journal when it is ${what}`, async () => {
      const { store, dir, record } = await waitingRun();
      damage(join(dir, "record.json"));
      const loaded = await store.load("run");
      expect(loaded.recovery?.rebuilt).toBeTruthy();
      expect(loaded.record).toEqual(record);
    });
  }

  it("is rebuilt when the crash came between the journal append and the record's rename", async () => {
    const { store, dir } = await waitingRun();
    const old = readFileSync(join(dir, "record.json"), "utf8");
    const engine = createEngine({ store, executor: scripted().executor });
    const done = await (await engine.signal("run", { approve: true })).result();
    // Put the record back to where it was before the answer: the journal is ahead.
    writeFileSync(join(dir, "record.json"), old);
    const loaded = await store.load("run");
    expect(loaded.recovery?.rebuilt).toMatch(/record.json is at event 2, the journal at 4/);
    expect(loaded.record).toEqual(done);
  });

  it("a record ahead of its journal is not guessed at", async () => {
    const { store, dir } = await waitingRun();
    const journal = join(dir, "journal.jsonl");
    writeFileSync(journal, `${readFileSync(journal, "utf8").split("\n")[0]}\n`);
    await expect(store.load("run")).rejects.toMatchObject({ code: "journal-corrupt" });
  });
});

describe("resuming a run that stopped with a state in flight", () => {
  it("executes that state again with the same idempotency key, and no completed state again", async () => {
    const root = join(tempDir(), "runs");
    const store = new FileStore(root);
    // The first process: BUILD hangs (an agent that never answers) until the process goes.
    const first = scripted({
      BUILD: (ctx) =>
        new Promise<Partial<StateResult>>((resolve) =>
          ctx.signal.addEventListener("abort", () => resolve({ status: "failed" })),
        ),
    });
    const engine = createEngine({ store, executor: first.executor });
    await (await engine.start(workflow, { task: "x" }, { id: "crash" })).result();
    const handle = await engine.signal("crash", { approve: true });
    while (first.calls.length < 2) await new Promise((r) => setTimeout(r, 5));
    // Another process cannot take the run while this one drives it.
    const other = createEngine({ store, executor: scripted().executor });
    await expect(other.resume("crash")).rejects.toMatchObject({ code: "run-locked" });
    // The process stops without recording anything (as a crash would).
    await engine.close();
    const stopped = await handle.result();
    expect(stopped.status).toBe("running");
    expect(stopped.current).toBe("BUILD");
    expect(await store.owner("crash")).toBeUndefined();

    const second = scripted();
    const later = createEngine({ store, executor: second.executor });
    const resumed = await later.resume("crash");
    const events = [];
    for await (const o of resumed.events) events.push(o);
    const done = await resumed.result();
    expect(done.status).toBe("succeeded");
    expect(first.calls.map((c) => [c.state, c.key])).toEqual([
      ["PLAN", "crash:PLAN:1:1"],
      ["BUILD", "crash:BUILD:1:1"],
    ]);
    expect(second.calls.map((c) => [c.state, c.key])).toEqual([["BUILD", "crash:BUILD:1:1"]]);
    expect(events[0]).toMatchObject({ type: "state-entered", state: "BUILD", visit: 1 });
  });

  it("takes over a lock left by a process that died", async () => {
    const { store, dir } = await waitingRun();
    writeFileSync(
      join(dir, "lock"),
      JSON.stringify({
        pid: 2 ** 22 + 12345,
        host: (await import("node:os")).hostname(),
        since: "x",
        token: "t",
      }),
    );
    const old = statSync(join(dir, "lock")).mtimeMs;
    expect(old).toBeGreaterThan(0);
    expect(await store.owner("run")).toBeUndefined();
    const engine = createEngine({ store, executor: scripted().executor });
    expect((await (await engine.signal("run", { approve: true })).result()).status).toBe(
      "succeeded",
    );
  });

  it("resumes a run whose creation was journaled but not started", async () => {
    const root = join(tempDir(), "runs");
    const store = new FileStore(root);
    const { createRun } = await import("../../../src/runtime/step.ts");
    const record = createRun(workflow.graph, {
      id: "fresh",
      graphHash: workflow.document.hash,
      inputs: { task: "x", language: "python" },
      at: new Date().toISOString(),
    });
    await store.create(record, workflow.document);
    const engine = createEngine({ store, executor: scripted().executor });
    expect((await (await engine.resume("fresh")).result()).status).toBe("waiting");
  });

  it("a finished run resumes to itself; an unknown one is run-not-found", async () => {
    const { store } = await waitingRun();
    const engine = createEngine({ store, executor: scripted().executor });
    const done = await (await engine.signal("run", { approve: true })).result();
    expect(await (await engine.resume("run")).result()).toEqual(done);
    await expect(engine.resume("nope")).rejects.toMatchObject({ code: "run-not-found" });
    await expect(engine.signal("run", { approve: true })).rejects.toMatchObject({
      code: "not-waiting",
    });
  });
});

describe("cancelling a run that another process drives", () => {
  it("asks it through the store, and it stops", async () => {
    const root = join(tempDir(), "runs");
    const store = new FileStore(root);
    const { executor } = scripted({
      PLAN: (ctx) =>
        new Promise<Partial<StateResult>>((resolve) =>
          ctx.signal.addEventListener("abort", () => resolve({ status: "failed" })),
        ),
    });
    const driver = createEngine({ store, executor, cancelPollMs: 20 });
    const handle = await driver.start(workflow, { task: "x" }, { id: "far" });
    await new Promise((r) => setTimeout(r, 30));
    // A second store object on the same directory stands for another process.
    const other = createEngine({ store: new FileStore(root) });
    const record = await other.cancel("far", "from elsewhere");
    expect(record.status).toBe("cancelled");
    expect((await handle.result()).error?.message).toBe("cancelled: from elsewhere");
  });
});
