// The crash test: `aegis run` / `aegis signal` in a child process, killed with SIGKILL at
// different points — during an agent call, between two states, at a human gate — then
// continued with `aegis resume` / `aegis signal`. Each finishes with the same result as a
// run that was never interrupted, and no completed state ran twice: the example agents log
// every invocation with its idempotency key, and only the call that was in flight when the
// process died is made again, with the same key.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { RunEvent, RunRecord } from "../../../src/runtime/types.ts";
import { essence } from "../../soak/soak.ts";
import {
  aegis,
  agentCalls,
  json,
  LOCAL_AGENTS,
  launch,
  PAUSING,
  PIPELINE,
  stray,
  tempDir,
  until,
} from "./helpers.ts";

const runArgs = [
  "run",
  PIPELINE,
  "--agents",
  LOCAL_AGENTS,
  "--param",
  "task=a word counter",
  "--id",
  "demo",
  "--store",
  "runs",
];
const signalArgs = ["signal", "demo", "--approve", "--approver", "ana", "--store", "runs"];
const resumeArgs = ["resume", "demo", "--store", "runs"];

function recordOf(dir: string): RunRecord {
  const status = aegis(dir, ["status", "demo", "--json", "--store", "runs"]);
  expect(status.stderr).toBe("");
  return json<RunRecord>(status.stdout);
}

