// Syntax and values (AEG100–AEG111): lexing, parsing with recovery, escapes, templates,
// value types, keys, duplicates, types, regular expressions, misplaced and missing parts.
import { describe, expect, it } from "vitest";
import {
  compileSource,
  diagnose,
  diagnoseCode,
  findings,
  source,
  workflow,
} from "../helpers/compile.ts";
import { checkTriggers } from "../helpers/triggers.ts";
import { syntaxCases } from "./cases/syntax.ts";

describe("catalogue: syntax and values (AEG100–AEG111)", () => {
  checkTriggers(syntaxCases);
});

describe("parser recovery", () => {
  it("reports three separate syntax errors of one file, each at its token", () => {
    const text = source(`
      workflow w {
        agent bot = claude()
        start A
        state A = agent bot timeout {
          on success -> B
        }
        state B = agent bot {
          on success => DONE
        }
        input x: = 3
        final DONE
      }
    `);
    expect(diagnose(text)).toEqual([
      { code: "AEG101", line: 4, column: 31 }, // `{` where the duration should be
      { code: "AEG101", line: 8, column: 16 }, // `=` of `=>`
      { code: "AEG101", line: 10, column: 12 }, // `=` where the type should be
    ]);
    const messages = findings(text, "AEG101").map((d) => d.message);
    expect(messages[0]).toContain("expected a duration");
    expect(messages[1]).toContain("expected '->'");
    expect(messages[2]).toContain("expected a type");
  });

  it("keeps going after an unknown statement in a state body and after a lexer error", () => {
    const text = source(`
      workflow w {
        agent bot = claude()
        start A
        state A = agent bot {
          promt "hi"
          on success -> B
        }
        state B = agent bot {
          prompt "x" ~
          on success -> C
        }
        state C = agent bot visits three {
          on success -> DONE
        }
        final DONE
      }
    `);
    expect(diagnose(text)).toEqual([
      { code: "AEG101", line: 5, column: 5 },
      { code: "AEG100", line: 9, column: 16 },
      { code: "AEG101", line: 12, column: 30 },
    ]);
  });

  it("recovers from a misspelled workflow item and still reports later errors", () => {
    const text = source(`
      workflow w {
        agnet bot = claude()
        start A
        state A = agent bot timeout {
          on success -> DONE
        }
        state B = agent bot {
          on success => DONE
        }
        final DONE
      }
    `);
    expect(diagnose(text)).toEqual([
      { code: "AEG101", line: 2, column: 3 }, // `agnet`, read as `agent`
      { code: "AEG101", line: 4, column: 31 },
      { code: "AEG205", line: 7, column: 9 }, // B is reached from nowhere, broken or not
      { code: "AEG101", line: 8, column: 16 },
    ]);
    expect(findings(text, "AEG101")[0]!.message).toBe(
      "unknown keyword 'agnet'; did you mean 'agent'?",
    );
  });

  it("reports a missing closing brace at the end of the file", () => {
    const text = "workflow w {\n  start DONE\n  final DONE\n";
    expect(diagnose(text)).toEqual([{ code: "AEG101", line: 4, column: 1 }]);
    expect(findings(text, "AEG101")[0]!.message).toContain("unexpected end of file");
  });

  it("suggests `otherwise` for `else`", () => {
    const text = workflow(`
      state A = agent bot {
        on success -> DONE
        else -> FAILED
      }
    `);
    const [error] = findings(text, "AEG101");
    expect(error).toMatchObject({ line: 6, column: 5 });
    expect(error!.hint).toContain("otherwise -> STATE");
  });

  it("explains what a condition looks like", () => {
    const text = workflow(`
      state A = agent bot {
        on -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([{ code: "AEG101", line: 5, column: 8 }]);
    expect(findings(text, "AEG101")[0]!.message).toContain("expected a condition");
  });

  it("runs the semantic checks on what parsed, with no echoes of the hole", () => {
    const text = workflow(`
      state A = agent bot timeout {
        on success -> NOWHERE
      }
    `);
    // The missing duration is the syntax error; the unknown target, and the final states
    // nothing leads to, are there whatever the duration was.
    expect(diagnose(text)).toEqual([
      { code: "AEG101", line: 4, column: 31 },
      { code: "AEG201", line: 5, column: 19 },
      { code: "AEG205", line: 7, column: 9 },
      { code: "AEG205", line: 8, column: 9 },
    ]);
    expect(compileSource(text).ok).toBe(false);
  });

  // Regression (fixed): an unterminated string is reported twice: once as "unterminated string" at the
  // quote, and again as "unexpected 'hi'; expected a string" for the text after it.
  it("reports an unterminated string once, at its opening quote", () => {
    const text = workflow(`
      state A = agent bot {
        prompt "hi
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([{ code: "AEG101", line: 5, column: 12 }]);
  });

  it("reports an unterminated string at its opening quote, with a hint", () => {
    const text = workflow(`
      state A = agent bot {
        prompt "hi
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    const [first] = findings(text, "AEG101");
    expect(first).toMatchObject({ line: 5, column: 12, message: "unterminated string" });
    expect(first!.hint).toContain('"""');
  });

  // Regression (fixed): after `claude(` is left open, the next line's `start` is swallowed as an argument
  // and lowering reports "claude(…) takes only named options" (AEG504) on `start`, an echo
  // of the syntax error rather than something the author wrote.
  it("reports only the syntax error for an unclosed provider call", () => {
    const text = source(`
      workflow w {
        agent bot = claude(
        start A
        state A = agent bot {
          on success -> DONE
        }
        final DONE
      }
    `);
    expect(diagnose(text)).toEqual([{ code: "AEG101", line: 3, column: 9 }]);
  });
});

describe("AEG100 unexpected character", () => {
  it("reports each stray character at its own position", () => {
    const text = source(`
      workflow w {
        start A @
        state A = branch { otherwise -> DONE }
        final DONE
      }
    `);
    expect(diagnose(text)).toEqual([{ code: "AEG100", line: 2, column: 11 }]);
    expect(findings(text, "AEG100")[0]!.message).toBe('unexpected character "@"');
  });
});

describe("AEG102 invalid escape", () => {
  it("accepts the documented escapes and keeps unknown ones such as \\{{ verbatim", () => {
    const text = workflow(`
      state A = agent bot {
        prompt "tab\\t quote\\" newline\\n smile\\u{1F600} literal \\{{not a mustache}}"
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([]);
  });

  it("reports a code point beyond U+10FFFF", () => {
    const text = workflow(`
      state A = agent bot {
        prompt "smile \\u{110000}"
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnoseCode(text, "AEG102")).toHaveLength(1);
  });

  // Regression (fixed): `\u{1F680Z}` is accepted (as U+1F680, the Z silently dropped): the escape is
  // decoded with parseInt, which stops at the first non-hex character. Same for
  // `\u{12 34}`. Only an empty or wholly non-hex escape is reported.
  it("reports non-hex characters inside \\u{…}", () => {
    const text = workflow(`
      state A = agent bot {
        prompt "launch \\u{1F680Z}"
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text).map((d) => d.code)).toEqual(["AEG102"]);
  });

  // Regression (fixed): in a """ string the finding is placed at the opening quotes (line 5), not on the
  // line of the bad escape (line 7, column 16).
  it("locates a bad escape inside a multi-line string on its own line", () => {
    const text = workflow(`
      state A = agent bot {
        prompt """
          Write a reply.
          End with \\u{XYZ}.
        """
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([{ code: "AEG102", line: 7, column: 16 }]);
  });
});

describe("AEG103 template syntax", () => {
  it("rejects partials, at the partial", () => {
    const text = workflow(`
      state A = agent bot {
        prompt "hi {{> footer}}"
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([{ code: "AEG103", line: 5, column: 16 }]);
  });

  it("reports an unclosed block", () => {
    const text = workflow(`
      state A = agent bot {
        prompt "hello {{#if state.feedback}} there"
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnoseCode(text, "AEG103")).toHaveLength(1);
    expect(findings(text, "AEG103")[0]!.message).toContain("template error");
  });

  // Regression (fixed): Handlebars' parse errors carry the position in a caret line, which the compiler
  // ignores: the finding lands on the first character of the template's line (5:13)
  // instead of the offending `}}` (5:22).
  it("locates an empty mustache at the mustache", () => {
    const text = workflow(`
      state A = agent bot {
        prompt "hello {{ }} there"
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([{ code: "AEG103", line: 5, column: 22 }]);
  });

  // Regression (fixed): "if doesn't match each - 2:3" is reported on the first line of the template
  // (6:7) rather than on the line of the mismatched block (7).
  it("locates a mismatched block on its own line", () => {
    const text = workflow(`
      state A = agent bot {
        prompt """
          first
          {{#if state.feedback}}x{{/each}}
        """
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnoseCode(text, "AEG103").map((d) => d.line)).toEqual([7]);
  });
});

describe("AEG103 in states the checks skip", () => {
  // Regression (fixed): template syntax errors are only found by the scope check, which skips states
  // that are unreachable — and every state when `start` is missing — so a broken
  // template there is not reported at all (only AEG205 / AEG203).
  it("reports a broken template in an unreachable state", () => {
    const text = workflow(`
      state A = agent bot {
        on success -> DONE
        otherwise -> FAILED
      }
      state B = agent bot {
        prompt "{{/if}}"
        otherwise -> DONE
      }
    `);
    expect(diagnose(text)).toEqual([
      { code: "AEG205", line: 8, column: 9 },
      { code: "AEG103", line: 9, column: 13 },
    ]);
  });

  it("reports a broken template in a workflow without `start`", () => {
    const text = workflow(
      `
      state A = agent bot {
        prompt "{{/if}}"
        on success -> DONE
        otherwise -> FAILED
      }
    `,
      { start: false },
    );
    expect(diagnose(text)).toEqual([
      { code: "AEG203", line: 1, column: 10 },
      { code: "AEG103", line: 5, column: 13 },
    ]);
  });
});

describe("AEG104 invalid value", () => {
  it("reports each ill-typed or out-of-range value at the value", () => {
    const text = source(`
      workflow test {
        agent bot = claude()
        start A
        input n: integer = 1.5
        input tags: list<string> = ["a", 1]
        input mode: "a" | "b" = "c"
        labels { team: ["a", "b"] }
        limits { transitions: 0, wall_time: 10 }
        state A = agent bot visits 0 {
          iterations 0
          on success -> B
          otherwise -> FAILED
        }
        state B = parallel {
          judge bot weight 0
          consensus { strategy: quorum, threshold: 1.5 }
          on consensus -> DONE
          otherwise -> FAILED
        }
        state C = human {
          default 3
          on approved -> DONE
          on rejected -> FAILED
        }
        final DONE
        final FAILED failure
      }
    `);
    expect(diagnoseCode(text, "AEG104")).toEqual([
      { code: "AEG104", line: 4, column: 22 }, // 1.5 for an integer
      { code: "AEG104", line: 5, column: 30 }, // ["a", 1] for list<string>
      { code: "AEG104", line: 6, column: 27 }, // "c" not in the enum
      { code: "AEG104", line: 7, column: 18 }, // a list as a label
      { code: "AEG104", line: 8, column: 25 }, // transitions: 0
      { code: "AEG104", line: 8, column: 39 }, // wall_time: 10 (no unit)
      { code: "AEG104", line: 9, column: 23 }, // visits 0
      { code: "AEG104", line: 10, column: 5 }, // iterations 0
      { code: "AEG104", line: 15, column: 5 }, // weight 0
      { code: "AEG104", line: 16, column: 27 }, // strategy: quorum
      { code: "AEG104", line: 16, column: 46 }, // threshold: 1.5
      { code: "AEG104", line: 21, column: 13 }, // default 3
    ]);
  });

  it("reports a fractional visit limit and an unknown error mode", () => {
    const text = workflow(`
      state A = agent bot visits 1.5 errors explode {
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([
      { code: "AEG104", line: 4, column: 30 },
      { code: "AEG104", line: 4, column: 41 },
    ]);
  });

  it("reports `exit` with a word other than zero or nonzero", () => {
    const text = workflow(
      `
      state A = run "make" {
        on exit maybe -> DONE
        otherwise -> FAILED
      }
    `,
      { agent: false },
    );
    expect(diagnose(text)).toEqual([
      { code: "AEG104", line: 5, column: 13 },
      // The transition is dropped, so DONE becomes unreachable (a consequence, not an echo).
      { code: "AEG205", line: 8, column: 9 },
    ]);
  });

  it("accepts valid values of every kind", () => {
    const text = source(`
      workflow test {
        agent bot = claude()
        agent critic = claude()
        start A
        input n: integer = 2
        input tags: list<string> = ["a", "b"]
        input mode: "a" | "b" = "a"
        labels { team: "platform" }
        limits { transitions: 10, wall_time: 1h30m, cost: 2.5 }
        state A = agent bot visits 2 errors retry timeout 1m {
          iterations 2
          on success -> B
          otherwise -> FAILED
        }
        state B = parallel timeout 5m {
          judge bot weight 2
          judge critic weight 0.5
          consensus { strategy: majority, threshold: 0.8, agreement: 0.5, min_judges: 2 }
          on consensus -> DONE
          otherwise -> FAILED
        }
        final DONE
        final FAILED failure
      }
    `);
    expect(diagnose(text)).toEqual([]);
  });
});

describe("AEG105 unknown key", () => {
  it("reports an unknown consensus setting at its key", () => {
    const text = workflow(`
      state A = parallel {
        judge bot
        consensus { strategy: majority, quorum: 2 }
        on consensus -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([{ code: "AEG105", line: 6, column: 37 }]);
  });

  it("suggests the closest limit", () => {
    const text = workflow(`
      limits { transitons: 10 }
      state A = agent bot {
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(findings(text, "AEG105")[0]!.hint).toBe("did you mean 'transitions'?");
  });
});

describe("AEG106 duplicate declaration", () => {
  it("reports the second of each duplicated name, at the name", () => {
    const text = source(`
      workflow test {
        agent bot = claude(model: "a", model: "b")
        agent bot = gemini()
        secret TOKEN
        secret TOKEN
        context { lang: "en", lang: "fr" }
        start A
        state A = agent bot {
          prompt "a"
          prompt "b"
          on success -> DONE
          otherwise -> DONE
        }
        final DONE
      }
    `);
    expect(diagnose(text)).toEqual([
      { code: "AEG106", line: 2, column: 34 }, // option model
      { code: "AEG106", line: 3, column: 9 }, // agent bot
      { code: "AEG106", line: 5, column: 10 }, // secret TOKEN
      { code: "AEG106", line: 6, column: 25 }, // context key lang
      { code: "AEG106", line: 10, column: 5 }, // prompt, given twice
    ]);
  });

  // Regression (fixed): a second `start` (and a second limits / context / labels / annotations block)
  // is reported as AEG104 invalid-value ("'start' is declared more than once") instead of
  // AEG106 duplicate-declaration.
  it("reports a second `start` as a duplicate declaration", () => {
    const text = workflow(`
      start A
      state A = agent bot {
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([{ code: "AEG106", line: 4, column: 9 }]);
  });

  // Regression (fixed): same as above, for a second `limits` block (reported as AEG104).
  it("reports a second `limits` block as a duplicate declaration", () => {
    const text = workflow(`
      limits { transitions: 10 }
      limits { transitions: 20 }
      state A = agent bot {
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([{ code: "AEG106", line: 5, column: 10 }]);
  });
});

describe("AEG107 missing workflow", () => {
  it("reports an empty file at 1:1", () => {
    expect(diagnose("")).toEqual([{ code: "AEG107", line: 1, column: 1 }]);
    expect(findings("", "AEG107")[0]!.hint).toContain("workflow NAME");
  });

  // Regression (fixed): a second workflow in one file is reported as AEG104 invalid-value, although the
  // catalogue says AEG107 covers "a file declares no workflow, or more than one".
  it("reports a second workflow in the file as AEG107, at its name", () => {
    const text = source(`
      workflow first {
        start DONE
        final DONE
      }
      workflow second {
        start DONE
        final DONE
      }
    `);
    expect(diagnose(text)).toEqual([{ code: "AEG107", line: 5, column: 10 }]);
  });

  it("reports a second workflow in the file at its name (whatever the code)", () => {
    const text = source(`
      workflow first {
        start DONE
        final DONE
      }
      workflow second {
        start DONE
        final DONE
      }
    `);
    const [d] = compileSource(text).diagnostics;
    expect(d).toMatchObject({ line: 5, column: 10, severity: "error" });
    expect(d!.message).toContain("'second'");
  });
});

describe("AEG108 unknown type", () => {
  it("reports each non-literal member of a union", () => {
    const text = workflow(`
      input kind: string | number
      state A = agent bot {
        prompt "{{input.kind}}"
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([
      { code: "AEG108", line: 4, column: 15 },
      { code: "AEG108", line: 4, column: 24 },
    ]);
  });

  it("reports an unknown type in an agent's output shape, at the type", () => {
    const text = workflow(`
      state A = agent bot {
        output { verdict: text, risk: number }
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([{ code: "AEG108", line: 5, column: 23 }]);
  });

  it("suggests the closest type", () => {
    const text = workflow(`
      input task: strng
      state A = agent bot {
        prompt "{{input.task}}"
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(findings(text, "AEG108")[0]!.hint).toBe("did you mean 'string'?");
  });
});

describe("AEG109 invalid regex", () => {
  it("checks the pattern of every `matches`, not only the first condition", () => {
    const text = workflow(`
      state A = agent bot {
        on output matches "^ok$" -> DONE
        on output matches "[a-" -> DONE
        otherwise -> FAILED
      }
    `);
    // At the `[` left open.
    expect(diagnose(text)).toEqual([{ code: "AEG109", line: 6, column: 24 }]);
  });
});

describe("AEG110 misplaced statement", () => {
  it("reports settings and statements a kind of state does not take", () => {
    const text = workflow(`
      state A = agent bot {
        on success -> G
        otherwise -> FAILED
      }
      state G = human retry 2 {
        on approved -> DONE
        on rejected -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([{ code: "AEG110", line: 8, column: 19 }]);
    expect(findings(text, "AEG110")[0]!.message).toBe("'retry' is not allowed in a human state");
  });

  it("reports a setting in a final state", () => {
    const text = workflow(
      `
      state A = agent bot {
        on success -> DONE
        otherwise -> DONE
      }
      final DONE {
        visits 2
      }
    `,
      { finals: false },
    );
    expect(diagnose(text)).toEqual([{ code: "AEG110", line: 9, column: 5 }]);
  });
});

describe("AEG111 missing field", () => {
  it("reports a parallel state without judges, at its kind", () => {
    const text = workflow(`
      state A = parallel {
        on consensus -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([
      { code: "AEG502", line: 2, column: 9 },
      { code: "AEG111", line: 4, column: 13 },
    ]);
  });

  it("reports more required judges than there are", () => {
    const text = workflow(`
      state A = parallel {
        judge bot
        consensus { min_judges: 3 }
        on consensus -> DONE
        otherwise -> FAILED
      }
    `);
    // At the setting that asks for them.
    expect(diagnose(text)).toEqual([{ code: "AEG111", line: 6, column: 17 }]);
    expect(findings(text, "AEG111")[0]!.message).toContain("requires 3 judges but has 1");
  });

  // Regression (fixed): `container ""` is accepted: the "has no image" check tests the template object,
  // which exists even when its text is empty.
  it("reports a container state with an empty image", () => {
    const text = workflow(
      `
      state A = container "" {
        on exit 0 -> DONE
        otherwise -> FAILED
      }
    `,
      { agent: false },
    );
    expect(diagnose(text)).toEqual([{ code: "AEG111", line: 4, column: 13 }]);
  });
});
