// End to end: the bundled action, run as the runner runs it, against a local GitHub API.
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from "vitest";
import { type ActionState, decodeState, openState, readMarker } from "../../src/action/state.ts";
import { FakeGitHub } from "./github-server.ts";
import {
  commentPayload,
  HEAD,
  makeCheckout,
  payload,
  REPOSITORY,
  runAction,
} from "./run-action.ts";

let gh: FakeGitHub;

beforeEach(async () => {
  gh = await new FakeGitHub().start();
  gh.pulls[2] = { headSha: HEAD, author: "Codertocat" };
  gh.roles = {
    Codertocat: "admin",
    maintainer1: "write",
    reviewer2: "maintain",
    triager: "triage",
    reader: "read",
  };
});
afterEach(() => gh.stop());

/** The pull request is opened: the run goes to its gate and waits there. */
async function open(inputs: Record<string, string> = {}) {
  const result = await runAction({
    api: gh.url,
    event: "pull_request",
    payload: payload("pull_request.opened"),
    inputs: { inputs: '{"note":"v1"}', ...inputs },
  });
  expect(result.code, result.stdout + result.stderr).toBe(0);
  return result;
}

/** Someone comments on the pull request: the comment exists, then the workflow runs. */
async function comment(
  body: string,
  login: string,
  options: {
    type?: string;
    action?: "created" | "edited" | "deleted";
    issue?: number;
    inputs?: Record<string, string>;
    workspace?: string;
  } = {},
) {
  const c = gh.comment(options.issue ?? 2, body, login, options.type ?? "User");
  return runAction({
    api: gh.url,
    event: "issue_comment",
    payload: commentPayload(gh.apiComment(c), options),
    ...(options.inputs && { inputs: options.inputs }),
    ...(options.workspace && { workspace: options.workspace }),
  });
}

/** The state a progress comment holds, inline or kept in the repository (a git blob). */
function savedState(body: string): ActionState {
  const marker = readMarker(body);
  const data = marker.blob ? gh.blobs.get(marker.blob)?.toString("utf8") : marker.data;
  expect(data, "the kept blob exists").toBeDefined();
  return openState(data!, marker, { repository: REPOSITORY, issue: 2 });
}

function stateComment() {
  const all = gh.stateComments();
  expect(all).toHaveLength(1);
  return all[0]!;
}

