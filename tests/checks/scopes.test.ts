// Scopes and types (AEG401–AEG409, and AEG109 for `matches`): what templates and
// expressions may name at each place, whether a state's result is certainly available,
// and whether expressions are well-typed.
import { describe, expect, it } from "vitest";
import { diagnose, findings, workflow } from "../helpers/compile.ts";
import { checkTriggers } from "../helpers/triggers.ts";
import { diamond, scopeCases } from "./cases/scopes.ts";

describe("catalogue: scopes and types (AEG401–AEG409)", () => {
  checkTriggers(scopeCases);
});

describe("AEG406 maybe-not-run", () => {
  it("names the path on which the state is skipped, in a diamond A→B→D, A→C→D", () => {
    const [d] = findings(diamond("use {{B.output}}"), "AEG406");
    expect(d).toMatchObject({ line: 15, column: 19, endLine: 15, endColumn: 27 });
    expect(d!.message).toBe(
      "'B' may not have run when 'D' uses it: on the path A → C → D, 'B' is skipped",
    );
  });

  it("is not an error for the state every path passes through", () => {
    expect(diagnose(diamond("use {{A.output}}, {{A.score}}"))).toEqual([]);
  });

  it("reports both branches when the join reads both", () => {
    expect(diagnose(diamond("{{B.output}} / {{C.output}}"))).toEqual([
      { code: "AEG406", line: 15, column: 15 },
      { code: "AEG406", line: 15, column: 30 },
    ]);
  });

  it("is not an error inside {{#if B.output}}, which tests whether B ran", () => {
    expect(diagnose(diamond("{{#if B.output}}{{B.output}}{{/if}}"))).toEqual([]);
    expect(diagnose(diamond("{{#unless B.score}}none{{else}}{{B.output}}{{/unless}}"))).toEqual([]);
  });

  it("is still an error in the {{else}} branch of that #if", () => {
    expect(diagnose(diamond("{{#if B.output}}ok{{else}}{{B.output}}{{/if}}"))).toEqual([
      { code: "AEG406", line: 15, column: 41 },
    ]);
  });

  it("applies to conditions, where it covers the whole path", () => {
    const text = workflow(`
      state A = agent bot {
        on score >= 0.5 -> B
        otherwise -> C
      }
      state B = agent bot {
        otherwise -> C
      }
      state C = agent bot {
        on B.score >= 0.5 -> DONE
        otherwise -> FAILED
      }
    `);
    const [d] = findings(text, "AEG406");
    expect(d).toMatchObject({ line: 12, column: 8, endColumn: 15 });
    expect(d!.message).toContain("on the path A → C");
  });

  it("reports a state reading its own result in its prompt", () => {
    const text = workflow(`
      state A = agent bot visits 3 {
        prompt "again: {{A.output}}"
        on score >= 0.8 -> DONE
        on failure -> FAILED
        otherwise -> A
      }
    `);
    expect(diagnose(text)).toEqual([{ code: "AEG406", line: 5, column: 22 }]);
    expect(findings(text, "AEG406")[0]!.hint).toContain("state.feedback");
  });

  it("lets the feedback of a state's transitions use that state's result", () => {
    const text = workflow(`
      state A = agent bot visits 3 {
        prompt "draft {{state.feedback}}"
        on score >= 0.8 -> DONE
        on failure -> FAILED
        otherwise -> A feedback "score {{A.score}}: {{A.reasoning}}"
      }
    `);
    expect(diagnose(text)).toEqual([]);
  });

  it("lets a retry target read the state that sent it back, after a loop", () => {
    const text = workflow(`
      state A = agent bot visits 3 {
        prompt "{{state.feedback}}"
        on success -> TEST
        otherwise -> FAILED
      }
      state TEST = run "make test" {
        on exit 0 -> REPORT
        otherwise -> A feedback "{{TEST.stderr}}"
      }
      state REPORT = agent bot {
        prompt "Summarise {{A.output}} and {{TEST.stdout}}"
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([]);
  });

  it("reports a read of a later state", () => {
    const text = workflow(`
      state A = agent bot {
        prompt "{{B.output}}"
        on success -> B
        otherwise -> FAILED
      }
      state B = agent bot {
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([{ code: "AEG406", line: 5, column: 15 }]);
    expect(findings(text, "AEG406")[0]!.message).toContain("when the workflow starts at 'A'");
  });
});

describe("AEG406 in the workflow's output", () => {
  const branchy = (output: string) =>
    workflow(`
      output "${output}"
      state A = agent bot {
        on score >= 0.5 -> B
        otherwise -> DONE
      }
      state B = agent bot {
        on success -> DONE
        otherwise -> FAILED
      }
    `);

  it("reports a state that a successful run may skip", () => {
    const text = branchy("{{A.output}} {{B.output}}");
    expect(diagnose(text)).toEqual([{ code: "AEG406", line: 4, column: 26 }]);
    expect(findings(text, "AEG406")[0]!.message).toContain("on the path A → DONE");
  });

  it("accepts states every successful run passes through, and guarded reads", () => {
    expect(diagnose(branchy("{{A.output}}"))).toEqual([]);
    expect(diagnose(branchy("{{#if B.output}}{{B.output}}{{else}}{{A.output}}{{/if}}"))).toEqual(
      [],
    );
  });
});

describe("AEG407 type mismatch", () => {
  const condition = (cond: string, extra = "") =>
    workflow(`
      ${extra}
      state A = agent bot {
        on ${cond} -> DONE
        otherwise -> FAILED
      }
    `);

  it.each([
    ["score", 6, 8, "a condition must be true or false, but 'score' is a number"],
    ['exit_code == "0"', 6, 8, "comparing a number with a string is always false"],
    ["success and score", 6, 20, "'and' needs true or false on both sides, not a number"],
    ["not score", 6, 12, "'not' needs true or false, not a number"],
    ["len(output, 2) > 0", 6, 8, "'len' takes 1 argument, not 2"],
    ['score between 0.5 and "high"', 6, 30, "'between' compares numbers, not a string"],
    ["confidence + reasoning > 1", 6, 8, "'+' adds two numbers or joins two strings"],
    ["exit_code contains 1", 6, 8, "'contains' needs text or a list on its left, not a number"],
  ])("`%s`", (cond, line, column, message) => {
    const text = condition(cond);
    expect(diagnose(text)).toEqual([{ code: "AEG407", line, column }]);
    expect(findings(text, "AEG407")[0]!.message).toContain(message);
  });

  it.each([
    "score >= 0.85",
    "score between 0.5 and 0.8",
    'output contains "LGTM"',
    'output matches "^ok"',
    'lower(reasoning) == "yes"',
    "not (success or timeout)",
    "duration > 5m",
    "exit 0",
    "exit nonzero",
    "len(reasoning) > 10",
    'startswith(reasoning, "ok")',
  ])("accepts `%s`", (cond) => {
    expect(diagnose(condition(cond))).toEqual([]);
  });

  it("accepts inputs of each type in conditions", () => {
    const text = condition(
      'input.lang in ["python", "rust"] and input.n > 2 and input.fast',
      "input lang: string\n      input n: number\n      input fast: boolean",
    );
    expect(diagnose(text)).toEqual([]);
  });

  it("requires a list after `foreach … in`", () => {
    const text = workflow(`
      input n: number
      state A = foreach item in input.n agent bot {
        prompt "{{item}}"
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([{ code: "AEG407", line: 5, column: 29 }]);
    expect(findings(text, "AEG407")[0]!.message).toBe(
      "foreach needs a list, but 'input.n' is a number",
    );
  });

  it("types a loop's `until` like a condition", () => {
    const text = workflow(`
      state A = loop agent bot max 3 until score {
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([{ code: "AEG407", line: 4, column: 40 }]);
  });
});

describe("AEG109 invalid regex", () => {
  it("checks patterns in `until` too", () => {
    const text = workflow(`
      state A = loop agent bot max 3 until output matches "(" {
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([{ code: "AEG109", line: 4, column: 56 }]);
    expect(findings(text, "AEG109")[0]!.message).toBe(
      "invalid regular expression: a '(' is not closed",
    );
  });
});

describe("AEG401 unknown variable", () => {
  it("reports an unknown function in a condition, at its name", () => {
    const text = workflow(`
      state A = agent bot {
        on length(reasoning) > 3 -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([{ code: "AEG401", line: 5, column: 8 }]);
    expect(findings(text, "AEG401")[0]!.message).toBe("unknown function 'length'");
  });

  it("suggests a field of the current state for a misspelled bare name", () => {
    const text = workflow(`
      state A = agent bot {
        on scor >= 0.8 -> DONE
        otherwise -> FAILED
      }
    `);
    // In a condition a bare name is read as a field of the state itself.
    expect(diagnose(text)).toEqual([{ code: "AEG404", line: 5, column: 8 }]);
    expect(findings(text, "AEG404")[0]!.hint).toBe("did you mean 'score'?");
  });

  it("locates names correctly after escapes, emoji and in indented multi-line strings", () => {
    const text = workflow(`
      state A = agent bot {
        prompt "a\\t\\"b\\" {{one}}"
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([{ code: "AEG401", line: 5, column: 24 }]);
    const emoji = workflow(`
      state A = agent bot {
        prompt "😀 \\u{1F600} {{two}}"
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    // Columns count UTF-16 code units: the emoji is 2, the escape 9 characters of source.
    expect(diagnose(emoji)).toEqual([{ code: "AEG401", line: 5, column: 28 }]);
    const multi = workflow(`
      state A = agent bot {
        prompt """
          line one
            indented {{three}}
          {{four}} \\
          joined {{five}}
        """
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(multi)).toEqual([
      { code: "AEG401", line: 7, column: 20 },
      { code: "AEG401", line: 8, column: 9 },
      { code: "AEG401", line: 9, column: 16 },
    ]);
  });

  it("locates names in a file with CRLF line breaks", () => {
    const text = workflow(`
      state A = agent bot {
        prompt """
          one
          two {{nobody}}
        """
        on success -> DONE
        otherwise -> FAILED
      }
    `).replaceAll("\n", "\r\n");
    expect(diagnose(text)).toEqual([{ code: "AEG401", line: 7, column: 13 }]);
  });
});

describe("AEG402–AEG405", () => {
  it("suggests the closest input", () => {
    const text = workflow(`
      input task: string
      state A = agent bot {
        prompt "do {{input.taks}}"
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(findings(text, "AEG402")[0]!.hint).toBe("did you mean 'task'?");
  });

  it("reports an unknown input in a condition, at the input's name", () => {
    const text = workflow(`
      input lang: string
      state A = agent bot {
        on input.language == "en" -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([{ code: "AEG402", line: 6, column: 14 }]);
  });

  it("resolves context keys through workflow.context as well", () => {
    const text = workflow(`
      context { lang: "en" }
      state A = agent bot {
        prompt "{{workflow.context.lang}} {{workflow.context.language}}"
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([{ code: "AEG403", line: 6, column: 41 }]);
  });

  it("reports fields that results of a kind of state do not have", () => {
    const text = workflow(`
      state A = agent bot {
        output { verdict: string, risk: number }
        on output.risk > 3 -> G
        on output.verdct == "ok" -> FAILED
        otherwise -> FAILED
      }
      state G = human {
        prompt "{{A.output.verdict}} {{A}} {{A.stdout}}"
        on approved -> DONE
        on rejected -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([
      { code: "AEG404", line: 7, column: 15 }, // verdct: not in the declared output shape
      { code: "AEG404", line: 11, column: 36 }, // {{A}}: a state, not a field
      { code: "AEG404", line: 11, column: 42 }, // an agent state has no stdout
    ]);
    expect(findings(text, "AEG404")[0]!.hint).toBe("did you mean 'verdict'?");
  });

  it("reports a field of a list other than an index or length", () => {
    const text = workflow(`
      input files: list<string>
      state A = agent bot {
        prompt "{{input.files.length}} {{input.files.first}}"
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([{ code: "AEG404", line: 6, column: 38 }]);
  });

  it("reports unknown block helpers too", () => {
    const text = workflow(`
      state A = agent bot {
        prompt "{{#iff state.feedback}}{{state.feedback}}{{/iff}}"
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([{ code: "AEG405", line: 5, column: 16 }]);
  });
});

describe("AEG408 unknown secret", () => {
  it("suggests the declared secret", () => {
    const text = workflow(
      `
      secret TOKEN
      state A = run "deploy" {
        env { T: "{{secrets.TOKN}}" }
        on exit 0 -> DONE
        otherwise -> FAILED
      }
    `,
      { agent: false },
    );
    expect(findings(text, "AEG408")[0]!.hint).toBe("did you mean 'TOKEN'?");
  });
});

describe("AEG409 not available here", () => {
  const gate = (prompt: string, reject: string) =>
    workflow(`
      state A = agent bot visits 3 {
        prompt "draft {{state.feedback}}"
        on success -> GATE
        otherwise -> FAILED
      }
      state GATE = human {
        prompt "${prompt}"
        on approved -> DONE
        on rejected -> A feedback "${reject}"
      }
    `);

  it("allows human.* in a human state's transitions", () => {
    expect(diagnose(gate("Ship {{A.output}}?", "{{human.feedback}} ({{human.approver}})"))).toEqual(
      [],
    );
  });

  it("reports human.* in the human state's own prompt", () => {
    const text = gate("Ship? {{human.feedback}}", "{{human.feedback}}");
    expect(diagnose(text)).toEqual([{ code: "AEG409", line: 10, column: 21 }]);
    expect(findings(text, "AEG409")[0]!.hint).toContain("GATE.response");
  });

  it("reports human.* in another state's transitions", () => {
    const text = workflow(`
      state A = agent bot visits 2 {
        on success -> DONE
        on timeout -> FAILED
        otherwise -> A feedback "{{human.feedback}}"
      }
    `);
    expect(diagnose(text)).toEqual([{ code: "AEG409", line: 7, column: 32 }]);
  });

  it("lets later states name the gate's result instead", () => {
    const text = workflow(
      `
      state G = human {
        prompt "What should we build?"
        on approved -> A
        on rejected -> FAILED
      }
      state A = agent bot {
        prompt "Build {{G.feedback}} ({{G.response}}, by {{G.approver}})"
        on success -> DONE
        otherwise -> FAILED
      }
    `,
      { start: "G" },
    );
    expect(diagnose(text)).toEqual([]);
  });

  it("reports state.* in the workflow's output", () => {
    const text = workflow(`
      output "{{state.feedback}}"
      state A = agent bot {
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([{ code: "AEG409", line: 4, column: 13 }]);
  });

  it("reports `previous` outside a loop state, and allows it inside one", () => {
    const body = (kind: string) =>
      workflow(`
        state A = ${kind} {
          prompt "{{iteration}}/{{max_iterations}}: {{previous}}"
          on success -> DONE
          otherwise -> FAILED
        }
      `);
    expect(diagnose(body("agent bot"))).toEqual([
      { code: "AEG409", line: 5, column: 15 },
      { code: "AEG409", line: 5, column: 29 },
      { code: "AEG409", line: 5, column: 49 },
    ]);
    expect(diagnose(body('loop agent bot max 3 until output contains "DONE"'))).toEqual([]);
  });

  it("allows a foreach item and index in the foreach state's prompt", () => {
    const text = workflow(`
      input files: list<string>
      state A = foreach file in input.files agent bot concurrency 2 {
        prompt "Review {{file}} ({{index}})"
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([]);
  });

  // Regression (fixed): `index` outside a foreach state is reported as AEG401 "'index' is not defined"
  // with the hint "did you mean 'index'?", instead of AEG409 like `iteration` and
  // `previous` outside a loop state.
  it("reports `index` outside a foreach state as not available here", () => {
    const text = workflow(`
      state A = agent bot {
        prompt "item {{index}}"
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([{ code: "AEG409", line: 5, column: 20 }]);
  });
});

describe("a judge's `output`", () => {
  const judged = (kind: "agent worker" | "parallel") => `workflow t {
  agent worker
  agent critic
  start A
  state A = ${kind} {
    prompt "write"
    judge critic prompt "Review: {{output}}"
    consensus { strategy: majority, threshold: 0.5 }
    on success -> DONE
    otherwise -> FAILED
  }
  final DONE
  final FAILED failure
}`;

  it("is the answer under judgement in an agent state's judge prompt", () => {
    expect(findings(judged("agent worker"), "AEG401")).toEqual([]);
  });

  it("is not a name in a parallel state's judge prompt (judges answer the prompt there)", () => {
    expect(findings(judged("parallel"), "AEG401")).toHaveLength(1);
  });
});
