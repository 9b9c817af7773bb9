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

  async comments(issue: number): Promise<Comment[]> {
    return (await this.octokit.paginate(
      "GET /repos/{owner}/{repo}/issues/{issue_number}/comments",
      {
        ...this.r,
        issue_number: issue,
        per_page: 100,
      },
    )) as Comment[];
  }

  async createComment(issue: number, body: string): Promise<Comment> {
    const { data } = await this.octokit.request(
      "POST /repos/{owner}/{repo}/issues/{issue_number}/comments",
      { ...this.r, issue_number: issue, body },
    );
    return data as Comment;
  }

  async updateComment(id: number, body: string): Promise<void> {
    await this.octokit.request("PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}", {
      ...this.r,
      comment_id: id,
      body,
    });
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
      throw error;
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
      throw error;
    }
  }

  async pull(number: number): Promise<{ headSha: string; author: string }> {
    const { data } = await this.octokit.request("GET /repos/{owner}/{repo}/pulls/{pull_number}", {
      ...this.r,
      pull_number: number,
    });
    return { headSha: data.head.sha, author: data.user?.login ?? "" };
  }

  /** Creates a ref; false when it exists already (the API answers 422): the atomic claim. */
  async claim(ref: string, sha: string): Promise<boolean> {
    try {
      await this.octokit.request("POST /repos/{owner}/{repo}/git/refs", { ...this.r, ref, sha });
      return true;
    } catch (error) {
      if (status(error) === 422) return false;
      throw error;
    }
  }
}
