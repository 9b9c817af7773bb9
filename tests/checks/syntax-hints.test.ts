// Hints for the common syntax errors (issue 12, item 7): what was written, what to write
// instead, and where. Some mistakes are read as what was meant (a single-quoted string,
// `10min`, a misspelt keyword, `&&`), so that the one mistake is one finding and the rest
// of the file is checked as written.
import { describe, expect, it } from "vitest";
import type { Diagnostic } from "../../src/compiler/diagnostics.ts";
import { compileSource, source, workflow } from "../helpers/compile.ts";

/** Every diagnostic of `text`, as what a reader sees: code, place, message and hint. */
function report(text: string): Pick<Diagnostic, "code" | "line" | "column" | "message" | "hint">[] {
  return compileSource(text).diagnostics.map(({ code, line, column, message, hint }) => ({
    code,
    line,
    column,
    message,
    ...(hint !== undefined && { hint }),
  }));
}

/** A workflow whose state A has `lines` in its body (the first on line 5, at column 5). */
function inState(lines: string): string {
  const body = lines
    .split("\n")
    .map((l) => `    ${l.trim()}`)
    .join("\n");
  return `workflow test {\n  agent bot = claude()\n  start A\n  state A = agent bot {\n${body}\n  }\n  final DONE\n  final FAILED failure\n}\n`;
}

describe("durations", () => {
  it("`timeout 10min`: an unknown unit, read as 10m", () => {
    const text = inState(
      `timeout 10min\n  prompt "x"\n  on success -> DONE\n  otherwise -> FAILED`,
    );
    expect(report(text)).toEqual([
      {
        code: "AEG104",
        line: 5,
        column: 13,
        message: "unknown unit 'min' in 10min",
        hint: "use ms, s, m, h or d: write 10m",
      },
    ]);
    expect(compileSource(text).graph.getNodeAttribute("A", "timeoutMs")).toBe(600_000);
  });

  it("`timeout 2Hours` and `timeout 30secs` read as 2h and 30s", () => {
    const hours = inState(`timeout 2Hours\n  on success -> DONE\n  otherwise -> FAILED`);
    expect(report(hours)[0]).toMatchObject({
      message: "unknown unit 'Hours' in 2Hours",
      hint: "use ms, s, m, h or d: write 2h",
    });
    expect(compileSource(hours).graph.getNodeAttribute("A", "timeoutMs")).toBe(7_200_000);
    const secs = inState(`timeout 30secs\n  on success -> DONE\n  otherwise -> FAILED`);
    expect(compileSource(secs).graph.getNodeAttribute("A", "timeoutMs")).toBe(30_000);
  });

  it("`timeout 2weeks`: a unit with no equivalent is a syntax error, with the days to write", () => {
    const text = inState(`timeout 2weeks\n  on success -> DONE\n  otherwise -> FAILED`);
    expect(report(text)[0]).toEqual({
      code: "AEG101",
      line: 5,
      column: 13,
      message: "unexpected '2'; expected a duration (e.g. 30s, 5m, 2h) (in state setting)",
      hint: "unknown unit 'weeks'; use ms, s, m, h or d: write 14d",
    });
  });

  it("`timeout 10 min`: a space between number and unit", () => {
    const text = inState(`timeout 10 min\n  on success -> DONE\n  otherwise -> FAILED`);
    expect(report(text)[0]).toMatchObject({
      code: "AEG101",
      line: 5,
      column: 13,
      hint: "use ms, s, m, h or d: write 10m, with no space",
    });
  });

  it("`timeout 30`: a number without its unit", () => {
    const text = inState(`timeout 30\n  on success -> DONE\n  otherwise -> FAILED`);
    expect(report(text)[0]).toMatchObject({
      code: "AEG101",
      line: 5,
      column: 13,
      hint: "a duration is a number and its unit, with no space: 30s, 30m, 30h (units ms, s, m, h, d)",
    });
  });
});

