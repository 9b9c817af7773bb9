// npm run fuzz [-- --time SECONDS] [--seed N] [--target aegis|yaml|all]
//
// The long fuzzing run of the compiler: every target of tests/fuzz/targets.ts in turn, for
// an equal share of the time, checking the invariants of tests/fuzz/invariants.ts on each
// input. Reports how many inputs each target tried and every failure, whose input (shrunk
// by fast-check to a small one) is written under .fuzz-failures/. Exit status 1 on any
// failure, 2 on a usage error. An input that does not return within HANG_SECONDS (a hang,
// which no time limit inside the run can interrupt) is saved as .fuzz-failures/hang-*, and
// the run is killed (exit status 137).
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import fc from "fast-check";
import { assertNone } from "../tests/fuzz/invariants.ts";
import { type FuzzTarget, fuzzTargets } from "../tests/fuzz/targets.ts";

const usage = "usage: npm run fuzz -- [--time SECONDS] [--seed N] [--target aegis|yaml|all]";
const failuresDir = resolve(import.meta.dirname, "../.fuzz-failures");
/** An input slower than this is saved for a look (never a failure: timing varies). */
const SLOW_MS = 2000;
/** An input still running after this long is a hang: saved, and the run killed. */
const HANG_SECONDS = 120;

/**
 * The watchdog: the input being checked is written to `current` first, and `started`
 * holds when (in seconds; 0 between inputs). A worker thread, which runs while the main
 * one is stuck, saves a hung input and kills the process.
 */
const started = new Int32Array(new SharedArrayBuffer(4));
let current = "";

function watch(): void {
  const code = `
    const { workerData } = require("node:worker_threads");
    const fs = require("node:fs");
    const { started, hangSeconds } = workerData;
    setInterval(() => {
      const since = Atomics.load(started, 0);
      if (since === 0 || Date.now() / 1000 - since < hangSeconds) return;
      const { file, saved } = JSON.parse(fs.readFileSync(workerData.state, "utf8"));
      fs.copyFileSync(file, saved);
      fs.writeSync(2, "HANG: an input ran for over " + hangSeconds + " s; written to " + saved + "\\n");
      process.kill(process.pid, "SIGKILL");
    }, 1000);
  `;
  new Worker(code, {
    eval: true,
    workerData: { started, hangSeconds: HANG_SECONDS, state: join(failuresDir, "current.json") },
  }).unref();
}

interface Options {
  seconds: number;
  seed: number;
  target: "aegis" | "yaml" | "all";
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      time: { type: "string", default: "60" },
      seed: { type: "string" },
      target: { type: "string", default: "all" },
      help: { type: "boolean" },
    },
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const seconds = Number(values.time);
  const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed);
  const target = values.target;
  if (!(seconds > 0) || !Number.isInteger(seed) || !["aegis", "yaml", "all"].includes(target)) {
    console.error(usage);
    process.exit(2);
  }
  return { seconds, seed, target: target as Options["target"] };
}

interface Failure {
  target: string;
  seed: number;
  problems: string;
  file: string;
}

interface Tally {
  inputs: number;
  /** Failures with the same first problem as one already saved. */
  repeats: number;
  failures: Failure[];
  slowest: { ms: number; input: string };
}

