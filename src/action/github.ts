// The GitHub REST calls the action makes, through @actions/github's Octokit (which reads
// GITHUB_API_URL, so tests point it at a local server).
import type { getOctokit } from "@actions/github";

export interface Comment {
  id: number;
  body: string;
  user: { login: string; type?: string } | null;
  html_url?: string;
  created_at?: string;
  updated_at?: string;
  /** Set when a GitHub App posted the comment on a person's behalf. */
  performed_via_github_app?: { slug?: string; name?: string } | null;
}

type Octokit = ReturnType<typeof getOctokit>;

/** GitHub's message (and its first error's) of a failed call. */
function errorText(error: unknown): string {
  const e = error as { message?: string; response?: { data?: { message?: string } } };
  return `${e?.response?.data?.message ?? ""} ${e?.message ?? ""}`;
}

function status(error: unknown): number | undefined {
  return typeof error === "object" && error !== null && "status" in error
    ? Number((error as { status: unknown }).status)
    : undefined;
}

/** GitHub refused a call for want of a permission: says which one the token needs. */
export class PermissionError extends Error {}

/** Any other failed call, named: what was asked, GitHub's status and message. */
export class ApiError extends Error {
  readonly status: number | undefined;
  constructor(call: string, error: unknown) {
    const code = status(error);
    const why = ((error as { message?: string })?.message ?? String(error)).split(" - ")[0];
    super(`GitHub answered ${call} with ${code ?? "no answer"}${why ? `: ${why}` : ""}`);
    this.status = code;
  }
}

/**
 * A 401 or 403 answer as a PermissionError naming the permission `call` needs; other
 * errors are passed on. (Octokit's errors never hold the token.)
 */
function refused(error: unknown, call: string, permission: string): Error {
  const code = status(error);
  if (code !== 401 && code !== 403) return new ApiError(call, error);
  const why = (error as { message?: string }).message?.split(" - ")[0] ?? "";
  if (code === 401)
    return new PermissionError(
      `GitHub refused ${call} (401 ${why}): the github-token is not valid (expired or revoked)`,
    );
  return new PermissionError(
    `GitHub refused ${call} (403 ${why}): the token needs the permission \`${permission}\` (in the workflow's \`permissions:\` block). A pull_request workflow of a fork only ever gets a read-only token.`,
  );
}

export class GitHub {
  readonly owner: string;
  readonly repo: string;
  private readonly token: string;
  private readonly baseUrl: string;
  private client: Promise<Octokit> | undefined;
  constructor(token: string, owner: string, repo: string) {
    this.owner = owner;
    this.repo = repo;
    this.token = token;
    this.baseUrl = process.env.GITHUB_API_URL || "https://api.github.com";
  }

  /**
   * Octokit, loaded on the first call: it and its HTTP stack are the largest part of the
   * bundle, and a run with no conversation reaches its first state without calling GitHub.
   */
  private get octokit(): Promise<Octokit> {
    this.client ??= import("@actions/github").then(({ getOctokit }) =>
      getOctokit(this.token, { baseUrl: this.baseUrl }),
    );
    return this.client;
  }

  private get r() {
    return { owner: this.owner, repo: this.repo };
  }

  /**
   * The login the token writes as. GraphQL's `viewer` answers for every kind of token
   * (`github-actions[bot]` for a GITHUB_TOKEN, `<app>[bot]` for a GitHub App installation
   * token, the person for a personal token), where REST `GET /user` answers 403 to
   * installation tokens; that is tried second. Undefined when neither tells.
   */
  async viewer(): Promise<string | undefined> {
    try {
      const data = await (await this.octokit).graphql<{ viewer?: { login?: string } }>(
        "query { viewer { login } }",
      );
      if (data.viewer?.login) return data.viewer.login;
    } catch {}
    try {
      const { data } = await (await this.octokit).request("GET /user");
      return data.login;
    } catch {
      return undefined;
    }
  }

