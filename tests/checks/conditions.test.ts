// Conditions, reasoned about (src/compiler/abstract.ts, src/compiler/checks/conditions.ts):
// a condition that can never be true (AEG211), a transition that earlier ones leave no case
// for (AEG204), a cycle whose exits can never fire (AEG302), and a comparison with literals
// none of a value's declared values equals (AEG407) — in .aegis files and in both YAML
// dialects, with the same code and severity in each.
import { describe, expect, it } from "vitest";
import type { Diagnostic } from "../../src/compiler/diagnostics.ts";
import {
  compileSource,
  dedent,
  diagnose,
  findings,
  positionOf,
  type WorkflowOptions,
  workflow,
} from "../helpers/compile.ts";
import { checkTriggers, type TriggerCase } from "../helpers/triggers.ts";
import { agentos, compileYaml, manifest } from "../helpers/yaml.ts";

/** A workflow around one agent state A whose transitions are `lines`. */
function agentState(lines: string, opts: WorkflowOptions & { extra?: string } = {}): string {
  return workflow(`${opts.extra ? `${opts.extra}\n` : ""}state A = agent bot {\n${lines}\n}`, opts);
}

/** The one finding with `code`, in full. */
function only(text: string, code: string): Diagnostic {
  const list = compileSource(text).diagnostics.filter((d) => d.code === code);
  expect(list.map((d) => `${d.code} ${d.line}:${d.column} ${d.message}`)).toHaveLength(1);
  return list[0]!;
}

describe("catalogue: AEG302 and AEG407 for conditions that can never hold", () => {
  const cases: TriggerCase[] = [
    {
      code: "AEG302",
      title: "a cycle whose only exit can never be true",
      trigger: workflow(`
        state A = agent bot visits 3 {
          otherwise -> B
        }
        state B = agent bot visits 3 {
          on score > 1 -> DONE
          otherwise -> A
        }
      `),
      at: "4:9",
      also: ["AEG211 8:8", "AEG205 12:9"],
      clean: workflow(`
        state A = agent bot visits 3 {
          otherwise -> B
        }
        state B = agent bot visits 3 {
          on score > 0.9 -> DONE
          otherwise -> A
        }
      `),
      cleanAlso: ["AEG205 12:9"],
    },
    {
      code: "AEG407",
      title: "an input of a literal union compared with a value it cannot have",
      trigger: workflow(
        `
        input language: "python" | "typescript" | "go"
        state A = branch {
          on input.language == "javascript" -> DONE
          otherwise -> FAILED
        }
      `,
        { agent: false },
      ),
      at: "6:8",
      clean: workflow(
        `
        input language: "python" | "typescript" | "go"
        state A = branch {
          on input.language == "typescript" -> DONE
          otherwise -> FAILED
        }
      `,
        { agent: false },
      ),
    },
  ];
  checkTriggers(cases);
});

