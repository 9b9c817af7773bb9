// Runs the bundled action (dist/index.js) as the runner does: a child process with the
// runner's environment, the event payload in a file, inputs as INPUT_* variables.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll } from "vitest";

export const root = resolve(import.meta.dirname, "../..");

/**
 * The bundle the tests run: dist/index.js, or AEGIS_ACTION_BUNDLE (a build of the sources
 * elsewhere, `node scripts/build-action.ts DIR`: the tests of a change before dist/ is rebuilt).
 */
export const bundle = process.env.AEGIS_ACTION_BUNDLE
  ? resolve(process.env.AEGIS_ACTION_BUNDLE)
  : join(root, "dist/index.js");

/** The repository of GitHub's webhook examples, which the runs are in. */
export const REPOSITORY = "Codertocat/Hello-World";
/** The commit the runs are for: the base of the examples' pull request #2. */
export const GITHUB_SHA = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e";

/** A git working copy, as actions/checkout leaves one: the action reads its HEAD. */
export interface Checkout {
  dir: string;
  head: string;
  /** Commits a change (HEAD moves): another commit checked out. */
  commit(message: string): string;
}

function git(dir: string, ...args: string[]): string {
  // Fixed names and dates: the same tree and message give the same commit everywhere.
  const env = {
    PATH: process.env.PATH ?? "",
    HOME: dir,
    GIT_AUTHOR_NAME: "aegis tests",
    GIT_AUTHOR_EMAIL: "tests@aegis.invalid",
    GIT_AUTHOR_DATE: "2026-06-01T12:00:00Z",
    GIT_COMMITTER_NAME: "aegis tests",
    GIT_COMMITTER_EMAIL: "tests@aegis.invalid",
    GIT_COMMITTER_DATE: "2026-06-01T12:00:00Z",
    GIT_CONFIG_NOSYSTEM: "1",
  };
  return execFileSync("git", args, { cwd: dir, env, encoding: "utf8" }).trim();
}

/** The working copy in `dir`. */
function workingCopy(dir: string): Checkout {
  const copy: Checkout = {
    dir,
    head: git(dir, "rev-parse", "HEAD"),
    commit(message) {
      writeFileSync(join(dir, "README.md"), `${message}\n`);
      git(dir, "commit", "-q", "-am", message);
      copy.head = git(dir, "rev-parse", "HEAD");
      return copy.head;
    },
  };
  return copy;
}

/** A new working copy with one commit. */
/** Every working copy made here, removed when the test file that made it is done. */
const made: string[] = [];
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export function makeCheckout(): Checkout {
  const dir = mkdtempSync(join(tmpdir(), "aegis-checkout-"));
  made.push(dir);
  git(dir, "init", "-q", "-b", "main");
  writeFileSync(join(dir, "README.md"), "the pull request's head\n");
  git(dir, "add", "README.md");
  git(dir, "commit", "-q", "-m", "head");
  return workingCopy(dir);
}

/** A clone of `origin` (its remote `origin`), as a job's checkout of that repository. */
export function makeClone(origin: Checkout): Checkout {
  const dir = mkdtempSync(join(tmpdir(), "aegis-clone-"));
  made.push(dir);
  git(dir, "clone", "-q", origin.dir, ".");
  return workingCopy(dir);
}

/** The working copy runs use unless they give their own: its HEAD is the pull request's head. */
export const checkout = makeCheckout();
/** The head commit of the examples' pull request #2 in these tests (a real commit of `checkout`). */
export const HEAD = checkout.head;

export type PayloadName =
  | "pull_request.opened"
  | "issue_comment.created"
  | "issue_comment.edited"
  | "issue_comment.deleted"
  | "issues.opened"
  | "push"
  | "workflow_dispatch";

// biome-ignore lint/suspicious/noExplicitAny: webhook payloads, edited freely by the tests
type Payload = any;

let examples: { name: string; examples: Payload[] }[] | undefined;

/**
 * GitHub's example of a webhook payload (@octokit/webhooks-examples), read once per test
 * process; shared, not to be changed. Of several examples of an event and action, the one
 * with the most fields; a push is one to a branch.
 */
export function webhookExample(name: PayloadName): Payload {
  examples ??= JSON.parse(
    readFileSync(createRequire(import.meta.url).resolve("@octokit/webhooks-examples"), "utf8"),
  ) as { name: string; examples: Payload[] }[];
  const [event, action] = name.split(".");
  const all = examples
    .find((d) => d.name === event)!
    .examples.filter(
      (e) =>
        e.action === action &&
        (event !== "push" || (String(e.ref).startsWith("refs/heads/") && !e.deleted)),
    );
  if (all.length === 0) throw new Error(`no webhook example ${name}`);
  return all.reduce((a, b) => (JSON.stringify(b).length > JSON.stringify(a).length ? b : a));
}

/**
 * A webhook payload for the runs' repository, from GitHub's examples (a new copy each call).
 * The examples have no comment on a pull request (their issue_comment examples are on issue
 * #1): issue_comment payloads are put on the pull request of pull_request.opened (#2), as
 * GitHub sends them, with `issue.pull_request`. The workflow_dispatch examples are in another
 * repository (octo-org/octo-repo): they are moved to Codertocat/Hello-World.
 */
