// The command parser and the state codec.
import { describe, expect, it } from "vitest";
import { parseApprovers } from "../../src/action/authorize.ts";
import { parseCommands } from "../../src/action/commands.ts";
import { renderProgress } from "../../src/action/progress.ts";
import { Redactor } from "../../src/action/redact.ts";
import { type ActionState, decodeState, encodeState } from "../../src/action/state.ts";
import { compile } from "../../src/compiler/compile.ts";

describe("parseCommands", () => {
  const names = (body: string) => parseCommands(body).map((c) => `${c.name}:${c.args}`);

  it("reads a command at the start of a line", () => {
    expect(names("/approve")).toEqual(["approve:"]);
    expect(names("Looks good.\n  /approve ")).toEqual(["approve:"]);
    expect(names("/APPROVE")).toEqual(["approve:"]);
    expect(names("/status\r\n/cancel")).toEqual(["status:", "cancel:"]);
  });

  it("keeps a /reject's reason, over several lines", () => {
    expect(names("/reject too risky\nadd tests first\n\nthanks")).toEqual([
      "reject:too risky\nadd tests first\n\nthanks",
    ]);
    expect(names("/reject")).toEqual(["reject:"]);
  });

  it("ignores quoted lines, code blocks and commands inside a sentence", () => {
    expect(names("> /approve")).toEqual([]);
    expect(names("> quoting\n>/approve")).toEqual([]);
    expect(names("```\n/approve\n```")).toEqual([]);
    expect(names("~~~sh\n/approve\n~~~\n")).toEqual([]);
    expect(names("````\n```\n/approve\n````")).toEqual([]);
    expect(names("    /approve")).toEqual([]);
    expect(names("I will /approve later")).toEqual([]);
    expect(names("`/approve`")).toEqual([]);
    expect(names("/approved")).toEqual([]);
    expect(names("/approvex")).toEqual([]);
    expect(names("/unknown\n/retry")).toEqual(["retry:"]);
  });

  it("reads commands after a closed code block", () => {
    expect(names("```\ncode\n```\n/approve")).toEqual(["approve:"]);
  });
});

describe("parseApprovers", () => {
  it("splits logins and teams", () => {
    expect(parseApprovers("@alice, bob\n@acme/release  carol")).toEqual([
      "alice",
      "bob",
      "@acme/release",
      "carol",
    ]);
    expect(parseApprovers("")).toEqual([]);
  });
});

const state: ActionState = {
  format: "aegis-action-state",
  version: 1,
  runId: "r-1",
  workflow: "wf.aegis",
  repository: "octo/repo",
  issue: 2,
  graphHash: "abc",
  record: { id: "r-1", status: "waiting" } as ActionState["record"],
  meta: { id: "r-1" } as ActionState["meta"],
  journal: [{ type: "started", at: "2025-01-01T00:00:00.000Z" }],
  gate: { state: "APPROVE", seq: 3, headSha: "ec26", openedAt: "2025-01-01T00:00:00.000Z" },
};

describe("the state codec", () => {
  it("round-trips, unsigned and signed, inside a comment", () => {
    const body = `hello\n\n${encodeState(state)}\n`;
    expect(decodeState(body)).toEqual(state);
    const signed = `x ${encodeState(state, "key")} y`;
    expect(signed).toMatch(/<!-- aegis-state:v2\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+ -->/);
    expect(decodeState(signed, "key")).toEqual(state);
  });

  it("refuses a tampered, resigned or unsigned state when a secret is set", () => {
    const signed = encodeState(state, "key");
    const [, data, sig] = /v2\.([^.]+)\.([^ ]+)/.exec(signed)!;
    const forged = encodeState({ ...state, gate: { ...state.gate!, headSha: "evil" } });
    const forgedData = /aegis-state:([^ ]+)/.exec(forged)![1];
    expect(() => decodeState(signed.replace(data!, forgedData!), "key")).toThrow(/signature/);
    expect(() => decodeState(signed, "other")).toThrow(/signature/);
    expect(() => decodeState(encodeState(state, "other"), "key")).toThrow(/signature/);
    expect(() => decodeState(encodeState(state), "key")).toThrow(/not signed/);
    expect(() => decodeState(signed.replace(sig!, sig!.slice(1)), "key")).toThrow(/signature/);
    expect(() => decodeState(signed)).toThrow(/no state secret/);
  });

  it("refuses a state in another repository or conversation than its own, signed or not", () => {
    const here = { repository: "octo/repo", issue: 2 };
    expect(decodeState(encodeState(state, "key"), "key", here)).toEqual(state);
    expect(decodeState(encodeState(state), undefined, here)).toEqual(state);
    for (const elsewhere of [
      { repository: "octo/repo", issue: 3 },
      { repository: "octo/other", issue: 2 },
      { repository: "octo/repo" },
    ]) {
      // Signed: the signature covers where the state belongs.
      expect(() => decodeState(encodeState(state, "key"), "key", elsewhere)).toThrow(/signature/);
      // Signed for there, but holding here's state: the fields say it was copied.
      expect(() =>
        decodeState(encodeState(state, "key", undefined, elsewhere), "key", elsewhere),
      ).toThrow(/copied/);
      expect(() => decodeState(encodeState(state), undefined, elsewhere)).toThrow(/copied/);
    }
  });

  it("refuses a state saved by the older, unbound format", () => {
    expect(() => decodeState("<!-- aegis-state:v1.AAAA.BBBB -->", "key")).toThrow(/older/);
  });

  it("refuses damaged or foreign data", () => {
    expect(() => decodeState("no marker")).toThrow(/holds no/);
    expect(() => decodeState("<!-- aegis-state:AAAA -->")).toThrow(/cannot be read/);
    const other = encodeState({ ...state, format: "x" } as unknown as ActionState);
    expect(() => decodeState(other)).toThrow(/unknown format/);
  });
});

describe("the progress comment's text", () => {
  const compiled = compile(
    'workflow w "w" { start A\n state A = run "true" { on exit 0 -> DONE\n otherwise -> FAILED }\n final DONE\n final FAILED failure }',
    { filename: "w.aegis" },
  );
  const shown = (status: string, output: unknown) =>
    renderProgress(
      {
        ...state,
        record: {
          ...state.record,
          workflow: "w",
          status,
          output,
          error: { code: "x", message: "it failed" },
          transitions: 1,
          results: {},
          history: [],
        } as unknown as ActionState["record"],
      },
      { graph: compiled.graph },
    );

  it("shows the output of a run that ended at a failure final, as of one that succeeded", () => {
    expect(shown("failed", "the tests fail: 3 of 12")).toContain("> the tests fail: 3 of 12");
    expect(shown("succeeded", { shipped: true })).toContain('"shipped": true');
  });
});

describe("the redactor", () => {
  it("cuts a multi-line secret also line by line (a quote puts '> ' before each line)", () => {
    const redactor = new Redactor();
    const key =
      "-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0B\nAQEFAASCBKcwggSjAgEAAoIBAQ\n-----END KEY-----";
    redactor.add(key);
    const quoted = key
      .split("\n")
      .map((l) => `> ${l}`)
      .join("\n");
    const out = redactor.text(`the key:\n${quoted}`);
    expect(out).not.toContain("MIIEvQIBADANBgkqhkiG9w0B");
    expect(out).not.toContain("AQEFAASCBKcwggSjAgEAAoIBAQ");
    expect(out).toContain("> ***");
  });
});
