// The commit the job has checked out: states after a gate run only on the commit the gate
// was bound to (what the approver saw), so the action reads HEAD before it resumes a run.
import { execFileSync } from "node:child_process";

/** The environment git runs with: nothing of the action's, the token only as a header when given. */
function gitEnv(token?: string): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    LANG: "C",
    GIT_TERMINAL_PROMPT: "0",
  };
  if (token) {
    // As actions/checkout sends it; through git's environment, not its command line (which
    // any process can read) nor .git/config (which states could read).
    const basic = Buffer.from(`x-access-token:${token}`).toString("base64");
    Object.assign(env, {
      GIT_CONFIG_COUNT: "1",
      GIT_CONFIG_KEY_0: "http.extraheader",
      GIT_CONFIG_VALUE_0: `AUTHORIZATION: basic ${basic}`,
    });
  }
  return env;
}

/**
 * Puts `workspace` at `sha` (fetched from its `origin` when it is not there), discarding
 * what the states of another run changed. Throws with git's message when it cannot.
 */
export function checkOut(workspace: string, sha: string, token?: string): void {
  if (headCommit(workspace) === sha) return;
  const git = (...args: string[]) =>
    execFileSync("git", args, {
      cwd: workspace,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      env: gitEnv(token),
      timeout: 300_000,
    });
  try {
    git("cat-file", "-e", `${sha}^{commit}`);
  } catch {
    try {
      git("fetch", "--no-tags", "--depth=1", "origin", sha);
    } catch (error) {
      const why = String((error as { stderr?: string }).stderr ?? error)
        .trim()
        .split("\n")[0];
      throw new Error(`could not fetch commit ${sha} from origin: ${why}`);
    }
  }
  git("checkout", "--quiet", "--force", "--detach", sha);
  git("clean", "-ffdq");
}

/** HEAD's commit in `workspace`, or undefined when it is not a git working copy with a commit. */
export function headCommit(workspace: string): string | undefined {
  try {
    const out = execFileSync("git", ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"], {
      cwd: workspace,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      env: gitEnv(),
      timeout: 30_000,
    });
    const sha = out.trim();
    return /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(sha) ? sha : undefined;
  } catch {
    return undefined;
  }
}
