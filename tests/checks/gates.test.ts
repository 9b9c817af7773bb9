// What a human gate protects (issue 12, item 6): without `protects`, where its approval
// leads; with `protects [A, …]`, exactly those states — reached only through its approval —
// and with `protects []`, nothing (a question, not a barrier). A gate that guards risky
// changes only is not reported, and no hint suggests routing every path through a gate.
import { describe, expect, it } from "vitest";
import { diagnose, findings } from "../helpers/compile.ts";

/**
 * CODE sends risky changes to APPROVE and safe ones straight to MERGE; the gate's approval
 * leads to `approved` (MIGRATE, which comes before MERGE, only when it is approval's target).
 */
function review(gateLines: string[], approved = "MIGRATE"): string {
  return `workflow review {
  input risky: boolean
  agent coder = claude(model: "sonnet")
  start CODE
  state CODE = agent coder timeout 10m {
    on success and input.risky -> APPROVE
    on success -> MERGE
    otherwise -> FAILED
  }
  state APPROVE = human timeout 24h {
    prompt "Risky change: go on? {{CODE.output}}"
    ${gateLines.join("\n    ")}
    on approved -> ${approved}
    otherwise -> FAILED
  }
${
  approved === "MIGRATE"
    ? `  state MIGRATE = run "./migrate.sh" timeout 10m {
    on exit 0 -> MERGE
    otherwise -> FAILED
  }
`
    : ""
}  state MERGE = run "./merge.sh" timeout 10m {
    on exit 0 -> DONE
    otherwise -> FAILED
  }
  final DONE
  final FAILED failure
}
`;
}

describe("AEG604 without `protects`: the gate protects where its approval leads", () => {
  it("is reported when that state is reachable around the gate, with a hint that never says to route every path through it", () => {
    const text = review([], "MERGE");
    expect(diagnose(text)).toEqual([{ code: "AEG604", line: 10, column: 9 }]);
    const [finding] = findings(text, "AEG604");
    expect(finding!.severity).toBe("error");
    expect(finding!.message).toBe(
      "gate 'APPROVE' can be bypassed: 'MERGE' is reachable without approval, by CODE → MERGE",
    );
    expect(finding!.hint).toContain("protects [STATE, …]");
    expect(finding!.hint).not.toMatch(/route|every path/);
  });
});

describe("AEG604 with `protects`", () => {
  it("accepts a gate that guards risky changes only, when what it protects is reached only by its approval", () => {
    expect(diagnose(review(["protects [MIGRATE]"]))).toEqual([]);
  });

  it("accepts `protects []` (the gate guards no state)", () => {
    expect(diagnose(review(["protects []"], "MERGE"))).toEqual([]);
  });

  it("reports a protected state reachable around the gate, at `protects`, with the path", () => {
    const text = review(["protects [MERGE]"]);
    expect(diagnose(text)).toEqual([{ code: "AEG604", line: 12, column: 5 }]);
    expect(findings(text, "AEG604")[0]!.message).toBe(
      "gate 'APPROVE' can be bypassed: 'MERGE', which it protects, is reachable without its approval, by CODE → MERGE",
    );
  });

  it("reports a protected state reached through the gate's rejection", () => {
    const text = review(["protects [MIGRATE]"]).replace(
      "    otherwise -> FAILED\n  }\n  state MIGRATE",
      "    otherwise -> MIGRATE\n  }\n  state MIGRATE",
    );
    expect(diagnose(text)).toEqual([{ code: "AEG604", line: 12, column: 5 }]);
    expect(findings(text, "AEG604")[0]!.message).toBe(
      "gate 'APPROVE' can be bypassed: 'MIGRATE', which it protects, is reachable without its approval, by CODE → APPROVE (otherwise) → MIGRATE",
    );
  });

  it("reports a protected state the approval does not lead to", () => {
    const text = review(["protects [CODE]"]);
    expect(findings(text, "AEG604").map((f) => f.message)).toEqual([
      "gate 'APPROVE' protects 'CODE', but its approval does not lead there",
    ]);
  });

  it("reports an unknown protected state as AEG201, with did you mean", () => {
    const text = review(["protects [MIGRAT]"]);
    expect(diagnose(text)).toEqual([{ code: "AEG201", line: 12, column: 15 }]);
    expect(findings(text, "AEG201")[0]!.hint).toBe("did you mean 'MIGRATE'?");
  });

  it("is only a gate's statement (AEG110 elsewhere)", () => {
    const text = review(["protects [MIGRATE]"]).replace(
      '  state MIGRATE = run "./migrate.sh" timeout 10m {',
      '  state MIGRATE = run "./migrate.sh" timeout 10m {\n    protects [MERGE]',
    );
    expect(diagnose(text).map((d) => d.code)).toContain("AEG110");
  });
});

describe("AEG605 at the `default` that approves", () => {
  it("points at the statement, so that a suppression above it applies", () => {
    const text = review(["protects [MIGRATE]", "default approved"]);
    expect(diagnose(text)).toEqual([{ code: "AEG605", line: 13, column: 5 }]);
    const suppressed = review([
      "protects [MIGRATE]",
      "// aegis-ignore AEG605 -- nightly docs: silence means go",
      "default approved",
    ]);
    expect(diagnose(suppressed)).toEqual([]);
  });
});
