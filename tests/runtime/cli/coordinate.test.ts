// A coordinator through the real command line: `aegis run` of the support_team example
// with its local agents (examples/agents: a router script that reads the context JSON at
// the end of its prompt, and specialist scripts). With the billing specialist down, the
// router gets its error, hands its part to general and finishes with its own answer; the
// failure is printed, logged as a `specialist-failed` event and kept in the result.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { RunObservation, RunRecord } from "../../../src/runtime/types.ts";
import { aegis, agentCalls, json, ROOT, tempDir } from "./helpers.ts";

const TEAM = join(ROOT, "examples/support_team/support_team.aegis");
const TEAM_AGENTS = join(ROOT, "examples/support_team/agents.local.json");
const message = "I was charged twice for order #4392, and the app crashes on login";

function run(dir: string, id: string, env: Record<string, string>) {
  return aegis(
    dir,
    ["run", TEAM, "--agents", TEAM_AGENTS, "--param", `message=${message}`, "--id", id],
    { ...env, AEGIS_AGENT_LOG: join(dir, `${id}.log`) },
  );
}

describe("aegis run with a coordinator", () => {
  it("routes around a failing specialist and ends with the router's answer", () => {
    const dir = tempDir();
    const result = run(dir, "team", { AEGIS_EXAMPLE_DOWN: "billing" });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(
      "SUPPORT: specialist billing failed at step 1: agent 'billing' exited with code 1: Error: the billing service is unavailable [agent-exit]",
    );
    expect(result.stdout).toContain("✓ run team succeeded");
    expect(result.stdout).toContain(
      "Hello! Our billing team is looking into your refund for order #4392; you will hear from them within a day. The crash is fixed in version 2.4.1: please update the app.",
    );

    const record = json<RunRecord>(aegis(dir, ["status", "team", "--json"]).stdout);
    expect(record.results.SUPPORT).toMatchObject({
      status: "succeeded",
      route: ["billing", "general", "technical"],
      steps: 4,
      agentCalls: 7,
    });
    const calls = record.results.SUPPORT!.results as { agent: string; status: string }[];
    expect(calls.map((c) => [c.agent, c.status])).toEqual([
      ["billing", "failed"],
      ["general", "succeeded"],
      ["technical", "succeeded"],
    ]);
    // The router was asked four times, each specialist once, each call with its own key.
    const logged = agentCalls(join(dir, "team.log"));
    expect(logged.map((c) => c.agent)).toEqual([
      "triage",
      "billing",
      "triage",
      "general",
      "triage",
      "technical",
      "triage",
    ]);
    expect(new Set(logged.map((c) => c.key)).size).toBe(7);

    const events = aegis(dir, ["logs", "team", "--json"])
      .stdout.trim()
      .split("\n")
      .map((l) => json<RunObservation>(l));
    expect(events.filter((e) => e.type === "specialist-failed")).toEqual([
      {
        type: "specialist-failed",
        run: "team",
        state: "SUPPORT",
        agent: "billing",
        step: 1,
        error: {
          code: "agent-exit",
          message: "agent 'billing' exited with code 1: Error: the billing service is unavailable",
        },
        at: expect.any(String),
      },
    ]);
  });

  it("with every specialist up, asks each once and answers both questions", () => {
    const dir = tempDir();
    const result = run(dir, "team", {});
    expect(result.status).toBe(0);
    expect(result.stdout).not.toContain("specialist billing failed");
    expect(result.stdout).toContain(
      "Hello! Your refund for order #4392 has been issued; it reaches your account in 3 to 5 days. The crash is fixed in version 2.4.1: please update the app.",
    );
    const record = json<RunRecord>(aegis(dir, ["status", "team", "--json"]).stdout);
    expect(record.results.SUPPORT).toMatchObject({ route: ["billing", "technical"], steps: 3 });
  });
});
