// One measurement in a child process; prints its result as JSON on the last line.
//   node --expose-gc lib/worker.ts MODE [ARG...]
import {
  closeSync,
  fsyncSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { buildChain, chainSource } from "./aegis-sources.ts";
import { sample, stat } from "./stats.ts";

const [mode, ...args] = process.argv.slice(2);
const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const gc = () => (globalThis as { gc?: () => void }).gc?.();
const out = (value: unknown) => console.log(JSON.stringify(value));

const SIZES = { chain: 200, loop: 10_000, fanout: 100, build: 10_000 };

async function engineModule(name: string): Promise<any> {
  if (name === "aegis") return (await import("./aegis.ts")).aegis;
  const peers = await import("./peers.ts");
  return (peers as any)[name];
}

async function scenarios(engine: string) {
  const e = await engineModule(engine);
  const samples = env("BENCH_SAMPLES", 15);
  const loopSamples = env("BENCH_LOOP_SAMPLES", 3);
  const result: Record<string, unknown> = {};
  // chain: time per step
  {
    const r = e.chain(SIZES.chain);
    const check = await r.run();
    const times = await sample(() => r.run(), 5, samples);
    result.chain = {
      ...stat(
        times.map((t) => (t / SIZES.chain) * 1000),
        "µs/step",
      ),
      check,
    };
  }
  // fan-out: time per run
  {
    const r = e.fanout(SIZES.fanout);
    const check = await r.run();
    const times = await sample(() => r.run(), 5, samples);
    result.fanout = { ...stat(times, "ms/run"), check };
  }
  // loop: time per transition (A -> B -> A ... until B visited 10,000 times ≈ 20,000 transitions)
  {
    await e.loop(1000).run(); // warm-up on a smaller loop
    const r = e.loop(SIZES.loop);
    const times: number[] = [];
    let check = 0;
    const budgetMs = env("BENCH_LOOP_BUDGET_MS", 120_000);
    const started = performance.now();
    for (let i = 0; i < loopSamples; i++) {
      gc();
      const t = performance.now();
      check = await r.run();
      times.push(performance.now() - t);
      if (performance.now() - started > budgetMs) break;
    }
    result.loop = {
      ...stat(
        times.map((t) => (t / (2 * SIZES.loop)) * 1000),
        "µs/transition",
      ),
      check,
    };
  }
  out(result);
}

async function build(engine: string) {
  const e = await engineModule(engine);
  const n = Number(args[1] ?? SIZES.build);
  const samples = env("BENCH_BUILD_SAMPLES", 5);
  const source = chainSource(n);
  // wrapped: a Mastra workflow has a `then` method (its builder), so it must never be awaited
  const make =
    engine === "aegis" ? () => ({ built: e.build(source) }) : () => ({ built: e.build(n) });
  if (engine === "aegis" && !make().built.ok) throw new Error("aegis: the chain does not compile");
  const times = await sample(make, 1, samples);
  // aegis builds the exported document and its content hash when first asked for: measured
  // too, so that leaving it out of `build` hides nothing.
  const withDocument =
    engine === "aegis"
      ? stat(await sample(() => e.build(source).document.hash, 1, samples), "ms/build")
      : undefined;
  // aegis: the same chain built in TypeScript (aegis-workflows/builder), parts made and
  // compiled; it must be the same graph.
  let builder: ReturnType<typeof stat> | undefined;
  if (engine === "aegis") {
    const make = await buildChain(n);
    const built = make().compile();
    if (built.document.hash !== e.build(source).document.hash)
      throw new Error("aegis: the built chain is not the text's graph");
    builder = stat(await sample(() => make().compile(), 1, samples), "ms/build");
  }
  // heap retained by one built graph
  gc();
  const before = process.memoryUsage().heapUsed;
  let keep: unknown = make();
  gc();
  const retained = process.memoryUsage().heapUsed - before;
  keep = keep && null;
  out({
    build: stat(times, "ms/build"),
    ...(withDocument && { buildWithDocument: withDocument }),
    ...(builder && { buildWithBuilder: builder }),
    retainedHeapMB: retained / 2 ** 20,
    peakRssMB: process.memoryUsage().rss / 2 ** 20,
    states: n,
  });
}

/** aegis compile(source) growth: one size, a few samples. */
async function growth() {
  const { compile } = await import("./aegis.ts");
  const n = Number(args[0]);
  const samples = Number(args[1] ?? 3);
  const source = chainSource(n);
  const times: number[] = [];
  let ok = true;
  for (let i = 0; i < samples + 1; i++) {
    gc();
    const t = performance.now();
    ok = compile(source).ok;
    if (i > 0 || n >= 100_000)
      times.push(performance.now() - t); // 100k: no separate warm-up
    else continue;
  }
  out({
    states: n,
    ok,
    compile: stat(times, "ms"),
    perStateUs: stat(
      times.map((t) => (t / n) * 1000),
      "µs/state",
    ),
  });
}

/** Fresh process: time and memory to load one engine. */
async function importEngine(engine: string) {
  const specifier: Record<string, string> = {
    aegis: new URL("../../src/index.ts", import.meta.url).href,
    "aegis-lib": new URL("../../lib/index.js", import.meta.url).href,
    langgraph: "@langchain/langgraph",
    xstate: "xstate",
    mastra: "@mastra/core/workflows",
  };
  gc();
  const m0 = process.memoryUsage();
  const t = performance.now();
  await import(specifier[engine]!);
  const ms = performance.now() - t;
  gc();
  const m1 = process.memoryUsage();
  out({ ms, heapMB: (m1.heapUsed - m0.heapUsed) / 2 ** 20, rssMB: (m1.rss - m0.rss) / 2 ** 20 });
}

/** The durable file store: cost per completed state vs raw fsync'ed appends of the same bytes. */
async function durable() {
  const { aegis, FileStore } = await import("./aegis.ts");
  const dir = args[0]!;
  const n = 200;
  const samples = env("BENCH_DURABLE_SAMPLES", 5);
  let root = "";
  let i = 0;
  const r = aegis.chain(n, () => {
    root = join(dir, `store-${i++}`);
    return new FileStore(root);
  });
  await r.run(); // warm-up; its journal gives the bytes and events per state
  const runDir = join(root, readdirSync(root).find((f) => statSync(join(root, f)).isDirectory())!);
  const files = readdirSync(runDir).map((f) => ({ f, size: statSync(join(runDir, f)).size }));
  const journal = readFileSync(join(runDir, "journal.jsonl"), "utf8");
  const lines = journal
    .split("\n")
    .filter(Boolean)
    .map((l) => `${l}\n`);
  const perState = Buffer.byteLength(journal) / n;
  // raw: one fsync'ed append per completed state of that state's share of the journal
  const raw = (chunks: string[]) => {
    const path = join(dir, `raw-${Math.random()}.jsonl`);
    const fd = openSync(path, "a");
    const t = performance.now();
    for (const c of chunks) {
      writeSync(fd, c);
      fsyncSync(fd);
    }
    const ms = performance.now() - t;
    closeSync(fd);
    return ms;
  };
  const chunk = "x".repeat(Math.round(perState) - 1) + "\n";
  const perStateChunks = Array.from({ length: n }, () => chunk);
  // Store and raw samples alternate: the disk's speed drifts (other writers, its cache), and
  // a ratio of figures taken minutes apart says more about the drift than about the store.
  const times: number[] = [];
  const rawState: number[] = [];
  const rawEvent: number[] = [];
  raw(perStateChunks);
  for (let k = 0; k < samples; k++) {
    gc();
    const t = performance.now();
    await r.run();
    times.push(performance.now() - t);
    rawState.push((raw(perStateChunks) / n) * 1000);
    rawEvent.push((raw(lines) / n) * 1000);
  }
  rmSync(dir, { recursive: true, force: true });
  out({
    perState: stat(
      times.map((t) => (t / n) * 1000),
      "µs/state",
    ),
    rawAppendPerState: stat(rawState, "µs/state"),
    rawAppendPerEvent: stat(rawEvent, "µs/state"),
    journalBytesPerState: perState,
    eventsPerState: lines.length / n,
    runFiles: files,
  });
}

/**
 * The heap the runs hold: a full collection halfway through (every run under way), so that
 * garbage waiting for the collector is not counted as memory in use. A function of its
 * own, so that nothing of it stays reachable for the timed pass.
 */
async function liveHeapMidRun(
  createEngine: any,
  MemoryStore: any,
  workflow: unknown,
  runs: number,
  states: number,
): Promise<number> {
  let calls = 0;
  let liveHeap = 0;
  const half = (runs * states) / 2;
  const functions = {
    noop: async () => {
      if (++calls === half) {
        gc();
        liveHeap = process.memoryUsage().heapUsed;
      }
      return "";
    },
  };
  const engine = createEngine({ store: new MemoryStore(), functions });
  const started = await Promise.all(
    Array.from({ length: runs }, (_, i) => engine.start(workflow, {}, { id: `p${i}` })),
  );
  await Promise.all(started.map((h: any) => h.result()));
  return liveHeap;
}

/** 1,000 concurrent runs of a 20-state workflow with async no-op agents, one process. */
async function concurrent() {
  const { compiled, createEngine, MemoryStore } = await import("./aegis.ts");
  const runs = Number(args[0] ?? 1000);
  const states = 20;
  const workflow = compiled(chainSource(states));
  const functions = { noop: async () => "" };
  // warm-up
  {
    const engine = createEngine({ store: new MemoryStore(), functions });
    await Promise.all(
      Array.from({ length: 50 }, async (_, i) =>
        (await engine.start(workflow, {}, { id: `w${i}` })).result(),
      ),
    );
  }
  const liveHeap = await liveHeapMidRun(createEngine, MemoryStore, workflow, runs, states);
  gc();
  const base = process.memoryUsage();
  let peakHeap = base.heapUsed;
  let peakRss = base.rss;
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    peakHeap = Math.max(peakHeap, m.heapUsed);
    peakRss = Math.max(peakRss, m.rss);
  }, 5);
  const engine = createEngine({ store: new MemoryStore(), functions });
  const t = performance.now();
  const handles = await Promise.all(
    Array.from({ length: runs }, (_, i) => engine.start(workflow, {}, { id: `r${i}` })),
  );
  const records = await Promise.all(handles.map((h) => h.result()));
  const ms = performance.now() - t;
  clearInterval(timer);
  const m = process.memoryUsage();
  peakHeap = Math.max(peakHeap, m.heapUsed);
  peakRss = Math.max(peakRss, m.rss);
  const ok = records.filter((r) => r.status === "succeeded").length;
  out({
    runs,
    states,
    succeeded: ok,
    liveHeapMB: liveHeap / 2 ** 20,
    ms,
    runsPerSec: runs / (ms / 1000),
    statesPerSec: (runs * states) / (ms / 1000),
    peakHeapMB: peakHeap / 2 ** 20,
    baseHeapMB: base.heapUsed / 2 ** 20,
    peakRssMB: peakRss / 2 ** 20,
  });
}