describe("the full flow", () => {
  it("gates a pull request, resumes on /approve, and shows the final state", async () => {
    const opened = await open();
    expect(opened.outputs.status).toBe("waiting");
    // Start-up: the bundle logs when its first state runs, in ms since the process started.
    const startup = /aegis: first state PREPARE running \((\d+)ms since process start\)/.exec(
      opened.stdout,
    );
    expect(startup).not.toBeNull();
    console.info(
      `start-up to first running state: ${startup![1]}ms in-process, ${Math.round(opened.firstStateMs!)}ms from spawn`,
    );
    // The figure is the benchmark's to judge (npm run bench), not a test's.
    expect(opened.outputs["run-id"]).toMatch(/^gated-/);
    const gate = stateComment();
    expect(gate.user.login).toBe("github-actions[bot]");
    expect(gate.body).toContain("Waiting for approval at `APPROVE`");
    expect(gate.body).toContain(HEAD);
    expect(gate.body).toContain("```mermaid");
    expect(gate.body).toContain("/approve");
    expect(gate.body).toContain("https://github.com/Codertocat/Hello-World/actions/runs/");
    const saved = decodeState(gate.body);
    expect(saved.record.status).toBe("waiting");
    expect(saved.gate?.headSha).toBe(HEAD);
    // The event reached the run through `input github`.
    const github = saved.record.inputs.github as { event: { pull_request: { number: number } } };
    expect(github.event.pull_request.number).toBe(2);
    expect(opened.summary).toContain("Waiting for approval");
    expect(opened.stdout).toContain("::add-mask::ghs_testtoken0123456789");

    const approved = await comment("Looks good.\n/approve", "maintainer1");
    expect(approved.code, approved.stdout + approved.stderr).toBe(0);
    expect(approved.outputs.status).toBe("succeeded");
    expect(approved.outputs.output).toBe("shipped v1");
    const done = stateComment();
    expect(done.id).toBe(gate.id); // updated in place
    expect(done.body).toContain("succeeded");
    expect(done.body).not.toContain("Waiting for approval");
    const final = decodeState(done.body);
    expect(final.record.status).toBe("succeeded");
    expect(final.record.results.APPROVE?.approver).toBe("maintainer1");
    expect(gh.refs.has(`refs/aegis/${saved.runId}/${saved.record.seq}`)).toBe(true);
    expect(approved.summary).toContain("succeeded");
  });

  it("/reject ends the run through the rejection path", async () => {
    await open();
    const rejected = await comment("/reject not now\nneeds a changelog", "reviewer2");
    expect(rejected.outputs.status).toBe("failed");
    const final = decodeState(stateComment().body);
    expect(final.record.current).toBe("REJECTED");
    expect(final.record.results.APPROVE?.feedback).toBe("not now\nneeds a changelog");
  });

  it("check-only compiles and annotates without running", async () => {
    const result = await runAction({
      api: gh.url,
      event: "pull_request",
      payload: payload("pull_request.opened"),
      inputs: {
        "check-only": "true",
        workflow: "tests/fixtures/diagnostics/../../action/fixtures/gate.aegis",
      },
    });
    expect(result.outputs.status).toBe("checked");
    expect(gh.comments).toHaveLength(0);
  });

  it("check-only compiles a YAML workflow (its front end loaded for it), annotating its lines", async () => {
    const check = (workflow: string) =>
      runAction({
        api: gh.url,
        event: "pull_request",
        payload: payload("pull_request.opened"),
        inputs: { "check-only": "true", workflow },
      });
    const good = await check("tests/fixtures/yaml/seeds/feature-build-short.yaml");
    expect(good.outputs.status).toBe("checked");
    expect(good.code).toBe(0);
    const broken = await check("tests/fixtures/yaml/broken/aegis-duplicate-state.yaml");
    expect(broken.outputs.status).toBe("invalid");
    expect(broken.stdout).toContain(
      "::error file=tests/fixtures/yaml/broken/aegis-duplicate-state.yaml,line=15,col=5,",
    );
    expect(broken.code).toBe(1);
    expect(gh.comments).toHaveLength(0);
  });
});

