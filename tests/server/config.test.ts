// The server's config: tokens (plain or sha256), gate rules and authorize(), and mistakes
// said in one line naming where they are.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  authorize,
  DEFAULT_MAX_BODY_BYTES,
  LOCAL_PRINCIPAL,
  parseConfig,
  principalOf,
} from "../../src/server/config.ts";

const alice = "alice-token-0123456789";
const ci = "ci-token-abcdefghijklmnop";

describe("tokens", () => {
  const config = parseConfig({
    tokens: [
      { user: "alice", roles: ["reviewers"], token: alice },
      { user: "ci", sha256: createHash("sha256").update(ci).digest("hex").toUpperCase() },
    ],
  });

  it("a token names its user and roles; one given by its sha256 too", () => {
    expect(principalOf(config, alice)).toEqual({ user: "alice", roles: ["reviewers"] });
    expect(principalOf(config, ci)).toEqual({ user: "ci", roles: [] });
  });

  it("anything else names no one", () => {
    for (const token of ["", "alice", `${alice}x`, alice.slice(1), ci.toUpperCase()]) {
      expect(principalOf(config, token)).toBeUndefined();
    }
    expect(principalOf(parseConfig({}), alice)).toBeUndefined();
  });

  it("defaults: no tokens, no gate rules, a 4 MiB body limit", () => {
    expect(parseConfig({})).toEqual({ tokens: [], maxBodyBytes: DEFAULT_MAX_BODY_BYTES });
    expect(DEFAULT_MAX_BODY_BYTES).toBe(4 * 1024 * 1024);
  });
});

describe("authorize", () => {
  const bob = { user: "bob", roles: ["reviewers"] };
  const carol = { user: "carol", roles: ["admins"] };
  const dave = { user: "dave", roles: [] };

  it("without gate rules, anyone let in may answer any gate", () => {
    const config = parseConfig({});
    for (const p of [bob, carol, dave, LOCAL_PRINCIPAL]) {
      expect(authorize(config, p, "review")).toEqual({ allowed: true });
    }
  });

  it("a workflow's entry: its users and roles", () => {
    const config = parseConfig({ gates: { review: { users: ["dave"], roles: ["reviewers"] } } });
    expect(authorize(config, bob, "review").allowed).toBe(true);
    expect(authorize(config, dave, "review").allowed).toBe(true);
    expect(authorize(config, carol, "review")).toEqual({
      allowed: false,
      reason: "carol may not answer the gates of 'review'",
    });
  });

  it('"*" for the workflows without an entry; no entry and no "*": no one', () => {
    const withDefault = parseConfig({
      gates: { review: { users: ["dave"] }, "*": { roles: ["admins"] } },
    });
    expect(authorize(withDefault, carol, "deploy").allowed).toBe(true);
    expect(authorize(withDefault, carol, "review").allowed).toBe(false);
    expect(authorize(withDefault, dave, "deploy").allowed).toBe(false);
    const without = parseConfig({ gates: { review: { users: ["dave"] } } });
    expect(authorize(without, carol, "deploy")).toEqual({
      allowed: false,
      reason: "no one may answer the gates of 'deploy'",
    });
    // A workflow called like an Object.prototype key is no special case.
    expect(authorize(without, carol, "constructor").allowed).toBe(false);
  });

  it("the local user (no tokens, loopback) is a user like the others", () => {
    const config = parseConfig({ gates: { review: { users: ["local"] } } });
    expect(authorize(config, LOCAL_PRINCIPAL, "review").allowed).toBe(true);
    expect(authorize(config, bob, "review").allowed).toBe(false);
  });
});

describe("mistakes", () => {
  const cases: [unknown, string][] = [
    [[], "cfg: /: must be an object"],
    [{ token: [] }, "cfg: /token: unknown setting"],
    [{ tokens: {} }, "cfg: /tokens: must be a list"],
    [{ tokens: [{ token: alice }] }, "cfg: /tokens/0/user: must name a user"],
    [
      { tokens: [{ user: "a" }] },
      'cfg: /tokens/0: give either "token" or "sha256" (the hex sha256 of the token)',
    ],
    [
      { tokens: [{ user: "a", token: alice, sha256: "0".repeat(64) }] },
      'cfg: /tokens/0: give either "token" or "sha256" (the hex sha256 of the token)',
    ],
    [
      { tokens: [{ user: "a", token: "short" }] },
      "cfg: /tokens/0/token: must be at least 16 characters",
    ],
    [{ tokens: [{ user: "a", sha256: "abc" }] }, "cfg: /tokens/0/sha256: must be 64 hex digits"],
    [{ tokens: [{ user: "a", token: alice, role: "x" }] }, "cfg: /tokens/0/role: unknown field"],
    [
      { tokens: [{ user: "a", token: alice, roles: "x" }] },
      "cfg: /tokens/0/roles: must be a list of names",
    ],
    [{ gates: [] }, "cfg: /gates: must be an object of workflow names"],
    [{ gates: { review: { user: ["a"] } } }, "cfg: /gates/review/user: unknown field"],
    [{ gates: { review: { users: [1] } } }, "cfg: /gates/review/users: must be a list of names"],
    [{ maxBodyBytes: 0 }, "cfg: /maxBodyBytes: must be a positive whole number of bytes"],
  ];
  for (const [value, message] of cases) {
    it(message, () => {
      expect(() => parseConfig(value, "cfg")).toThrow(
        expect.objectContaining({ code: "server-config", message }),
      );
    });
  }
});
