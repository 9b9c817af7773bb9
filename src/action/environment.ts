// What the workflow's states may see of the runner's environment: an allowlist. A state's
// processes (agents, `run` commands, containers, subworkflows' states) start from it, never
// from the action's own environment, which holds the runner's credentials
// (ACTIONS_RUNTIME_TOKEN, ACTIONS_ID_TOKEN_REQUEST_TOKEN …), every input (the token among
// them) and the paths of the step's file commands (GITHUB_ENV, GITHUB_OUTPUT …: a state
// writing to them would set variables or outputs of later steps).

/** Ordinary process variables: what a program needs to run, none of them a credential. */
// Not RUNNER_TEMP: it holds the step's file-command files (_runner_file_commands).
const ordinary = new Set([
  "PATH",
  "HOME",
  "USER",
  "LOGNAME",
  "SHELL",
  "LANG",
  "LANGUAGE",
  "TZ",
  "TERM",
  "TMPDIR",
  "TEMP",
  "TMP",
  "PWD",
  "HOSTNAME",
  "CI",
  "XDG_CONFIG_HOME",
  "XDG_CACHE_HOME",
  "XDG_DATA_HOME",
  "XDG_RUNTIME_DIR",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
  "NODE_EXTRA_CA_CERTS",
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "NO_PROXY",
  "http_proxy",
  "https_proxy",
  "no_proxy",
  "DOCKER_HOST",
  "DOCKER_CONTEXT",
  "DOCKER_CERT_PATH",
  "DOCKER_TLS_VERIFY",
  "AEGIS_CONTAINER_RUNTIME",
  "RUNNER_OS",
  "RUNNER_ARCH",
  "RUNNER_NAME",
  "RUNNER_ENVIRONMENT",
  "RUNNER_TOOL_CACHE",
  "RUNNER_DEBUG",
  "ImageOS",
  "ImageVersion",
]);

/** The GitHub context that is not secret (https://docs.github.com/actions/reference/variables-reference). */
const githubContext = new Set([
  "GITHUB_ACTIONS",
  "GITHUB_ACTOR",
  "GITHUB_ACTOR_ID",
  "GITHUB_API_URL",
  "GITHUB_BASE_REF",
  "GITHUB_EVENT_NAME",
  "GITHUB_EVENT_PATH",
  "GITHUB_GRAPHQL_URL",
  "GITHUB_HEAD_REF",
  "GITHUB_JOB",
  "GITHUB_REF",
  "GITHUB_REF_NAME",
  "GITHUB_REF_PROTECTED",
  "GITHUB_REF_TYPE",
  "GITHUB_REPOSITORY",
  "GITHUB_REPOSITORY_ID",
  "GITHUB_REPOSITORY_OWNER",
  "GITHUB_REPOSITORY_OWNER_ID",
  "GITHUB_RETENTION_DAYS",
  "GITHUB_RUN_ATTEMPT",
  "GITHUB_RUN_ID",
  "GITHUB_RUN_NUMBER",
  "GITHUB_SERVER_URL",
  "GITHUB_SHA",
  "GITHUB_TRIGGERING_ACTOR",
  "GITHUB_WORKFLOW",
  "GITHUB_WORKFLOW_REF",
  "GITHUB_WORKFLOW_SHA",
  "GITHUB_WORKSPACE",
]);

/**
 * The runner's own credentials and the action's inputs and file commands: never passed,
 * even when named, and cut from the action's process before any state runs.
 */
export function isRunnerInternal(name: string): boolean {
  return (
    name.startsWith("ACTIONS_") ||
    name.startsWith("INPUT_") ||
    name.startsWith("STATE_") ||
    name === "GITHUB_ENV" ||
    name === "GITHUB_OUTPUT" ||
    name === "GITHUB_PATH" ||
    name === "GITHUB_STATE" ||
    name === "GITHUB_STEP_SUMMARY"
  );
}

/** Names separated by spaces, commas or lines (the `env` input). */
export function parseNames(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export interface StateEnvironment {
  /** What the states' processes start from. */
  environment: Record<string, string>;
  /** The values of the variables passed because they were named: treated as secrets. */
  named: string[];
  /** Named variables that are never passed (runner internals), for a warning. */
  refused: string[];
}

/**
 * The environment of the workflow's states: ordinary variables, the non-secret GitHub
 * context, and exactly the variables `names` lists (the `env` input, the workflow's
 * declared secrets) — never the runner's internals.
 */
export function stateEnvironment(
  source: Readonly<Record<string, string | undefined>>,
  names: readonly string[],
): StateEnvironment {
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(source)) {
    if (value === undefined) continue;
    if (ordinary.has(name) || name.startsWith("LC_") || githubContext.has(name))
      environment[name] = value;
  }
  const named: string[] = [];
  const refused: string[] = [];
  for (const name of names) {
    if (isRunnerInternal(name)) {
      refused.push(name);
      continue;
    }
    const value = source[name];
    if (value === undefined) continue;
    environment[name] = value;
    named.push(value);
  }
  return { environment, named, refused };
}
