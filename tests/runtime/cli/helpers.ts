// Runs the real command line in child processes, as a user would: `node bin/aegis.js …`
// in a temporary directory, with the example's local agents (no delay unless asked).
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach } from "vitest";
import { eventually } from "../../helpers/eventually.ts";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const BIN = join(ROOT, "bin/aegis.js");
/** The CLI with an executor that can pause before a state (AEGIS_TEST_PAUSE_BEFORE). */
export const PAUSING = join(ROOT, "tests/runtime/cli/fixtures/aegis-pausing.ts");
export const PIPELINE = join(ROOT, "examples/dev_pipeline/dev_pipeline.aegis");
export const LOCAL_AGENTS = join(ROOT, "examples/dev_pipeline/agents.local.json");

const dirs: string[] = [];
const children: ChildProcess[] = [];
const strays: number[] = [];

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "aegis-cli-"));
  dirs.push(dir);
  return dir;
}

/** Processes a test left behind (agents orphaned by a killed CLI) are stopped after it. */
export function stray(pid: number): void {
  strays.push(pid);
}

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
  for (const pid of strays.splice(0)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {}
  }
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, AEGIS_AGENT_DELAY_MS: "0", NO_COLOR: "1", ...extra };
}

/** Runs `aegis ARGS` to its end. */
export function aegis(cwd: string, args: string[], extra: Record<string, string> = {}): Result {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    env: env(extra),
    encoding: "utf8",
    // Only catches a hang: under load (two suites at once on two cores) a run of the dev
    // pipeline has taken tens of seconds.
    timeout: 170_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts `aegis ARGS` (or another entry) in the background. */
export function launch(
  cwd: string,
  args: string[],
  extra: Record<string, string> = {},
  entry = BIN,
): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [entry, ...args], { cwd, env: env(extra) });
  children.push(child);
  let text = "";
  child.stdout?.on("data", (d) => {
    text += d;
  });
  child.stderr?.on("data", (d) => {
    text += d;
  });
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  return { child, output: () => text, exited };
}

/** Waits until `check` holds (tests/helpers/eventually.ts, looking every 25 ms). */
export async function until(what: string, check: () => boolean, ms = 120_000): Promise<void> {
  await eventually(what, () => (check() ? true : undefined), { deadlineMs: ms, everyMs: 25 });
}

export interface AgentCall {
  agent: string;
  key: string;
  state: string;
  pid: number;
  /** $AEGIS_INTENT, when aegis gave the agent an intent. */
  intent?: string;
  prompt: string;
}

/** The invocations the example agents logged (AEGIS_AGENT_LOG). */
export function agentCalls(file: string): AgentCall[] {
  try {
    return readFileSync(file, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l));
  } catch {
    return [];
  }
}

export function json<T = Record<string, unknown>>(text: string): T {
  return JSON.parse(text) as T;
}

/**
 * `aegis run` of the tdd_step example (`file`: its .aegis or its TypeScript module) with
 * the worker agents file `agentsFile`, working in `dir`, as run `t`.
 */
export function tddRun(file: string, agentsFile: string, dir: string): string[] {
  return [
    "run",
    file,
    "--agents",
    agentsFile,
    "--param",
    "plan_step=slugify titles",
    "--param",
    "test_command=node --test",
    "--param",
    "test_path=tdd-project/slugify.test.js",
    "--workdir",
    dir,
    "--id",
    "t",
  ];
}

/**
 * An agents file in `dir` whose `worker` is the tdd_step example's worker script (its own
 * agents file works in examples/agents); gives the file's path.
 */
export function tddWorkerAgents(dir: string): string {
  const agentsFile = join(dir, "agents.json");
  const worker = `node ${JSON.stringify(join(ROOT, "examples/agents/tdd-worker.js"))}`;
  writeFileSync(
    agentsFile,
    JSON.stringify({ agents: { worker: { provider: "command", command: worker } } }),
  );
  return agentsFile;
}