describe("strings", () => {
  it("a single-quoted string: strings use double quotes, read as a string", () => {
    const text = inState(`prompt 'review it'\n  on success -> DONE\n  otherwise -> FAILED`);
    expect(report(text)).toEqual([
      {
        code: "AEG100",
        line: 5,
        column: 12,
        message: "strings are written in double quotes, not '…'",
        hint: 'write "review it"',
      },
    ]);
    expect(compileSource(text).graph.getNodeAttribute("A", "prompt")?.text).toBe("review it");
  });

  it("curly quotes, as a word processor writes them", () => {
    const text = inState(`prompt “review it”\n  on success -> DONE\n  otherwise -> FAILED`);
    expect(report(text)).toEqual([
      {
        code: "AEG100",
        line: 5,
        column: 12,
        message: "strings are written in double quotes, not “…”",
        hint: 'write "review it"',
      },
    ]);
  });

  it("an apostrophe alone is an unexpected character, with the same hint", () => {
    const text = inState(`prompt "x" '\n  on success -> DONE\n  otherwise -> FAILED`);
    expect(report(text)[0]).toMatchObject({
      code: "AEG100",
      line: 5,
      column: 16,
      message: `unexpected character "'"`,
      hint: 'strings are written in double quotes: "…"',
    });
  });

  it("text without quotes", () => {
    const text = inState(`prompt review the code\n  on success -> DONE\n  otherwise -> FAILED`);
    expect(report(text)[0]).toMatchObject({
      code: "AEG101",
      line: 5,
      column: 12,
      hint: 'text is written in double quotes: "…"',
    });
  });
});

describe("transitions and conditions", () => {
  it("a missing `->`", () => {
    const text = inState(`prompt "x"\n  on success DONE\n  otherwise -> FAILED`);
    expect(report(text)).toEqual([
      {
        code: "AEG101",
        line: 6,
        column: 16,
        message: "unexpected 'DONE'; expected '->' (in transition)",
        hint: "a transition is `on CONDITION -> STATE`: add `->` before 'DONE'",
      },
    ]);
  });

  it("`=>` for `->`", () => {
    const text = inState(`prompt "x"\n  on success => DONE\n  otherwise -> FAILED`);
    expect(report(text)[0]).toMatchObject({
      code: "AEG101",
      line: 6,
      column: 16,
      hint: "write `->`, not `=>`",
    });
  });

  it("`=` for `==` in a condition", () => {
    const text = inState(`prompt "x"\n  on score = 1 -> DONE\n  otherwise -> FAILED`);
    expect(report(text)[0]).toEqual({
      code: "AEG101",
      line: 6,
      column: 14,
      message: "unexpected '='; expected '->' (in transition)",
      hint: "compare with `==`: `=` only declares (state NAME = …)",
    });
  });

  it("`&&`, `||` and `!`: read as and, or, not", () => {
    const text = inState(
      `prompt "x"\n  on success && score > 0.5 -> DONE\n  on !success || failure -> FAILED\n  otherwise -> FAILED`,
    );
    expect(report(text)).toEqual([
      {
        code: "AEG101",
        line: 6,
        column: 16,
        message: "'&&' is written `and` in a condition",
        hint: "write `and`",
      },
      {
        code: "AEG101",
        line: 7,
        column: 8,
        message: "'!' is written `not` in a condition",
        hint: "write `not`",
      },
      {
        code: "AEG101",
        line: 7,
        column: 17,
        message: "'||' is written `or` in a condition",
        hint: "write `or`",
      },
    ]);
  });
});

