// Start-up measurements (issue 13): whole fresh processes, spawn to exit (or to a line of
// output that marks "started"), run side by side: each round runs every case once, in a
// rotating order, so that the machine's load drifts over all of them alike. Medians.
//   node bench/lib/startup.ts [rounds]    prints the table for the cases below (no build step)
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { chainSource } from "./aegis-sources.ts";
import { type Stat, stat } from "./stats.ts";

export interface StartupCase {
  name: string;
  /** Arguments to this Node (process.execPath). */
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Timed to the first stdout text matching this (then the process is killed), not to exit. */
  until?: RegExp;
  /** Exit codes that count as a good sample (default [0]); ignored with `until`. */
  codes?: number[];
}

export interface StartupSample {
  ms: number;
  /** The process's CPU time (user + system), where /usr/bin/time can tell it. */
  cpuMs?: number;
  ok: boolean;
  error?: string;
}

// GNU time reports the child's CPU time, which the machine's load disturbs less than the
// wall-clock time: shown beside it. Its own start is the same for every case.
const gnuTime = existsSync("/usr/bin/time") && process.platform === "linux";
const CPU = "aegis-bench-cpu";

/** One fresh process of `c`: ms from spawn to exit (or to `until`). */
export function once(c: StartupCase, timeoutMs = 60_000): Promise<StartupSample> {
  return new Promise((done) => {
    const t0 = performance.now();
    const timed = gnuTime && !c.until;
    const [command, args] = timed
      ? ["/usr/bin/time", ["-f", `${CPU} %U %S`, process.execPath, ...c.args]]
      : [process.execPath, c.args];
    const child = spawn(command, args, {
      cwd: c.cwd,
      env: c.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let finished = false;
    const finish = (s: StartupSample) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      done(s);
    };
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      finish({ ms: performance.now() - t0, ok: false, error: `timed out after ${timeoutMs}ms` });
    }, timeoutMs);
    child.stdout.on("data", (d) => {
      stdout += d;
      if (c.until?.test(stdout)) {
        const ms = performance.now() - t0;
        child.kill("SIGKILL");
        finish({ ms, ok: true });
      }
    });
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => {
      const ms = performance.now() - t0;
      if (c.until)
        finish({ ms, ok: false, error: `exited (${code}) before ${c.until}: ${tail(stderr)}` });
      else if ((c.codes ?? [0]).includes(code ?? -1)) {
        const cpu = new RegExp(`${CPU} ([\\d.]+) ([\\d.]+)`).exec(stderr);
        finish({ ms, ok: true, ...(cpu && { cpuMs: (Number(cpu[1]) + Number(cpu[2])) * 1000 }) });
      } else finish({ ms, ok: false, error: `exit ${code}: ${tail(stderr || stdout)}` });
    });
  });
}

const tail = (s: string) => s.trim().split("\n").slice(-3).join(" | ");

export type StartupResult = (Stat & { cpu?: Stat }) | { error: string };

/** `rounds` rounds of every case once, the order rotating each round; a warm-up round first. */
export async function measureStartup(
  cases: StartupCase[],
  rounds: number,
): Promise<Record<string, StartupResult>> {
  const samples = new Map<string, StartupSample[]>(cases.map((c) => [c.name, []]));
  const errors = new Map<string, string>();
  for (let r = -1; r < rounds; r++) {
    for (let i = 0; i < cases.length; i++) {
      const c = cases[(i + Math.max(r, 0)) % cases.length]!;
      const s = await once(c);
      if (r < 0) continue; // warm-up: the OS's file cache and Node's compile cache
      if (s.ok) samples.get(c.name)!.push(s);
      else errors.set(c.name, s.error ?? "failed");
    }
  }
  return Object.fromEntries(
    cases.map((c): [string, StartupResult] => {
      const got = samples.get(c.name)!;
      if (got.length === 0) return [c.name, { error: errors.get(c.name) ?? "no samples" }];
      const cpu = got.flatMap((s) => (s.cpuMs === undefined ? [] : [s.cpuMs]));
      return [
        c.name,
        {
          ...stat(
            got.map((s) => s.ms),
            "ms",
          ),
          ...(cpu.length === got.length && { cpu: stat(cpu, "ms") }),
        },
      ];
    }),
  );
}

