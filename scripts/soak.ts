// The crash soak (issue 7): `npm run soak -- [--runs N] [--seed S] [--kills K] [--jobs J]
// [--keep DIR] [--server]`; with --server, the runs are driven through `aegis serve`, which
// is killed and started again (tests/soak/server.ts). Runs of a workflow with every state kind, each killed with SIGKILL at
// random moments (1..K times) and resumed until it ends, compared with uninterrupted runs.
// Prints the counts and exits 1 on any lost or repeated state, unreadable journal or
// differing result (see tests/soak/soak.ts for what each means). A run takes 10 to 20 s of
// a job's time (each process start loads the sources): the default 200 runs, 2 at a time,
// take about half an hour on a two-core machine.
import { parseArgs } from "node:util";
import { serverSoak } from "../tests/soak/server.ts";
import { soak } from "../tests/soak/soak.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "200" },
    seed: { type: "string", default: String(Date.now() % 100_000) },
    kills: { type: "string", default: "3" },
    jobs: { type: "string", default: "2" },
    keep: { type: "string" },
    server: { type: "boolean", default: false },
  },
});
const number = (name: keyof typeof values, min: number) => {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < min) {
    console.error(`soak: --${name} must be a whole number >= ${min}`);
    process.exit(2);
  }
  return n;
};
const options = {
  runs: number("runs", 1),
  seed: number("seed", 0),
  kills: number("kills", 1),
  jobs: number("jobs", 1),
};
console.log(
  `soak${values.server ? " (aegis serve)" : ""}: ${options.runs} runs, seed ${options.seed}, 1..${options.kills} kills each, ${options.jobs} at a time`,
);
const started = Date.now();
const report = await (values.server ? serverSoak : soak)({
  ...options,
  ...(values.keep !== undefined && { dir: values.keep, keep: true }),
  progress: (line) => console.log(`  ${line}`),
});
for (const v of report.violations) console.log(`VIOLATION ${v}`);
console.log(
  [
    `runs ${report.runs}`,
    `kills ${report.kills}`,
    `resumes ${report.resumes}`,
    `signals ${report.signals}`,
    `restarts ${report.restarts}`,
    `lost states ${report.lost}`,
    `repeated states ${report.repeated}`,
    `unreadable journals ${report.unreadable}`,
    `differing results ${report.mismatched}`,
    `timers ${report.timers} (unfired ${report.unfired}, fired twice ${report.refired}${report.dueWhileDown !== undefined ? `, ${report.dueWhileDown} fell due while no server ran` : ""})`,
    ...(report.moments
      ? [
          `kills at ${Object.entries(report.moments)
            .map(([at, n]) => `${at} ${n}`)
            .join(" / ")}`,
        ]
      : []),
    `(${((Date.now() - started) / 1000).toFixed(0)} s, seed ${options.seed})`,
  ].join(", "),
);
process.exitCode = report.violations.length === 0 ? 0 : 1;