/**
 * Fresh process: import, then the first build of a small chain, as a program starting up
 * pays for it (aegis loads its compiler on first use; this shows that cost too).
 */
async function firstUse(engine: string) {
  const states = 20;
  const t = performance.now();
  if (engine === "aegis" || engine === "aegis-lib") {
    const entry = engine === "aegis" ? "../../src/index.ts" : "../../lib/index.js";
    const { compile } = await import(new URL(entry, import.meta.url).href);
    if (!compile(chainSource(states)).ok) throw new Error("aegis: the chain does not compile");
  } else if (engine === "xstate") {
    const { createActor, createMachine } = await import("xstate");
    const chain: Record<string, unknown> = { done: { type: "final" } };
    for (let i = 0; i < states; i++)
      chain[`s${i}`] = { on: { NEXT: i + 1 < states ? `s${i + 1}` : "done" } };
    createActor(createMachine({ id: "chain", initial: "s0", states: chain } as any)).start();
  } else throw new Error(`no first-use measurement for ${engine}`);
  out({ ms: performance.now() - t, states });
}

const modes: Record<string, () => Promise<void>> = {
  scenarios: () => scenarios(args[0]!),
  build: () => build(args[0]!),
  growth,
  import: () => importEngine(args[0]!),
  first: () => firstUse(args[0]!),
  durable,
  concurrent,
};
if (!modes[mode!]) {
  console.error(`unknown mode ${mode}`);
  process.exit(2);
}
await modes[mode!]!();
