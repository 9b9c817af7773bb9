// Gate timeouts in the Action: a `schedule` job sweeps the repository's open conversations
// and takes every due gate timeout — exactly once (two sweeps racing: one takes it), on the
// commit the gate was bound to (fetched and checked out by the action: the sweep's own
// checkout is the default branch). Run against the bundle and the fake GitHub.
//   npm run build:action && npx vitest run tests/action/sweep.test.ts
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from "vitest";
import { type ActionState, openState, readMarker } from "../../src/action/state.ts";
import { FakeGitHub } from "./github-server.ts";
import {
  type Checkout,
  checkout,
  HEAD,
  makeClone,
  payload,
  REPOSITORY,
  runAction,
} from "./run-action.ts";

const workflow = { workflow: "tests/action/fixtures/timeout.aegis", inputs: "{}" };
const sweeping = { ...workflow, "sweep-timeouts": "true" };
let gh: FakeGitHub;

beforeEach(async () => {
  gh = await new FakeGitHub().start();
  gh.pulls[2] = { headSha: HEAD, author: "Codertocat" };
  gh.roles = { Codertocat: "admin", maintainer1: "write" };
});
afterEach(() => gh.stop());

/** A clone of `checkout` (the job's checkout of the default branch), removed after the test. */
function clone(): Checkout {
  const copy = makeClone(checkout);
  onTestFinished(() => rmSync(copy.dir, { recursive: true, force: true }));
  return copy;
}

function state(issue = 2): ActionState {
  const [c] = gh.comments.filter((c) => c.issue === issue && c.body.includes("<!-- aegis-state:"));
  expect(c).toBeDefined();
  const marker = readMarker(c!.body);
  return openState(marker.data!, marker, { repository: REPOSITORY, issue });
}

/** The pull request opens; its run waits at the gate, which times out a second later. */
async function openAndWaitForTimeout(): Promise<ActionState> {
  const opened = await runAction({
    api: gh.url,
    event: "pull_request",
    payload: payload("pull_request.opened"),
    inputs: workflow,
  });
  expect(opened.outputs.status, opened.stdout + opened.stderr).toBe("waiting");
  const waiting = state();
  expect(waiting.gate?.headSha).toBe(HEAD);
  const due = Date.parse(waiting.record.waiting!.timeoutAt!);
  // Wait for the moment the timeout is due (an event in the world, not a speed assumption).
  while (Date.now() <= due) await new Promise((r) => setTimeout(r, due - Date.now() + 5));
  return waiting;
}

/** A scheduled run, in a job whose checkout is the default branch (moved on since). */
function sweep(workspace: string) {
  return runAction({
    api: gh.url,
    event: "schedule",
    payload: { schedule: "*/15 * * * *" },
    inputs: sweeping,
    workspace,
  });
}

function completions(s: ActionState, name: string): number {
  return s.journal.filter((e) => e.type === "state-completed" && e.state === name).length;
}

describe("the scheduled sweep of gate timeouts", () => {
  it("takes a due timeout once, on the commit the gate was bound to", async () => {
    const before = await openAndWaitForTimeout();
    const main = clone();
    const moved = main.commit("the default branch moved on");
    expect(moved).not.toBe(HEAD);

    const swept = await sweep(main.dir);
    expect(swept.code, swept.stdout + swept.stderr).toBe(0);
    expect(swept.stdout).toContain(`gate APPROVE timed out at ${before.record.waiting!.timeoutAt}`);
    expect(swept.outputs.status).toBe("swept");
    const after = state();
    expect(after.record.status).toBe("succeeded");
    expect(after.record.results.APPROVE?.response).toBe("rejected");
    // CLOSE ran on the pull request's head, fetched and checked out by the action.
    expect(after.record.results.CLOSE?.stdout?.trim()).toBe(HEAD);
    expect([...gh.refs.keys()]).toContain(`refs/aegis/${before.runId}/${before.record.seq}`);

    // A second sweep finds nothing due; an answer after the timeout finds nothing to answer.
    const again = await sweep(main.dir);
    expect(again.stdout).toContain("0 gate timeout(s) taken");
    expect(completions(state(), "CLOSE")).toBe(1);
  });

  it("runs no hook or fsmonitor command an earlier run's states planted in the checkout", async () => {
    await openAndWaitForTimeout();
    const main = clone();
    main.commit("the default branch moved on");
    const marker = join(main.dir, "..", `planted-${Date.now()}`);
    const script = `#!/bin/sh\nenv > "${marker}"\n`;
    for (const hook of ["post-checkout", "reference-transaction", "pre-command"]) {
      writeFileSync(join(main.dir, ".git/hooks", hook), script);
      chmodSync(join(main.dir, ".git/hooks", hook), 0o755);
    }
    writeFileSync(join(main.dir, "fsmonitor.sh"), script);
    chmodSync(join(main.dir, "fsmonitor.sh"), 0o755);
    execFileSync("git", ["config", "core.fsmonitor", join(main.dir, "fsmonitor.sh")], {
      cwd: main.dir,
    });
    const swept = await sweep(main.dir);
    expect(swept.outputs.status, swept.stdout + swept.stderr).toBe("swept");
    expect(state().record.results.CLOSE?.stdout?.trim()).toBe(HEAD);
    expect(existsSync(marker)).toBe(false);
  });

  it("two sweeps racing take it exactly once", async () => {
    await openAndWaitForTimeout();
    // Both claims reach GitHub before either is answered.
    gh.refBarrier = 2;
    const [a, b] = await Promise.all([sweep(clone().dir), sweep(clone().dir)]);
    const taken = [a, b].map((r) => /(\d+) gate timeout\(s\) taken/.exec(r.stdout)?.[1]);
    expect(taken.sort()).toEqual(["0", "1"]);
    const after = state();
    expect(after.record.status).toBe("succeeded");
    expect(completions(after, "CLOSE")).toBe(1);
    expect(after.journal.filter((e) => e.type === "timer-fired")).toHaveLength(1);
  });

  it("a scheduled job without sweep-timeouts starts a run, as any other trigger does", async () => {
    const started = await runAction({
      api: gh.url,
      event: "schedule",
      payload: { schedule: "0 3 * * *" },
      inputs: { workflow: "tests/action/fixtures/nogate.aegis", inputs: '{"name":"nightly"}' },
    });
    expect(started.outputs.status, started.stdout + started.stderr).toBe("succeeded");
    expect(started.outputs.output).toBe("hello nightly x1 loud=false");
    expect(started.stdout).not.toContain("gate timeout(s) taken");
  });

  it("a gate not yet due is left waiting", async () => {
    const opened = await runAction({
      api: gh.url,
      event: "pull_request",
      payload: payload("pull_request.opened"),
      inputs: { workflow: "tests/action/fixtures/gate.aegis" }, // waits 7 days
    });
    expect(opened.outputs.status).toBe("waiting");
    const swept = await runAction({
      api: gh.url,
      event: "schedule",
      payload: { schedule: "*/15 * * * *" },
      inputs: { workflow: "tests/action/fixtures/gate.aegis", "sweep-timeouts": "true" },
    });
    expect(swept.stdout).toContain("0 gate timeout(s) taken");
    expect(state().record.status).toBe("waiting");
    expect(gh.refs.size).toBe(0);
  });
});
