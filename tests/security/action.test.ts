// The GitHub Action under attack, run as the runner runs it (the bundled dist/index.js)
// against a local GitHub API that enforces the token's permissions: forged state markers,
// replayed comments, pull requests from forks, the token kept out of everything written,
// and the documented permissions — enough, and each one needed.
//   npm run build:action && npx vitest run tests/security/action.test.ts
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { decodeState, encodeState } from "../../src/action/state.ts";
import { FakeGitHub, type StoredComment } from "../action/github-server.ts";
import { commentPayload, HEAD, payload, root, runAction } from "../action/run-action.ts";
import { type Permissions, ScopedGitHub } from "./scoped-github.ts";

const TOKEN = "ghs_securityTestToken0123456789abcdef";

/** The permissions block of the example workflow: what the README documents. */
const documented = (
  parse(readFileSync(join(root, "examples/github/aegis.yml"), "utf8")).jobs.aegis as {
    permissions: Permissions;
  }
).permissions;

let gh: FakeGitHub;
let api: ScopedGitHub;

beforeEach(async () => {
  gh = await new FakeGitHub().start();
  gh.pulls[2] = { headSha: HEAD, author: "Codertocat" };
  gh.roles = { Codertocat: "admin", maintainer1: "write", mallory: "write" };
  api = await new ScopedGitHub(gh).start();
  api.tokens[TOKEN] = { ...documented };
});
afterEach(async () => {
  await api.stop();
  await gh.stop();
});

const tokenInput = { "github-token": TOKEN };

async function open(inputs: Record<string, string> = {}, event = payload("pull_request.opened")) {
  return runAction({
    api: api.url,
    event: "pull_request",
    payload: event,
    inputs: { ...tokenInput, ...inputs },
  });
}

/** A comment exists, then the workflow runs for it (or for a re-delivery of it). */
function deliver(c: StoredComment, inputs: Record<string, string> = {}) {
  return runAction({
    api: api.url,
    event: "issue_comment",
    payload: commentPayload(gh.apiComment(c)),
    inputs: { ...tokenInput, ...inputs },
  });
}

function comment(body: string, login: string, inputs: Record<string, string> = {}) {
  const c = gh.comment(2, body, login, "User");
  return { c, result: deliver(c, inputs) };
}

function botState(secret?: string) {
  const own = gh.stateComments().filter((c) => c.user.login === "github-actions[bot]");
  expect(own).toHaveLength(1);
  return decodeState(own[0]!.body, secret);
}

describe("the documented permissions", () => {
  it("are enough: a gate opened and approved with exactly them", async () => {
    expect(documented).toEqual({ contents: "write", "pull-requests": "write" });
    const opened = await open();
    expect(opened.outputs.status, opened.stdout + opened.stderr).toBe("waiting");
    const { result } = comment("/approve", "maintainer1");
    const approved = await result;
    expect(approved.outputs.status, approved.stdout).toBe("succeeded");
    expect(api.refused).toEqual([]);
  });

  for (const missing of Object.keys(documented)) {
    it(`are each needed: without ${missing}, the job fails naming it`, async () => {
      const { [missing]: _gone, ...fewer } = documented;
      api.tokens[TOKEN] = fewer;
      const opened = await open();
      let failed = opened;
      if (opened.code === 0) failed = await comment("/approve", "maintainer1").result;
      expect(failed.code).not.toBe(0);
      expect(failed.stdout).toMatch(
        new RegExp(`needs the permission \`${missing}: (read|write)\``),
      );
      expect(api.refused.some((need) => need.startsWith(missing))).toBe(true);
    });
  }

  it("on an issue, comments need issues, and it says so", async () => {
    const event = payload("issues.opened");
    event.issue.number = 7;
    const without = await runAction({
      api: api.url,
      event: "issues",
      payload: event,
      inputs: tokenInput,
    });
    expect(without.code).not.toBe(0);
    expect(without.stdout).toMatch(/needs the permission `issues: (read|write)`/);
    api.tokens[TOKEN] = { ...documented, issues: "write" };
    const withIt = await runAction({
      api: api.url,
      event: "issues",
      payload: event,
      inputs: tokenInput,
    });
    expect(withIt.outputs.status, withIt.stdout).toBe("waiting");
  });
});

