// Suppression comments (`aegis-ignore`, AEG001) and file errors (AEG002).
import { describe, expect, it } from "vitest";
import { compileFile } from "../../src/compiler/compile.ts";
import { compileSource, diagnose, findings, source, workflow } from "../helpers/compile.ts";
import { checkTriggers } from "../helpers/triggers.ts";
import { suppressionCases } from "./cases/suppression.ts";

describe("catalogue: suppression and files (AEG001, AEG002)", () => {
  checkTriggers(suppressionCases);
});

/** A workflow with an unused agent `spare` (AEG502) on the line after `before`. */
function spare(before: string, trailing = ""): string {
  return workflow(`
    ${before}
    agent spare = claude()${trailing}
    state A = agent bot {
      on success -> DONE
      otherwise -> FAILED
    }
  `);
}

describe("aegis-ignore", () => {
  it("reports the unused agent without a suppression", () => {
    expect(diagnose(spare("// nothing to see"))).toEqual([{ code: "AEG502", line: 5, column: 9 }]);
  });

  it.each([
    ["on the previous line", "// aegis-ignore AEG502 -- wired in by the next release"],
    ["with a # comment", "# aegis-ignore AEG502"],
    ["in a block comment", "/* aegis-ignore AEG502 */"],
    ["by rule name", "// aegis-ignore unused-agent: kept for later"],
    ["with several codes", "// aegis-ignore AEG601, AEG502"],
    ["in lower case", "// aegis-ignore aeg502"],
  ])("silences the next line's finding %s", (_how, comment) => {
    expect(diagnose(spare(comment))).toEqual([]);
  });

  it("silences its own line when it trails code", () => {
    expect(diagnose(spare("// (no suppression here)", " // aegis-ignore AEG502"))).toEqual([]);
  });

  it("skips blank and comment lines to find the line it applies to", () => {
    const text = workflow(`
      // aegis-ignore AEG502 -- kept for later

      // the spare agent, for experiments
      agent spare = claude()
      state A = agent bot {
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([]);
  });

  it("applies to the line where the finding starts (a state's first line)", () => {
    const text = workflow(`
      state A = agent bot {
        on success -> B
        otherwise -> FAILED
      }
      // aegis-ignore AEG601 -- A's output is a version number
      state B = run "release {{A.output}}" {
        on exit 0 -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([]);
  });

  it("does not reach a finding on a later line", () => {
    const text = workflow(`
      state A = agent bot {
        on success -> B
        otherwise -> FAILED
      }
      // aegis-ignore AEG601
      state B = run """
        release {{A.output}}
      """ {
        on exit 0 -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([
      { code: "AEG001", line: 8, column: 3 },
      { code: "AEG601", line: 10, column: 15 },
    ]);
  });

  it("silences a code in the whole file with aegis-ignore-file", () => {
    const text = source(`
      // aegis-ignore-file AEG502 -- agents for experiments
      workflow test {
        agent bot = claude()
        agent spare = claude()
        agent other = gemini()
        start A
        state A = agent bot {
          on success -> DONE
          otherwise -> FAILED
        }
        final DONE
        final FAILED failure
      }
    `);
    expect(diagnose(text)).toEqual([]);
  });

  it("silences only the codes it names", () => {
    const text = spare("// aegis-ignore AEG501");
    expect(diagnose(text)).toEqual([
      { code: "AEG001", line: 4, column: 3 },
      { code: "AEG502", line: 5, column: 9 },
    ]);
  });

  it("makes a file with only silenced errors ok", () => {
    const text = workflow(`
      state A = agent bot {
        on success -> B
        otherwise -> FAILED
      }
      state B = run "echo {{A.output}}" { // aegis-ignore AEG601
        on exit 0 -> DONE
        otherwise -> FAILED
      }
    `);
    const result = compileSource(text);
    expect(result.diagnostics).toEqual([]);
    expect(result.ok).toBe(true);
  });

  // Regression (fixed): a syntax error can be silenced: `aegis-ignore AEG101` hides it and compile()
  // returns ok: true for a file that does not parse (here the `on exit 0` transition is
  // silently dropped from the graph). Syntax errors (AEG100/AEG101) should not be
  // suppressible — the dead `catalogue[f.code].severity === undefined` guard in
  // applySuppressions looks meant for this.
  it("cannot silence a syntax error", () => {
    const text = workflow(
      `
      state A = run "make" {
        // aegis-ignore AEG101
        on exit 0 => DONE
        otherwise -> FAILED
      }
    `,
      { agent: false },
    );
    const result = compileSource(text);
    expect(result.ok).toBe(false);
    expect(diagnose(text)).toContainEqual({ code: "AEG101", line: 6, column: 15 });
  });
});

describe("AEG001 unused suppression", () => {
  it("reports a suppression that silences nothing, over the whole comment", () => {
    const text = spare("// (no suppression here)").replace(
      "  start A\n",
      "  start A\n  // aegis-ignore AEG406\n",
    );
    const found = findings(text, "AEG001");
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      line: 4,
      column: 3,
      endLine: 4,
      endColumn: 25,
      severity: "warning",
      message: "this aegis-ignore suppresses nothing (AEG406)",
      hint: "remove it",
    });
  });

  it("reports an unused file-wide suppression", () => {
    const text = `// aegis-ignore-file AEG601\n${workflow(`
      state A = agent bot {
        on success -> DONE
        otherwise -> FAILED
      }
    `)}`;
    expect(diagnose(text)).toEqual([{ code: "AEG001", line: 1, column: 1 }]);
  });

  // Regression (fixed): a comment that merely mentions aegis-ignore in prose ("Use aegis-ignore
  // sparingly") is read as a suppression of the code "sparingly" and reported as AEG001.
  // The directive should be recognised only at the start of a comment (or only with codes
  // and rule names that exist).
  it("ignores a comment that only mentions aegis-ignore in prose", () => {
    const text = `// Use aegis-ignore sparingly\n${workflow(`
      state A = agent bot {
        on success -> DONE
        otherwise -> FAILED
      }
    `)}`;
    expect(diagnose(text)).toEqual([]);
  });
});

describe("AEG002 io error", () => {
  it("reports a missing file from compileFile at 1:1, and is not ok", () => {
    const result = compileFile("/nonexistent/aegis-tests/missing.aegis");
    expect(result.ok).toBe(false);
    expect(result.diagnostics).toHaveLength(1);
    expect(result.diagnostics[0]).toMatchObject({
      code: "AEG002",
      file: "/nonexistent/aegis-tests/missing.aegis",
      line: 1,
      column: 1,
      severity: "error",
      message: "cannot read /nonexistent/aegis-tests/missing.aegis: no such file",
    });
  });
});
