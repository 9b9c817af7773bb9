// The allowlist of what a workflow's states see of the runner's environment.
import { describe, expect, it } from "vitest";
import { isRunnerInternal, parseNames, stateEnvironment } from "../../src/action/environment.ts";

/** What a GitHub-hosted runner gives a JavaScript action's process (names from a real job). */
const runner: Record<string, string> = {
  PATH: "/usr/bin:/bin",
  HOME: "/home/runner",
  LANG: "C.UTF-8",
  LC_ALL: "C.UTF-8",
  CI: "true",
  RUNNER_TEMP: "/home/runner/work/_temp",
  RUNNER_OS: "Linux",
  GITHUB_ACTIONS: "true",
  GITHUB_REPOSITORY: "octo/repo",
  GITHUB_SHA: "a".repeat(40),
  GITHUB_REF: "refs/pull/2/merge",
  GITHUB_RUN_ID: "123",
  GITHUB_WORKSPACE: "/home/runner/work/repo/repo",
  GITHUB_EVENT_PATH: "/home/runner/work/_temp/_github_workflow/event.json",
  GITHUB_TOKEN: "ghs_tokenInTheEnvironment000000",
  GITHUB_ENV: "/home/runner/work/_temp/_runner_file_commands/set_env_1",
  GITHUB_OUTPUT: "/home/runner/work/_temp/_runner_file_commands/set_output_1",
  GITHUB_PATH: "/home/runner/work/_temp/_runner_file_commands/add_path_1",
  GITHUB_STATE: "/home/runner/work/_temp/_runner_file_commands/save_state_1",
  GITHUB_STEP_SUMMARY: "/home/runner/work/_temp/_runner_file_commands/step_summary_1",
  ACTIONS_RUNTIME_TOKEN: "eyJruntime.token.value",
  ACTIONS_RUNTIME_URL: "https://pipelines.actions.githubusercontent.com/x/",
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: "eyJid.token.request",
  ACTIONS_ID_TOKEN_REQUEST_URL: "https://pipelines.actions.githubusercontent.com/x/idtoken",
  ACTIONS_CACHE_URL: "https://artifactcache.actions.githubusercontent.com/x/",
  ACTIONS_RESULTS_URL: "https://results-receiver.actions.githubusercontent.com/",
  "INPUT_GITHUB-TOKEN": "ghs_inputToken0000000000",
  "INPUT_STATE-SECRET": "state-secret-value",
  INPUT_WORKFLOW: ".aegis/review.aegis",
  ANTHROPIC_API_KEY: "sk-ant-key-value",
  UNRELATED_SECRET: "not-named-anywhere",
};

describe("stateEnvironment", () => {
  it("passes ordinary variables and non-secret GitHub context, nothing else unless named", () => {
    const { environment, named } = stateEnvironment(runner, []);
    expect(Object.keys(environment).sort()).toEqual(
      [
        "CI",
        "GITHUB_ACTIONS",
        "GITHUB_EVENT_PATH",
        "GITHUB_REF",
        "GITHUB_REPOSITORY",
        "GITHUB_RUN_ID",
        "GITHUB_SHA",
        "GITHUB_WORKSPACE",
        "HOME",
        "LANG",
        "LC_ALL",
        "PATH",
        "RUNNER_OS",
      ].sort(),
    );
    expect(named).toEqual([]);
  });

  it("passes exactly the named variables, and never the runner's own even when named", () => {
    const { environment, named, refused } = stateEnvironment(runner, [
      "ANTHROPIC_API_KEY",
      "ACTIONS_RUNTIME_TOKEN",
      "INPUT_GITHUB-TOKEN",
      "GITHUB_ENV",
      "NOT_SET",
    ]);
    expect(environment.ANTHROPIC_API_KEY).toBe("sk-ant-key-value");
    expect(named).toEqual(["sk-ant-key-value"]);
    expect(refused).toEqual(["ACTIONS_RUNTIME_TOKEN", "INPUT_GITHUB-TOKEN", "GITHUB_ENV"]);
    const values = Object.values(environment).join("\n");
    for (const secret of [
      "ghs_tokenInTheEnvironment000000",
      "eyJruntime.token.value",
      "eyJid.token.request",
      "ghs_inputToken0000000000",
      "state-secret-value",
      "not-named-anywhere",
    ])
      expect(values).not.toContain(secret);
    for (const name of ["GITHUB_ENV", "GITHUB_OUTPUT", "GITHUB_PATH", "GITHUB_STATE", "NOT_SET"])
      expect(environment).not.toHaveProperty(name);
  });

  it("knows the runner's internals", () => {
    for (const name of [
      "ACTIONS_RUNTIME_TOKEN",
      "ACTIONS_ID_TOKEN_REQUEST_URL",
      "INPUT_GITHUB-TOKEN",
      "GITHUB_ENV",
      "GITHUB_OUTPUT",
      "GITHUB_PATH",
      "GITHUB_STATE",
      "GITHUB_STEP_SUMMARY",
      "STATE_isPost",
    ])
      expect(isRunnerInternal(name), name).toBe(true);
    for (const name of ["PATH", "GITHUB_SHA", "ANTHROPIC_API_KEY", "GITHUB_TOKEN"])
      expect(isRunnerInternal(name), name).toBe(false);
  });

  it("reads names separated by spaces, commas and lines", () => {
    expect(parseNames(" A, B\nC  D,,")).toEqual(["A", "B", "C", "D"]);
    expect(parseNames("")).toEqual([]);
  });
});
