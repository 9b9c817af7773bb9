// The path to the first state (issue 13, item 1): on a workflow_dispatch event there is no
// conversation, so the action needs GitHub for nothing before (or after) its run starts. Run
// here with GitHub's API unreachable (a port nothing listens on): the first state is reached
// and told as the engine enters it, the run goes on to its gate, and the bundle loads what it
// loads only when needed (its chunks) as it needs it. How fast is the benchmark's to say.
import { rmSync } from "node:fs";
import { createServer } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { checkout, payload, runAction } from "./run-action.ts";

// run-action.ts makes a working copy (`checkout`) as this file loads it: remove it when done.
afterAll(() => rmSync(checkout.dir, { recursive: true, force: true }));

/** A local port that nothing listens on (bound, then closed). */
async function closedPort(): Promise<string> {
  const server = createServer();
  await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
  const { port } = server.address() as { port: number };
  await new Promise((closed) => server.close(closed));
  return `http://127.0.0.1:${port}`;
}

const lines = (stdout: string) => stdout.split("\n").filter((l) => l.startsWith("aegis: "));

describe("workflow_dispatch with no GitHub API reachable", () => {
  for (const [workflow, what] of [
    ["dispatch.aegis", "a workflow that declares no inputs"],
    ["gate.aegis", "a workflow with inputs (its schema checked before the run starts)"],
  ] as const) {
    it(`reaches the first state and waits at the gate: ${what}`, async () => {
      const result = await runAction({
        api: await closedPort(),
        event: "workflow_dispatch",
        payload: payload("workflow_dispatch"),
        inputs: { workflow: `tests/action/fixtures/${workflow}` },
      });
      expect(result.code, result.stdout + result.stderr).toBe(0);
      const log = lines(result.stdout);
      const first = log.findIndex((l) =>
        /^aegis: first state PREPARE running \(\d+ms since process start\)$/.test(l),
      );
      expect(first, result.stdout).toBeGreaterThan(0);
      // Told as the state is entered: before the engine reports it entered, or its process ran.
      expect(log.slice(first + 1, first + 4)).toEqual([
        "aegis: state-entered PREPARE",
        "aegis: state-completed PREPARE",
        "aegis: state-entered APPROVE",
      ]);
      expect(log).toContain("aegis: waiting-for-human APPROVE");
      expect(result.outputs.status).toBe("waiting");
      expect(result.outputs["run-id"]).toMatch(/^(dispatched|gated)-/);
      expect(result.summary).toContain("Waiting for approval");
      expect(result.stdout + result.stderr).not.toMatch(/ECONNREFUSED|::error::/);
    });
  }

  it("refuses inputs a workflow does not declare, in one line, before any state runs", async () => {
    const result = await runAction({
      api: await closedPort(),
      event: "workflow_dispatch",
      payload: payload("workflow_dispatch"),
      inputs: { workflow: "tests/action/fixtures/dispatch.aegis", inputs: '{"colour":"red"}' },
    });
    expect(result.code).toBe(1);
    expect(result.stdout).not.toContain("aegis: first state");
    expect(result.stdout).toContain(
      "colour: is not an input of this workflow (it takes no inputs)",
    );
  });
});
