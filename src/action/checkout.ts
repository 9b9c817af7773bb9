// The commit the job has checked out: states after a gate run only on the commit the gate
// was bound to (what the approver saw), so the action reads HEAD before it resumes a run.
import { execFileSync } from "node:child_process";

/** HEAD's commit in `workspace`, or undefined when it is not a git working copy with a commit. */
export function headCommit(workspace: string): string | undefined {
  try {
    const out = execFileSync("git", ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"], {
      cwd: workspace,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      // Only what git needs: nothing of the action's environment.
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", LANG: "C" },
      timeout: 30_000,
    });
    const sha = out.trim();
    return /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(sha) ? sha : undefined;
  } catch {
    return undefined;
  }
}