describe("who may answer", () => {
  const cases: [string, string, Parameters<typeof comment>[2], RegExp][] = [
    ["a bot", "dependabot[bot]", { type: "Bot" }, /bot or an App/],
    ["an App posing as a user", "some-app[bot]", {}, /bot or an App/],
    ["the change's own author", "Codertocat", {}, /author of this change/],
    ["a triager (below min-role write)", "triager", {}, /role 'triage'/],
    ["someone with implicit read access", "stranger", {}, /role 'none'/],
    ["an edited comment", "maintainer1", { action: "edited" }, /edited comments/],
    [
      "a comment on another pull request",
      "maintainer1",
      { issue: 7 },
      /there is no run of tests\/action\/fixtures\/gate\.aegis/,
    ],
  ];
  for (const [what, login, options, why] of cases) {
    it(`refuses ${what}`, async () => {
      await open();
      const before = stateComment().body;
      const result = await comment("/approve", login, options);
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(result.outputs.status).toBe("refused");
      expect(stateComment().body).toBe(before);
      const replies = gh.comments.filter(
        (c) => c.user.login === "github-actions[bot]" && !c.body.includes("aegis-state"),
      );
      expect(replies.at(-1)?.body).toMatch(why);
      expect(gh.refs.size).toBe(0);
    });
  }

  it("refuses read access that is not a collaborator, with min-role read", async () => {
    await open({ "min-role": "read" });
    gh.roles.stranger = "read";
    gh.collaborators = new Set(["maintainer1"]);
    const before = stateComment().body;
    const result = await comment("/approve", "stranger", { inputs: { "min-role": "read" } });
    expect(result.outputs.status).toBe("refused");
    expect(stateComment().body).toBe(before);
  });

  it("ignores a command quoted or in a code block", async () => {
    await open();
    const before = stateComment().body;
    const result = await comment(
      "> /approve\n\n```\n/approve\n```\nI would not /approve yet",
      "maintainer1",
    );
    expect(result.outputs.status).toBe("ignored");
    expect(stateComment().body).toBe(before);
    expect(gh.comments.filter((c) => c.user.login === "github-actions[bot]")).toHaveLength(1);
  });

  it("ignores deleted comments", async () => {
    await open();
    const before = stateComment().body;
    const result = await comment("/approve", "maintainer1", { action: "deleted" });
    expect(result.outputs.status).toBe("ignored");
    expect(stateComment().body).toBe(before);
  });

  it("allows only the listed approvers (logins and teams)", async () => {
    const inputs = { approvers: "alice, @acme/release" };
    await open(inputs);
    const before = stateComment().body;
    const refused = await comment("/approve", "maintainer1", { inputs });
    expect(refused.outputs.status).toBe("refused");
    expect(stateComment().body).toBe(before);
    gh.teams["acme/release"] = ["reviewer2"];
    const ok = await comment("/approve", "reviewer2", { inputs });
    expect(ok.outputs.status).toBe("succeeded");
  });

  it("does not trust a state comment written by someone else", async () => {
    await open();
    const real = stateComment();
    // A user copies the bot's comment (state included) and the bot's is gone.
    gh.remove(real.id);
    gh.comment(2, real.body, "mallory", "User");
    const result = await comment("/approve", "maintainer1");
    expect(result.outputs.status).toBe("refused");
    expect(gh.refs.size).toBe(0);
  });

  it("refuses a tampered state when a state secret is set", async () => {
    const inputs = { "state-secret": "s3cret" };
    await open(inputs);
    const c = stateComment();
    const state = decodeState(c.body, "s3cret");
    expect(c.body).toMatch(/aegis-state:v2\./);
    // Someone able to edit the bot's comment swaps in an unsigned state.
    const { encodeState } = await import("../../src/action/state.ts");
    gh.edit(c.id, c.body.replace(/<!-- aegis-state:[^ ]+ -->/, encodeState(state)));
    const result = await comment("/approve", "maintainer1", { inputs });
    expect(result.outputs.status).toBe("refused");
    expect(result.code).not.toBe(0);
    expect(gh.refs.size).toBe(0);
  });
});

describe("exactly once, and bound to what was shown", () => {
  it("resumes once when two /approve arrive together", async () => {
    await open();
    const gate = decodeState(stateComment().body);
    gh.refBarrier = 2; // both have read the waiting state and claim at the same moment
    const [a, b] = await Promise.all([
      comment("/approve", "maintainer1"),
      comment("/approve", "reviewer2"),
    ]);
    const statuses = [a.outputs.status, b.outputs.status].sort();
    expect(statuses).toEqual(["refused", "succeeded"]);
    const loser = a.outputs.status === "refused" ? a : b;
    expect(loser.code).toBe(0);
    const replies = gh.comments.filter((c) => c.body.includes("already handled"));
    expect(replies).toHaveLength(1);
    const final = decodeState(stateComment().body);
    expect(final.record.status).toBe("succeeded");
    expect(final.journal.filter((e) => e.type === "human-answered")).toHaveLength(1);
    expect(final.record.visits.SHIP).toBe(1);
    expect([...gh.refs.keys()]).toEqual([`refs/aegis/${gate.runId}/${gate.record.seq}`]);
  });

  it("refuses an approval after the head moved, and shows the gate again", async () => {
    await open();
    // A push: the pull request's head is a new commit (checked out by the next job).
    const work = makeCheckout();
    onTestFinished(() => rmSync(work.dir, { recursive: true, force: true }));
    expect(work.head).toBe(HEAD);
    const NEW = work.commit("a second commit");
    gh.pulls[2] = { headSha: NEW, author: "Codertocat" };
    const stale = await comment("/approve", "maintainer1");
    expect(stale.outputs.status).toBe("refused");
    const c = stateComment();
    const state = decodeState(c.body);
    expect(state.record.status).toBe("waiting");
    expect(state.gate?.headSha).toBe(NEW);
    expect(c.body).toContain(`For head commit \`${NEW}\``);
    expect(c.body).toContain("head moved");
    expect(gh.refs.size).toBe(0);
    // Approving again, for the head now shown and checked out, goes through.
    const again = await comment("/approve", "maintainer1", { workspace: work.dir });
    expect(again.outputs.status).toBe("succeeded");
  });
});