  /** Whether the conversation is a pull request (the action sets it from its event). */
  isPull = true;

  /** Comments on a pull request need the pull-requests permission; on an issue, issues. */
  private commentPermission(level: "read" | "write"): string {
    return `${this.isPull ? "pull-requests" : "issues"}: ${level}`;
  }

  async comments(issue: number): Promise<Comment[]> {
    try {
      return (await (
        await this.octokit
      ).paginate("GET /repos/{owner}/{repo}/issues/{issue_number}/comments", {
        ...this.r,
        issue_number: issue,
        per_page: 100,
      })) as Comment[];
    } catch (error) {
      throw refused(error, `reading the comments of #${issue}`, this.commentPermission("read"));
    }
  }

  /** The open issues and pull requests that have comments (where progress comments can be). */
  async openConversations(): Promise<{ number: number; isPull: boolean }[]> {
    try {
      const issues = (await (
        await this.octokit
      ).paginate("GET /repos/{owner}/{repo}/issues", {
        ...this.r,
        state: "open",
        per_page: 100,
      })) as { number: number; comments: number; pull_request?: unknown }[];
      return issues
        .filter((i) => i.comments > 0)
        .map((i) => ({ number: i.number, isPull: i.pull_request !== undefined }));
    } catch (error) {
      throw refused(error, "listing the open issues and pull requests", "issues: read");
    }
  }

  /** One comment as GitHub has it now; undefined when it was deleted. */
  async comment(id: number): Promise<Comment | undefined> {
    try {
      const { data } = await (await this.octokit).request(
        "GET /repos/{owner}/{repo}/issues/comments/{comment_id}",
        { ...this.r, comment_id: id },
      );
      return data as Comment;
    } catch (error) {
      if (status(error) === 404) return undefined;
      throw refused(error, `reading comment ${id}`, this.commentPermission("read"));
    }
  }

  async createComment(issue: number, body: string): Promise<Comment> {
    try {
      const { data } = await (await this.octokit).request(
        "POST /repos/{owner}/{repo}/issues/{issue_number}/comments",
        { ...this.r, issue_number: issue, body },
      );
      return data as Comment;
    } catch (error) {
      throw refused(error, `a comment on #${issue}`, this.commentPermission("write"));
    }
  }

  async updateComment(id: number, body: string): Promise<Comment> {
    try {
      const { data } = await (await this.octokit).request(
        "PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}",
        { ...this.r, comment_id: id, body },
      );
      return data as Comment;
    } catch (error) {
      throw refused(error, `updating comment ${id}`, this.commentPermission("write"));
    }
  }

  /** Adds a reaction; a failure is returned, not thrown (a reaction is a courtesy). */
  async react(
    commentId: number,
    content: "+1" | "-1" | "eyes" | "rocket" | "confused",
  ): Promise<ApiError | undefined> {
    try {
      await (await this.octokit).request(
        "POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions",
        { ...this.r, comment_id: commentId, content },
      );
      return undefined;
    } catch (error) {
      return new ApiError(`adding a reaction to comment ${commentId}`, error);
    }
  }

  /** The user's role on the repository (role_name), or "none" when they have no access. */
  async role(username: string): Promise<{ role: string; permission: string }> {
    try {
      const { data } = await (await this.octokit).request(
        "GET /repos/{owner}/{repo}/collaborators/{username}/permission",
        { ...this.r, username },
      );
      return { role: data.role_name ?? data.permission, permission: data.permission };
    } catch (error) {
      if (status(error) === 404) return { role: "none", permission: "none" };
      throw refused(error, `reading @${username}'s role`, "metadata: read");
    }
  }

  /** Whether the user is a collaborator (explicitly, or through an organization team). */
  async isCollaborator(username: string): Promise<boolean> {
    try {
      await (await this.octokit).request("GET /repos/{owner}/{repo}/collaborators/{username}", {
        ...this.r,
        username,
      });
      return true;
    } catch (error) {
      if (status(error) === 404) return false;
      throw refused(error, `asking whether @${username} is a collaborator`, "metadata: read");
    }
  }

