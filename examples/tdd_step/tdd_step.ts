// tdd_step.aegis written with the TypeScript builder (the Python engine's tdd_step.py):
// one agent session writes failing tests, a shell predicate checks they fail, the agent
// implements, and the tests run again with their output as feedback, at most 3 fixes.
// It compiles to the same graph as tdd_step.aegis (tests/builder/examples.test.ts).
//
//   aegis run examples/tdd_step/tdd_step.ts \
//     --agents examples/tdd_step/agents.local.json \
//     --param plan_step="slugify" --param test_command="node --test" \
//     --param test_path=tdd-project/slugify.test.js
import { agent, input, on, otherwise, state, workflow } from "aegis-workflows/builder";

export default workflow("tdd_step", {
  title: "One TDD cycle: red, implement, green",
  version: "1.0.0",
  description: `
    Write failing tests for one plan step, check that they fail, implement the
    step, and retry with the test output as feedback until the tests pass
    (at most 3 fix attempts).
  `,
  labels: { category: "development", practice: "tdd" },
  inputs: {
    plan_step: input.string('The plan step to implement, e.g. "VS1 inbox"'),
    test_command: input
      .string(
        "The test runner command line, without the test path; split on spaces, not shell-evaluated",
      )
      .default("uv run pytest"),
    test_path: input.string("Where the tests for this step live").default("tests/test_step.py"),
  },
  // Supplied when the workflow runs; one conversation for the whole run.
  agents: { worker: agent.supplied({ session: true }) },
  limits: { transitions: 20, agent_calls: 5, wall_time: "2h30m" },
  start: "WRITE_TESTS",
  output: "green: {{input.test_path}}",
  states: {
    // 1. Write failing tests at the known path.
    WRITE_TESTS: state.agent("worker", {
      timeout: "10m",
      prompt: `
        Write failing tests at {{input.test_path}} for: {{input.plan_step}}.
        Only write the tests; do not implement anything yet.
      `,
      on: [on("success", "CHECK_RED"), otherwise("FAILED")],
    }),
    // 2. Verify they fail: a passing suite before implementation is an error.
    CHECK_RED: state.run("$TEST_COMMAND {{quote input.test_path}}", {
      timeout: "10m",
      env: { TEST_COMMAND: "{{input.test_command}}" },
      on: [on("exit 0", "TESTS_PASSED_EARLY"), otherwise("IMPLEMENT")],
    }),
    // 3. Implement, given the failing output.
    IMPLEMENT: state.agent("worker", {
      timeout: "20m",
      prompt: `
        Make {{input.test_path}} pass.

        Failing output:
        {{CHECK_RED.stdout}}
      `,
      on: [on("success", "CHECK_GREEN"), otherwise("FAILED")],
    }),
    // 4. Verify they pass; after the implementation and 3 fixes, give up.
    CHECK_GREEN: state.run("$TEST_COMMAND {{quote input.test_path}}", {
      timeout: "10m",
      visits: 4,
      env: { TEST_COMMAND: "{{input.test_command}}" },
      on: [
        on("exit 0", "DONE"),
        on("visits >= 4", "STILL_RED"),
        otherwise("FIX", {
          feedback: `
            Still failing:
            {{CHECK_GREEN.stdout}}

            Fix.
          `,
        }),
      ],
    }),
    FIX: state.agent("worker", {
      timeout: "20m",
      visits: 3,
      prompt: `
        The tests at {{input.test_path}} for "{{input.plan_step}}" are still red
        (attempt {{state.visits}} of 3).

        {{state.feedback}}
      `,
      on: [on("success", "CHECK_GREEN"), otherwise("FAILED")],
    }),
    DONE: state.final(),
    TESTS_PASSED_EARLY: state.final(
      "failure",
      state.run('echo "tests at $TEST_PATH passed without implementation" >&2', {
        timeout: "10s",
        env: { TEST_PATH: "{{input.test_path}}" },
      }),
    ),
    STILL_RED: state.final(
      "failure",
      state.run('echo "tests still red after 3 attempts: $PLAN_STEP" >&2', {
        timeout: "10s",
        env: { PLAN_STEP: "{{input.plan_step}}" },
      }),
    ),
    FAILED: state.final("failure"),
  },
});
