// The engine's `environment` option: every process a state starts (a `run` command, a
// command agent, a subworkflow's states) begins from it, not from this process's own
// environment — how a host that holds credentials (the GitHub Action) keeps them from states.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createEngine } from "../../../src/runtime/engine.ts";
import { compileSource } from "./helpers.ts";

const source = `
workflow envs "Print the environment" {
  agent printer
  limits { transitions: 10 }
  start SHELL
  state SHELL = run "env" timeout 1m {
    env { FROM_STATE: "yes" }
    on exit 0 -> AGENT
    otherwise -> FAILED
  }
  state AGENT = agent printer timeout 1m {
    prompt "print"
    on success -> DONE
    on failure -> FAILED
  }
  final DONE
  final FAILED failure
}
`;

const agents = { printer: { provider: "command", command: "env", output: "text" } };

beforeEach(() => {
  process.env.AEGIS_TEST_HOST_SECRET = "host-secret-value-123";
});
afterEach(() => {
  delete process.env.AEGIS_TEST_HOST_SECRET;
});

describe("the environment states start from", () => {
  it("is this process's own by default", async () => {
    const engine = createEngine({ agents });
    const record = await (await engine.start(compileSource(source), {})).result();
    expect(record.status).toBe("succeeded");
    expect(record.results.SHELL?.stdout).toContain("AEGIS_TEST_HOST_SECRET=host-secret-value-123");
    expect(String(record.results.AGENT?.output)).toContain("AEGIS_TEST_HOST_SECRET=");
  });

  it("is exactly what the host gives, plus what the state sets", async () => {
    const engine = createEngine({
      agents,
      environment: { PATH: process.env.PATH ?? "", GIVEN: "given-value" },
    });
    const record = await (await engine.start(compileSource(source), {})).result();
    expect(record.status).toBe("succeeded");
    const shell = record.results.SHELL?.stdout ?? "";
    const agent = String(record.results.AGENT?.output);
    for (const out of [shell, agent]) {
      expect(out).toContain("GIVEN=given-value");
      expect(out).not.toContain("AEGIS_TEST_HOST_SECRET");
      expect(out).not.toContain("host-secret-value-123");
      expect(out).toMatch(/^AEGIS_RUN_ID=/m);
    }
    expect(shell).toContain("FROM_STATE=yes");
  });
});
