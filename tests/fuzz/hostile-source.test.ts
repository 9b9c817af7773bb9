// Hostile source files: extremely long lines and strings, deep nesting of brackets,
// operators, values and template blocks, deep YAML, alias bombs, long chains and cycles of
// imports, huge numbers of states and of findings. compile() must return (no stack
// overflow, no internal error) with a clear, coded finding where one is due, and every
// finding must lie inside the file. No timing is asserted: a super-linear cost would show
// as the test's timeout, the inputs being sized so that it would.
import { describe, expect, it } from "vitest";
import type { CompileResult } from "../../src/compiler/compile.ts";
import { compileMemory, positionOf, source, workflow } from "../helpers/compile.ts";
import { agentos, compileYaml, manifest } from "../helpers/yaml.ts";
import {
  assertNone,
  compileProblems,
  compileText,
  formatProblems,
  YAML_FILE,
} from "./invariants.ts";

/** Compiles `text` (.aegis), checking every invariant; the diagnostics as "CODE line:column". */
function findings(text: string): { result: CompileResult; short: string[] } {
  assertNone(compileProblems(text), text);
  const result = compileText(text);
  return { result, short: result.diagnostics.map((d) => `${d.code} ${d.line}:${d.column}`) };
}

/** A workflow whose one state has `line` among its statements (line 5 of the file). */
function withLine(line: string): string {
  return workflow(`
    state A = agent bot {
      ${line}
      on failure -> FAILED
      otherwise -> DONE
    }
  `);
}

/** Where `needle` first occurs in `text`, as "line:column". */
function at(text: string, needle: string, nth = 0): string {
  const p = positionOf(text, needle, nth);
  return `${p.line}:${p.column}`;
}

describe("extremely long lines", () => {
  it("a 10 MB comment on one line", () => {
    const text = withLine(`prompt "hi" // ${"x".repeat(10_000_000)}`);
    expect(findings(text).short).toEqual([]);
  });

  it("a 1 MB string literal, and a 1 MB triple-quoted one with a template in it", () => {
    const long = "y".repeat(1_000_000);
    expect(findings(withLine(`prompt "${long}"`)).short).toEqual([]);
    const text = withLine(`prompt """\n${long}{{input.nope}}\n"""`);
    expect(findings(text).short).toEqual([`AEG402 ${at(text, "input.nope")}`]);
  });

  it("a 1 MB name is one finding, and fmt copes", () => {
    const name = `s${"x".repeat(1_000_000)}`;
    const text = withLine(`on success -> ${name}`);
    expect(findings(text).short).toEqual([`AEG201 ${at(text, name)}`]);
    expect(formatProblems(text)).toEqual([]);
  });
});

describe("deep nesting in the aegis language (AEG112, where it goes too deep)", () => {
  it("100,000 nested parentheses in a condition", () => {
    const text = withLine(`on ${"(".repeat(100_000)}success${")".repeat(100_000)} -> DONE`);
    const { result, short } = findings(text);
    // 2 braces (workflow, state) and 62 parentheses are 64 levels: the 63rd goes past.
    expect(short).toEqual(["AEG112 5:70"]);
    expect(result.diagnostics[0]!.message).toBe("nesting deeper than 64 levels");
    expect(formatProblems(text)).toEqual([]);
  });

  it.each([
    // The 63rd `not` (4 characters each, from column 8) is the 65th level.
    ["50,000 `not`s", `on ${"not ".repeat(50_000)}success -> DONE`, "5:256"],
    ["50,000 unary minuses", `on score > ${"-".repeat(50_000)}1 -> DONE`, "5:78"],
    [
      "100,000 nested lists in a condition",
      `on score in ${"[".repeat(1e5)}${"]".repeat(1e5)} -> DONE`,
      "5:79",
    ],
  ])("%s", (_what, line, position) => {
    expect(findings(withLine(line)).short).toEqual([`AEG112 ${position}`]);
  });

  it("100,000 nested objects and lists in a value", () => {
    const objects = `context { x: ${"{a: ".repeat(100_000)}1${"}".repeat(100_000)} }`;
    const text = workflow(objects);
    expect(findings(text).short).toEqual([`AEG112 ${at(text, "{a: ", 62)}`]);
    const lists = workflow(`context { x: ${"[".repeat(100_000)}${"]".repeat(100_000)} }`);
    expect(findings(lists).short).toEqual([`AEG112 ${at(lists, "[", 62)}`]);
  });

  it("a chain of 5,000 operators, which nests the tree one level per operator", () => {
    const text = withLine(`on score > ${"1 + ".repeat(5_000)}1 -> DONE`);
    const { result, short } = findings(text);
    expect(short).toEqual(["AEG112 5:16"]);
    expect(result.diagnostics[0]!.message).toBe(
      "an expression deeper than 320 levels (too many operators in a row)",
    );
    // A long chain below the limit is fine.
    expect(findings(withLine(`on score > ${"1 + ".repeat(300)}1 -> DONE`)).short).toEqual([]);
  });

  it("the YAML front ends' custom expressions are bounded too", () => {
    const deep = `${"(".repeat(10_000)}score > 0.5${")".repeat(10_000)}`;
    const text = manifest(
      `A:\n  kind: Agent\n  agent: bot\n  transitions:\n    - condition: custom\n      expression: "${deep}"\n      target: A\n`,
    );
    assertNone(compileProblems(text, YAML_FILE), text);
    const [d] = compileYaml(text).diagnostics.filter((x) => x.message.includes("custom"));
    expect(d?.message).toContain("nests deeper than 64 levels");
  });
});

