// The bundled action with a workflow built in TypeScript (fixtures/gate.ts): the module is
// imported and compiled, the run waits at its gate, and /approve (a later job: another
// process) imports it again and runs its function agent by name. A module that cannot be
// loaded fails the step with one line.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { decodeState } from "../../src/action/state.ts";
import { FakeGitHub } from "./github-server.ts";
import { commentPayload, HEAD, payload, runAction } from "./run-action.ts";

let gh: FakeGitHub;

beforeEach(async () => {
  gh = await new FakeGitHub().start();
  gh.pulls[2] = { headSha: HEAD, author: "Codertocat" };
  gh.roles = { Codertocat: "admin", maintainer1: "write" };
});
afterEach(() => gh.stop());

describe("the action with a workflow module", () => {
  it("gates a pull request and, on /approve, runs the module's function", async () => {
    const inputs = { workflow: "tests/action/fixtures/gate.ts", inputs: '{"note":"v2"}' };
    const opened = await runAction({
      api: gh.url,
      event: "pull_request",
      payload: payload("pull_request.opened"),
      inputs,
    });
    expect(opened.code, opened.stdout + opened.stderr).toBe(0);
    expect(opened.outputs.status).toBe("waiting");
    const [gate] = gh.stateComments();
    expect(decodeState(gate!.body).record.current).toBe("APPROVE");

    const c = gh.comment(2, "/approve", "maintainer1", "User");
    const approved = await runAction({
      api: gh.url,
      event: "issue_comment",
      payload: commentPayload(gh.apiComment(c)),
      inputs,
    });
    expect(approved.code, approved.stdout + approved.stderr).toBe(0);
    expect(approved.outputs.status).toBe("succeeded");
    expect(approved.outputs.output).toBe("shipped by a function: v2");
  });

  it("a module that cannot be loaded fails the step in one line", async () => {
    const result = await runAction({
      api: gh.url,
      event: "pull_request",
      payload: payload("pull_request.opened"),
      inputs: { workflow: "tests/action/fixtures/missing.ts" },
    });
    expect(result.code).toBe(1);
    expect(result.outputs.status).toBe("invalid");
    expect(result.stdout).toContain("cannot read tests/action/fixtures/missing.ts: no such file");
    expect(result.stdout + result.stderr).not.toMatch(/^\s+at /m);
  });
});
