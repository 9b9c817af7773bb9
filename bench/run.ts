// `npm run bench` (issue #6): the same scenarios on aegis and on LangGraph, XState v5 and
// Mastra, each measurement in a child process of this Node; one table, and the results as
// JSON in bench/results/latest.json. Settings (environment): BENCH_SAMPLES (15),
// BENCH_LOOP_SAMPLES (3), BENCH_BUILD_SAMPLES (5), BENCH_IMPORT_SAMPLES (7),
// BENCH_GROWTH_100K_TIMEOUT_S (240), BENCH_ONLY (comma-separated engines; "startup" runs only
// the CLI start-up table, "server" only the aegis serve table, "restate" only the Restate
// table), BENCH_STARTUP_ROUNDS (21), BENCH_SERVER_RUNS (10000), and lib/restate.ts's
// BENCH_RESTATE_* settings.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildAction } from "../scripts/build-action.ts";
import { chainSource } from "./lib/aegis-sources.ts";
import { benchLsp, type LspBench } from "./lib/lsp.ts";
import type { RestateBench } from "./lib/restate.ts";
import { benchServer, type ServerBench } from "./lib/server.ts";
import { BARE, measureStartup, type StartupResult, startupCases } from "./lib/startup.ts";
import { type Stat, stat } from "./lib/stats.ts";

const bench = dirname(fileURLToPath(import.meta.url));
const root = join(bench, "..");
const tmp = join(bench, ".tmp");
const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const log = (...a: unknown[]) => console.error("[bench]", ...a);

