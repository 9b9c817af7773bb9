// Runs under way in another process: `logs --follow` shows them as they go and ends with
// them; `cancel` stops them (the agent's process with them); Ctrl-C leaves a run where it
// was, to be resumed.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { RunRecord } from "../../../src/runtime/types.ts";
import {
  aegis,
  agentCalls,
  json,
  LOCAL_AGENTS,
  launch,
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
  "task=x",
  "--id",
  "live",
  "--store",
  "runs",
];

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("a run driven by another process", () => {
  it("logs --follow prints its events as they come and ends when it ends", async () => {
    const dir = tempDir();
    expect(aegis(dir, runArgs).status).toBe(0);
    const driver = launch(dir, ["signal", "live", "--approve", "--store", "runs"], {
      AEGIS_AGENT_DELAY_MS: "400",
    });
    const follower = launch(dir, ["logs", "live", "--follow", "--store", "runs"]);
    expect(await driver.exited).toBe(0);
    expect(await follower.exited).toBe(0);
    // Each line begins with the time it happened.
    const stamp = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z {2}/;
    const stamped = follower.output().trim().split("\n");
    for (const line of stamped) expect(line).toMatch(stamp);
    const lines = stamped.map((l) => l.replace(stamp, ""));
    expect(lines[0]).toBe("run live (dev_pipeline) started");
    expect(lines).toContain("REVIEW started");
    expect(lines.at(-1)).toBe("run live succeeded");
  });

  it("cancel stops it, and the agent it was waiting for", async () => {
    const dir = tempDir();
    const log = join(dir, "agents.log");
    expect(aegis(dir, runArgs).status).toBe(0);
    const driver = launch(dir, ["signal", "live", "--approve", "--store", "runs"], {
      AEGIS_AGENT_DELAY_MS: "30000",
      AEGIS_AGENT_LOG: log,
    });
    await until("the coder", () => agentCalls(log).length > 0);
    const coder = agentCalls(log)[0]!.pid;
    stray(coder);
    expect(alive(coder)).toBe(true);
    // Only one process drives a run: a second answer is refused while it does.
    const second = aegis(dir, ["signal", "live", "--approve", "--store", "runs"]);
    expect(second.status).toBe(2);
    expect(second.stderr).toMatch(
      /^aegis: error\[run-locked\]: run 'live' is being driven by process \d+ on /,
    );
    const cancel = aegis(dir, ["cancel", "live", "--store", "runs", "--reason", "enough"]);
    expect(cancel.stderr).toBe("");
    expect(cancel.status).toBe(0);
    expect(cancel.stdout).toBe("run live cancelled: enough (it was at IMPLEMENT)\n");
    expect(await driver.exited).toBe(1);
    expect(driver.output()).toContain("✗ run live cancelled: enough\n");
    expect(driver.output()).not.toContain("cancelled: cancelled");
    // The state it was running is where it was cancelled, not "interrupted" or "final".
    const status = aegis(dir, ["status", "live", "--store", "runs"]);
    expect(status.stdout).toContain("  status    cancelled: enough\n");
    expect(status.stdout).toMatch(/\n {2}IMPLEMENT +cancelled +\S+\n/);
    await until("the coder to be stopped", () => !alive(coder), 10_000);
    const record = json<RunRecord>(
      aegis(dir, ["status", "live", "--json", "--store", "runs"]).stdout,
    );
    expect(record.status).toBe("cancelled");
    expect(record.results.IMPLEMENT).toBeUndefined();
  });

  it("Ctrl-C stops driving it (exit 130) without recording anything; resume finishes it", async () => {
    const dir = tempDir();
    const log = join(dir, "agents.log");
    expect(aegis(dir, runArgs, { AEGIS_AGENT_LOG: log }).status).toBe(0);
    const driver = launch(dir, ["signal", "live", "--approve", "--store", "runs"], {
      AEGIS_AGENT_DELAY_MS: "30000",
      AEGIS_AGENT_LOG: log,
    });
    await until("the coder", () => agentCalls(log).some((c) => c.agent === "coder"));
    const coder = agentCalls(log).find((c) => c.agent === "coder")!;
    stray(coder.pid);
    driver.child.kill("SIGINT");
    expect(await driver.exited).toBe(130);
    expect(driver.output()).toContain("aegis: interrupted; stopping run live where it is");
    expect(driver.output()).toContain(
      "run live stopped at IMPLEMENT; continue it with `aegis resume live --store runs`",
    );
    await until("the coder to be stopped", () => !alive(coder.pid), 10_000);
    const resume = aegis(dir, ["resume", "live", "--store", "runs"], { AEGIS_AGENT_LOG: log });
    expect(resume.status).toBe(0);
    expect(resume.stdout).toContain("✓ run live succeeded");
    const coderKeys = agentCalls(log)
      .filter((c) => c.agent === "coder")
      .map((c) => c.key);
    expect(coderKeys).toEqual(["live:IMPLEMENT:1:1", "live:IMPLEMENT:1:1"]);
  });
});