/** The bot's replies (its comments without a state). */
function replies() {
  return gh.comments.filter(
    (c) => c.user.login === "github-actions[bot]" && !c.body.includes("aegis-state"),
  );
}

describe("/status, /cancel and /retry", () => {
  it("/status replies with where a waiting run is, and changes nothing", async () => {
    await open();
    const before = stateComment().body;
    const saved = decodeState(before);
    const result = await comment("/status", "stranger");
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.outputs.status).toBe("waiting");
    expect(result.outputs["run-id"]).toBe(saved.runId);
    expect(stateComment().body).toBe(before);
    const reply = replies().at(-1)!;
    expect(reply.body).toContain("@stranger");
    expect(reply.body).toContain(`run \`${saved.runId}\` is waiting at \`APPROVE\``);
    expect(gh.refs.size).toBe(0);
  });

  it("/cancel by an allowed user ends the run cancelled, and the comment shows it", async () => {
    await open();
    const saved = decodeState(stateComment().body);
    const result = await comment("/cancel", "maintainer1");
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.outputs.status).toBe("cancelled");
    const c = stateComment();
    expect(c.body).toContain("· cancelled");
    expect(c.body).toContain("cancelled by @maintainer1");
    expect(c.body).not.toContain("Waiting for approval");
    const final = decodeState(c.body);
    expect(final.record.status).toBe("cancelled");
    expect(final.gate).toBeUndefined();
    expect(final.journal.at(-1)?.type).toBe("cancelled");
    expect(gh.refs.has(`refs/aegis/${saved.runId}/${saved.record.seq}`)).toBe(true);
    expect(result.summary).toContain("cancelled");
    // A later /approve finds nothing to answer.
    const late = await comment("/approve", "reviewer2");
    expect(late.outputs.status).toBe("refused");
    expect(replies().at(-1)?.body).toMatch(/not waiting for an answer: it is cancelled/);
  });

  it("/cancel by a refused user changes nothing", async () => {
    await open();
    const before = stateComment().body;
    const result = await comment("/cancel", "triager");
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.outputs.status).toBe("refused");
    expect(stateComment().body).toBe(before);
    expect(decodeState(before).record.status).toBe("waiting");
    expect(replies().at(-1)?.body).toMatch(/role 'triage'/);
    expect(gh.refs.size).toBe(0);
  });

  it("/retry starts a failed run again, from the start, with the same inputs", async () => {
    const flaky = mkdtempSync(join(tmpdir(), "aegis-flaky-"));
    onTestFinished(() => rmSync(flaky, { recursive: true, force: true }));
    const counter = join(flaky, "count");
    const inputs = {
      workflow: "tests/action/fixtures/flaky.aegis",
      inputs: JSON.stringify({ counter }),
    };
    const first = await runAction({
      api: gh.url,
      event: "pull_request",
      payload: payload("pull_request.opened"),
      inputs,
    });
    expect(first.code).toBe(1);
    expect(first.outputs.status).toBe("failed");
    const failed = decodeState(stateComment().body);
    expect(failed.record.current).toBe("FAILED");
    expect(failed.record.results.FLAKY?.status).toBe("failed");
    expect(stateComment().body).toContain("/retry");

    // Refused: /retry by someone below min-role.
    const refused = await comment("/retry", "triager", { inputs: { workflow: inputs.workflow } });
    expect(refused.outputs.status).toBe("refused");
    expect(decodeState(stateComment().body).runId).toBe(failed.runId);

    const retried = await comment("/retry", "maintainer1", {
      inputs: { workflow: inputs.workflow },
    });
    expect(retried.code, retried.stdout + retried.stderr).toBe(0);
    expect(retried.outputs.status).toBe("succeeded");
    expect(retried.outputs.output).toBe("attempt 2 passed");
    const c = stateComment(); // the same comment, now the new run's
    const after = decodeState(c.body);
    expect(after.runId).not.toBe(failed.runId);
    expect(retried.outputs["run-id"]).toBe(after.runId);
    expect(after.retryOf).toBe(failed.runId);
    expect(c.body).toContain(`a retry of run \`${failed.runId}\``);
    expect(after.record.inputs.counter).toBe(counter);
    expect(after.record.visits).toMatchObject({ PREPARE: 1, FLAKY: 1, DONE: 1 });
    expect(readFileSync(counter, "utf8")).toBe("2");
    expect(gh.refs.has(`refs/aegis/${failed.runId}/${failed.record.seq}`)).toBe(true);

    // The comment now holds the new run, which succeeded: nothing to retry.
    const again = await comment("/retry", "reviewer2", { inputs: { workflow: inputs.workflow } });
    expect(again.outputs.status).toBe("refused");
    expect(replies().at(-1)?.body).toMatch(/only a failed or cancelled run can be retried/);
  });

  it("/retry refuses a run that is waiting", async () => {
    await open();
    const before = stateComment().body;
    const result = await comment("/retry", "maintainer1");
    expect(result.outputs.status).toBe("refused");
    expect(stateComment().body).toBe(before);
    expect(gh.refs.size).toBe(0);
  });
});

