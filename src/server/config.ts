// The server's config file (JSON; `aegis serve --config FILE`): who may call the API (bearer
// tokens, each naming a user and their roles), who may answer which workflow's gates, and
// the request body limit. Read and checked once, at start-up; a mistake is one line.
//
//   {
//     "tokens": [
//       { "user": "alice", "roles": ["reviewers"], "token": "a-long-random-string" },
//       { "user": "ci", "sha256": "<hex sha256 of the token>" }
//     ],
//     "gates": {
//       "review": { "users": ["alice"], "roles": ["reviewers"] },
//       "*": { "roles": ["admins"] }
//     },
//     "maxBodyBytes": 4194304
//   }
//
// Without "gates", anyone the server lets in may answer any gate. With "gates", a workflow's
// gates may be answered by the users and roles of its entry, else of "*", else by no one.
import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { RuntimeError } from "../runtime/types.ts";

/** Who made a request. */
export interface Principal {
  user: string;
  roles: string[];
  /** A request let in without a token (loopback, no tokens configured). */
  local?: true;
}

export interface GateRule {
  users?: string[];
  roles?: string[];
}

export interface ServerConfig {
  tokens: { user: string; roles: string[]; sha256: Buffer }[];
  gates?: Record<string, GateRule>;
  maxBodyBytes: number;
}

export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;

/** The principal of a request let in without a token. */
export const LOCAL_PRINCIPAL: Principal = { user: "local", roles: [], local: true };

const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest();

/** Reads and checks a config file. */
export function readConfig(file: string): ServerConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const why =
      (error as NodeJS.ErrnoException).code === "ENOENT"
        ? "no such file"
        : (error as Error).message;
    throw new RuntimeError("server-config", `cannot read the config ${file}: ${why}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new RuntimeError(
      "server-config",
      `the config ${file} is not valid JSON: ${(error as Error).message}`,
    );
  }
  return parseConfig(value, file);
}

/** Checks a parsed config; `where` names it in messages. */
export function parseConfig(value: unknown, where = "the config"): ServerConfig {
  const fail = (path: string, message: string): never => {
    throw new RuntimeError("server-config", `${where}: ${path}: ${message}`);
  };
  const strings = (v: unknown, path: string): string[] => {
    if (!Array.isArray(v) || !v.every((s) => typeof s === "string" && s !== "")) {
      return fail(path, "must be a list of names");
    }
    return v as string[];
  };
  if (!value || typeof value !== "object" || Array.isArray(value)) fail("/", "must be an object");
  const o = value as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!["tokens", "gates", "maxBodyBytes"].includes(key)) fail(`/${key}`, "unknown setting");
  }
  const tokens: ServerConfig["tokens"] = [];
  if (o.tokens !== undefined) {
    if (!Array.isArray(o.tokens)) fail("/tokens", "must be a list");
    (o.tokens as unknown[]).forEach((entry, i) => {
      const at = `/tokens/${i}`;
      if (!entry || typeof entry !== "object" || Array.isArray(entry))
        fail(at, "must be an object");
      const t = entry as Record<string, unknown>;
      for (const key of Object.keys(t)) {
        if (!["user", "roles", "token", "sha256"].includes(key))
          fail(`${at}/${key}`, "unknown field");
      }
      if (typeof t.user !== "string" || t.user === "") fail(`${at}/user`, "must name a user");
      const roles = t.roles === undefined ? [] : strings(t.roles, `${at}/roles`);
      let hash: Buffer;
      if (typeof t.token === "string" && t.sha256 === undefined) {
        if (t.token.length < 16) fail(`${at}/token`, "must be at least 16 characters");
        hash = sha256(t.token);
      } else if (typeof t.sha256 === "string" && t.token === undefined) {
        if (!/^[0-9a-fA-F]{64}$/.test(t.sha256)) fail(`${at}/sha256`, "must be 64 hex digits");
        hash = Buffer.from(t.sha256, "hex");
      } else {
        hash = fail(at, 'give either "token" or "sha256" (the hex sha256 of the token)');
      }
      tokens.push({ user: t.user as string, roles, sha256: hash });
    });
  }
  let gates: Record<string, GateRule> | undefined;
  if (o.gates !== undefined) {
    if (!o.gates || typeof o.gates !== "object" || Array.isArray(o.gates)) {
      fail("/gates", "must be an object of workflow names");
    }
    gates = {};
    for (const [workflow, rule] of Object.entries(o.gates as Record<string, unknown>)) {
      const at = `/gates/${workflow}`;
      if (!rule || typeof rule !== "object" || Array.isArray(rule)) fail(at, "must be an object");
      const r = rule as Record<string, unknown>;
      for (const key of Object.keys(r)) {
        if (!["users", "roles"].includes(key)) fail(`${at}/${key}`, "unknown field");
      }
      gates[workflow] = {
        ...(r.users !== undefined && { users: strings(r.users, `${at}/users`) }),
        ...(r.roles !== undefined && { roles: strings(r.roles, `${at}/roles`) }),
      };
    }
  }
  let maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
  if (o.maxBodyBytes !== undefined) {
    if (!Number.isSafeInteger(o.maxBodyBytes) || (o.maxBodyBytes as number) < 1) {
      fail("/maxBodyBytes", "must be a positive whole number of bytes");
    }
    maxBodyBytes = o.maxBodyBytes as number;
  }
  return { tokens, ...(gates && { gates }), maxBodyBytes };
}

/**
 * The principal a bearer token names, or undefined. The token is hashed, and its hash
 * compared with every configured hash in constant time.
 */
export function principalOf(config: ServerConfig, token: string): Principal | undefined {
  const presented = sha256(token);
  let found: ServerConfig["tokens"][number] | undefined;
  for (const entry of config.tokens) {
    if (timingSafeEqual(presented, entry.sha256) && !found) found = entry;
  }
  return found && { user: found.user, roles: [...found.roles] };
}

/**
 * Who may answer `workflow`'s gates: its own entry of "gates", else "*"; undefined: no one;
 * null: the config has no "gates" (anyone the server lets in).
 */
export function gateRule(
  config: Pick<ServerConfig, "gates">,
  workflow: string,
): GateRule | null | undefined {
  if (!config.gates) return null;
  return Object.hasOwn(config.gates, workflow) ? config.gates[workflow] : config.gates["*"];
}

/** Whether `principal` may answer the gates of `workflow`, and why not. */
export function authorize(
  config: Pick<ServerConfig, "gates">,
  principal: Principal,
  workflow: string,
): { allowed: true } | { allowed: false; reason: string } {
  const rule = gateRule(config, workflow);
  if (rule === null) return { allowed: true };
  if (!rule) {
    return { allowed: false, reason: `no one may answer the gates of '${workflow}'` };
  }
  if (rule.users?.includes(principal.user)) return { allowed: true };
  if (rule.roles?.some((role) => principal.roles.includes(role))) return { allowed: true };
  return {
    allowed: false,
    reason: `${principal.user} may not answer the gates of '${workflow}'`,
  };
}
