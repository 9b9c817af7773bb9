// The commit the job has checked out: states after a gate run only on the commit the gate
// was bound to (what the approver saw), so the action reads HEAD before it resumes a run.
import { readFileSync, realpathSync, type Stats, statSync } from "node:fs";
import { dirname, join } from "node:path";

/**
 * node:child_process, loaded when git is first started: HEAD is most often read from the
 * files (headFromFiles), and then nothing before the first state starts a process.
 */
const childProcess = () => process.getBuiltinModule("node:child_process");

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
    childProcess().execFileSync("git", args, {
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

const COMMIT = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/**
 * HEAD's commit in `workspace`, or undefined when it is not a git working copy with a
 * commit. Read from the files git keeps when the working copy is laid out as a clone or
 * actions/checkout leaves one (see headFromFiles); else git answers, while the action
 * compiles the workflow.
 */
export function headCommit(workspace: string): Promise<string | undefined> {
  const read = headFromFiles(workspace);
  if (read) return Promise.resolve(read);
  return new Promise((done) => {
    childProcess().execFile(
      "git",
      ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"],
      { cwd: workspace, encoding: "utf8", env: gitEnv(), timeout: 30_000 },
      (error, out) => {
        const sha = error ? "" : out.trim();
        done(COMMIT.test(sha) ? sha : undefined);
      },
    );
  });
}

/**
 * The .git directory git finds for `workspace` — its own, else the nearest parent's, as git
 * looks for one — when git would read it as this file reads it: undefined where git could
 * answer otherwise (a .git file of a worktree or a submodule, a bare repository, another
 * filesystem, a directory not the process's user's, which git refuses), and git is asked.
 */
function gitDirectory(workspace: string): string | undefined {
  // From the directory's real path, as git walks from its working directory's.
  let dir: string;
  try {
    dir = realpathSync(workspace);
  } catch {
    return undefined;
  }
  let device: number | undefined;
  for (;;) {
    const here = statOf(dir);
    if (!here?.isDirectory()) return undefined;
    device ??= here.dev;
    if (here.dev !== device) return undefined;
    const dotGit = statOf(join(dir, ".git"));
    if (dotGit) {
      if (!dotGit.isDirectory()) return undefined;
      const uid = process.getuid?.();
      if (uid !== undefined && (here.uid !== uid || dotGit.uid !== uid)) return undefined;
      return join(dir, ".git");
    }
    if (statOf(join(dir, "HEAD")) && statOf(join(dir, "objects"))) return undefined; // bare
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function statOf(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/**
 * HEAD's commit as git reads it from its .git directory (see gitDirectory) without starting
 * git (starting a process holds the action up 10–30 ms): a detached HEAD (actions/checkout's
 * checkout of a pull request or a commit), or a branch whose ref is its own file or a line
 * of packed-refs (a clone). Undefined for anything else — the reftable format, a ref that is
 * itself symbolic, no .git at all — which git then reads. Read before any state runs: the
 * files are the checkout's. Like the checked-out files, the id is not looked up among the
 * objects.
 */
function headFromFiles(workspace: string): string | undefined {
  const dir = gitDirectory(workspace);
  if (!dir) return undefined;
  const read = (path: string) => {
    try {
      return readFileSync(join(dir, path), "utf8");
    } catch {
      return undefined;
    }
  };
  const head = read("HEAD")?.trim();
  if (!head) return undefined;
  if (COMMIT.test(head)) return head;
  const ref = /^ref: (refs\/heads\/[A-Za-z0-9._/-]+)$/.exec(head)?.[1];
  if (!ref || ref.includes("..") || ref.includes("//") || ref.endsWith("/")) return undefined;
  if (/refstorage/i.test(read("config") ?? "")) return undefined; // reftable: git reads it
  const loose = read(ref);
  if (loose !== undefined) {
    const sha = loose.trim();
    return COMMIT.test(sha) ? sha : undefined;
  }
  for (const line of read("packed-refs")?.split("\n") ?? []) {
    const [sha, name] = line.split(" ");
    if (name === ref && sha && COMMIT.test(sha)) return sha;
  }
  return undefined;
}
