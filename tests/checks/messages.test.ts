// Findings say what is wrong once, where it is (issue 12, item 7): two `start`s are one
// finding, not also unreachable states and "has not run" errors from the second; a
// setting's error points at the setting.
import { describe, expect, it } from "vitest";
import { diagnose, findings } from "../helpers/compile.ts";

describe("two starts", () => {
  it("are one AEG106 at the second; the first stands, so nothing cascades from it", () => {
    const text = `workflow two {
  agent a = claude(model: "x")
  start A
  start B
  state A = agent a timeout 1m { prompt "go"; on success -> B }
  state B = agent a timeout 1m { prompt "{{A.output}}"; on success -> DONE }
  final DONE
}
`;
    expect(diagnose(text)).toEqual([{ code: "AEG106", line: 4, column: 9 }]);
  });
});

describe("a setting's error", () => {
  it("min_judges over the judges points at min_judges, with a hint", () => {
    const text = `workflow mj {
  agent a = claude(model: "x")
  agent b = claude(model: "y")
  start P
  state P = parallel timeout 5m {
    prompt "judge"
    judge a
    judge b
    consensus { strategy: majority, threshold: 0.5, min_judges: 3 }
    on success -> DONE
    otherwise -> FAILED
  }
  final DONE
  final FAILED failure
}
`;
    expect(diagnose(text)).toEqual([{ code: "AEG111", line: 9, column: 53 }]);
    const [finding] = findings(text, "AEG111");
    expect(finding!.message).toBe("parallel state 'P' requires 3 judges but has 2");
    expect(finding!.hint).toBe("add judges, or lower min_judges to at most 2");
  });
});