  async teamMember(org: string, team: string, username: string): Promise<boolean> {
    try {
      const { data } = await (await this.octokit).request(
        "GET /orgs/{org}/teams/{team_slug}/memberships/{username}",
        { org, team_slug: team, username },
      );
      return data.state === "active";
    } catch (error) {
      if (status(error) === 404) return false;
      throw refused(
        error,
        `reading the members of @${org}/${team}`,
        "members: read (an organization permission: a GITHUB_TOKEN cannot have it; give a GitHub App or personal token as github-token)",
      );
    }
  }

  async pull(number: number): Promise<{ headSha: string; author: string }> {
    try {
      const { data } = await (await this.octokit).request(
        "GET /repos/{owner}/{repo}/pulls/{pull_number}",
        {
          ...this.r,
          pull_number: number,
        },
      );
      return { headSha: data.head.sha, author: data.user?.login ?? "" };
    } catch (error) {
      throw refused(error, `reading pull request #${number}`, "pull-requests: read");
    }
  }

  /**
   * Creates a ref: the atomic claim. False only when the ref exists already (422
   * "Reference already exists"); any other refusal (an unknown commit, a bad name, a
   * missing permission) is an error that says what GitHub answered.
   */
  async claim(ref: string, sha: string): Promise<boolean> {
    try {
      await (await this.octokit).request("POST /repos/{owner}/{repo}/git/refs", {
        ...this.r,
        ref,
        sha,
      });
      return true;
    } catch (error) {
      if (status(error) === 422 && /reference already exists/i.test(errorText(error))) return false;
      throw refused(error, `creating the claim ref ${ref}`, "contents: write");
    }
  }

  /**
   * Keeps a text in the repository's object store, reachable from `ref` (so it is not
   * garbage-collected): a blob in a one-file tree in a parentless commit. Returns the
   * blob's sha, by which `readText` finds it again.
   */
  async keepText(ref: string, text: string): Promise<string> {
    const call = `keeping the run's state in ${ref}`;
    try {
      const blob = await (await this.octokit).request("POST /repos/{owner}/{repo}/git/blobs", {
        ...this.r,
        content: Buffer.from(text).toString("base64"),
        encoding: "base64",
      });
      const tree = await (await this.octokit).request("POST /repos/{owner}/{repo}/git/trees", {
        ...this.r,
        tree: [{ path: "state", mode: "100644", type: "blob", sha: blob.data.sha }],
      });
      const commit = await (await this.octokit).request("POST /repos/{owner}/{repo}/git/commits", {
        ...this.r,
        message: "aegis run state",
        tree: tree.data.sha,
        parents: [],
      });
      const sha = commit.data.sha;
      try {
        await (await this.octokit).request("POST /repos/{owner}/{repo}/git/refs", {
          ...this.r,
          ref,
          sha,
        });
      } catch (error) {
        if (!(status(error) === 422 && /reference already exists/i.test(errorText(error))))
          throw error;
        await (await this.octokit).request("PATCH /repos/{owner}/{repo}/git/refs/{ref}", {
          ...this.r,
          ref: ref.replace(/^refs\//, ""),
          sha,
          force: true,
        });
      }
      return blob.data.sha;
    } catch (error) {
      throw refused(error, call, "contents: write");
    }
  }

  /** A text kept by keepText, by its blob's sha; undefined when there is no such blob. */
  async readText(sha: string): Promise<string | undefined> {
    try {
      const { data } = await (await this.octokit).request(
        "GET /repos/{owner}/{repo}/git/blobs/{file_sha}",
        { ...this.r, file_sha: sha },
      );
      return Buffer.from(data.content, "base64").toString("utf8");
    } catch (error) {
      if (status(error) === 404) return undefined;
      throw refused(error, `reading the run's kept state (blob ${sha})`, "contents: read");
    }
  }
}
