// The action's inputs, all read once at start — before the environment they came in is
// cut down (see environment.ts): nothing reads INPUT_* later.
import * as core from "@actions/core";
import { parseApprovers, type Role, roles } from "./authorize.ts";
import { parseNames } from "./environment.ts";

export interface ActionInputs {
  workflow: string;
  inputs: string;
  /** The caller's intent (`{{intent}}`); empty: none. */
  intent: string;
  token: string;
  approvers: string[];
  minRole: Role;
  allowAuthor: boolean;
  checkOnly: boolean;
  /** Take the due gate timeouts of the open conversations instead of starting a run. */
  sweepTimeouts: boolean;
  agents: string;
  secret?: string;
  /** Runner variables the states may see, by name (the `env` input). */
  env: string[];
  /** GitHub Apps whose comments on a person's behalf may answer gates (slugs). */
  allowApps: string[];
}

function bool(name: string): boolean {
  return /^(true|yes|1|on)$/i.test(core.getInput(name).trim());
}

/** The inputs; throws a plain Error (the action's failure message) for a bad one. */
export function readInputs(): ActionInputs {
  const minRole = (core.getInput("min-role") || "write").trim() as Role;
  if (!roles.includes(minRole))
    throw new Error(`min-role must be one of ${roles.join(", ")} (it is '${minRole}')`);
  const secret = core.getInput("state-secret") || undefined;
  return {
    workflow: core.getInput("workflow", { required: true }),
    inputs: core.getInput("inputs") || "{}",
    intent: core.getInput("intent"),
    token: core.getInput("github-token") || process.env.GITHUB_TOKEN || "",
    approvers: parseApprovers(core.getInput("approvers")),
    minRole,
    allowAuthor: bool("allow-author"),
    checkOnly: bool("check-only"),
    sweepTimeouts: bool("sweep-timeouts"),
    agents: core.getInput("agents"),
    ...(secret && { secret }),
    env: parseNames(core.getInput("env")),
    allowApps: parseNames(core.getInput("allow-apps")).map((s) => s.toLowerCase()),
  };
}