describe("blocks and declarations", () => {
  it("a missing `}` at the end of the file: where the block opened", () => {
    const text = "workflow w {\n  start DONE\n  final DONE\n";
    const [d] = compileSource(text).diagnostics;
    expect(d).toMatchObject({
      code: "AEG101",
      line: 4,
      column: 1,
      message: "unexpected end of file; expected '}' (in workflow declaration)",
      hint: "the workflow that opens with '{' at line 1, column 12 is not closed: add '}' at the end",
    });
    expect(d!.related).toMatchObject([{ line: 1, column: 12, message: "the '{' not closed" }]);
  });

  it("a state body missing its `}`: where it opened", () => {
    const text = source(`
      workflow w {
        agent bot = claude()
        start A
        state A = agent bot {
          prompt "x"
          on success -> DONE
        final DONE
      }
    `);
    expect(report(text)).toEqual([
      {
        code: "AEG101",
        line: 7,
        column: 3,
        message: "unexpected 'final'; expected '}' (in state body)",
        hint: "the state body that opens with '{' at line 4, column 23 is not closed: add '}' before this",
      },
    ]);
  });

  it("a reserved word as a state's name", () => {
    const text = source(`
      workflow w {
        agent bot = claude()
        start in
        state in = agent bot {
          on success -> DONE
        }
        final DONE
      }
    `);
    const reserved =
      "the words and, or, not, true, false, null, contains, matches, between, in belong to conditions; choose another name";
    expect(report(text)).toEqual([
      {
        code: "AEG101",
        line: 3,
        column: 9,
        message: "'in' is a reserved word and cannot name a state",
        hint: reserved,
      },
      {
        code: "AEG101",
        line: 4,
        column: 9,
        message: "'in' is a reserved word and cannot name a state",
        hint: reserved,
      },
    ]);
  });

  it("a misspelt keyword of a workflow, read as the keyword it looks like", () => {
    const text = source(`
      workflow w {
        agent bot = claude()
        start A
        stat A = agent bot {
          on success -> DONE
        }
        final DONE
      }
    `);
    expect(report(text)).toEqual([
      {
        code: "AEG101",
        line: 4,
        column: 3,
        message: "unknown keyword 'stat'; did you mean 'state'?",
        hint: "write `state` (read here as `state`)",
      },
    ]);
  });

  it("a misspelt keyword of a state body", () => {
    const text = inState(`promt "x"\n  on success -> DONE\n  otherwise -> FAILED`);
    expect(report(text)).toEqual([
      {
        code: "AEG101",
        line: 5,
        column: 5,
        message: "unknown keyword 'promt'; did you mean 'prompt'?",
        hint: "write `prompt` (read here as `prompt`)",
      },
    ]);
  });

  it("a state without `=`", () => {
    const text = workflow(`
      state A agent bot {
        on success -> DONE
      }
    `);
    expect(report(text)[0]).toMatchObject({
      code: "AEG101",
      line: 4,
      column: 11,
      message: "unexpected 'agent'; expected '=' (in state declaration)",
      hint: "a state is declared `state NAME = KIND …`, e.g. `state REVIEW = agent reviewer { … }`",
    });
  });

  it("`=` for `:` in a provider's options", () => {
    const text = workflow(
      `
      state A = agent bot {
        on success -> DONE
      }
    `,
      { agent: 'agent bot = claude(model = "opus")' },
    );
    expect(report(text)[0]).toMatchObject({
      code: "AEG101",
      line: 2,
      column: 28,
      hint: "options are written `key: value`",
    });
  });

  it("an input without its type", () => {
    const text = workflow(
      `
      input task
      state A = agent bot {
        on success -> DONE
      }
    `,
    );
    expect(report(text)[0]).toMatchObject({
      code: "AEG101",
      hint: "an input is declared `input NAME: TYPE`, e.g. `input task: string`",
    });
  });
});

describe("regular expressions, functions and imports", () => {
  it("AEG109: what is wrong with a pattern, in words, at the character at fault", () => {
    const text = inState(
      `on output matches "^(ok" -> DONE\non output matches "*ok" -> DONE\notherwise -> FAILED`,
    );
    expect(report(text)).toEqual([
      {
        code: "AEG109",
        line: 5,
        column: 25,
        message: "invalid regular expression: a '(' is not closed",
        hint: "close it with ')', or write \\( to match a parenthesis",
      },
      {
        code: "AEG109",
        line: 6,
        column: 24,
        message: "invalid regular expression: '*' repeats nothing",
        hint: "write \\* to match '*' itself",
      },
    ]);
  });

  it("a function called with the wrong number of arguments: how to call it", () => {
    const text = inState(`on startswith(output) -> DONE\notherwise -> FAILED`);
    expect(report(text)).toEqual([
      {
        code: "AEG407",
        line: 5,
        column: 8,
        message: "'startswith' takes 2 arguments, not 1",
        hint: 'write startswith(X, Y), e.g. startswith(output, "ok")',
      },
    ]);
  });

  it("AEG507: a missing import names the path it looked for", () => {
    const result = compileSource(
      source(`
        import "./lib/missing.aegis" as review
        workflow w {
          start A
          state A = subworkflow review {
            on success -> DONE
          }
          final DONE
        }
      `),
      { filename: "/virtual/main.aegis" },
    );
    expect(result.diagnostics[0]).toMatchObject({
      code: "AEG507",
      line: 1,
      column: 8,
      message: "cannot read imported file './lib/missing.aegis'",
      hint: "looked for /virtual/lib/missing.aegis (a path is taken from the importing file's folder)",
    });
  });

  it("AEG506: recursive imports name the chain by the files' paths", () => {
    const main = (path: string, alias: string) =>
      source(`
        import "${path}" as ${alias}
        workflow ${alias}_caller {
          start A
          state A = subworkflow ${alias} {
            on success -> DONE
          }
          final DONE
        }
      `);
    const files: Record<string, string> = {
      "/virtual/a.aegis": main("./sub/b.aegis", "b"),
      "/virtual/sub/b.aegis": main("../a.aegis", "a"),
    };
    const result = compileSource(files["/virtual/a.aegis"]!, {
      filename: "/virtual/a.aegis",
      readFile: (p) => files[p],
    });
    expect(result.diagnostics[0]).toMatchObject({
      code: "AEG506",
      line: 1,
      column: 8,
      hint: "a.aegis imports sub/b.aegis imports a.aegis: a workflow may not call itself, directly or through others",
    });
  });
});
