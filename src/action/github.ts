// The GitHub REST calls the action makes, through @actions/github's Octokit (which reads
// GITHUB_API_URL, so tests point it at a local server).
import { getOctokit } from "@actions/github";

export interface Comment {
  id: number;
  body: string;
  user: { login: string; type?: string } | null;
  html_url?: string;
}

type Octokit = ReturnType<typeof getOctokit>;

function status(error: unknown): number | undefined {
  return typeof error === "object" && error !== null && "status" in error
    ? Number((error as { status: unknown }).status)
    : undefined;
}

/** GitHub refused a call for want of a permission: says which one the token needs. */
export class PermissionError extends Error {}

/**
 * A 401 or 403 answer as a PermissionError naming the permission `call` needs; other
 * errors are passed on. (Octokit's errors never hold the token.)
 */
function refused(error: unknown, call: string, permission: string): unknown {
  const code = status(error);
  if (code !== 401 && code !== 403) return error;
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
  private readonly octokit: Octokit;
  readonly owner: string;
  readonly repo: string;
  constructor(token: string, owner: string, repo: string) {
    this.owner = owner;
    this.repo = repo;
    this.octokit = getOctokit(token, {
      baseUrl: process.env.GITHUB_API_URL || "https://api.github.com",
    });
  }

  private get r() {
    return { owner: this.owner, repo: this.repo };
  }

  /** The token's user, when the API tells (a GITHUB_TOKEN cannot: then undefined). */
  async viewer(): Promise<string | undefined> {
    try {
      const { data } = await this.octokit.request("GET /user");
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
      return (await this.octokit.paginate(
        "GET /repos/{owner}/{repo}/issues/{issue_number}/comments",
        {
          ...this.r,
          issue_number: issue,
          per_page: 100,
        },
      )) as Comment[];
    } catch (error) {
      throw refused(error, `reading the comments of #${issue}`, this.commentPermission("read"));
    }
  }

  async createComment(issue: number, body: string): Promise<Comment> {
    try {
      const { data } = await this.octokit.request(
        "POST /repos/{owner}/{repo}/issues/{issue_number}/comments",
        { ...this.r, issue_number: issue, body },
      );
      return data as Comment;
    } catch (error) {
      throw refused(error, `a comment on #${issue}`, this.commentPermission("write"));
    }
  }

  async updateComment(id: number, body: string): Promise<void> {
    try {
      await this.octokit.request("PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}", {
        ...this.r,
        comment_id: id,
        body,
      });
    } catch (error) {
      throw refused(error, `updating comment ${id}`, this.commentPermission("write"));
    }
  }

  async react(
    commentId: number,
    content: "+1" | "-1" | "eyes" | "rocket" | "confused",
  ): Promise<void> {
    try {
      await this.octokit.request(
        "POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions",
        {
          ...this.r,
          comment_id: commentId,
          content,
        },
      );
    } catch {
      // A reaction is a courtesy.
    }
  }

  /** The user's role on the repository (role_name), or "none" when they have no access. */
  async role(username: string): Promise<{ role: string; permission: string }> {
    try {
      const { data } = await this.octokit.request(
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
      await this.octokit.request("GET /repos/{owner}/{repo}/collaborators/{username}", {
        ...this.r,
        username,
      });
      return true;
    } catch (error) {
      if (status(error) === 404) return false;
      throw error;
    }
  }

  async teamMember(org: string, team: string, username: string): Promise<boolean> {
    try {
      const { data } = await this.octokit.request(
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
      const { data } = await this.octokit.request("GET /repos/{owner}/{repo}/pulls/{pull_number}", {
        ...this.r,
        pull_number: number,
      });
      return { headSha: data.head.sha, author: data.user?.login ?? "" };
    } catch (error) {
      throw refused(error, `reading pull request #${number}`, "pull-requests: read");
    }
  }

  /** Creates a ref; false when it exists already (the API answers 422): the atomic claim. */
  async claim(ref: string, sha: string): Promise<boolean> {
    try {
      await this.octokit.request("POST /repos/{owner}/{repo}/git/refs", { ...this.r, ref, sha });
      return true;
    } catch (error) {
      if (status(error) === 422) return false;
      throw refused(error, `creating the claim ref ${ref}`, "contents: write");
    }
  }
}
