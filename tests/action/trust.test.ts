// The Action's trust model under attack, run as the runner runs it (the bundled
// dist/index.js) against the fake GitHub held to GitHub's OpenAPI description: what is
// approved is what runs, nothing else can answer a gate, and no credential reaches a state
// or anything the action writes. Each case asserts that the run did not change (or that
// the credential is absent).
//   npm run build:action && npx vitest run tests/action/trust.test.ts
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from "vitest";
import { type ActionState, openState, readMarker } from "../../src/action/state.ts";
import { FakeGitHub, type StoredComment } from "./github-server.ts";
import {
  type ActionResult,
  type Checkout,
  checkout,
  commentPayload,
  HEAD,
  makeCheckout,
  makeClone,
  payload,
  REPOSITORY,
  runAction,
} from "./run-action.ts";

let gh: FakeGitHub;

beforeEach(async () => {
  gh = await new FakeGitHub().start();
  gh.pulls[2] = { headSha: HEAD, author: "Codertocat" };
  gh.roles = { Codertocat: "admin", maintainer1: "write" };
});
afterEach(() => gh.stop());

/** A working copy or directory of the test's own, removed when the test is done. */
function own<T extends Checkout | string>(made: T): T {
  onTestFinished(() =>
    rmSync(typeof made === "string" ? made : made.dir, { recursive: true, force: true }),
  );
  return made;
}

interface Options {
  inputs?: Record<string, string>;
  env?: Record<string, string>;
  workspace?: string;
  issue?: number;
}

/** The pull request is opened: the run goes to its gate and waits there. */
async function open(options: Options = {}): Promise<ActionResult> {
  const event = payload("pull_request.opened");
  if (options.issue) event.pull_request.number = options.issue;
  const result = await runAction({
    api: gh.url,
    event: "pull_request",
    payload: event,
    inputs: { inputs: '{"note":"v1"}', ...options.inputs },
    ...(options.env && { env: options.env }),
    ...(options.workspace && { workspace: options.workspace }),
  });
  expect(result.code, result.stdout + result.stderr).toBe(0);
  return result;
}

/** The issue_comment event of a comment (as it was when posted), delivered to a job. */
function deliver(
  c: StoredComment,
  options: Options & { body?: string } = {},
): Promise<ActionResult> {
  return runAction({
    api: gh.url,
    event: "issue_comment",
    payload: commentPayload(gh.apiComment(c), options),
    ...(options.inputs && { inputs: options.inputs }),
    ...(options.env && { env: options.env }),
    ...(options.workspace && { workspace: options.workspace }),
  });
}

/** Someone comments, then the workflow runs for the comment. */
function comment(body: string, login = "maintainer1", options: Options = {}) {
  return deliver(gh.comment(options.issue ?? 2, body, login, "User"), options);
}

/** The progress comments (the token's comments holding a state). */
function progress(issue = 2): StoredComment[] {
  return gh.comments.filter(
    (c) =>
      c.issue === issue && c.user.login === gh.identity && c.body.includes("<!-- aegis-state:"),
  );
}

function saved(c: StoredComment, secret?: string): ActionState {
  const marker = readMarker(c.body, secret);
  return openState(marker.data!, marker, { repository: REPOSITORY, issue: c.issue }, secret);
}

/** The one progress comment's state. */
function state(secret?: string): ActionState {
  const all = progress();
  expect(all).toHaveLength(1);
  return saved(all[0]!, secret);
}

/** The run waits at its gate exactly as it did: nothing moved, nothing was claimed. */
function unchanged(before: ActionState) {
  const now = state();
  expect(now.record.status).toBe("waiting");
  expect(now.record.seq).toBe(before.record.seq);
  expect(now.runId).toBe(before.runId);
  expect(now.record.results.SHIP).toBeUndefined();
  expect([...gh.refs.keys()].filter((r) => !r.endsWith("/state"))).toEqual([]);
}