describe("deep nesting in templates (AEG112)", () => {
  it.each([
    [
      "10,000 nested {{#if}} blocks",
      `${"{{#if input.x}}".repeat(10_000)}y${"{{/if}}".repeat(10_000)}`,
      "{{#if",
      64,
    ],
    [
      "a chain of 10,000 {{else if}}s",
      `{{#if input.x}}a${"{{else if input.x}}b".repeat(10_000)}{{/if}}`,
      "{{else",
      63,
    ],
    [
      "10,000 nested sub-expressions",
      `{{len ${"(len ".repeat(10_000)}input.x${")".repeat(10_000)}}}`,
      // The 65th parenthesis of the template; the file's first is `claude()`'s.
      "(",
      65,
    ],
  ])("%s", (_what, template, needle, nth) => {
    const text = source(`
      workflow test {
        input x: string
        agent bot = claude()
        start A
        state A = agent bot {
          prompt "${template}"
          otherwise -> DONE
        }
        final DONE
      }
    `);
    const { result, short } = findings(text);
    expect(short).toEqual([`AEG112 ${at(text, needle, nth)}`]);
    expect(result.diagnostics[0]!.message).toBe(
      "template error: blocks or sub-expressions nested deeper than 64 levels",
    );
  });

  it("64 nested blocks are fine", () => {
    const template = `${"{{#if input.x}}".repeat(64)}y${"{{/if}}".repeat(64)}`;
    const text = source(`
      workflow test {
        input x: string
        agent bot = claude()
        start A
        state A = agent bot {
          prompt "${template}"
          otherwise -> DONE
        }
        final DONE
      }
    `);
    expect(findings(text).short).toEqual([]);
  });
});

