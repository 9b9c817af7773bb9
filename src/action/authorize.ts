// Who may answer a gate: decided from the repository permission API (role_name), never
// from the comment's author_association.
import type { GitHub } from "./github.ts";

export const roles = ["read", "triage", "write", "maintain", "admin"] as const;
export type Role = (typeof roles)[number];

export function rank(role: string): number {
  return roles.indexOf(role as Role);
}

export interface Commenter {
  login: string;
  type?: string;
}

export interface Policy {
  minRole: Role;
  /** Logins and @org/team entries; empty: anyone with minRole. */
  approvers: string[];
  allowAuthor: boolean;
  /** The change's (pull request's or issue's) author. */
  author?: string;
}

export function isBot(user: Commenter): boolean {
  return user.type === "Bot" || /\[bot\]$/i.test(user.login);
}

export function parseApprovers(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim().replace(/^@(?![^/]+\/)/, ""))
    .filter(Boolean);
}

/** Why the commenter may not answer, or undefined when they may. */
export async function refusal(
  gh: GitHub,
  user: Commenter,
  policy: Policy,
): Promise<string | undefined> {
  if (isBot(user)) return `@${user.login} is a bot or an App; only people may answer a gate`;
  if (
    !policy.allowAuthor &&
    policy.author &&
    policy.author.toLowerCase() === user.login.toLowerCase()
  )
    return `@${user.login} is the author of this change and may not approve it`;
  const { role, permission } = await gh.role(user.login);
  let effective = rank(role) >= 0 ? role : permission; // a custom role: its base permission
  if (rank(effective) < 0) effective = "none";
  if (rank(effective) < rank(policy.minRole))
    return `@${user.login} has the role '${effective}' on this repository; answering needs '${policy.minRole}' or higher`;
  if (effective === "read" && !(await gh.isCollaborator(user.login)))
    return `@${user.login} has only the read access everyone has; answering needs to be a collaborator`;
  if (policy.approvers.length > 0) {
    const login = user.login.toLowerCase();
    let listed = false;
    for (const entry of policy.approvers) {
      const team = /^@?([^/\s]+)\/([^/\s]+)$/.exec(entry);
      if (team) {
        if (await gh.teamMember(team[1]!, team[2]!, user.login)) listed = true;
      } else if (entry.toLowerCase() === login) listed = true;
      if (listed) break;
    }
    if (!listed) return `@${user.login} is not one of the approvers of this workflow`;
  }
  return undefined;
}