describe("agents get no credentials they were not given", () => {
  const runner = {
    ACTIONS_RUNTIME_TOKEN: "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.runtime-token-value",
    ACTIONS_RUNTIME_URL: "https://pipelines.actions.githubusercontent.com/runtime-url-value/",
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.id-token-request",
    ACTIONS_ID_TOKEN_REQUEST_URL: "https://pipelines.actions.githubusercontent.com/id-token-url/",
    ACTIONS_CACHE_URL: "https://artifactcache.actions.githubusercontent.com/cache-url-value/",
    ACTIONS_RESULTS_URL: "https://results-receiver.actions.githubusercontent.com/results-url/",
    GITHUB_TOKEN: "ghs_githubTokenInTheStepEnvironment0",
    GITHUB_ENV: "/tmp/set_env_file_command_path",
    GITHUB_PATH: "/tmp/add_path_file_command_path",
    ANTHROPIC_API_KEY: "sk-ant-api03-named-for-the-agents",
    DECLARED_SECRET: "declared-secret-of-the-workflow",
    UNNAMED_SECRET: "a-secret-nobody-named-for-states",
  };
  const inputs = {
    workflow: "tests/action/fixtures/environment.aegis",
    inputs: "{}",
    agents: "tests/action/fixtures/printer.agents.json",
    env: "ANTHROPIC_API_KEY, ACTIONS_RUNTIME_TOKEN",
    "state-secret": "the-state-secret-value",
  };
  const withheld = [
    runner.ACTIONS_RUNTIME_TOKEN,
    runner.ACTIONS_RUNTIME_URL,
    runner.ACTIONS_ID_TOKEN_REQUEST_TOKEN,
    runner.ACTIONS_ID_TOKEN_REQUEST_URL,
    runner.ACTIONS_CACHE_URL,
    runner.ACTIONS_RESULTS_URL,
    runner.GITHUB_TOKEN,
    runner.UNNAMED_SECRET,
    "ghs_testtoken0123456789", // the github-token input
    "the-state-secret-value",
  ];
  /** Secrets that must appear nowhere the action writes (the named ones reach the states). */
  const secrets = [...withheld, runner.ANTHROPIC_API_KEY, runner.DECLARED_SECRET];

  it("a state that prints its whole environment sees only the allowlist; nothing written holds a secret", async () => {
    const opened = await open({ inputs, env: runner });
    expect(opened.outputs.status).toBe("waiting");
    expect(opened.stdout).toMatch(/ACTIONS_RUNTIME_TOKEN is the runner's own and never passed/);
    const approved = await comment("/approve", "maintainer1", { inputs, env: runner });
    expect(approved.outputs.status, approved.stdout + approved.stderr).toBe("succeeded");

    const kept = state("the-state-secret-value");
    const printed = [
      kept.record.results.BEFORE?.stdout,
      String(kept.record.results.AGENT?.output),
      kept.record.results.AFTER?.stdout,
    ];
    for (const out of printed) {
      // The environment was printed: the allowlist and the named variables are there…
      expect(out).toMatch(/^GITHUB_REPOSITORY=Codertocat\/Hello-World$/m);
      expect(out).toMatch(/^PATH=/m);
      expect(out).toMatch(/^ANTHROPIC_API_KEY=\*\*\*$/m); // passed, and cut from what is kept
      expect(out).toMatch(/^DECLARED_SECRET=\*\*\*$/m);
      // …and nothing of the runner's own, the inputs or the file commands.
      expect(out).not.toMatch(/^(ACTIONS_|INPUT_|GITHUB_TOKEN=|GITHUB_ENV=|GITHUB_PATH=)/m);
      expect(out).not.toMatch(/^(GITHUB_OUTPUT|GITHUB_STEP_SUMMARY|UNNAMED_SECRET)=/m);
    }
    const written = [
      ...gh.comments.map((c) => c.body),
      JSON.stringify(kept),
      ...[opened, approved].flatMap((r) => [
        // The runner's masking command is the one place a value is named (never shown).
        r.stdout.replace(/::add-mask::.*\n/g, ""),
        r.stderr,
        r.summary,
        JSON.stringify(r.outputs),
      ]),
    ].join("\n");
    for (const secret of secrets) expect(written).not.toContain(secret);
    // The runner is told to mask every one the action knows of in its log (an unnamed
    // variable is not known to be a secret: it is withheld, not masked).
    for (const secret of secrets.filter((s) => s !== runner.UNNAMED_SECRET))
      expect(opened.stdout).toContain(`::add-mask::${secret}`);
  });
});

describe("what runs after approval is what was approved", () => {
  it("an approval in a job that checked out another commit does not resume the run", async () => {
    await open();
    const before = state();
    expect(before.gate?.headSha).toBe(HEAD);
    // The job checks out a commit that is not the one the gate is for.
    const other = own(makeCheckout());
    other.commit("not what was approved");
    const refused = await comment("/approve", "maintainer1", { workspace: other.dir });
    expect(refused.outputs.status).toBe("refused");
    expect(refused.stdout).toMatch(/checked out `[0-9a-f]{7}`, not `[0-9a-f]{7}`/);
    unchanged(before);
    // The gate is shown again, saying why; an approval from the right checkout goes on.
    expect(progress()[0]!.body).toContain("the commit this gate is for");
    const approved = await comment("/approve");
    expect(approved.outputs.status).toBe("succeeded");
    expect(state().record.results.SHIP?.status).toBe("succeeded");
  });

  it("reads the checkout's HEAD as git keeps it: detached, or a branch only in packed-refs", async () => {
    const gitIn = (dir: string, ...args: string[]) =>
      execFileSync("git", args, {
        cwd: dir,
        encoding: "utf8",
        env: { PATH: process.env.PATH ?? "", HOME: dir },
      });
    // As actions/checkout leaves a pull request's head: a clone, HEAD detached at the commit.
    const detached = own(makeClone(checkout));
    gitIn(detached.dir, "checkout", "-q", "--detach", HEAD);
    expect(readFileSync(join(detached.dir, ".git/HEAD"), "utf8").trim()).toBe(HEAD);
    // A clone whose branch is a line of packed-refs (no file of its own).
    const packed = own(makeClone(checkout));
    gitIn(packed.dir, "pack-refs", "--all");
    expect(existsSync(join(packed.dir, ".git/refs/heads/main"))).toBe(false);
    expect(readFileSync(join(packed.dir, ".git/packed-refs"), "utf8")).toContain(
      `${HEAD} refs/heads/main`,
    );
    // The same, at another commit: the gate is not for it.
    const moved = own(makeClone(checkout));
    const other = moved.commit("not what was approved");
    gitIn(moved.dir, "pack-refs", "--all");

    await open({ workspace: packed.dir });
    expect(state().gate?.headSha).toBe(HEAD);
    const refused = await comment("/approve", "maintainer1", { workspace: moved.dir });
    expect(refused.outputs.status).toBe("refused");
    expect(refused.stdout).toContain(
      `checked out \`${other.slice(0, 7)}\`, not \`${HEAD.slice(0, 7)}\``,
    );
    const approved = await comment("/approve", "maintainer1", { workspace: detached.dir });
    expect(approved.outputs.status).toBe("succeeded");
    expect(state().record.results.SHIP?.status).toBe("succeeded");
  });

  it("a job without a checkout (no git working copy) cannot resume it", async () => {
    await open();
    const before = state();
    const empty = own(mkdtempSync(join(tmpdir(), "aegis-no-checkout-")));
    const refused = await comment("/approve", "maintainer1", { workspace: empty });
    expect(refused.outputs.status).toBe("refused");
    expect(refused.stdout).toContain("checked out no commit");
    unchanged(before);
  });

  it("a /reject also runs states, so it is held to the same commit", async () => {
    await open();
    const before = state();
    const other = own(makeCheckout());
    other.commit("elsewhere");
    const refused = await comment("/reject no", "maintainer1", { workspace: other.dir });
    expect(refused.outputs.status).toBe("refused");
    unchanged(before);
  });
});

describe("commands are read the way GitHub renders the comment", () => {
  const hidden = [
    "/approve-not",
    "/approve?",
    "<!-- /approve -->",
    "<!--\n\n/approve\n\n-->",
    "<pre>\n/approve\n</pre>",
    "<details>\n\n/approve\n\n</details>",
    "```\nnot closed by an info string\n```js\n/approve\n```",
    "> quoted\n/approve",
    "- /approve",
    '<span hidden=""></span>/approve',
    "\u200b/approve",
    "~~/approve~~",
    "| a |\n| - |\n| /approve |",
  ];
  for (const body of hidden)
    it(`${JSON.stringify(body)} answers nothing`, async () => {
      await open();
      const before = state();
      const result = await comment(body);
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(result.outputs.status).toBe("ignored");
      unchanged(before);
    });
});

describe("an answer answers the gate that was shown, once", () => {
  it("an /approve written before the gate was shown answers nothing", async () => {
    const early = gh.comment(2, "/approve", "maintainer1", "User");
    await open();
    const before = state();
    const result = await deliver(early);
    expect(result.outputs.status).toBe("refused");
    expect(result.stdout).toContain("was written before run");
    unchanged(before);
  });

  it("a comment edited since its event is refused (the API is read again)", async () => {
    await open();
    const before = state();
    const c = gh.comment(2, "/reject later", "maintainer1", "User");
    const event = gh.apiComment(c);
    gh.edit(c.id, "/approve");
    const result = await deliver(c, { body: event.body });
    expect(result.outputs.status).toBe("refused");
    expect(result.stdout).toContain("edited after it was posted");
    unchanged(before);
    // Nor does the edited text act, delivered as it is now.
    const again = await deliver(c);
    expect(again.outputs.status).toBe("refused");
    unchanged(before);
  });

  it("a comment deleted before its job ran is refused", async () => {
    await open();
    const before = state();
    const c = gh.comment(2, "/approve", "maintainer1", "User");
    gh.remove(c.id);
    const result = await deliver(c);
    expect(result.outputs.status).toBe("refused");
    expect(result.stdout).toContain("deleted");
    unchanged(before);
  });

  it("a comment made through a GitHub App on a person's behalf is refused, unless the App is allowed", async () => {
    await open();
    const before = state();
    const viaApp = gh.comment(2, "/approve", "maintainer1", "User", { app: "chat-ops" });
    const refused = await deliver(viaApp);
    expect(refused.outputs.status).toBe("refused");
    expect(refused.stdout).toContain("through the GitHub App 'chat-ops'");
    unchanged(before);
    const allowed = gh.comment(2, "/approve", "maintainer1", "User", { app: "chat-ops" });
    const result = await deliver(allowed, { inputs: { "allow-apps": "chat-ops" } });
    expect(result.outputs.status).toBe("succeeded");
  });

  it("a signed state copied into another pull request's comment is refused, every time", async () => {
    const secret = { "state-secret": "a-state-secret-for-copies" };
    gh.pulls[3] = { headSha: HEAD, author: "Codertocat" };
    await open({ inputs: secret });
    const original = progress()[0]!;
    // Whoever can make the token's account write (another workflow) copies the comment.
    gh.comment(3, original.body, gh.identity, "Bot");
    for (const attempt of [1, 2]) {
      const result = await comment("/approve", "maintainer1", { issue: 3, inputs: secret });
      expect(result.outputs.status, `attempt ${attempt}`).toBe("refused");
      expect(result.stdout).toContain("signature does not match");
    }
    // The original run is untouched, and still answers on its own pull request.
    expect(saved(progress()[0]!, secret["state-secret"]).record.status).toBe("waiting");
    expect([...gh.refs.keys()]).toEqual([]);
    const approved = await comment("/approve", "maintainer1", { inputs: secret });
    expect(approved.outputs.status).toBe("succeeded");
  });

  it("an unsigned state copied from another pull request is refused too", async () => {
    gh.pulls[3] = { headSha: HEAD, author: "Codertocat" };
    await open();
    gh.comment(3, progress()[0]!.body, gh.identity, "Bot");
    const result = await comment("/approve", "maintainer1", { issue: 3 });
    expect(result.outputs.status).toBe("refused");
    expect(result.stdout).toContain("it was copied");
  });
});

describe("who may answer, on a public repository", () => {
  // GitHub's permission API answers `read` for anyone on a public repository.
  it("a stranger's read access is not enough, whatever min-role says", async () => {
    gh.visibility = "public";
    await open();
    const before = state();
    const byRole = await comment("/approve", "stranger");
    expect(byRole.outputs.status).toBe("refused");
    expect(byRole.stdout).toContain("has the role 'read'");
    const byCollaboration = await comment("/approve", "stranger", {
      inputs: { "min-role": "read" },
    });
    expect(byCollaboration.outputs.status).toBe("refused");
    expect(byCollaboration.stdout).toContain("only the read access everyone has");
    unchanged(before);
  });
});

describe("GitHub App tokens", () => {
  it("the action finds its own progress comment without GET /user, and /approve works", async () => {
    gh.tokenKind = "app";
    await open();
    const own = progress();
    expect(own).toHaveLength(1);
    expect(own[0]!.user.login).toBe("aegis-ci[bot]");
    const approved = await comment("/approve");
    expect(approved.outputs.status, approved.stdout).toBe("succeeded");
    expect(state().record.status).toBe("succeeded");
    // GitHub answers 403 to an installation token's GET /user: it was not needed.
    const users = gh.requests.filter((r) => r.path === "/user");
    expect(users).toEqual([]);
  });

  it("with an App token, a state in a github-actions[bot] comment is not the action's", async () => {
    gh.tokenKind = "app";
    await open();
    const body = progress()[0]!.body;
    gh.tokenKind = "github-token";
    gh.comment(2, body.replace("waiting", "forged"), "github-actions[bot]", "Bot");
    gh.tokenKind = "app";
    const approved = await comment("/approve");
    expect(approved.outputs.status).toBe("succeeded");
    expect(progress().map((c) => c.body)).not.toContainEqual(expect.stringContaining("forged"));
  });
});

describe("errors are named", () => {
  it("a claim GitHub refuses for another reason than an existing ref fails the job, naming it", async () => {
    await open();
    const before = state();
    gh.fail("POST", /\/git\/refs$/, 422, "Object does not exist", 1);
    const result = await comment("/approve");
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /::error::.*creating the claim ref .* 422: Object does not exist/,
    );
    expect(result.stdout).not.toContain("already handled");
    unchanged(before);
    const again = await comment("/approve");
    expect(again.outputs.status).toBe("succeeded");
  });

  it("a failed reaction does not stop the answer, and is named", async () => {
    await open();
    gh.fail("POST", /\/reactions$/, 500, "Server Error", 1);
    const result = await comment("/approve");
    expect(result.outputs.status).toBe("succeeded");
    expect(result.stdout).toMatch(
      /::warning::aegis: GitHub answered adding a reaction to comment \d+ with 500/,
    );
  });

  it("any API failure says what was asked and what GitHub answered", async () => {
    await open();
    gh.fail("GET", /\/pulls\/2$/, 502, "Server Error", 1);
    const result = await comment("/approve");
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/::error::GitHub answered reading pull request #2 with 502/);
  });
});

describe("workflows and jobs do not overwrite each other", () => {
  it("two aegis workflows on one pull request keep one progress comment each", async () => {
    await open();
    await open({ inputs: { workflow: "tests/action/fixtures/gate-other.aegis" } });
    const comments = progress();
    expect(comments).toHaveLength(2);
    const [first, second] = comments.map((c) => saved(c));
    expect(first!.workflow).toBe("tests/action/fixtures/gate.aegis");
    expect(second!.workflow).toBe("tests/action/fixtures/gate-other.aegis");
    // An answer in one workflow's job moves only that workflow's run.
    const approved = await comment("/approve");
    expect(approved.outputs.status).toBe("succeeded");
    const after = progress().map((c) => saved(c));
    expect(after[0]!.record.status).toBe("succeeded");
    expect(after[1]!.record.status).toBe("waiting");
    expect(after[1]!.record.seq).toBe(second!.record.seq);
  });
});
