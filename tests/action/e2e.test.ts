// End to end: the bundled action, run as the runner runs it, against a local GitHub API.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { decodeState } from "../../src/action/state.ts";
import { FakeGitHub } from "./github-server.ts";
import { payload, runAction } from "./run-action.ts";

const HEAD = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";
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
  options: { type?: string; action?: string; issue?: number; inputs?: Record<string, string> } = {},
) {
  const event = payload("issue_comment.created");
  const c = gh.comment(options.issue ?? 2, body, login, options.type ?? "User");
  event.action = options.action ?? "created";
  event.comment.id = c.id;
  event.comment.body = body;
  event.comment.user = { login, id: 1, type: options.type ?? "User" };
  event.sender = event.comment.user;
  if (options.issue) event.issue.number = options.issue;
  return runAction({
    api: gh.url,
    event: "issue_comment",
    payload: event,
    ...(options.inputs && { inputs: options.inputs }),
  });
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
    expect(Number(startup![1])).toBeLessThan(10_000); // generous: the suite runs in parallel
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
});

describe("who may answer", () => {
  const cases: [string, string, Parameters<typeof comment>[2], RegExp][] = [
    ["a bot", "dependabot[bot]", { type: "Bot" }, /bot or an App/],
    ["an App posing as a user", "some-app[bot]", {}, /bot or an App/],
    ["the change's own author", "Codertocat", {}, /author of this change/],
    ["a triager (below min-role write)", "triager", {}, /role 'triage'/],
    ["someone with implicit read access", "stranger", {}, /role 'none'/],
    ["an edited comment", "maintainer1", { action: "edited" }, /edited comments/],
    ["a comment on another pull request", "maintainer1", { issue: 7 }, /no aegis run/],
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
    gh.comments = gh.comments.filter((c) => c.id !== real.id);
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
    expect(c.body).toMatch(/aegis-state:v1\./);
    // Someone able to edit the bot's comment swaps in an unsigned state.
    const { encodeState } = await import("../../src/action/state.ts");
    c.body = c.body.replace(/<!-- aegis-state:[^ ]+ -->/, encodeState(state));
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
    const NEW = "0123456789abcdef0123456789abcdef01234567";
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
    // Approving again, for the head now shown, goes through.
    const again = await comment("/approve", "maintainer1");
    expect(again.outputs.status).toBe("succeeded");
  });
});