/** Runs one target until `deadline`, restarting with the next seed after a failure. */
function fuzz(target: FuzzTarget, firstSeed: number, deadline: number): Tally {
  const tally: Tally = { inputs: 0, failures: [], repeats: 0, slowest: { ms: 0, input: "" } };
  const seen = new Set<string>();
  let seed = firstSeed;
  const inputFile = join(failuresDir, `current.${target.extension}`);
  writeFileSync(
    join(failuresDir, "current.json"),
    JSON.stringify({
      file: inputFile,
      saved: join(failuresDir, `hang-${target.name.replace(/\W/g, "-")}.${target.extension}`),
    }),
  );
  while (Date.now() < deadline) {
    const property = fc.property(target.inputs, (text) => {
      tally.inputs++;
      if (text !== current) writeFileSync(inputFile, text);
      current = text;
      Atomics.store(started, 0, Math.floor(Date.now() / 1000));
      const begun = performance.now();
      let problems: string[];
      try {
        problems = target.check(text);
      } finally {
        Atomics.store(started, 0, 0);
      }
      const ms = performance.now() - begun;
      if (ms > tally.slowest.ms) tally.slowest = { ms, input: text };
      assertNone(problems, text);
    });
    const run = fc.check(property, {
      seed,
      numRuns: Number.MAX_SAFE_INTEGER,
      interruptAfterTimeLimit: Math.max(1, deadline - Date.now()),
      markInterruptAsFailure: false,
    });
    const runSeed = seed++;
    if (!run.failed || !run.counterexample) continue;
    const problems = String((run.errorInstance as Error | undefined)?.message ?? run.errorInstance)
      .split("\n--- input ---")[0]!
      .trim();
    // The same problem found again (with other numbers): counted, not saved again.
    const signature = problems.split("\n")[0]!.replace(/\d+/g, "N");
    if (seen.has(signature)) {
      tally.repeats++;
      continue;
    }
    seen.add(signature);
    const input = run.counterexample[0] as string;
    const base = `${target.name.replace(/\W/g, "-")}-${runSeed}`;
    mkdirSync(failuresDir, { recursive: true });
    const file = join(failuresDir, `${base}.${target.extension}`);
    writeFileSync(file, input);
    writeFileSync(join(failuresDir, `${base}.problems.txt`), `${problems}\n`);
    tally.failures.push({ target: target.name, seed: runSeed, problems, file });
    console.log(`  FAILURE in ${target.name} (seed ${runSeed}): ${problems.split("\n")[0]}`);
    console.log(`    shrunk input (${input.length} chars) written to ${file}`);
  }
  return tally;
}

function main(): number {
  const { seconds, seed, target } = options();
  const targets = fuzzTargets().filter((t) => target === "all" || t.group === target);
  const share = (seconds * 1000) / targets.length;
  mkdirSync(failuresDir, { recursive: true });
  watch();
  console.log(
    `fuzzing ${targets.length} targets for ${seconds}s (seed ${seed}; rerun with --seed ${seed})`,
  );
  const rows: string[] = [];
  const failures: Failure[] = [];
  const totals = new Map<string, number>();
  let repeated = 0;
  targets.forEach((t, i) => {
    const tally = fuzz(t, seed + i * 1_000_003, Date.now() + share);
    failures.push(...tally.failures);
    repeated += tally.repeats;
    totals.set(t.group, (totals.get(t.group) ?? 0) + tally.inputs);
    rows.push(
      `  ${t.name.padEnd(24)} ${String(tally.inputs).padStart(8)} inputs  ${String(tally.failures.length + tally.repeats).padStart(3)} failures  slowest ${Math.round(tally.slowest.ms)} ms (${tally.slowest.input.length} chars)`,
    );
    console.log(rows.at(-1));
    // Not a failure, but worth a look: an input that took long may show a super-linear cost.
    if (tally.slowest.ms > SLOW_MS) {
      mkdirSync(failuresDir, { recursive: true });
      const file = join(failuresDir, `slowest-${t.name.replace(/\W/g, "-")}.${t.extension}`);
      writeFileSync(file, tally.slowest.input);
      console.log(`    slowest input written to ${file}`);
    }
  });
  console.log("\ninputs tried per group:");
  for (const [group, n] of totals) console.log(`  ${group}: ${n}`);
  console.log(
    `failures (crashes or broken invariants): ${failures.length + repeated} (${failures.length} distinct)`,
  );
  for (const f of failures)
    console.log(`  ${f.target} seed ${f.seed}: ${f.file}\n    ${f.problems.split("\n")[0]}`);
  return failures.length + repeated > 0 ? 1 : 0;
}

process.exitCode = main();