function journal(dir: string): RunEvent[] {
  return readFileSync(join(dir, "runs/demo/journal.jsonl"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

/** How many times each state completed, from the journal. */
function completions(dir: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of journal(dir))
    if (e.type === "state-completed") out[e.state] = (out[e.state] ?? 0) + 1;
  return out;
}

/** Invocations per idempotency key. */
function perKey(log: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of agentCalls(log)) out[c.key] = (out[c.key] ?? 0) + 1;
  return out;
}

let reference: ReturnType<typeof essence>;
let referenceKeys: string[];
let referenceCompletions: Record<string, number>;

beforeAll(() => {
  const dir = tempDir();
  const log = join(dir, "agents.log");
  expect(aegis(dir, runArgs, { AEGIS_AGENT_LOG: log }).status).toBe(0);
  expect(aegis(dir, signalArgs, { AEGIS_AGENT_LOG: log }).status).toBe(0);
  const record = recordOf(dir);
  expect(record.status).toBe("succeeded");
  reference = essence(record);
  referenceKeys = Object.keys(perKey(log)).sort();
  referenceCompletions = completions(dir);
  expect(Object.values(perKey(log)).every((n) => n === 1)).toBe(true);
}, 180_000);

function expectSameAsReference(dir: string, log: string, inFlight: string[] = []) {
  expect(essence(recordOf(dir))).toEqual(reference);
  expect(completions(dir)).toEqual(referenceCompletions);
  const counts = perKey(log);
  expect(Object.keys(counts).sort()).toEqual(referenceKeys);
  for (const [key, n] of Object.entries(counts)) {
    // The call in flight at the crash is made again, with the same key; no other call is.
    expect(n, key).toBe(inFlight.includes(key) ? 2 : 1);
  }
}

/**
 * Each test starts and kills several CLI processes; under load (two suites at once on two
 * cores) one took over 30 s. The deadline only catches a hang.
 */
const PROCESS_TEST_MS = 300_000;

describe("kill -9, then resume", () => {
  it(
    "(a) during an agent call: the call is made again with the same key, nothing else is",
    async () => {
      const dir = tempDir();
      const log = join(dir, "agents.log");
      expect(aegis(dir, runArgs, { AEGIS_AGENT_LOG: log }).status).toBe(0);
      // The coder takes its time; the process dies while it works.
      const slow = launch(dir, signalArgs, { AEGIS_AGENT_LOG: log, AEGIS_AGENT_DELAY_MS: "20000" });
      await until("the coder to be called", () => agentCalls(log).some((c) => c.agent === "coder"));
      slow.child.kill("SIGKILL");
      await slow.exited;
      for (const c of agentCalls(log)) stray(c.pid);
      const stopped = recordOf(dir);
      expect(stopped.status).toBe("running");
      expect(stopped.current).toBe("IMPLEMENT");
      expect(aegis(dir, ["status", "demo", "--store", "runs"]).stdout).toMatch(
        /interrupted at IMPLEMENT: continue it with aegis resume demo --store runs/,
      );
      expect(aegis(dir, ["list", "--store", "runs"]).stdout).toContain("interrupted at IMPLEMENT");

      const resume = aegis(dir, resumeArgs, { AEGIS_AGENT_LOG: log });
      expect(resume.stderr).toBe("");
      expect(resume.status).toBe(0);
      expect(resume.stdout).toContain("IMPLEMENT started");
      expect(resume.stdout).toContain("✓ run demo succeeded");
      expectSameAsReference(dir, log, ["demo:IMPLEMENT:1:1"]);
    },
    PROCESS_TEST_MS,
  );

  it(
    "(a) during the first agent call of the run, before the gate",
    async () => {
      const dir = tempDir();
      const log = join(dir, "agents.log");
      const slow = launch(dir, runArgs, { AEGIS_AGENT_LOG: log, AEGIS_AGENT_DELAY_MS: "20000" });
      await until("the planner to be called", () => agentCalls(log).length > 0);
      slow.child.kill("SIGKILL");
      await slow.exited;
      for (const c of agentCalls(log)) stray(c.pid);
      const resume = aegis(dir, resumeArgs, { AEGIS_AGENT_LOG: log });
      expect(resume.status).toBe(0);
      expect(resume.stdout).toContain("⏸ run demo is waiting for a human at APPROVE");
      expect(aegis(dir, signalArgs, { AEGIS_AGENT_LOG: log }).status).toBe(0);
      expectSameAsReference(dir, log, ["demo:REQUIREMENTS:1:1"]);
    },
    PROCESS_TEST_MS,
  );

  it(
    "(b) between two states: the next one runs once, the one before it not again",
    async () => {
      const dir = tempDir();
      const log = join(dir, "agents.log");
      const marker = join(dir, "paused");
      expect(aegis(dir, runArgs, { AEGIS_AGENT_LOG: log }).status).toBe(0);
      const paused = launch(
        dir,
        signalArgs,
        { AEGIS_AGENT_LOG: log, AEGIS_TEST_PAUSE_BEFORE: "TEST", AEGIS_TEST_MARKER: marker },
        PAUSING,
      );
      await until("the run to reach TEST", () => existsSync(marker));
      expect(readFileSync(marker, "utf8")).toBe("demo:TEST:1:1");
      paused.child.kill("SIGKILL");
      await paused.exited;
      const stopped = recordOf(dir);
      expect(stopped).toMatchObject({ status: "running", current: "TEST" });
      expect(stopped.results.IMPLEMENT?.status).toBe("succeeded");

      const resume = aegis(dir, resumeArgs, { AEGIS_AGENT_LOG: log });
      expect(resume.status).toBe(0);
      expect(resume.stdout).not.toContain("IMPLEMENT started");
      expect(resume.stdout).toContain("TEST started");
      expectSameAsReference(dir, log);
    },
    PROCESS_TEST_MS,
  );

  it(
    "(c) at the human gate: the answer comes later, from another process",
    async () => {
      const dir = tempDir();
      const log = join(dir, "agents.log");
      const run = launch(dir, runArgs, { AEGIS_AGENT_LOG: log });
      await until("the gate", () => run.output().includes("APPROVE waits for a human"));
      run.child.kill("SIGKILL");
      await run.exited;
      expect(recordOf(dir)).toMatchObject({ status: "waiting", waiting: { state: "APPROVE" } });
      const signal = aegis(dir, signalArgs, { AEGIS_AGENT_LOG: log });
      expect(signal.stderr).toBe("");
      expect(signal.status).toBe(0);
      expectSameAsReference(dir, log);
    },
    PROCESS_TEST_MS,
  );
});
