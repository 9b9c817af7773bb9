// Property tests of the compiler's front door: whatever text it is given, compile() returns
// (never throws), every diagnostic has a catalogued code and a position inside the file;
// and every well-formed workflow built by the generator below compiles without errors.
// The invariants and generators are shared with the fuzzer (tests/fuzz, npm run fuzz).
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CompileResult } from "../../src/compiler/compile.ts";
import { aegisTokens, applyEdits, edit, randomText, tokenSoup } from "../fuzz/generators.ts";
import { assertNone, compileProblems, compileText, linesOf } from "../fuzz/invariants.ts";
import { planArbitrary, render } from "../fuzz/workflows.ts";

const examplePath = new URL("../../examples/dev_pipeline/dev_pipeline.aegis", import.meta.url);
const example = readFileSync(examplePath, "utf8");

/** The invariants every compile result must satisfy, whatever the input. */
function assertWellFormed(text: string): CompileResult {
  assertNone(compileProblems(text), text);
  return compileText(text);
}

const mutatedExample = fc
  .array(edit(aegisTokens), { minLength: 1, maxLength: 8 })
  .map((edits) => applyEdits(example, edits, []));

// ------------------------------------------------------------------------ tests

describe("compile() on arbitrary input", () => {
  it("never throws on random text, and reports catalogued codes at valid positions", () => {
    fc.assert(
      fc.property(randomText, (text) => {
        assertWellFormed(text);
      }),
      { numRuns: 300 },
    );
  });

  it("never throws on sequences of the language's tokens", () => {
    fc.assert(
      fc.property(tokenSoup(aegisTokens), (text) => {
        assertWellFormed(text);
      }),
      { numRuns: 300 },
    );
  });

  it("never throws on mutations of the dev_pipeline example", () => {
    fc.assert(
      fc.property(mutatedExample, (text) => {
        assertWellFormed(text);
      }),
      { numRuns: 250 },
    );
  });

  it("handles a few hand-picked edge cases", () => {
    for (const text of [
      "",
      "\n",
      "\r\n\r\n",
      "\r",
      "\uFEFF",
      '"',
      '"""',
      "/*",
      "workflow",
      "workflow w {",
      "workflow w { state }",
      'workflow w { state A = run "echo\r\n',
      "workflow w {}\r\nworkflow v {}",
      "\uD800\uDC00\uD800",
      example.replace(/\n/g, "\r\n"),
      example.replace(/\n/g, "\r"),
      example.slice(0, example.length / 2),
    ]) {
      assertWellFormed(text);
    }
  });

  it("compiles the unmutated example cleanly (the mutations start from valid code)", () => {
    const r = assertWellFormed(example);
    expect(r.diagnostics).toEqual([]);
  });
});

/** A workflow whose only problem is `{{input.nope}}` inside a prompt written as `literal`. */
function withUnknownInput(literal: string): string {
  return `workflow w {
  input task: string
  agent a = claude()
  start A
  state A = agent a timeout 1m {
    prompt ${literal}
    otherwise -> DONE
  }
  final DONE
}
`;
}

/** Pieces of string literal source: escapes, astral and accented characters, braces. */
const literalPiece = fc.constantFrom(
  "a",
  " ",
  "\\n",
  "\\t",
  "\\\\",
  '\\"',
  "\\u{1F600}",
  "\\u{e9}",
  "😀",
  "é",
  "{{input.task}}",
  "\\{{",
  "x}",
  "{",
);

/** Where the compiler reports `input.nope`, as the source text under the reported range. */
function reportedText(literal: string): string[] | undefined {
  const source = withUnknownInput(literal);
  const r = compileText(source);
  const about = r.diagnostics.filter((d) => d.code === "AEG402" && d.message.includes("nope"));
  // Another problem (e.g. an unbalanced mustache), or the mustache escaped by the text
  // before it: nothing to check.
  if (about.length !== r.diagnostics.length || about.length === 0) return undefined;
  const lines = linesOf(source);
  return about.map((d) =>
    d.line === d.endLine ? lines[d.line - 1]!.slice(d.column - 1, d.endColumn - 1) : "(lines)",
  );
}

describe("positions inside strings", () => {
  it("a finding about a template variable points at the variable, whatever precedes it", () => {
    fc.assert(
      fc.property(
        fc.array(literalPiece, { maxLength: 12 }),
        fc.array(literalPiece, { maxLength: 5 }),
        fc.boolean(),
        (before, after, triple) => {
          const body = `${before.join("")}{{input.nope}}${after.join("")}`;
          const literal = triple ? `"""\n      ${body}\n    """` : `"${body}"`;
          const reported = reportedText(literal);
          if (reported) expect(reported).toEqual(["input.nope"]);
        },
      ),
      { numRuns: 300 },
    );
  });

  // Regression (fixed): a \r escape (a lone carriage return in the string's text) before a template
  // variable shifts the reported range: for `prompt "a\r{{input.nope}}"` the finding covers
  // `{{input.no` (columns 16-25) instead of `input.nope` (columns 18-27). A \n escape, or
  // \r\n, is handled correctly.
  it("a \\r escape before a variable does not shift the reported position", () => {
    expect(reportedText('"a\\r{{input.nope}}"')).toEqual(["input.nope"]);
    expect(reportedText('"a\\rbcd {{input.nope}}"')).toEqual(["input.nope"]);
  });
});

describe("compile() on generated well-formed workflows", () => {
  it("reports no errors, and the graph has one node per state and one edge per transition", () => {
    fc.assert(
      fc.property(planArbitrary, (plan) => {
        const { source, states, transitions } = render(plan);
        const r = compileText(source);
        const errors = r.diagnostics.filter((d) => d.severity === "error");
        expect(errors, `${source}\n${JSON.stringify(errors, null, 2)}`).toEqual([]);
        expect(r.ok).toBe(true);
        expect(r.graph.order).toBe(states);
        expect(r.graph.size).toBe(transitions);
        expect(r.graph.getAttribute("start")).toBe(plan.states[0]!.name);
      }),
      { numRuns: 200 },
    );
  });
});