/** The start-up cases of `npm run bench`'s "CLI start-up" table, and their fixtures. */
export async function startupCases(
  root: string,
  dir: string,
  options: { actionDist?: string; forms?: string[] } = {},
): Promise<StartupCase[]> {
  const { file, store } = await startupFixtures(dir);
  const cli = join(root, "bin", "aegis.js");
  const cases: StartupCase[] = [{ name: BARE, args: ["-e", ""] }];
  for (const form of options.forms ?? ["bundle"]) {
    const env = { ...process.env, AEGIS_CLI: form };
    const label = form === "bundle" ? "" : ` (${form})`;
    cases.push(
      { name: `aegis --help${label}`, args: [cli, "--help"], env },
      {
        name: `aegis compile --check, 1 file${label}`,
        args: [cli, "compile", "--check", file],
        env,
      },
      {
        name: `aegis status RUN${label}`,
        args: [cli, "status", "bench-run", "--store", store],
        env,
      },
    );
  }
  if (options.actionDist) {
    // The Action on a workflow_dispatch event (no conversation: no GitHub API call before the
    // run starts), timed to its log line "aegis: first state … running".
    const work = join(dir, "action");
    mkdirSync(work, { recursive: true });
    writeFileSync(join(work, "event.json"), "{}\n");
    writeFileSync(join(work, "gate.aegis"), actionWorkflow);
    cases.push({
      name: "Action: process start to its first state",
      args: [options.actionDist],
      cwd: work,
      until: /aegis: first state \S+ running/,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? work,
        GITHUB_ACTIONS: "true",
        GITHUB_EVENT_NAME: "workflow_dispatch",
        GITHUB_EVENT_PATH: join(work, "event.json"),
        GITHUB_REPOSITORY: "bench/bench",
        GITHUB_API_URL: "http://127.0.0.1:9",
        GITHUB_OUTPUT: join(work, "output"),
        GITHUB_STEP_SUMMARY: join(work, "summary"),
        GITHUB_WORKSPACE: work,
        RUNNER_TEMP: work,
        INPUT_WORKFLOW: "gate.aegis",
        "INPUT_GITHUB-TOKEN": "bench-token",
      },
    });
  }
  // A program that imports the library's compiler (aegis-workflows/compiler: lib/, as
  // published) and compiles a 20-state chain; beside it, one that imports XState and starts
  // a 20-state machine. The root entry also loads the runtime, which compiling never needs.
  const chain = JSON.stringify(chainSource(20, "first"));
  writeFileSync(
    join(dir, "library-first.mjs"),
    `import { compile } from ${JSON.stringify(pathToFileURL(join(root, "lib", "compiler", "index.js")).href)};\n` +
      `if (!compile(${chain}).ok) process.exit(1);\n`,
  );
  writeFileSync(
    join(dir, "xstate-first.mjs"),
    `import { createActor, createMachine } from "xstate";\n` +
      'const states = { done: { type: "final" } };\n' +
      'for (let i = 0; i < 20; i++) states["s" + i] = { on: { NEXT: i + 1 < 20 ? "s" + (i + 1) : "done" } };\n' +
      'createActor(createMachine({ id: "chain", initial: "s0", states })).start();\n',
  );
  cases.push(
    { name: "library: import + first compile (20 states)", args: [join(dir, "library-first.mjs")] },
    { name: "XState: import + first machine (20 states)", args: [join(dir, "xstate-first.mjs")] },
  );
  return cases;
}

export const BARE = "node -e ''";

/** One `run` state, then a gate: the Action's first state is PREPARE. */
const actionWorkflow = `workflow gated {
  start PREPARE
  state PREPARE = run "node -e 0" timeout 1m {
    on exit 0 -> APPROVE
    otherwise -> FAILED
  }
  state APPROVE = human timeout 7d {
    prompt "Ship?"
    on approved -> DONE
    on rejected -> FAILED
  }
  final DONE
  final FAILED failure
}
`;

/** A directory with one small workflow and a file store holding one finished run. */
export async function startupFixtures(dir: string): Promise<{ file: string; store: string }> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "one.aegis");
  writeFileSync(file, chainSource(20, "one"));
  const store = join(dir, "store");
  const { compile } = await import("../../src/compiler/compile.ts");
  const { createEngine } = await import("../../src/runtime/engine.ts");
  const { FileStore } = await import("../../src/runtime/store/file.ts");
  const compiled = compile(chainSource(5, "status"));
  if (!compiled.ok) throw new Error("the status fixture does not compile");
  const engine = createEngine({
    store: new FileStore(store),
    functions: { noop: async () => "" },
  });
  const record = await (await engine.start(compiled, {}, { id: "bench-run" })).result();
  if (record.status !== "succeeded") throw new Error(`the status fixture run ${record.status}`);
  return { file, store };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  // node bench/lib/startup.ts [rounds] — FORMS=bundle,source; ACTION=path/to/dist/index.js
  const root = join(fileURLToPath(import.meta.url), "../../..");
  const cases = await startupCases(root, join(root, "bench/.tmp/startup"), {
    forms: (process.env.FORMS ?? "bundle,source").split(","),
    ...(process.env.ACTION && { actionDist: process.env.ACTION }),
  });
  const rounds = Number(process.argv[2] ?? 15);
  const r = await measureStartup(cases, rounds);
  const base = r[BARE] as Stat & { cpu?: Stat };
  for (const [name, s] of Object.entries(r))
    console.log(
      "median" in s
        ? `${name.padEnd(46)} ${s.median.toFixed(0).padStart(5)} ms  ×${(s.median / base.median).toFixed(2)}  [${s.min.toFixed(0)}–${s.max.toFixed(0)}]` +
            (s.cpu && base.cpu
              ? `   cpu ${s.cpu.median.toFixed(0)} ms ×${(s.cpu.median / base.cpu.median).toFixed(2)}`
              : "")
        : `${name.padEnd(46)} error: ${s.error}`,
    );
}
