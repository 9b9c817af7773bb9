import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GitHub } from "../../src/action/github.ts";
import {
  findProgress,
  loadState,
  ProgressComment,
  type ProgressTarget,
  Superseded,
} from "../../src/action/progress-comment.ts";
import type { ActionState } from "../../src/action/state.ts";
import { compile } from "../../src/compiler/compile.ts";
import { FakeGitHub } from "./github-server.ts";
import { HEAD, REPOSITORY } from "./run-action.ts";

let gh: FakeGitHub;
let target: ProgressTarget;
const compiled = compile(
  'workflow w "w" { start A\n state A = run "true" { on exit 0 -> DONE }\n final DONE }',
  { filename: "w.aegis" },
);

function state(runId: string, seq: number): ActionState {
  return {
    format: "aegis-action-state",
    version: 1,
    runId,
    workflow: "w.aegis",
    repository: REPOSITORY,
    issue: 2,
    graphHash: "h",
    record: {
      id: runId,
      workflow: "w",
      seq,
      status: "running",
      current: "A",
      transitions: 0,
      results: {},
      history: [],
      updatedAt: "2026-06-01T12:00:00.000Z",
    } as unknown as ActionState["record"],
    meta: { id: runId } as ActionState["meta"],
    journal: [],
  };
}

beforeEach(async () => {
  gh = await new FakeGitHub().start();
  gh.pulls[2] = { headSha: HEAD, author: "Codertocat" };
  process.env.GITHUB_API_URL = gh.url;
  const [owner, repo] = REPOSITORY.split("/") as [string, string];
  target = {
    gh: new GitHub("ghs_unit", owner, repo),
    issue: 2,
    workflowFile: "w.aegis",
    graph: compiled.graph,
    context: { repository: REPOSITORY, issue: 2 },
    identity: "github-actions[bot]",
  };
});
afterEach(async () => {
  delete process.env.GITHUB_API_URL;
  await gh.stop();
});

describe("ProgressComment", () => {
  it("writes, reads back, and goes on writing while nobody else does", async () => {
    let current = state("run-1", 1);
    const progress = new ProgressComment(target, undefined, () => current);
    await progress.flush();
    current = state("run-1", 2);
    await progress.flush();
    const found = await findProgress(target, await target.gh.comments(2));
    expect(found).toBeDefined();
    expect((await loadState(target, found!)).record.seq).toBe(2);
  });

  it("stops, writing nothing, when another job wrote the comment since", async () => {
    const mine = new ProgressComment(target, undefined, () => state("run-1", 1));
    await mine.flush();
    const found = (await findProgress(target, await target.gh.comments(2)))!;
    // Another job (a /cancel, a newer push's run) loads the comment and writes it.
    const other = new ProgressComment(target, found, () => state("run-2", 1), { force: true });
    await other.flush();
    const before = gh.comments.find((c) => c.id === found.id)!.body;
    await expect(mine.flush()).rejects.toBeInstanceOf(Superseded);
    expect(gh.comments.find((c) => c.id === found.id)!.body).toBe(before);
    const now = await loadState(target, (await findProgress(target, await target.gh.comments(2)))!);
    expect(now.runId).toBe("run-2");
  });

  it("a new run (force) replaces whatever the comment holds", async () => {
    await new ProgressComment(target, undefined, () => state("run-1", 5)).flush();
    const found = (await findProgress(target, await target.gh.comments(2)))!;
    gh.edit(found.id, found.body); // someone wrote it since it was read
    await new ProgressComment(target, found, () => state("run-2", 1), { force: true }).flush();
    const now = await loadState(target, (await findProgress(target, await target.gh.comments(2)))!);
    expect(now.runId).toBe("run-2");
  });

  it("keeps one comment per workflow file", async () => {
    await new ProgressComment(target, undefined, () => state("run-1", 1)).flush();
    const other = { ...target, workflowFile: "other.aegis" };
    expect(await findProgress(other, await target.gh.comments(2))).toBeUndefined();
  });
});