describe("AEG211 a condition that can never be true", () => {
  it.each([
    ["score >= 0.85 and score < 0.6", "score cannot be both >= 0.85 and < 0.6"],
    ["score between 0.95 and 0.75", "its lower bound 0.95 is above its upper bound 0.75"],
    ["exit_code == 0 and exit_code != 0", "exit_code cannot be both == 0 and != 0"],
    ["score > 1", "score is from 0 to 1"],
    ["confidence < 0", "confidence is from 0 to 1"],
    ["visits == 0", "visits is at least 1"],
    ["state.visits < 1", "state.visits is at least 1"],
    ["len(output) < 0", "len(output) is never negative"],
    ["success and failure", "`success` and `failure` cannot both be true"],
    ["timeout and not failure", "`timeout` and `not failure` cannot both be true"],
    // `not a > b` is `not (a > b)`; messages print conditions canonically.
    ["score > 0.5 and not score > 0.2", "score cannot be both > 0.5 and <= 0.2"],
    [
      'output contains "LGTM" and not output contains "LGTM"',
      '`output contains "LGTM"` and `not output contains "LGTM"` cannot both be true',
    ],
    [
      "score > 1 or confidence > 1",
      "`score > 1`: score is from 0 to 1; `confidence > 1`: confidence is from 0 to 1",
    ],
    ["score in [2, 3]", "score is from 0 to 1"],
  ])("`%s`, at the condition, saying why", (condition, why) => {
    const text = agentState(`  on ${condition} -> DONE\n  otherwise -> FAILED`);
    const d = only(text, "AEG211");
    expect([d.line, d.column, d.severity]).toEqual([5, 8, "error"]);
    expect(d.endColumn).toBe(8 + condition.length);
    expect(d.message).toBe(`\`${condition}\` can never be true: ${why}`);
    expect(d.rule).toBe("never-true-condition");
    // Nothing else: not also a shadowed transition, nor a type error.
    expect(diagnose(text).map((x) => x.code)).toEqual(["AEG211"]);
  });

  it.each([
    "score >= 0.85 or score < 0.6",
    "score between 0.75 and 0.95",
    "score >= 1",
    "score between 0 and 1",
    "confidence <= 0",
    "visits == 1",
    "len(output) == 0",
    "success or failure",
    "timeout and failure",
    "exit_code == 2",
    // An agent's exit code is what its reply says, not a process's whole number.
    "exit_code == 0.5",
    "score != score",
    'output contains "LGTM" and not (output contains "lgtm")',
  ])("not `%s`", (condition) => {
    const text = agentState(`  on ${condition} -> DONE\n  otherwise -> FAILED`);
    expect(diagnose(text).filter((d) => d.code === "AEG211")).toEqual([]);
  });

  it("knows a process's exit code is a whole number", () => {
    const text = workflow(`
      state A = run "make" {
        on exit_code > 1 and exit_code < 2 -> DONE
        otherwise -> FAILED
      }
    `);
    expect(only(text, "AEG211").message).toBe(
      "`exit_code > 1 and exit_code < 2` can never be true: exit_code cannot be both > 1 and < 2: exit_code is a whole number",
    );
  });

  it("reads another state's fields, and inputs' declared types", () => {
    const text = workflow(`
      input retries: integer = 1
      state A = agent bot {
        on success -> B
        otherwise -> FAILED
      }
      state B = branch {
        on A.score > 1 -> DONE
        on input.retries > 1 and input.retries < 2 -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([
      { code: "AEG211", line: 10, column: 8 },
      { code: "AEG211", line: 11, column: 8 },
    ]);
    expect(findings(text, "AEG211").map((d) => d.message)).toEqual([
      "`A.score > 1` can never be true: A.score is from 0 to 1",
      "`input.retries > 1 and input.retries < 2` can never be true: input.retries cannot be both > 1 and < 2: input.retries is a whole number",
    ]);
  });

  it("reports a loop's `until` that can never be true", () => {
    const text = workflow(`
      state A = loop agent bot max 4 until score > 1 {
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    const d = only(text, "AEG211");
    expect([d.line, d.column]).toEqual([4, 40]);
    expect(d.message).toBe(
      "`score > 1` can never be true: score is from 0 to 1; the loop always runs all its 4 attempts",
    );
  });

  it("leaves `on false` alone: it says it never fires", () => {
    const text = agentState("  on false -> DONE\n  otherwise -> FAILED");
    expect(diagnose(text)).toEqual([]);
  });

  it("reports a comparison's type error once, not also as a condition that is never true", () => {
    const number = agentState('  on score == "high" -> DONE\n  otherwise -> FAILED');
    expect(diagnose(number)).toEqual([{ code: "AEG407", line: 5, column: 8 }]);
    const flag = agentState("  on success == 1 -> DONE\n  otherwise -> FAILED");
    expect(diagnose(flag)).toEqual([{ code: "AEG407", line: 5, column: 8 }]);
    const input = agentState(
      '  on input.lang == "js" and score > 0.5 -> DONE\n  otherwise -> FAILED',
      {
        extra: 'input lang: "py" | "go"',
      },
    );
    expect(diagnose(input)).toEqual([{ code: "AEG407", line: 6, column: 8 }]);
  });

  it("reports both when the condition is never true for another reason too", () => {
    const text = agentState(
      '  on input.lang == "js" and score > 1 -> DONE\n  otherwise -> FAILED',
      {
        extra: 'input lang: "py" | "go"',
      },
    );
    expect(diagnose(text)).toEqual([
      { code: "AEG211", line: 6, column: 8 },
      { code: "AEG407", line: 6, column: 8 },
    ]);
    expect(only(text, "AEG211").message).toBe(
      '`input.lang == "js" and score > 1` can never be true: score is from 0 to 1',
    );
  });
});

describe("AEG204 a transition earlier ones leave no case for", () => {
  it("is an error after conditions that together always match, naming them", () => {
    const text = agentState("  on success -> DONE\n  on failure -> FAILED\n  otherwise -> DONE");
    const d = only(text, "AEG204");
    expect([d.line, d.column, d.severity]).toEqual([7, 5, "error"]);
    expect(d.message).toBe(
      "this transition can never fire: the transitions before it (`success`, `failure`) together always match",
    );
    expect(d.related.map((r) => `${r.line}:${r.column}`)).toEqual(["5:5", "6:5"]);
  });

  it("knows which values a state's own fields always have", () => {
    const visits = agentState(
      "  on visits >= 3 -> DONE\n  on visits < 3 -> FAILED\n  otherwise -> DONE",
    );
    expect(diagnose(visits)).toEqual([{ code: "AEG204", line: 7, column: 5 }]);
    const exit = workflow(
      `
      state A = run "make" {
        on exit 0 -> DONE
        on exit nonzero -> FAILED
        otherwise -> DONE
      }
    `,
      { agent: false },
    );
    expect(diagnose(exit)).toEqual([{ code: "AEG204", line: 7, column: 5 }]);
    const input = agentState(
      '  on input.mode == "a" -> DONE\n  on input.mode == "b" -> FAILED\n  otherwise -> DONE',
      { extra: 'input mode: "a" | "b"' },
    );
    expect(diagnose(input)).toEqual([{ code: "AEG204", line: 8, column: 5 }]);
  });

  it("leaves a case for `otherwise` when a value may be missing", () => {
    // An agent need not report a score; an optional input may not be given.
    const score = agentState(
      "  on score >= 0.5 -> DONE\n  on score < 0.5 -> FAILED\n  otherwise -> DONE",
    );
    expect(diagnose(score)).toEqual([]);
    const input = agentState(
      '  on input.mode == "a" -> DONE\n  on input.mode == "b" -> FAILED\n  otherwise -> DONE',
      { extra: 'input mode?: "a" | "b"' },
    );
    expect(diagnose(input)).toEqual([]);
  });

  it("is a warning for a transition whose every case an earlier one takes", () => {
    const text = agentState(
      "  on score >= 0.5 -> DONE\n  on score < 0.5 -> FAILED\n  on score > 0.9 -> DONE\n  otherwise -> FAILED",
    );
    const d = only(text, "AEG204");
    expect([d.line, d.column, d.severity]).toEqual([7, 5, "warning"]);
    expect(d.message).toBe(
      "this transition can never fire: whenever `score > 0.9` holds, an earlier transition is taken (`score >= 0.5`)",
    );
    expect(d.related.map((r) => `${r.line}:${r.column} ${r.message}`)).toEqual(["5:5 taken first"]);
    // `timeout` is a failure: after `on failure`, it never fires; before, it does.
    const timeout = agentState(
      "  on failure -> FAILED\n  on timeout -> FAILED\n  otherwise -> DONE",
    );
    expect(findings(timeout, "AEG204").map((x) => `${x.line}:${x.column} ${x.severity}`)).toEqual([
      "6:5 warning",
    ]);
    const first = agentState("  on timeout -> FAILED\n  on failure -> FAILED\n  otherwise -> DONE");
    expect(diagnose(first)).toEqual([]);
  });

  it("keeps the message of a transition after an unconditional one", () => {
    const text = agentState("  otherwise -> DONE\n  on score > 0.5 -> FAILED");
    const d = only(text, "AEG204");
    expect(d.severity).toBe("error");
    expect(d.message).toBe(
      "this transition can never fire: the one before it ('otherwise') always matches",
    );
  });
});

describe("AEG302 a cycle whose exits can never fire", () => {
  /** A → B → A, whose one exit is B's `on EXIT -> DONE` (there is no FAILED). */
  const loop = (exit: string, extra = "") =>
    workflow(
      `
      state A = agent bot visits 3 {
        otherwise -> B
      }
      state B = agent bot visits 3 {
        ${extra}on ${exit} -> DONE
        otherwise -> A
      }
      final DONE
    `,
      { finals: false },
    );

  it("names the exit that cannot fire, and why", () => {
    const d = only(loop("score > 1"), "AEG302");
    expect([d.line, d.column, d.severity]).toEqual([4, 9, "error"]);
    expect(d.message).toBe(
      "cycle A → B → A has no exit that can fire, so once entered the run can only stop at a limit: B → DONE (`score > 1`) can never be true: score is from 0 to 1",
    );
    expect(d.related.map((r) => `${r.line}:${r.column} ${r.message}`)).toEqual([
      "8:5 an exit that can never be true: score is from 0 to 1",
      "7:9 part of the cycle",
    ]);
  });

  it("counts an exit that earlier transitions shadow as no exit", () => {
    const text = workflow(`
      state A = agent bot visits 3 {
        otherwise -> B
      }
      state B = agent bot visits 3 {
        on success -> A
        on failure -> A
        otherwise -> DONE
      }
    `);
    expect(diagnose(text)).toEqual([
      { code: "AEG302", line: 4, column: 9 },
      { code: "AEG204", line: 10, column: 5 },
      { code: "AEG205", line: 13, column: 9 },
    ]);
    expect(only(text, "AEG302").message).toContain(
      "B → DONE (`otherwise`) can never fire: the transitions before it (`success`, `failure`) together always match",
    );
  });

  it("is reported without a visit limit instead of the unbounded cycle (AEG301)", () => {
    const text = workflow(`
      state A = agent bot {
        otherwise -> B
      }
      state B = agent bot {
        on visits == 0 -> DONE
        otherwise -> A
      }
    `);
    expect(
      diagnose(text)
        .map((d) => d.code)
        .sort(),
    ).toEqual(["AEG205", "AEG211", "AEG302"]);
    expect(findings(text, "AEG301")).toEqual([]);
  });

  it("finds the cycle that transitions which can fire make, inside a larger one", () => {
    // B → C can never fire, so C's exit is out of reach: A → B → A has no exit.
    const text = workflow(`
      state A = agent bot visits 3 {
        otherwise -> B
      }
      state B = agent bot visits 3 {
        on score < 0 -> C
        otherwise -> A
      }
      state C = agent bot visits 3 {
        on success -> DONE
        otherwise -> A
      }
    `);
    const d = only(text, "AEG302");
    expect(d.message).toContain("cycle A → B → A has no exit that can fire");
    expect(d.message).toContain("B → C (`score < 0`) can never be true");
  });

  it("is not reported while one exit can fire", () => {
    expect(diagnose(loop("score > 0.9"))).toEqual([]);
    expect(diagnose(loop("score > 1", "on failure -> DONE\n        "))).toEqual([
      { code: "AEG211", line: 9, column: 8 },
    ]);
  });

  it("leaves the worst case as it was: dead exits only remove paths", () => {
    const dead = compileSource(loop("score > 1"));
    const live = compileSource(loop("score > 0.9"));
    expect(dead.worstCase).toEqual(live.worstCase);
  });
});

describe("AEG407 values that cannot overlap", () => {
  const withInput = (type: string, condition: string) =>
    workflow(
      `
      input x: ${type}
      state A = branch {
        on ${condition} -> DONE
        otherwise -> FAILED
      }
    `,
      { agent: false },
    );

  it("says why, at the comparison, once", () => {
    const text = withInput('"python" | "typescript" | "go"', 'input.x == "pyhton"');
    const d = only(text, "AEG407");
    expect([d.line, d.column, d.endColumn, d.severity]).toEqual([6, 8, 27, "error"]);
    expect(d.message).toBe(
      '`input.x == "pyhton"` is always false: input.x is one of "python", "typescript", "go"',
    );
    expect(d.hint).toBe("did you mean 'python'?");
    expect(diagnose(text).map((x) => x.code)).toEqual(["AEG407"]);
  });

  it.each([
    ['"a" | "b"', 'input.x != "c"', "is always true"],
    ['"a" | "b"', 'input.x in ["c", "d"]', "is always false"],
    ["1 | 2 | 3", "input.x == 4", "is always false"],
    ['"a" | "b"', 'input.x == "c" or input.x == "a"', "is always false"],
  ])("%s: `%s` %s", (type, condition, always) => {
    const d = only(withInput(type, condition), "AEG407");
    expect(d.message).toContain(always);
  });

  it.each([
    ['"a" | "b"', 'input.x == "a"'],
    ['"a" | "b"', 'input.x in ["c", "a"]'],
    ["1 | 2 | 3", "input.x == 3"],
    ["string", 'input.x == "c"'],
  ])("not %s with `%s`", (type, condition) => {
    expect(diagnose(withInput(type, condition))).toEqual([]);
  });

  it("knows a state's status", () => {
    const text = agentState('  on status == "success" -> DONE\n  otherwise -> FAILED');
    const d = only(text, "AEG407");
    expect(d.message).toBe(
      '`status == "success"` is always false: status is one of "succeeded", "failed", "timed_out", "skipped"',
    );
    expect(d.hint).toBe(
      "test `success` (succeeded or skipped), `failure` (failed or timed out), `timeout` or `skipped` instead",
    );
    expect(diagnose(agentState('  on status == "skipped" -> DONE\n  otherwise -> FAILED'))).toEqual(
      [],
    );
  });

  it("leaves values of different types to the type check, reported once", () => {
    const text = withInput('"a" | "b"', "input.x == 1");
    expect(findings(text, "AEG407").map((d) => d.message)).toEqual([
      "comparing a string with a number is always false",
    ]);
  });
});

describe("the same findings in the YAML dialects", () => {
  /** The code, line, column and severity of each finding with one of `codes`. */
  const found = (r: ReturnType<typeof compileYaml>, ...codes: string[]) =>
    r.diagnostics
      .filter((d) => codes.includes(d.code))
      .map((d) => `${d.code} ${d.line}:${d.column} ${d.severity}`);

  /** Where the `nth` `needle` is in `text`, as found() writes it. */
  const at = (text: string, needle: string, nth = 0) => {
    const p = positionOf(text, needle, nth);
    return `${p.line}:${p.column}`;
  };

  /** State lines, then a final System state DONE (for manifest()). */
  const withDone = (body: string) =>
    `${dedent(body)}\nDONE:\n  kind: System\n  command: "echo done"\n  transitions: []`;

  describe("AEG211", () => {
    it("in .aegis", () => {
      const text = agentState("  on score >= 1.5 -> DONE\n  otherwise -> FAILED");
      expect(only(text, "AEG211").severity).toBe("error");
      expect(only(text, "AEG211").message).toBe(
        "`score >= 1.5` can never be true: score is from 0 to 1",
      );
    });

    it("in an AEGIS manifest: score_above, score_between, custom", () => {
      const text = manifest(
        withDone(`
        A:
          kind: Agent
          agent: bot
          transitions:
            - condition: score_above
              threshold: 1.5
              target: DONE
            - condition: score_between
              min: 0.9
              max: 0.2
              target: DONE
            - condition: custom
              expression: "state_output.score < 0"
              target: DONE
            - condition: always
              target: DONE
        `),
      );
      const r = compileYaml(text);
      expect(found(r, "AEG211")).toEqual([
        `AEG211 ${at(text, "score_above")} error`,
        `AEG211 ${at(text, "score_between")} error`,
        `AEG211 ${at(text, "state_output.score")} error`,
      ]);
      const messages = r.diagnostics.filter((d) => d.code === "AEG211").map((d) => d.message);
      expect(messages).toEqual([
        "`score >= 1.5` can never be true: score is from 0 to 1",
        "`score between 0.9 and 0.2` can never be true: its lower bound 0.9 is above its upper bound 0.2",
        "`state_output.score < 0` can never be true: state_output.score is from 0 to 1",
      ]);
    });

    it("in an AgentOS workflow: a conditional step's condition and a loop's until", () => {
      const text = agentos(`
        - name: Check
        - name: Fix
          mode: conditional
          condition: "{{previous_step.score}} >= 1.5"
        - name: Polish
          mode: loop
          maxIterations: 3
          until: "score > 2"
      `);
      const r = compileYaml(text);
      expect(found(r, "AEG211")).toEqual([
        // The value as the front end rewrote it: from its opening quote.
        `AEG211 ${at(text, '"{{previous_step.score}}')} error`,
        `AEG211 ${at(text, '"score > 2"')} error`,
      ]);
      expect(r.diagnostics.find((d) => d.code === "AEG211")!.message).toBe(
        "`CHECK.score >= 1.5` can never be true: CHECK.score is from 0 to 1",
      );
    });

    it("not for conditions that can hold", () => {
      const r = compileYaml(
        manifest(
          withDone(`
          A:
            kind: Agent
            agent: bot
            transitions:
              - condition: score_above
                threshold: 0.8
                target: DONE
              - condition: score_below
                threshold: 0.8
                target: DONE
        `),
        ),
      );
      expect(found(r, "AEG211", "AEG204", "AEG407", "AEG302")).toEqual([]);
      const a = compileYaml(
        agentos(`
          - name: Check
          - name: Fix
            mode: conditional
            condition: "{{previous_step.score}} >= 0.5"
        `),
      );
      expect(found(a, "AEG211", "AEG204", "AEG407", "AEG302")).toEqual([]);
    });
  });

  describe("AEG204", () => {
    it("in .aegis and an AEGIS manifest: `always` after on_success and on_failure is an error", () => {
      const aegis = agentState("  on success -> DONE\n  on failure -> FAILED\n  otherwise -> DONE");
      expect(diagnose(aegis)).toEqual([{ code: "AEG204", line: 7, column: 5 }]);
      expect(only(aegis, "AEG204").severity).toBe("error");
      const text = manifest(
        withDone(`
          A:
            kind: Agent
            agent: bot
            transitions:
              - condition: on_success
                target: DONE
              - condition: on_failure
                target: DONE
              - condition: always
                target: DONE
        `),
      );
      const r = compileYaml(text);
      // At the transition (its mapping), as for .aegis.
      expect(found(r, "AEG204")).toEqual([`AEG204 ${at(text, "condition: always")} error`]);
      expect(r.diagnostics.find((d) => d.code === "AEG204")!.message).toBe(
        only(aegis, "AEG204").message,
      );
    });

    it("in .aegis and an AEGIS manifest: a threshold an earlier one covers is a warning", () => {
      const aegis = agentState(
        "  on score >= 0.5 -> DONE\n  on score >= 0.9 -> DONE\n  on score < 0.5 -> DONE\n  otherwise -> FAILED",
      );
      expect(findings(aegis, "AEG204").map((d) => `${d.line}:${d.column} ${d.severity}`)).toEqual([
        "6:5 warning",
      ]);
      const text = manifest(
        withDone(`
          A:
            kind: Agent
            agent: bot
            transitions:
              - condition: score_above
                threshold: 0.5
                target: DONE
              - condition: score_above
                threshold: 0.9
                target: DONE
              - condition: score_below
                threshold: 0.5
                target: DONE
        `),
      );
      const r = compileYaml(text);
      expect(found(r, "AEG204")).toEqual([
        `AEG204 ${at(text, "condition: score_above", 1)} warning`,
      ]);
    });
  });

  describe("AEG302", () => {
    it("in .aegis and an AEGIS manifest: a loop whose exit threshold no score reaches", () => {
      const aegis = workflow(
        `
        state A = agent bot visits 3 {
          on score >= 1.5 -> DONE
          on always -> A
        }
        final DONE
      `,
        { finals: false },
      );
      expect(diagnose(aegis)).toEqual([
        { code: "AEG302", line: 4, column: 9 },
        { code: "AEG211", line: 5, column: 8 },
      ]);
      const message =
        "cycle A → A has no exit that can fire, so once entered the run can only stop at a limit: A → DONE (`score >= 1.5`) can never be true: score is from 0 to 1";
      expect(only(aegis, "AEG302").message).toBe(message);
      // A manifest's state goes on to COMPLETED when no transition holds: `always` takes that
      // case here, so the loop's only exit is the threshold.
      const text = manifest(
        withDone(`
          A:
            kind: Agent
            agent: bot
            transitions:
              - condition: score_above
                threshold: 1.5
                target: DONE
              - condition: always
                target: A
        `),
      );
      const r = compileYaml(text);
      expect(found(r, "AEG302", "AEG211")).toEqual([
        `AEG302 ${at(text, "A:")} error`,
        `AEG211 ${at(text, "score_above")} error`,
      ]);
      expect(r.diagnostics.find((d) => d.code === "AEG302")!.message).toBe(message);
    });

    it("not in an AEGIS manifest whose state goes on when no transition holds", () => {
      const r = compileYaml(
        manifest(
          withDone(`
          A:
            kind: Agent
            agent: bot
            transitions:
              - condition: score_above
                threshold: 1.5
                target: DONE
              - condition: score_below
                threshold: 1.5
                target: A
        `),
        ),
      );
      expect(found(r, "AEG302", "AEG301")).toEqual([]);
    });
  });

  describe("AEG407", () => {
    it("in .aegis, an AEGIS manifest and an AgentOS workflow: a status no state has", () => {
      const aegis = workflow(
        `
        state CHECK = agent bot {
          on success -> FIX
          otherwise -> FAILED
        }
        state FIX = branch {
          on CHECK.status == "success" -> DONE
          otherwise -> FAILED
        }
      `,
        { start: "CHECK" },
      );
      const d = only(aegis, "AEG407");
      expect([d.line, d.column, d.severity]).toEqual([9, 8, "error"]);

      const text = manifest(
        withDone(`
          A:
            kind: Agent
            agent: bot
            transitions:
              - condition: custom
                expression: 'state_output.status == "success"'
                target: DONE
              - condition: always
                target: DONE
        `),
      );
      const m = compileYaml(text);
      expect(found(m, "AEG407", "AEG211")).toEqual([
        `AEG407 ${at(text, "state_output.status")} error`,
      ]);

      const flow = agentos(`
        - name: Check
        - name: Fix
          mode: conditional
          condition: "{{previous_step.status}} == 'success'"
      `);
      const a = compileYaml(flow);
      expect(found(a, "AEG407", "AEG211")).toEqual([
        `AEG407 ${at(flow, '"{{previous_step.status}}')} error`,
      ]);
    });

    it("in .aegis and an AEGIS manifest: an enumeration", () => {
      const aegis = workflow(
        `
        input language: "python" | "typescript" | "go"
        state A = branch {
          on input.language == "javascript" -> DONE
          otherwise -> FAILED
        }
      `,
        { agent: false },
      );
      const message =
        '`input.language == "javascript"` is always false: input.language is one of "python", "typescript", "go"';
      expect(only(aegis, "AEG407").message).toBe(message);
      const text = manifest(
        withDone(`
          A:
            kind: Agent
            agent: bot
            transitions:
              - condition: custom
                expression: 'input.language == "javascript"'
                target: DONE
              - condition: always
                target: DONE
        `),
        {
          metadata: `
            input_schema:
              type: object
              properties:
                language:
                  type: string
                  enum: [python, typescript, go]
              required: [language]
          `,
        },
      );
      const r = compileYaml(text);
      expect(found(r, "AEG407", "AEG211")).toEqual([`AEG407 ${at(text, "input.language")} error`]);
      expect(r.diagnostics.find((x) => x.code === "AEG407")!.message).toBe(message);
    });
  });
});