describe("hostile YAML", () => {
  it("100,000 nested flow sequences and 20,000 nested block mappings: AEG706", () => {
    const flow = `id: x\nsteps: ${"[".repeat(100_000)}${"]".repeat(100_000)}\n`;
    let block = "id: x\nsteps:\n  - name: a\n    config:\n";
    for (let i = 0; i < 20_000; i++) block += `${" ".repeat(6 + i)}k${i}:\n`;
    for (const text of [flow, block]) {
      assertNone(compileProblems(text, YAML_FILE), text.slice(0, 100));
      expect(compileYaml(text).diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([
        "AEG706 nesting deeper than 64 levels",
      ]);
    }
  });

  it("a billion laughs under a field that is read: AEG706 at the alias past the limit", () => {
    const levels = "abcdefghi";
    const bomb = [
      "a: &a [x, x, x, x, x, x, x, x, x]",
      ...[...levels.slice(1)].map(
        (n, i) => `${n}: &${n} [${Array(9).fill(`*${levels[i]}`).join(", ")}]`,
      ),
    ];
    const text = `id: x\nsteps:\n  - name: a\n    functionId: "hand::run"\n    config:\n${bomb.map((l) => `      ${l}`).join("\n")}\n`;
    assertNone(compileProblems(text, YAML_FILE), text);
    expect(compileYaml(text).diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([
      "AEG706 more than 100 aliases: refusing a possible alias bomb",
    ]);
  });

  it("a string of 200,000 escapes maps back to the file in linear time", () => {
    // Regression (fixed): each escape made the position mapping rescan the rest of the
    // string (quadratic: this took hours); it now takes a fraction of a second. The
    // finding after the escapes is still at the right column.
    const text = agentos(
      `- name: a\n  agent: bot\n  promptTemplate: "${"\\t".repeat(200_000)}{{/if}}"`,
    );
    assertNone(compileProblems(text, YAML_FILE), text.slice(0, 200));
    expect(compileYaml(text).diagnostics.map((d) => `${d.code} ${d.line}:${d.column}`)).toEqual([
      `AEG103 7:${22 + 400_000}`,
    ]);
  });

  it("20,000 references in one template", () => {
    const text = agentos(
      `- name: a\n  agent: bot\n  promptTemplate: "${"{{topic}} ".repeat(20_000)}"`,
    );
    assertNone(compileProblems(text, YAML_FILE), text.slice(0, 200));
  });
});

describe("imports", () => {
  /** Files /virtual/f0.aegis … f<n>.aegis, each calling the next (the last calls f0 if `cycle`). */
  function chain(n: number, cycle: boolean): Record<string, string> {
    const files: Record<string, string> = {};
    for (let i = 0; i <= n; i++) {
      const next = i < n ? i + 1 : cycle ? 0 : undefined;
      files[`/virtual/f${i}.aegis`] = `
        ${next === undefined ? "" : `import "./f${next}.aegis" as sub`}
        workflow f${i} {
          start A
          state A = ${next === undefined ? 'run "true"' : "subworkflow sub"} {
            on success -> DONE
            otherwise -> FAILED
          }
          final DONE
          final FAILED failure
        }
      `;
    }
    return files;
  }

  it("a chain of 2,000 imports stops at 32 levels with AEG509 at the first import", () => {
    const result = compileMemory(chain(2_000, false), "/virtual/f0.aegis");
    expect(result.diagnostics.map((d) => `${d.code} ${d.line}:${d.column}`)).toEqual([
      "AEG509 1:8",
    ]);
    expect(result.diagnostics[0]!.message).toMatch(/imports nested more than 32 levels deep$/);
  });

  it("a cycle of 30 imports is AEG506, however long", () => {
    const result = compileMemory(chain(29, true), "/virtual/f0.aegis");
    expect(result.diagnostics.map((d) => d.code)).toEqual(["AEG506"]);
    expect(result.diagnostics[0]!.message).toContain("f0.aegis → f1.aegis");
  });
});

describe("huge numbers of states and findings", () => {
  it("3,000 states in a chain compile cleanly", () => {
    const states = Array.from(
      { length: 3_000 },
      (_, i) => `state S${i} = agent bot { prompt "step ${i}" otherwise -> S${i + 1} }`,
    );
    const text = workflow(`${states.join("\n")}\nfinal S3000`, { start: "S0", finals: false });
    const { result, short } = findings(text);
    expect(short).toEqual([]);
    expect(result.graph.order).toBe(3_001);
  });

  it("50,000 stray characters are 25 findings, each at its place, then AEG113 where reading stopped", () => {
    const text = "@\n".repeat(50_000);
    const { short } = findings(text);
    expect(short.length).toBe(26);
    expect(short[24]).toBe("AEG100 25:1");
    expect(short[25]).toBe("AEG113 26:1");
  });

  it("thousands of syntax errors in one workflow stop after 25 (Chevrotain's recovery recurses per error)", () => {
    // Each stray `]` ends a state, and the parser's recovery re-enters the workflow's
    // repetition: one level of stack per error, without the cap.
    const text = source(`
      workflow w {
        start S
        ${'state S = agent a ] prompt "x"\n'.repeat(10_000)}
      }
    `);
    const { short } = findings(text);
    expect(short.filter((s) => s.startsWith("AEG101"))).toHaveLength(25);
    expect(short.at(-1)).toMatch(/^AEG113 /);
  });
});
