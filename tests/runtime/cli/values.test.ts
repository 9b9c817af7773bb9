// `aegis run` with local executable agents: a JSON answer reaches the next agent's prompt,
// a shell command and its environment as JSON; a run that ends at a failure final with an
// output shows that output, in `aegis run`'s last lines and in `aegis status`.
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { RunRecord } from "../../../src/runtime/types.ts";
import { aegis, json, ROOT, tempDir } from "./helpers.ts";

const ECHO = join(ROOT, "tests/fixtures/agents/echo-agent.js");

/** An executable agent in `dir` that reads its prompt and prints `answer` as JSON. */
function jsonAgent(dir: string, name: string, answer: unknown): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    `#!/usr/bin/env node\nrequire("node:fs").readFileSync(0);\nprocess.stdout.write(${JSON.stringify(JSON.stringify(answer))});\n`,
  );
  chmodSync(path, 0o755);
  return path;
}

describe("structured values through aegis run", () => {
  it("an agent's JSON answer is JSON in the next prompt, a quoted word and an env value", () => {
    const dir = tempDir();
    const plan = { title: "Parser", steps: ["lex", "it's parsed"] };
    const planner = jsonAgent(dir, "planner.cjs", plan);
    writeFileSync(
      join(dir, "values.aegis"),
      `workflow values {
  input task: object
  agent planner = command(${JSON.stringify(planner)})
  agent echo = command(${JSON.stringify(ECHO)})
  start PLAN
  state PLAN = agent planner timeout 1m {
    prompt "Plan {{input}}"
    on success -> ECHO
    otherwise -> FAILED
  }
  state ECHO = agent echo timeout 1m {
    prompt "Steps {{PLAN.output.steps}} of {{PLAN.output}}"
    on success -> SAVE
    otherwise -> FAILED
  }
  state SAVE = run "printf '%s|%s' {{quote PLAN.output}} \\"$STEPS\\"" timeout 1m {
    env { STEPS: "{{PLAN.output.steps}}" }
    on exit 0 -> DONE
    otherwise -> FAILED
  }
  final DONE
  final FAILED failure
}
`,
    );
    const task = { what: "a parser" };
    const run = aegis(dir, [
      "run",
      "values.aegis",
      "--id",
      "v",
      "--input",
      JSON.stringify({ task }),
    ]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const record = json<RunRecord>(aegis(dir, ["status", "v", "--json"]).stdout);
    expect(record.results.PLAN?.output).toEqual(plan);
    const steps = JSON.stringify(plan.steps);
    expect(record.results.ECHO?.output).toBe(`echo: Steps ${steps} of ${JSON.stringify(plan)}`);
    expect(record.results.SAVE?.stdout).toBe(`${JSON.stringify(plan)}|${steps}`);
    // The run's output (the last state's) is the command's text.
    expect(run.stdout).toContain(`output:\n  ${JSON.stringify(plan)}|${steps}\n`);
  });
});

describe("a failure final's output through aegis run and aegis status", () => {
  it("is shown under the failure, as a success's output is", () => {
    const dir = tempDir();
    const checker = jsonAgent(dir, "checker.cjs", { ok: false, problems: ["no tests"] });
    writeFileSync(
      join(dir, "check.aegis"),
      `workflow check {
  agent checker = command(${JSON.stringify(checker)})
  start CHECK
  state CHECK = agent checker timeout 1m {
    prompt "Check."
    on output.ok == true -> DONE
    otherwise -> REJECTED
  }
  final DONE
  final REJECTED failure {
    output "Rejected: {{CHECK.output.problems}}"
  }
}
`,
    );
    const run = aegis(dir, ["run", "check.aegis", "--id", "f"]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(1);
    const outcome =
      "✗ run f failed at REJECTED: the run ended at 'REJECTED', a failure state [final-failure]\n" +
      'output:\n  Rejected: ["no tests"]\n';
    expect(run.stdout.endsWith(outcome)).toBe(true);

    const status = aegis(dir, ["status", "f"]);
    expect(status.status).toBe(0);
    expect(status.stdout.endsWith(outcome)).toBe(true);
    expect(json<RunRecord>(aegis(dir, ["status", "f", "--json"]).stdout).output).toBe(
      'Rejected: ["no tests"]',
    );
  });
});
