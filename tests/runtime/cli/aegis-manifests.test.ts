// The seed's AEGIS manifests through the real command line, as its users type them: the
// dev-pipeline run with `--input '{"task": …}'` (no input_schema) and `--intent`, answered
// with `aegis signal RUN --response …`, by the example agents (which log their prompts);
// a fire-and-forget child found by `aegis status`; a Subworkflow whose child refuses what
// it is given, refused at compile time, or failing the run at once at run time.
import { copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { RunRecord } from "../../../src/runtime/types.ts";
import { aegis, agentCalls, json, ROOT, tempDir } from "./helpers.ts";

const SEEDS = join(ROOT, "tests/fixtures/yaml/seeds");
const TASK = "Write a REST API for a simple to-do list with CRUD operations.";

/** The dev-pipeline seed beside an agents file giving its agents the example scripts. */
function devPipeline(): { dir: string; log: string } {
  const dir = tempDir();
  copyFileSync(join(SEEDS, "dev-pipeline.yaml"), join(dir, "dev-pipeline.yaml"));
  const command = (c: string, output?: string) => ({
    provider: "command",
    command: c,
    ...(output && { output }),
  });
  writeFileSync(
    join(dir, "agents.json"),
    JSON.stringify({
      workdir: join(ROOT, "examples/agents"),
      agents: {
        "requirements-agent": command("node planner.js"),
        "coder-agent": command("node coder.js"),
        "reviewer-agent": command("node reviewer.js reviewer", "json"),
      },
    }),
  );
  return { dir, log: join(dir, "agents.log") };
}

function runPipeline(dir: string, log: string, extra: string[] = []) {
  return aegis(
    dir,
    [
      "run",
      "dev-pipeline.yaml",
      "--agents",
      "agents.json",
      "--input",
      JSON.stringify({ task: TASK }),
      "--id",
      "dp",
      "--store",
      "runs",
      ...extra,
    ],
    { AEGIS_AGENT_LOG: log },
  );
}

function record(dir: string, id: string): RunRecord {
  const status = aegis(dir, ["status", id, "--store", "runs", "--json"]);
  expect(status.status).toBe(0);
  return json<RunRecord>(status.stdout);
}

describe("the seed's dev-pipeline, run as its document shows", () => {
  it("takes --input JSON and --intent, is answered with --response approved, and succeeds", () => {
    const { dir, log } = devPipeline();
    const run = runPipeline(dir, log, ["--intent", "A demo for the platform team"]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("⏸ run dp is waiting for a human at APPROVE_REQUIREMENTS");

    const status = aegis(dir, ["status", "dp", "--store", "runs"]);
    expect(status.stdout).toContain(`inputs    {"task":"${TASK}"}`);
    expect(status.stdout).toContain('intent    "A demo for the platform team"');

    const signal = aegis(dir, ["signal", "dp", "--response", "approved", "--store", "runs"], {
      AEGIS_AGENT_LOG: log,
    });
    expect(signal.stderr).toBe("");
    expect(signal.status).toBe(0);
    expect(signal.stdout).toContain('answered dp: "approved"');
    expect(signal.stdout).toContain("✓ run dp succeeded");

    const calls = agentCalls(log);
    expect(calls.map((c) => c.state)).toEqual(["REQUIREMENTS", "IMPLEMENT", "REVIEW"]);
    for (const call of calls) {
      expect(call.prompt.trim(), call.state).not.toBe("");
      expect(call.prompt, call.state).not.toContain("[object Object]");
      // No state of the pipeline has an intent: every agent is given the caller's.
      expect(call.intent, call.state).toBe("A demo for the platform team");
    }
    const [requirements, implement, review] = calls.map((c) => c.prompt);
    // States without `input:` get the intent and the blackboard.
    expect(requirements).toContain("Intent: A demo for the platform team");
    expect(requirements).toContain(TASK);
    expect(requirements).toContain('"test_framework": "pytest"');
    expect(implement).toMatch(
      /^Implement in python using pytest\.\nRequirements: Requirements for/,
    );
    expect(review).toContain(TASK);
    expect(review).toContain('"IMPLEMENT": "export function solve(text)');
    expect(review).toContain('"APPROVE_REQUIREMENTS": "approved"');

    const done = record(dir, "dp");
    expect(done.status).toBe("succeeded");
    expect(done.results.REVIEW?.score).toBe(0.9);
  });

  it("is rejected with --response 'rejected: why', the reason as the gate's feedback", () => {
    const { dir, log } = devPipeline();
    expect(runPipeline(dir, log).status).toBe(0);
    const reason = "Requirements need more detail on error handling";
    const signal = aegis(dir, [
      "signal",
      "dp",
      "--response",
      `rejected: ${reason}`,
      "--store",
      "runs",
    ]);
    expect(signal.status).toBe(1);
    expect(signal.stdout).toContain("→ FAILED (rejected)");
    const done = record(dir, "dp");
    expect(done.status).toBe("failed");
    expect(done.results.APPROVE_REQUIREMENTS).toMatchObject({
      approved: false,
      rejected: true,
      feedback: reason,
    });
    expect(done.feedback.FAILED).toBe(reason);
    // Without --intent, the agents are given none, and the prompt has no Intent line.
    const [call] = agentCalls(log);
    expect(call!.intent).toBeUndefined();
    expect(call!.prompt).not.toContain("Intent:");
    expect(call!.prompt).toMatch(/^Workflow dev-pipeline \(Requirements analysis, /);
  });
});

describe("Subworkflows from the command line", () => {
  it("starts the seed's fire_and_forget child, which aegis status finds", () => {
    const dir = tempDir();
    for (const f of ["notify.yaml", "notification-pipeline.yaml"])
      copyFileSync(join(SEEDS, f), join(dir, f));
    const run = aegis(dir, ["run", "notify.yaml", "--id", "n", "--store", "runs"]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const child = record(dir, "n").results.NOTIFY?.child_execution_id;
    expect(child).toBe("n.NOTIFY.1.1");
    const status = aegis(dir, ["status", child!, "--store", "runs"]);
    expect(status.status).toBe(0);
    expect(status.stdout).toContain("run n.NOTIFY.1.1 (notification-pipeline)");
    expect(status.stdout).toContain("parent    run n, state NOTIFY");
    expect(status.stdout).toMatch(/status +succeeded/);
    // Its inputs are the JSON the parent's `input:` holds.
    expect(record(dir, child!).inputs).toEqual({ message: "Deployment complete", channel: "ops" });
  });

  const validation = `apiVersion: 100monkeys.ai/v1
kind: Workflow
metadata:
  name: validation
  input_schema:
    properties:
      repo_url:
        type: string
    required: [repo_url]
spec:
  initial_state: SCAN
  states:
    SCAN:
      kind: System
      command: "echo scanned"
      transitions: []
`;

  /** The seed's release-pipeline shape: VALIDATE, sent back through FIX_CODE on failure. */
  const release = (input: string) => `apiVersion: 100monkeys.ai/v1
kind: Workflow
metadata:
  name: release
spec:
  initial_state: GENERATE_CODE
  states:
    GENERATE_CODE:
      kind: Agent
      agent: coder
      input: "{{intent}}"
      transitions:
        - condition: on_success
          target: VALIDATE
    VALIDATE:
      kind: Subworkflow
      workflow_id: validation
      input: ${input}
      mode: blocking
      result_key: validation_result
      transitions:
        - condition: on_success
          target: DONE
        - condition: on_failure
          target: FIX_CODE
    FIX_CODE:
      kind: Agent
      agent: coder
      input: "Fix: {{state.feedback}}"
      transitions:
        - condition: always
          target: VALIDATE
    DONE:
      kind: System
      command: "echo released"
      transitions: []
`;

  it("refuses at compile time what the child does not take (AEG510, at the input)", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "validation.yaml"), validation);
    writeFileSync(join(dir, "release.yaml"), release('"Validate code generated for: {{intent}}"'));
    const check = aegis(dir, ["compile", "--check", "release.yaml"]);
    expect(check.status).toBe(1);
    expect(check.stdout).toContain(
      "release.yaml:18:14: error[AEG510]: 'VALIDATE' gives subworkflow 'validation' its text as the input 'input', which it does not take (its inputs: repo_url) (subworkflow-inputs)",
    );
    const run = aegis(dir, ["run", "release.yaml", "--store", "runs"]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("aegis: not running release.yaml");
  });

  it("fails the run at once when the child refuses inputs only the run knows", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "validation.yaml"), validation);
    writeFileSync(join(dir, "release.yaml"), release('"{{GENERATE_CODE.output}}"'));
    writeFileSync(join(dir, "coder.js"), 'console.log(JSON.stringify({ repository: "acme" }));\n');
    writeFileSync(
      join(dir, "agents.json"),
      JSON.stringify({
        agents: { coder: { provider: "command", command: "node coder.js", output: "json" } },
      }),
    );
    const run = aegis(dir, [
      "run",
      "release.yaml",
      "--agents",
      "agents.json",
      "--intent",
      "release 1.2",
      "--id",
      "rel",
      "--store",
      "runs",
    ]);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain(
      "subworkflow 'validation' refuses the inputs 'VALIDATE' gives it: repo_url: is required; repository: is not an input of this workflow (its inputs: repo_url)",
    );
    const done = record(dir, "rel");
    expect(done.error?.code).toBe("subworkflow-inputs");
    expect(done.visits).toEqual({ GENERATE_CODE: 1, VALIDATE: 1 });
    const list = aegis(dir, ["list", "--store", "runs"]);
    expect(list.stdout).not.toContain("rel.VALIDATE");
  });
});