describe("other triggers", () => {
  it("workflow_dispatch runs to the end with the dispatch form's inputs", async () => {
    const event = payload("workflow_dispatch");
    event.inputs = { name: "octo", times: "3", loud: "true", unrelated: "x" };
    const result = await runAction({
      api: gh.url,
      event: "workflow_dispatch",
      payload: event,
      inputs: { workflow: "tests/action/fixtures/nogate.aegis" },
    });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.outputs.status).toBe("succeeded");
    expect(result.outputs["run-id"]).toMatch(/^nogate-/);
    expect(result.outputs.output).toBe("hello octo x3 loud=true");
    expect(result.summary).toContain("succeeded");
    expect(result.summary).toContain("hello octo x3");
    expect(gh.comments).toHaveLength(0); // no conversation to comment on
  });

  it("the `inputs` JSON wins over the dispatch form", async () => {
    const event = payload("workflow_dispatch");
    event.inputs = { name: "form", times: "2" };
    const result = await runAction({
      api: gh.url,
      event: "workflow_dispatch",
      payload: event,
      inputs: { workflow: "tests/action/fixtures/nogate.aegis", inputs: '{"name":"json"}' },
    });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.outputs.output).toBe("hello json x2 loud=false");
  });

  it("push runs a workflow without a gate to the end", async () => {
    const event = payload("push");
    const result = await runAction({
      api: gh.url,
      event: "push",
      payload: event,
      sha: event.after, // on a push, GITHUB_SHA is the pushed commit
      inputs: { workflow: "tests/action/fixtures/nogate.aegis", inputs: '{"name":"push"}' },
    });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.outputs.status).toBe("succeeded");
    expect(result.outputs["run-id"]).toMatch(/^nogate-\d+-1$/);
    expect(result.outputs.output).toBe("hello push x1 loud=false");
    expect(result.summary).toContain("aegis");
    expect(result.summary).toContain("```mermaid");
    expect(gh.comments).toHaveLength(0);
  });
});