// ------------------------------------------------------------------ dependencies
const installed = join(bench, "node_modules", ".package-lock.json");
if (
  !existsSync(installed) ||
  statSync(installed).mtimeMs < statSync(join(bench, "package-lock.json")).mtimeMs
) {
  log("installing the peer engines: npm --prefix bench ci");
  const r = spawnSync("npm", ["--prefix", bench, "ci", "--no-audit", "--no-fund"], {
    stdio: "inherit",
  });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

// ------------------------------------------------------------------ lib/ (what users import)
// aegis's import is measured on the built library, as published: rebuild it when a source
// file is newer than it.
const libEntry = join(root, "lib", "index.js");
const newestSource = Math.max(
  ...readdirSync(join(root, "src"), { recursive: true, encoding: "utf8" }).map(
    (f) => statSync(join(root, "src", f)).mtimeMs,
  ),
);
const libCli = join(root, "lib", "bundle", "commands.json"); // the bundled command line (scripts/build-cli.ts)
if (
  !existsSync(libEntry) ||
  statSync(libEntry).mtimeMs < newestSource ||
  !existsSync(libCli) ||
  statSync(libCli).mtimeMs < newestSource
) {
  log("building lib/: npm run build");
  const r = spawnSync("npm", ["run", "build"], { cwd: root, stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

// ------------------------------------------------------------------ child processes
interface Child {
  ok: boolean;
  value?: any;
  error?: string;
  ms: number;
}
function child(args: string[], timeoutS = 900, nodeArgs: string[] = ["--expose-gc"]): Child {
  const t = performance.now();
  const r = spawnSync(process.execPath, [...nodeArgs, ...args], {
    cwd: bench,
    encoding: "utf8",
    timeout: timeoutS * 1000,
    maxBuffer: 64 * 2 ** 20,
  });
  const ms = performance.now() - t;
  if (r.error || r.status !== 0) {
    const why = r.error?.message.includes("ETIMEDOUT")
      ? `timed out after ${timeoutS}s`
      : (r.stderr || r.error?.message || "").trim().split("\n").slice(-3).join(" | ");
    return { ok: false, error: why || `exit ${r.status}`, ms };
  }
  const last = r.stdout.trim().split("\n").pop()!;
  try {
    return { ok: true, value: JSON.parse(last), ms };
  } catch {
    return { ok: true, value: last, ms };
  }
}
const worker = (...args: string[]) => child(["lib/worker.ts", ...args]);

const startupOnly = process.env.BENCH_ONLY === "startup";
const serverOnly = process.env.BENCH_ONLY === "server";
const restateOnly = process.env.BENCH_ONLY === "restate";
const lspOnly = process.env.BENCH_ONLY === "lsp";
const engines =
  startupOnly || serverOnly || restateOnly || lspOnly
    ? []
    : (process.env.BENCH_ONLY?.split(",") ?? ["aegis", "langgraph", "xstate", "mastra"]);
const peers = engines.filter((e) => e !== "aegis");
const results: Record<string, any> = {
  date: new Date().toISOString(),
  node: process.version,
  machine: {
    cpus: cpus().length,
    cpu: cpus()[0]?.model,
    memGB: totalmem() / 2 ** 30,
    platform: process.platform,
  },
  engines: {} as Record<string, any>,
  aegis: {} as Record<string, any>,
};
try {
  const lock = JSON.parse(
    (await import("node:fs")).readFileSync(join(bench, "package-lock.json"), "utf8"),
  );
  results.versions = Object.fromEntries(
    ["@langchain/langgraph", "@langchain/core", "xstate", "@mastra/core"].map((p) => [
      p,
      lock.packages[`node_modules/${p}`]?.version,
    ]),
  );
} catch {}

// ------------------------------------------------------------------ engine scenarios
for (const e of engines) {
  log(`${e}: chain / fan-out / loop`);
  const s = worker("scenarios", e);
  log(`${e}: build 10k`);
  const b = worker("build", e, "10000");
  log(`${e}: import (fresh processes)`);
  const imports: Child[] = [];
  // aegis: the built library (lib/index.js), as users get it; src/ is measured below.
  const imported = e === "aegis" ? "aegis-lib" : e;
  for (let i = 0; i < env("BENCH_IMPORT_SAMPLES", 7); i++) imports.push(worker("import", imported));
  const good = imports.filter((c) => c.ok);
  // Import and first use: aegis loads its compiler on first use; this row shows that cost.
  const firsts: Child[] = [];
  if (e === "aegis" || e === "xstate") {
    log(`${e}: import + first build of a 20-state chain (fresh processes)`);
    for (let i = 0; i < env("BENCH_IMPORT_SAMPLES", 7); i++) firsts.push(worker("first", imported));
  }
  const goodFirsts = firsts.filter((c) => c.ok);
  results.engines[e] = {
    ...(s.ok ? s.value : { error: s.error }),
    ...(b.ok
      ? { build: b.value.build, graphHeapMB: b.value.retainedHeapMB }
      : { build: { error: b.error } }),
    import: good.length
      ? {
          time: stat(
            good.map((c) => c.value.ms),
            "ms",
          ),
          heapMB: stat(
            good.map((c) => c.value.heapMB),
            "MB",
          ),
          rssMB: stat(
            good.map((c) => c.value.rssMB),
            "MB",
          ),
          process: stat(
            good.map((c) => c.ms),
            "ms",
          ),
        }
      : { error: imports[0]?.error },
    ...(firsts.length > 0 && {
      firstUse: goodFirsts.length
        ? stat(
            goodFirsts.map((c) => c.value.ms),
            "ms",
          )
        : { error: firsts[0]?.error },
    }),
    ...(b.ok && b.value.buildWithDocument && { buildWithDocument: b.value.buildWithDocument }),
    ...(b.ok && b.value.buildWithBuilder && { buildWithBuilder: b.value.buildWithBuilder }),
  };
  if (!s.ok) log(`${e}: scenarios failed: ${s.error}`);
}
if (engines.includes("aegis")) {
  log("aegis: import from src/ (type stripping, fresh processes)");
  const imports: Child[] = [];
  for (let i = 0; i < env("BENCH_IMPORT_SAMPLES", 7); i++) imports.push(worker("import", "aegis"));
  const good = imports.filter((c) => c.ok);
  if (good.length)
    results.aegis.importSrc = {
      time: stat(
        good.map((c) => c.value.ms),
        "ms",
      ),
      heapMB: stat(
        good.map((c) => c.value.heapMB),
        "MB",
      ),
    };
}

// ------------------------------------------------------------------ aegis only
if (engines.includes("aegis")) {
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, "many"), { recursive: true });
  const cli = join(root, "bin", "aegis.js");
  log("aegis: compile --check, one file, cold CLI");
  writeFileSync(join(tmp, "one.aegis"), chainSource(20, "one"));
  const one: Child[] = [];
  for (let i = 0; i < 7; i++)
    one.push(child([cli, "compile", "--check", join(tmp, "one.aegis")], 120, []));
  log("aegis: compile --check, 1,000 files");
  for (let i = 0; i < 1000; i++)
    writeFileSync(join(tmp, "many", `wf${i}.aegis`), chainSource(10 + (i % 20), `wf${i}`));
  const many: Child[] = [];
  for (let i = 0; i < 3; i++)
    many.push(child([cli, "compile", "--check", join(tmp, "many", "*.aegis")], 600, []));
  const okStat = (cs: Child[], unit = "ms") =>
    cs.every((c) => c.ok)
      ? stat(
          cs.map((c) => c.ms),
          unit,
        )
      : { error: cs.find((c) => !c.ok)?.error };
  results.aegis.cliCheckOne = okStat(one);
  results.aegis.cliCheck1000 = okStat(many);

  const dist = join(root, "dist", "index.js");
  if (existsSync(dist)) {
    log("aegis: bundled action start-up (dist/index.js, no inputs)");
    const starts: Child[] = [];
    for (let i = 0; i < 7; i++) {
      const t = performance.now();
      const r = spawnSync(process.execPath, [dist], {
        cwd: tmp,
        encoding: "utf8",
        timeout: 60_000,
        env: { PATH: process.env.PATH ?? "" },
      });
      starts.push({
        ok: !r.error,
        ms: performance.now() - t,
        value: r.status,
        error: r.error?.message,
      });
    }
    results.aegis.actionStartup = {
      ...stat(
        starts.map((c) => c.ms),
        "ms",
      ),
      exitCode: starts[0]?.value,
      note: "process start to exit, no INPUT_* variables",
    };
  } else results.aegis.actionStartup = "n/a (no dist/)";

  log("aegis: durable file store");
  const d = worker("durable", join(tmp, "durable"));
  results.aegis.durable = d.ok ? d.value : { error: d.error };

  log("aegis: 1,000 concurrent runs");
  const c = worker("concurrent", "1000");
  results.aegis.concurrent = c.ok ? c.value : { error: c.error };

  log("aegis: build growth 1k / 10k / 100k");
  results.aegis.growth = {};
  for (const [n, samples, timeout] of [
    [1000, 5, 300],
    [10_000, 3, 300],
    [100_000, 1, env("BENCH_GROWTH_100K_TIMEOUT_S", 240)],
  ] as const) {
    log(`aegis: compile ${n} states (time limit ${timeout}s)`);
    const r = child(["lib/worker.ts", "growth", String(n), String(samples)], timeout);
    results.aegis.growth[n] = r.ok ? r.value : { states: n, error: r.error };
  }
  rmSync(tmp, { recursive: true, force: true });
}

// ------------------------------------------------------------------ start-up (issue 13)
// Whole fresh processes, side by side (each round runs every case once, in rotating order),
// each next to a bare `node -e ''`: the CLI as the package ships it (lib/cli.js), the
// Action (built from src/ into bench/.tmp, not dist/) to its first running state, and a
// program importing the library and compiling once beside one importing XState.
// ------------------------------------------------------------------ aegis serve (issue 14)
// Through the real HTTP API of a server child process: runs started per second, memory with
// BENCH_SERVER_RUNS runs waiting at gates and the time to answer one, and the latency of
// events from a state's completion to an SSE client.
if (serverOnly || engines.includes("aegis")) {
  const runs = env("BENCH_SERVER_RUNS", 10_000);
  log(`aegis serve: ${runs} runs started and left waiting at a gate`);
  results.server = await benchServer(runs);
}

// ------------------------------------------------------------------ aegis lsp (issue 18)
// The language server as an editor sees it: a document opened, then typed into, each
// edit's diagnostics awaited; beside compile() of the same text (the work of an edit).
if (lspOnly || engines.includes("aegis")) {
  log("aegis lsp: open and edit 50, 500 and 5,000-state documents");
  const dir = join(tmp, "lsp");
  mkdirSync(dir, { recursive: true });
  results.lsp = await benchLsp([50, 500, 5000], env("BENCH_LSP_EDITS", 15), dir);
}

// ------------------------------------------------------------------ Restate (issue 16)
// Real Restate servers (scripts/restate): the aegis host's cost per state next to a raw
// `ctx.run` step, and runs per second through 1, 2 and 4 `aegis worker` processes.
if (restateOnly || engines.includes("aegis")) {
  log("Restate: per-state overhead and workers (about a minute)");
  const r = child(["lib/restate.ts"], 600);
  results.restate = r.ok ? r.value : { error: r.error };
  if (!r.ok) log(`Restate: failed: ${r.error}`);
}

if (startupOnly || engines.includes("aegis")) {
  const dir = join(bench, ".tmp", "startup");
  log("start-up: building the Action from src/ into bench/.tmp/startup-action");
  const actionDir = join(bench, ".tmp", "startup-action");
  await buildAction(actionDir);
  const rounds = env("BENCH_STARTUP_ROUNDS", 21);
  const cases = await startupCases(root, dir, {
    actionDist: join(actionDir, "index.js"),
    forms: ["bundle", "source"],
  });
  log(`start-up: ${rounds} rounds of ${cases.length} fresh processes, side by side`);
  results.startup = { rounds, cases: await measureStartup(cases, rounds) };
  rmSync(join(bench, ".tmp"), { recursive: true, force: true });
}

// ------------------------------------------------------------------ table
const E = results.engines;
const fmt = (x: number) =>
  x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3);
const cell = (s: Stat | any) =>
  s && typeof s.median === "number"
    ? `${fmt(s.median)} [${fmt(s.min)}–${fmt(s.max)}]`
    : s?.error
      ? "error"
      : "—";
const ratio = (peer: Stat | any, mine: Stat | any) =>
  peer && mine && typeof peer.median === "number" && typeof mine.median === "number"
    ? peer.median / mine.median
    : undefined;
const rows: string[][] = [];
const scen: [string, (e: any) => any, string][] = [
  ["chain (200 steps)", (e) => e?.chain, "µs/step"],
  ["loop (20k transitions)", (e) => e?.loop, "µs/transition"],
  ["fan-out (100 branches + join)", (e) => e?.fanout, "ms/run"],
  ["build (10k-state chain)", (e) => e?.build, "ms"],
  [
    "graph heap (10k states)",
    (e) =>
      typeof e?.graphHeapMB === "number"
        ? { median: e.graphHeapMB, min: e.graphHeapMB, max: e.graphHeapMB }
        : undefined,
    "MB",
  ],
  ["import time (fresh process; aegis: lib/)", (e) => e?.import?.time, "ms"],
  ["import heap", (e) => e?.import?.heapMB, "MB"],
  ["import + first build of a 20-state chain", (e) => e?.firstUse, "ms"],
];
for (const [name, get, unit] of scen) {
  const mine = get(E.aegis);
  const row = [`${name}, ${unit}`, cell(mine)];
  for (const p of peers) {
    const r = ratio(get(E[p]), mine);
    row.push(`${cell(get(E[p]))}${r !== undefined ? ` (×${fmt(r)})` : ""}`);
  }
  rows.push(row);
}
const header = ["scenario (median [min–max])", "aegis", ...peers.map((p) => `${p} (peer/aegis)`)];

// targets
const targets: { target: string; value: string; pass: boolean | null }[] = [];
const T = (
  target: string,
  value: number | undefined,
  pass: (v: number) => boolean,
  show: (v: number) => string,
) =>
  targets.push({
    target,
    value: value === undefined || Number.isNaN(value) ? "n/a" : show(value),
    pass: value === undefined || Number.isNaN(value) ? null : pass(value),
  });
T(
  "loop: per transition ≤ 1/4 of XState (xstate/aegis ≥ 4)",
  ratio(E.xstate?.loop, E.aegis?.loop),
  (v) => v >= 4,
  (v) => `xstate/aegis = ${fmt(v)}`,
);
T(
  "loop: ≥ 50× faster than LangGraph",
  ratio(E.langgraph?.loop, E.aegis?.loop),
  (v) => v >= 50,
  (v) => `langgraph/aegis = ${fmt(v)}`,
);
T(
  "build 10k from source no slower than XState createMachine+createActor",
  ratio(E.xstate?.build, E.aegis?.build),
  (v) => v >= 1,
  (v) => `xstate/aegis = ${fmt(v)}`,
);
const gr = results.aegis.growth ?? {};
const per = (n: number) => gr[n]?.perStateUs?.median as number | undefined;
const lin =
  per(1000) && per(10_000) ? Math.max(per(10_000)!, per(100_000) ?? 0) / per(1000)! : undefined;
T(
  "build: linear growth (per-state cost at 10k/100k ≤ 2× that at 1k)",
  lin,
  (v) => v <= 2,
  (v) =>
    `worst per-state / 1k per-state = ${fmt(v)}${per(100_000) ? "" : " (100k: " + (gr[100_000]?.error ?? "n/a") + ")"}`,
);
T(
  "import within 2× XState's",
  ratio(E.aegis?.import?.time, E.xstate?.import?.time),
  (v) => v <= 2,
  (v) => `aegis/xstate = ${fmt(v)}`,
);
const dur = results.aegis.durable;
T(
  "durable store within 1.5× raw fsync'ed append",
  dur?.perState ? dur.perState.median / dur.rawAppendPerState.median : undefined,
  (v) => v <= 1.5,
  (v) => `store/raw = ${fmt(v)}`,
);
T(
  "10k-state graph under 100 MB heap",
  E.aegis?.graphHeapMB,
  (v) => v < 100,
  (v) => `${fmt(v)} MB retained`,
);
T(
  "1,000 concurrent runs under 100 MB heap: live heap mid-run (after a full GC)",
  results.aegis.concurrent?.liveHeapMB,
  (v) => v < 100,
  (v) => `${fmt(v)} MB live`,
);
T(
  "1,000 concurrent runs under 100 MB heap: peak heapUsed (garbage included)",
  results.aegis.concurrent?.peakHeapMB,
  (v) => v < 100,
  (v) => `${fmt(v)} MB peak`,
);
results.targets = targets;

const table = (h: string[], rs: string[][]) => {
  const w = h.map((_, i) => Math.max(h[i]!.length, ...rs.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => `| ${r.map((c, i) => (c ?? "").padEnd(w[i]!)).join(" | ")} |`;
  return [line(h), `| ${w.map((n) => "-".repeat(n)).join(" | ")} |`, ...rs.map(line)].join("\n");
};
const A = results.aegis;
const aegisRows: string[][] = [
  ["compile --check, 1 file (cold CLI process)", cell(A.cliCheckOne) + " ms"],
  ["compile --check, 1,000 files (one process)", cell(A.cliCheck1000) + " ms"],
  [
    "import from src/ (type stripping, fresh process)",
    A.importSrc ? cell(A.importSrc.time) + " ms" : "error",
  ],
  [
    "build 10k, with the exported document and its hash",
    E.aegis?.buildWithDocument ? cell(E.aegis.buildWithDocument) + " ms" : "—",
  ],
  [
    "build 10k in TypeScript (aegis-workflows/builder: parts made, then compiled; same graph)",
    E.aegis?.buildWithBuilder
      ? `${cell(E.aegis.buildWithBuilder)} ms (×${fmt(E.aegis.buildWithBuilder.median / E.aegis.build.median)} of the same chain from text)`
      : "—",
  ],
  [
    "bundled action start-up (dist/index.js)",
    typeof A.actionStartup === "string" ? A.actionStartup : cell(A.actionStartup) + " ms",
  ],
  [
    "durable FileStore, per completed state",
    dur?.perState
      ? `${cell(dur.perState)} µs (${fmt(dur.journalBytesPerState)} journal B/state)`
      : "error",
  ],
  [
    "raw fsync'ed append of the same bytes, per state",
    dur?.rawAppendPerState ? cell(dur.rawAppendPerState) + " µs" : "error",
  ],
  [
    "1,000 concurrent 20-state runs",
    A.concurrent?.runsPerSec
      ? `${fmt(A.concurrent.runsPerSec)} runs/s, ${fmt(A.concurrent.statesPerSec)} states/s, live heap mid-run ${fmt(A.concurrent.liveHeapMB)} MB, peak heap ${fmt(A.concurrent.peakHeapMB)} MB, peak RSS ${fmt(A.concurrent.peakRssMB)} MB`
      : (A.concurrent?.error ?? "—"),
  ],
  ...[1000, 10_000, 100_000].map((n) => [
    `build growth: compile(${n / 1000}k-state chain)`,
    gr[n]?.compile
      ? `${cell(gr[n].compile)} ms, ${fmt(gr[n].perStateUs.median)} µs/state`
      : (gr[n]?.error ?? "—"),
  ]),
];
const startupTable = (): string => {
  const S = results.startup?.cases as Record<string, StartupResult> | undefined;
  if (!S) return "";
  const base = S[BARE];
  const times = (s: StartupResult | undefined) =>
    s && "median" in s ? `${fmt(s.median)} [${fmt(s.min)}–${fmt(s.max)}]` : (s?.error ?? "—");
  const over = (s: StartupResult | undefined, pick: (x: any) => number | undefined) => {
    const a = s && "median" in s ? pick(s) : undefined;
    const b = base && "median" in base ? pick(base) : undefined;
    return a !== undefined && b !== undefined ? `×${fmt(a / b)}` : "—";
  };
  const rowsS = Object.keys(S).map((name) => [
    name,
    times(S[name]),
    over(S[name], (x) => x.median),
    S[name] && "cpu" in S[name] && S[name].cpu ? fmt(S[name].cpu.median) : "—",
    over(S[name], (x) => x.cpu?.median),
  ]);
  const ratio = (name: string) => {
    const s = S[name];
    return s && "median" in s && base && "median" in base ? s.median / base.median : undefined;
  };
  const action = S["Action: process start to its first state"];
  const goals = [
    ...["aegis compile --check, 1 file", "aegis --help", "aegis status RUN"].map((name) => {
      const r = ratio(name);
      return [
        `${name} within 2× a bare Node start`,
        r === undefined ? "n/a" : `×${fmt(r)}`,
        r === undefined ? "n/a" : r <= 2 ? "PASS" : "FAIL",
      ];
    }),
    [
      "the Action's first state within 150 ms of its process start",
      action && "median" in action ? `${fmt(action.median)} ms` : "n/a",
      action && "median" in action ? (action.median <= 150 ? "PASS" : "FAIL") : "n/a",
    ],
  ];
  results.startup.targets = goals.map(([target, value, result]) => ({ target, value, result }));
  return [
    `CLI start-up — median of ${results.startup.rounds} fresh processes each, run side by side; ratios to a bare Node start (cpu: user + system, from /usr/bin/time)`,
    "",
    table(["process", "wall ms (median [min–max])", "× node", "cpu ms", "cpu × node"], rowsS),
    "",
    table(["start-up target", "measured", "result"], goals),
  ].join("\n");
};
const serverTable = (): string => {
  const S = results.server as ServerBench | undefined;
  if (!S) return "";
  const ms = (s: Stat) => `${s.median.toFixed(1)} [${s.min.toFixed(1)}–${s.max.toFixed(1)}]`;
  return [
    `aegis serve — through its HTTP API, a server child process (no peer server is measured here: Temporal and Restate need servers this machine cannot run in this bench; issue 16 adds a Restate cluster)`,
    "",
    table(
      ["measure", "value"],
      [
        ["runs started per second (POST /v1/runs, 32 in flight)", S.startsPerSecond.toFixed(0)],
        [
          `server memory, idle → ${S.runs} runs waiting at a gate (RSS)`,
          `${S.rssBeforeMiB.toFixed(0)} → ${S.rssWaitingMiB.toFixed(0)} MiB (${S.perRunKiB.toFixed(1)} KiB/run)`,
        ],
        [
          "JS heap kept per waiting run (after a full GC)",
          `${Math.max(0, S.heapPerRunKiB).toFixed(2)} KiB`,
        ],
        [`answering a gate with ${S.runs} runs waiting (ms, median [min–max])`, ms(S.answerMs)],
        [
          "event latency: state completed → SSE client (ms, median [min–max])",
          ms(S.eventLatencyMs),
        ],
      ],
    ),
  ].join("\n");
};
const lspTable = (): string => {
  const L = results.lsp as LspBench[] | undefined;
  if (!L) return "";
  const ms = (v: Stat) => `${v.median.toFixed(1)} [${v.min.toFixed(1)}–${v.max.toFixed(1)}]`;
  return [
    "aegis lsp — `aegis lsp --stdio` driven by the protocol's client: a document opened, then typed into (each edit's diagnostics awaited); compile() of the same text in-process beside it",
    "",
    table(
      [
        "states",
        "open → diagnostics (ms)",
        "edit → diagnostics (ms, median [min–max])",
        "compile() alone (ms)",
        "server RSS after (MiB)",
        "target: 500 states within 50 ms",
      ],
      L.map((l) => [
        String(l.states),
        l.open.toFixed(1),
        ms(l.edit),
        ms(l.compile),
        l.rssMiB === undefined ? "—" : l.rssMiB.toFixed(0),
        l.states === 500 ? (l.edit.median <= 50 ? "PASS" : "FAIL") : "",
      ]),
    ),
  ].join("\n");
};
const restateTable = (): string => {
  const R = results.restate as RestateBench | { error: string } | undefined;
  if (!R) return "";
  if ("error" in R) return `Restate — error: ${R.error}`;
  const ms = (s: Stat | undefined) => (s ? `${fmt(s.median)} [${fmt(s.min)}–${fmt(s.max)}]` : "—");
  const times = (a: number | undefined, b: number | undefined) =>
    a !== undefined && b !== undefined ? `×${(a / b).toFixed(2)}` : "—";
  const { aegis, raw, states: n, smallStates: small } = R;
  const journal = (j: RestateBench["aegis"]["journal"]) => {
    if (!j) return ["—", "—"];
    const per = (types: string[], what: "entries" | "bytes") =>
      types.reduce((sum, t) => sum + (j.byType[t]?.[what] ?? 0), 0) / n;
    const runs = ["Command: Run", "Notification: Run"];
    const sets = ["Command: SetState"];
    const other = Object.keys(j.byType).filter((t) => !runs.includes(t) && !sets.includes(t));
    return [
      `${j.entriesPerState.toFixed(2)} (run ${per(runs, "entries").toFixed(2)}, set ${per(sets, "entries").toFixed(2)}, other ${per(other, "entries").toFixed(2)})`,
      `${j.bytesPerState.toFixed(0)} (set ${per(sets, "bytes").toFixed(0)})`,
    ];
  };
  const [aegisEntries, aegisBytes] = journal(aegis.journal);
  const [rawEntries, rawBytes] = journal(raw.journal);
  const perState = table(
    [
      "per state, ms (median [min–max])",
      "aegis host (aegisRun)",
      "raw ctx.run workflow",
      "aegis / raw",
    ],
    [
      [
        `whole run, ${n} states`,
        ms(aegis.runMs[n]),
        ms(raw.runMs[n]),
        times(aegis.runMs[n]?.median, raw.runMs[n]?.median),
      ],
      [
        `whole run, ${small} states`,
        ms(aegis.runMs[small]),
        ms(raw.runMs[small]),
        times(aegis.runMs[small]?.median, raw.runMs[small]?.median),
      ],
      [
        `per state: the ${n}-state run / ${n}`,
        ms(aegis.perStateMs),
        ms(raw.perStateMs),
        times(aegis.perStateMs.median, raw.perStateMs.median),
      ],
      [
        `per added state: (${n}-state run − ${small}-state run) / ${n - small}`,
        fmt(aegis.addedStateMs),
        fmt(raw.addedStateMs),
        times(aegis.addedStateMs, raw.addedStateMs),
      ],
      [
        "CPU per state: the Restate server",
        ms(aegis.restateCpuMs),
        ms(raw.restateCpuMs),
        times(aegis.restateCpuMs?.median, raw.restateCpuMs?.median),
      ],
      [
        "CPU per state: the bench process (client and endpoint)",
        ms(aegis.processCpuMs),
        ms(raw.processCpuMs),
        times(aegis.processCpuMs.median, raw.processCpuMs.median),
      ],
      [
        `journal entries per state (run: ctx.run and its result; set: ctx.set)`,
        aegisEntries!,
        rawEntries!,
        times(aegis.journal?.entriesPerState, raw.journal?.entriesPerState),
      ],
      [
        "journal bytes per state",
        aegisBytes!,
        rawBytes!,
        times(aegis.journal?.bytesPerState, raw.journal?.bytesPerState),
      ],
    ],
  );
  const goal = [
    "the aegis host within 1.2× of a raw ctx.run step, per state",
    `×${R.ratio.toFixed(2)} (per added state ×${R.addedRatio.toFixed(2)})`,
    R.ratio <= 1.2 ? "PASS" : "FAIL",
  ];
  (R as RestateBench & { targets?: unknown }).targets = [
    { target: goal[0], value: goal[1], result: goal[2] },
  ];
  const T = R.throughput;
  const who = (w: RestateBench["throughput"]["rounds"][number]) =>
    w.workers === 0
      ? `raw workflow (${T.statesPerRun} no-op ctx.run steps), endpoint in the bench process`
      : `${w.workers} aegis worker${w.workers > 1 ? "s" : ""}, ${w.proxy ? "behind the round-robin proxy" : "registered directly"}`;
  const pct = (x: number | undefined) => (x === undefined ? "—" : `${(x * 100).toFixed(0)}%`);
  const workers = table(
    [
      "served by",
      "runs/s (median [min–max])",
      "states/s",
      "connections per worker",
      "CPU busy: Restate / workers / bench",
    ],
    T.rounds.map((w) => [
      who(w),
      ms(w.runsPerSecond),
      fmt(w.statesPerSecond),
      w.connections?.join(", ") ?? "—",
      `${pct(w.busy.restate)} / ${pct(w.busy.workers)} / ${pct(w.busy.bench)}`,
    ]),
  );
  return [
    `Restate — the aegis host (aegisRun) next to a raw workflow of no-op ctx.run steps: restate-server ${R.server} (one node, scripts/restate), SDK ${R.sdk}, both HTTP/2 endpoints in the bench process, one run at a time, ${R.rounds} rounds side by side`,
    "",
    perState,
    "",
    table(["Restate target", "measured", "result"], [goal]),
    "",
    `Runs per second on a fresh server: ${2 * T.batches} batches of ${T.runsPerBatch} runs started together per row (two passes, in the order raw, direct, 1, 2, 4, 4, 2, 1, raw), each run ${T.statesPerRun} agent states calling an OpenAI-compatible endpoint in the bench process (${cpus().length} CPUs; CPU busy: share of one CPU)`,
    "",
    workers,
  ].join("\n");
};
const title = `aegis benchmark — ${results.date} — Node ${results.node} — ${results.machine.cpus}× ${results.machine.cpu}`;
const text = startupOnly
  ? [title, "", startupTable()].join("\n")
  : serverOnly
    ? [title, "", serverTable()].join("\n")
    : restateOnly
      ? [title, "", restateTable()].join("\n")
      : lspOnly
        ? [title, "", lspTable()].join("\n")
        : [
            title,
            `peers: ${Object.entries(results.versions ?? {})
              .map(([k, v]) => `${k}@${v}`)
              .join(", ")}`,
            "",
            table(header, rows),
            "",
            table(["aegis only", "value"], aegisRows),
            "",
            table(
              ["target", "measured", "result"],
              targets.map((t) => [
                t.target,
                t.value,
                t.pass === null ? "n/a" : t.pass ? "PASS" : "FAIL",
              ]),
            ),
            "",
            startupTable(),
            "",
            serverTable(),
            "",
            restateTable(),
            "",
            lspTable(),
          ].join("\n");
console.log(text);
mkdirSync(join(bench, "results"), { recursive: true });
results.table = text;
// BENCH_ONLY=startup writes its own file: latest.json keeps the last full run.
const resultsFile = join(
  "bench",
  "results",
  startupOnly
    ? "startup.json"
    : serverOnly
      ? "server.json"
      : restateOnly
        ? "restate.json"
        : lspOnly
          ? "lsp.json"
          : "latest.json",
);
writeFileSync(join(root, resultsFile), `${JSON.stringify(results, null, 2)}\n`);
console.log(`\nresults: ${resultsFile}`);