describe("forged and edited state markers", () => {
  it("a marker posted by someone else is never read, even when it is newer", async () => {
    await open();
    const real = botState();
    const forged = encodeState({ ...real, record: { ...real.record, status: "succeeded" } });
    gh.comment(2, `looks done to me ${forged}`, "mallory", "User");
    const { result } = comment("/approve", "maintainer1");
    const approved = await result;
    expect(approved.outputs.status).toBe("succeeded");
    expect(botState().record.results.APPROVE?.approver).toBe("maintainer1");
  });

  it("with a state secret, the bot's own comment edited to change the state is refused", async () => {
    await open({ "state-secret": "s3cret-key-for-tests" });
    const own = gh.stateComments()[0]!;
    const state = botState("s3cret-key-for-tests");
    gh.edit(
      own.id,
      own.body.replace(/<!-- aegis-state:.* -->/, encodeState({ ...state, runId: "other" })),
    );
    const { result } = comment("/approve", "maintainer1", {
      "state-secret": "s3cret-key-for-tests",
    });
    const refused = await result;
    expect(refused.code).not.toBe(0);
    expect(refused.stdout).toMatch(/cannot be trusted/);
    expect(gh.refs.size).toBe(0);
  });
});

describe("replayed comments", () => {
  it("the same /approve delivered twice acts once", async () => {
    await open();
    const { c, result } = comment("/approve", "maintainer1");
    expect((await result).outputs.status).toBe("succeeded");
    const before = JSON.stringify(botState());
    const again = await deliver(c);
    expect(again.outputs.status).toBe("refused");
    expect(again.stdout).toMatch(/written before run/);
    expect(JSON.stringify(botState())).toBe(before);
  });

  it("an /approve of the first gate, re-delivered, does not answer the second", async () => {
    const workflow = { workflow: "tests/security/fixtures/two-gates.aegis" };
    await open(workflow);
    const { c, result } = comment("/approve", "maintainer1", workflow);
    expect((await result).outputs.status).toBe("waiting");
    expect(botState().record.waiting?.state).toBe("SECOND");
    const replay = await deliver(c, workflow);
    expect(replay.outputs.status).toBe("refused");
    const state = botState();
    expect(state.record.status).toBe("waiting");
    expect(state.record.waiting?.state).toBe("SECOND");
    expect(gh.refs.size).toBe(1); // the first gate's claim only
    const fresh = await comment("/approve", "maintainer1", workflow).result;
    expect(fresh.outputs.status).toBe("succeeded");
  });
});

describe("pull requests from forks", () => {
  it("a fork's pull_request event starts nothing and writes nothing", async () => {
    const event = payload("pull_request.opened");
    event.pull_request.head.repo.full_name = "mallory/Hello-World";
    const result = await open({}, event);
    expect(result.code).toBe(0);
    expect(result.outputs.status).toBe("ignored");
    expect(result.stdout).toContain("comes from the fork mallory/Hello-World");
    expect(gh.comments).toHaveLength(0);
    expect(gh.requests.filter((r) => r.method !== "GET")).toHaveLength(0);
  });

  it("a fork author's /approve on their own pull request is refused", async () => {
    await open();
    gh.pulls[2]!.author = "mallory";
    const event = payload("issue_comment.created");
    const c = gh.comment(2, "/approve", "mallory", "User");
    event.issue.user = structuredClone(c.user);
    event.comment = gh.apiComment(c);
    event.sender = event.comment.user;
    const result = await runAction({
      api: api.url,
      event: "issue_comment",
      payload: event,
      inputs: tokenInput,
    });
    expect(result.outputs.status).toBe("refused");
    expect(botState().record.status).toBe("waiting");
  });
});

describe("the token is never printed", () => {
  it("not by a command that prints its environment, nor in comments, state, outputs or summary", async () => {
    const secret = "state-secret-value-42";
    const workflow = { workflow: "tests/security/fixtures/leak.aegis", "state-secret": secret };
    const opened = await open(workflow);
    expect(opened.outputs.status, opened.stdout).toBe("waiting");
    const approved = await comment("/approve", "maintainer1", workflow).result;
    expect(approved.outputs.status).toBe("succeeded");
    const state = JSON.stringify(botState(secret));
    expect(state).toContain("GITHUB_REPOSITORY="); // the environment was printed…
    expect(state).not.toContain("INPUT_"); // …without the action's inputs (an allowlist)…
    for (const value of [TOKEN, secret]) {
      // …but not the credentials: only the runner's masking command names them.
      for (const run of [opened, approved]) {
        const logged = `${run.stdout}\n${run.stderr}`.replaceAll(`::add-mask::${value}`, "");
        expect(logged).not.toContain(value);
        expect(JSON.stringify(run.outputs)).not.toContain(value);
        expect(run.summary).not.toContain(value);
      }
      expect(state).not.toContain(value);
      for (const c of gh.comments) expect(c.body).not.toContain(value);
    }
  });

  it("not when GitHub refuses the token", async () => {
    api.tokens = {};
    const result = await open();
    expect(result.code).not.toBe(0);
    expect(result.stdout).toContain("the github-token is not valid");
    expect(`${result.stdout}${result.stderr}`.replaceAll(`::add-mask::${TOKEN}`, "")).not.toContain(
      TOKEN,
    );
  });
});