export function payload(name: PayloadName): Payload {
  const event = structuredClone(webhookExample(name));
  const pull = webhookExample("pull_request.opened");
  if (name.startsWith("issue_comment.")) {
    const pr = pull.pull_request;
    Object.assign(event.issue, {
      url: pr.issue_url,
      labels_url: `${pr.issue_url}/labels{/name}`,
      comments_url: pr.comments_url,
      events_url: `${pr.issue_url}/events`,
      html_url: pr.html_url,
      number: pr.number,
      title: pr.title,
      user: structuredClone(pr.user),
      body: pr.body,
      pull_request: {
        url: pr.url,
        html_url: pr.html_url,
        diff_url: pr.diff_url,
        patch_url: pr.patch_url,
        merged_at: null,
      },
    });
    event.comment.issue_url = pr.issue_url;
    event.comment.html_url = `${pr.html_url}#issuecomment-${event.comment.id}`;
  }
  // The pull request's head is the commit the job checks out (see `checkout`).
  if (event.pull_request?.head) event.pull_request.head.sha = HEAD;
  if (name === "workflow_dispatch") {
    event.repository = structuredClone(pull.repository);
    event.sender = structuredClone(pull.sender);
    delete event.organization; // Codertocat is a user, not an organization
  }
  return event;
}

/**
 * The issue_comment event GitHub sends for a comment: the comment as the API shows it,
 * its author as the sender; `body` replaces the text it carries (what it said when posted).
 */
export function commentPayload(
  comment: { user: unknown; body: string },
  options: { action?: "created" | "edited" | "deleted"; issue?: number; body?: string } = {},
): Payload {
  const event = payload(`issue_comment.${options.action ?? "created"}`);
  event.comment = structuredClone(comment);
  if (options.body !== undefined) event.comment.body = options.body;
  event.sender = event.comment.user;
  if (options.issue) event.issue.number = options.issue;
  return event;
}

export interface ActionResult {
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  /** ms from spawn to the log line of the first running state, if any. */
  firstStateMs?: number;
}

let runCounter = 100;

export async function runAction(options: {
  api: string;
  event: string;
  payload: unknown;
  inputs?: Record<string, string>;
  runId?: string;
  /** GITHUB_SHA (default: the examples' base commit). */
  sha?: string;
  /** GITHUB_WORKSPACE, the job's checkout (default: `checkout`, at the pull request's head). */
  workspace?: string;
  /** More of the runner's environment (its own tokens, step env). */
  env?: Record<string, string>;
}): Promise<ActionResult> {
  const dir = mkdtempSync(join(tmpdir(), "aegis-action-"));
  const eventPath = join(dir, "event.json");
  writeFileSync(eventPath, JSON.stringify(options.payload));
  const outputPath = join(dir, "output");
  const summaryPath = join(dir, "summary");
  writeFileSync(outputPath, "");
  writeFileSync(summaryPath, "");
  const inputs = { workflow: "tests/action/fixtures/gate.aegis", ...options.inputs };
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? dir,
    GITHUB_ACTIONS: "true",
    GITHUB_EVENT_NAME: options.event,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_REPOSITORY: REPOSITORY,
    GITHUB_API_URL: options.api,
    GITHUB_SERVER_URL: "https://github.com",
    GITHUB_OUTPUT: outputPath,
    GITHUB_STEP_SUMMARY: summaryPath,
    GITHUB_RUN_ID: options.runId ?? String(runCounter++),
    GITHUB_RUN_ATTEMPT: "1",
    GITHUB_SHA: options.sha ?? GITHUB_SHA,
    GITHUB_WORKSPACE: options.workspace ?? checkout.dir,
    RUNNER_TEMP: dir,
    "INPUT_GITHUB-TOKEN": "ghs_testtoken0123456789",
    ...options.env,
  };
  for (const [name, value] of Object.entries(inputs))
    env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`] = value;
  const t0 = performance.now();
  let firstStateMs: number | undefined;
  const child = spawn(process.execPath, [bundle], { cwd: root, env });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => {
    stdout += d;
    if (firstStateMs === undefined && /aegis: first state/.test(stdout))
      firstStateMs = performance.now() - t0;
  });
  child.stderr.on("data", (d) => (stderr += d));
  const code = await new Promise<number | null>((res) => child.on("close", res));
  try {
    return {
      code,
      stdout,
      stderr,
      outputs: parseOutputs(readFileSync(outputPath, "utf8")),
      summary: readFileSync(summaryPath, "utf8"),
      ...(firstStateMs !== undefined && { firstStateMs }),
    };
  } finally {
    // The runner's temp directory of this one step (thousands over a day of test runs).
    rmSync(dir, { recursive: true, force: true });
  }
}

/** GITHUB_OUTPUT's `name<<DELIMITER\nvalue\nDELIMITER` entries. */
function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /^([^\n<]+)<<(\S+)\n([\s\S]*?)\n\2$/gm;
  for (const m of text.matchAll(re)) out[m[1]!] = m[3]!;
  return out;
}
