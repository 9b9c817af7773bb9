// The commit the job has checked out: states after a gate run only on the commit the gate
// was bound to (what the approver saw), so the action reads HEAD before it resumes a run.
import { execFile, execFileSync } from "node:child_process";

/**
 * The environment git runs with: nothing of the action's. The states of an earlier run in
 * the same job could have written the working copy's .git/config or hooks: no hook and no
 * fsmonitor command runs, and the token (only for a fetch) is a header scoped to the
 * server's URL — a remote redirected elsewhere (`url.*.insteadOf`) is not sent it. It goes
 * through git's environment, not its command line (which any process can read) nor
 * .git/config (which states could read).
 */
function gitEnv(token?: string): Record<string, string> {
  const config: [string, string][] = [
    ["core.hooksPath", "/dev/null"],
    ["core.fsmonitor", "false"],
  ];
  if (token) {
    const server = (process.env.GITHUB_SERVER_URL || "https://github.com").replace(/\/*$/, "/");
    const basic = Buffer.from(`x-access-token:${token}`).toString("base64");
    config.push([`http.${server}.extraheader`, `AUTHORIZATION: basic ${basic}`]);
  }
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    LANG: "C",
    GIT_TERMINAL_PROMPT: "0",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null", // ~/.gitconfig is writable by states too
    GIT_CONFIG_COUNT: String(config.length),
  };
  config.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  return env;
}

/**
 * Puts `workspace` at `sha` (fetched from its `origin` when it is not there), discarding
 * what the states of another run changed. Throws with git's message when it cannot.
 */
export function checkOut(workspace: string, sha: string, token?: string): void {
  // A commit id, never an option: the sha comes from the saved state.
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(sha)) throw new Error(`'${sha}' is not a commit id`);
  const git = (args: string[], withToken = false) =>
    execFileSync("git", args, {
      cwd: workspace,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      env: gitEnv(withToken ? token : undefined),
      timeout: 300_000,
    });
  try {
    git(["cat-file", "-e", `${sha}^{commit}`]);
  } catch {
    try {
      git(["fetch", "--no-tags", "--depth=1", "origin", sha], true);
    } catch (error) {
      const why = String((error as { stderr?: string }).stderr ?? error)
        .trim()
        .split("\n")[0];
      throw new Error(`could not fetch commit ${sha} from origin: ${why}`);
    }
  }
  git(["checkout", "--quiet", "--force", "--detach", sha]);
  git(["clean", "-ffdq"]);
}

/**
 * HEAD's commit in `workspace`, or undefined when it is not a git working copy with a
 * commit. Asynchronous: git runs while the action compiles the workflow.
 */
export function headCommit(workspace: string): Promise<string | undefined> {
  return new Promise((done) => {
    execFile(
      "git",
      ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"],
      { cwd: workspace, encoding: "utf8", env: gitEnv(), timeout: 30_000 },
      (error, out) => {
        const sha = error ? "" : out.trim();
        done(/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(sha) ? sha : undefined);
      },
    );
  });
}
