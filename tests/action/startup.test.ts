import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { payload, runAction } from "./run-action.ts";

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