describe("check-only", () => {
  it("fails on compile errors, with annotations on the file and line, and posts nothing", async () => {
    const result = await runAction({
      api: gh.url,
      event: "pull_request",
      payload: payload("pull_request.opened"),
      inputs: { "check-only": "true", workflow: "tests/action/fixtures/broken.aegis" },
    });
    expect(result.code).toBe(1);
    expect(result.outputs.status).toBe("invalid");
    expect(result.stdout).toMatch(
      /^::error file=tests\/action\/fixtures\/broken\.aegis,line=6,col=\d+,.*title=AEG201 unknown-state::transition to unknown state 'NOWHERE'/m,
    );
    expect(result.stdout).toMatch(/^::error::tests\/action\/fixtures\/broken\.aegis has errors/m);
    expect(gh.comments).toHaveLength(0);
    expect(gh.requests.filter((r) => r.method !== "GET")).toHaveLength(0);
  });

  it("succeeds, posting nothing, when there are no errors", async () => {
    const result = await runAction({
      api: gh.url,
      event: "pull_request",
      payload: payload("pull_request.opened"),
      inputs: { "check-only": "true", workflow: "tests/action/fixtures/flaky.aegis" },
    });
    expect(result.code).toBe(0);
    expect(result.outputs.status).toBe("checked");
    expect(result.stdout).not.toMatch(/^::warning file=tests\/action\/fixtures\/flaky/m);
    expect(gh.comments).toHaveLength(0);
  });
});

describe("GitHub's comment size limit", () => {
  const large = (size: number) =>
    runAction({
      api: gh.url,
      event: "pull_request",
      payload: payload("pull_request.opened"),
      inputs: {
        workflow: "tests/action/fixtures/large.aegis",
        inputs: JSON.stringify({ size }),
      },
    });

  it("keeps a state too large for a comment whole, in the repository, and reads it back", async () => {
    const result = await large(60_000);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.outputs.status).toBe("succeeded");
    const warnings = result.stdout.match(/::warning::aegis: the run's state \(\d+ characters/g);
    expect(warnings).toHaveLength(1);
    const c = stateComment();
    expect(c.body.length).toBeLessThanOrEqual(65_536);
    const blob = /<!-- aegis-state:git-([0-9a-f]{40}) -->/.exec(c.body)?.[1];
    expect(blob).toBeDefined();
    const state = savedState(c.body);
    expect(state.record.status).toBe("succeeded");
    // What is kept is not cut: the output and the stdout, all 80,000 characters.
    expect(String(state.record.results.BIG?.output).length).toBe(80_000);
    expect(state.record.results.BIG?.stdout?.length).toBe(80_000);
    expect(state.journal).toHaveLength(state.record.seq);
    // The blob is reachable from a ref (git keeps it), and the display is cut.
    expect([...gh.refs.keys()]).toContain(`refs/aegis/${state.runId}/state`);
    expect(c.body).not.toContain("<summary>History</summary>");
    // A kept state is read back like any other.
    const status = await comment("/status", "maintainer1", {
      inputs: { workflow: "tests/action/fixtures/large.aegis" },
    });
    expect(status.outputs.status).toBe("succeeded");
  });

  it("keeps the run's state after a /reject with a 60 KB reason, whole", async () => {
    await open();
    const reason = randomBytes(45_000).toString("base64"); // 60,000 characters, incompressible
    const rejected = await comment(`/reject ${reason}`, "maintainer1");
    expect(rejected.stdout + rejected.stderr).not.toMatch(/too large|cannot be continued/);
    expect(rejected.outputs.status).toBe("failed"); // the gate's rejected branch is a failure
    const c = stateComment();
    expect(c.body.length).toBeLessThanOrEqual(65_536);
    const state = savedState(c.body);
    expect(state.record.status).toBe("failed");
    expect(JSON.stringify(state.journal)).toContain(reason);
    // The run can go on from what was kept: /retry reads it and starts again.
    const retried = await comment("/retry", "maintainer1");
    expect(retried.outputs.status).toBe("waiting");
    expect(savedState(stateComment().body).retryOf).toBe(state.runId);
  });
});
