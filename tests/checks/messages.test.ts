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

describe("a cycle's message", () => {
  it("names every state of the cycle, going round through each", () => {
    const text = `workflow loop {
  agent a = claude(model: "x")
  start A
  state A = agent a timeout 1m { prompt "a"; on success -> B; otherwise -> DONE }
  state B = agent a timeout 1m { prompt "b"; on score > 0.5 -> A; on success -> D; otherwise -> DONE }
  state D = agent a timeout 1m { prompt "d"; on success -> B; otherwise -> DONE }
  final DONE
}
`;
    const [finding] = findings(text, "AEG301");
    expect(finding!.message).toBe(
      "cycle A → B → D → B → A is unbounded: no state on it has a visit limit and the workflow has no transition limit",
    );
    expect(finding!.related?.map((r) => r.message)).toEqual([
      "part of the cycle",
      "part of the cycle",
    ]);
  });

  it("of many states names them instead of a walk too long to read", () => {
    const names = Array.from({ length: 20 }, (_, i) => `S${i}`);
    const states = names
      .map(
        (name, i) =>
          `  state ${name} = agent a timeout 1m { prompt "go"; on success -> ${names[(i + 1) % names.length]}; otherwise -> DONE }`,
      )
      .join("\n");
    const text = `workflow ring {\n  agent a = claude(model: "x")\n  start S0\n${states}\n  final DONE\n}\n`;
    const [finding] = findings(text, "AEG301");
    expect(finding!.message).toBe(
      `cycle through ${names.slice(0, 16).join(", ")}, … (20 states) is unbounded: no state on it has a visit limit and the workflow has no transition limit`,
    );
  });
});

describe("hints for common mistakes", () => {
  const states = (lines: string) => `workflow h {
  input count: string
  input retries: number
  agent a = claude(model: "x")
  start A
  state A = agent a timeout 1m {
    prompt "go"
${lines}
    otherwise -> DONE
  }
  final DONE
}
`;
  it.each([
    ['on score >= "0.8" -> DONE', "write the number without quotes: 0.8"],
    ['on input.retries == " 3" -> DONE', "write the number without quotes: 3"],
    ["on input.count > 3 -> DONE", "convert the text to a number first: number(input.count) > 3"],
    ["on 2 <= input.count -> DONE", "convert the text to a number first: 2 <= number(input.count)"],
  ])("text compared with a number: %s", (line, hint) => {
    const [finding] = findings(states(`    ${line}`), "AEG407");
    expect(finding!.hint).toBe(hint);
    expect(finding!.line).toBe(8);
  });

  it.each([['on input.retries == "three" -> DONE'], ["on input.count == 3 -> DONE"]])(
    "no conversion is suggested where none is meant: %s",
    (line) => {
      const [finding] = findings(states(`    ${line}`), "AEG407");
      expect(finding!.severity).toBe("error");
      expect(finding!.hint).toBeUndefined();
    },
  );

  it("the right comparisons are not findings", () => {
    expect(
      diagnose(states("    on score >= 0.8 -> DONE\n    on number(input.count) > 3 -> DONE")),
    ).toEqual([]);
  });

  it("an unknown helper: the nearest name, else the list of helpers", () => {
    const text = (helper: string) =>
      states(`    on success -> DONE`).replace('prompt "go"', `prompt "{{${helper} input.count}}"`);
    expect(findings(text("uper"), "AEG405")[0]!.hint).toBe("did you mean 'upper'?");
    const [far] = findings(text("shout"), "AEG405");
    expect(far!.message).toBe("unknown helper 'shout'");
    expect(far!.hint).toMatch(
      /^the helpers are if, unless, each, .*quote.* \(grammar\/README\.md#templates\)$/,
    );
  });

  it("an unknown function: the nearest name, else the list of functions", () => {
    expect(findings(states("    on lenght(input.count) > 1 -> DONE"), "AEG401")[0]!.hint).toBe(
      "did you mean 'len'?",
    );
    expect(findings(states("    on frob(input.count) -> DONE"), "AEG401")[0]!.hint).toBe(
      "the functions are len, lower, upper, trim, number, string, exists, startswith, endswith (grammar/README.md#expressions)",
    );
  });
});

describe("once per place", () => {
  it("a template read at several moments is one finding at each place it is written", () => {
    const text = `workflow once {
  agent a = claude(model: "x")
  start A
  state A = loop agent a max 3 until output contains "ok" timeout 1m {
    prompt "{{B.output}} {{previous}}"
    on success -> B
    otherwise -> DONE
  }
  state B = agent a timeout 1m { prompt "b"; on success -> DONE; otherwise -> DONE }
  final DONE
}
`;
    const all = diagnose(text);
    expect(all.filter((d) => d.code === "AEG406")).toEqual([
      { code: "AEG406", line: 5, column: 15 },
    ]);
    expect(new Set(all.map((d) => `${d.line}:${d.column}:${d.code}`)).size).toBe(all.length);
  });
});
