// Property tests of the compiler's front door: whatever text it is given, compile() returns
// (never throws), every diagnostic has a catalogued code and a position inside the file;
// and every well-formed workflow built by the generator below compiles without errors.
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type CompileResult, compile } from "../../src/compiler/compile.ts";
import { catalogue, type Location } from "../../src/compiler/diagnostics.ts";
import { keywords } from "../../src/compiler/lexer.ts";

const examplePath = new URL("../../examples/dev_pipeline/dev_pipeline.aegis", import.meta.url);
const example = readFileSync(examplePath, "utf8");
const FILE = "fuzz.aegis";

/** Lines as the language counts them: \n, \r\n and a lone \r end a line. */
function linesOf(text: string): string[] {
  return text.split(/\r\n|\r|\n/);
}

function compileSafely(text: string): CompileResult {
  // No file system: imports of fuzzed text resolve to nothing.
  return compile(text, { filename: FILE, readFile: () => undefined });
}

/** Positions are 1-based, in UTF-16 code units, and inside the text (one past a line's end at most). */
function positionProblem(loc: Location, lines: string[]): string | undefined {
  const { line, column, endLine, endColumn } = loc;
  const width = (l: number) => (lines[l - 1]?.length ?? -1) + 1;
  if (![line, column, endLine, endColumn].every(Number.isInteger)) return "non-integer position";
  if (line < 1 || line > lines.length) return `line ${line} outside 1..${lines.length}`;
  if (column < 1 || column > width(line)) return `column ${column} outside 1..${width(line)}`;
  if (endLine < line || endLine > lines.length) return `endLine ${endLine} outside ${line}..`;
  if (endColumn < 1 || endColumn > width(endLine))
    return `endColumn ${endColumn} outside 1..${width(endLine)}`;
  if (endLine === line && endColumn < column) return "end before start";
  return undefined;
}

/** The invariants every compile result must satisfy, whatever the input. */
function assertWellFormed(text: string): CompileResult {
  let result: CompileResult | undefined;
  expect(() => {
    result = compileSafely(text);
  }).not.toThrow();
  const r = result!;
  expect(Array.isArray(r.diagnostics)).toBe(true);
  const lines = linesOf(text);
  for (const d of r.diagnostics) {
    expect(Object.keys(catalogue)).toContain(d.code);
    expect(d.rule).toBe(catalogue[d.code].rule);
    expect(["error", "warning", "info"]).toContain(d.severity);
    expect(typeof d.message).toBe("string");
    expect(d.message.length).toBeGreaterThan(0);
    expect(d.file).toBe(FILE);
    const problem = positionProblem(d, lines);
    expect(problem, `${d.code} ${d.message} at ${JSON.stringify(d)}`).toBeUndefined();
    expect(d.offset).toBeGreaterThanOrEqual(0);
    expect(d.endOffset).toBeLessThanOrEqual(text.length);
    for (const related of d.related) {
      if (related.file !== FILE) continue;
      expect(positionProblem(related, lines), JSON.stringify(related)).toBeUndefined();
    }
  }
  expect(r.ok).toBe(!r.diagnostics.some((d) => d.severity === "error"));
  return r;
}

// ------------------------------------------------------------------ arbitraries

const punctuation = [
  "{",
  "}",
  "(",
  ")",
  "[",
  "]",
  ",",
  ":",
  ";",
  "?",
  ".",
  "|",
  "==",
  "!=",
  "<=",
  ">=",
  "<",
  ">",
  "=",
  "+",
  "-",
  "*",
  "/",
  "->",
  '"',
  '"""',
  "'",
  "\\",
  "{{",
  "}}",
  "{{#if x}}",
  "{{/if}}",
  "//",
  "/*",
  "*/",
  "#",
  "\n",
  "\r\n",
  "\r",
  "\t",
  "5m",
  "1h30m",
  "0",
  "3",
  "0.85",
  "1e9",
  "-1",
  "REVIEW",
  "DONE",
  "x",
  '"text"',
  '"{{input.task}}"',
  "// aegis-ignore AEG502",
  "é",
  "😀",
  "\u0000",
  "\uFEFF",
  "\uD800",
];
const tokens = [...keywords, ...punctuation];

/** Random text: any code points (lone surrogates included), or ASCII weighted to the language's symbols. */
const randomText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 300 }),
  fc.string({ unit: "grapheme", maxLength: 200 }),
  fc.string({
    unit: fc.constantFrom(..."{}()[]\"'\\/*#:;,.=-<>|?! \n\r\tabcAEG019_é😀"),
    maxLength: 300,
  }),
);

/** Sequences of the language's own tokens: closer to real code, so the parser gets further. */
const tokenSoup = fc.array(fc.constantFrom(...tokens), { maxLength: 80 }).chain((parts) =>
  fc
    .array(fc.constantFrom(" ", "", "\n", "  "), {
      minLength: parts.length,
      maxLength: parts.length,
    })
    .map((seps) => parts.map((p, i) => p + seps[i]).join("")),
);

type Mutation =
  | { kind: "delete"; at: number; length: number }
  | { kind: "duplicate"; at: number; length: number; to: number }
  | { kind: "insert"; at: number; token: string }
  | { kind: "swap"; a: number; b: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant("delete" as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 300 }),
  }),
  fc.record({
    kind: fc.constant("duplicate" as const),
    at: fc.nat(),
    length: fc.integer({ min: 1, max: 300 }),
    to: fc.nat(),
  }),
  fc.record({
    kind: fc.constant("insert" as const),
    at: fc.nat(),
    token: fc.constantFrom(...tokens),
  }),
  fc.record({ kind: fc.constant("swap" as const), a: fc.nat(), b: fc.nat() }),
);

function mutate(text: string, mutations: Mutation[]): string {
  for (const m of mutations) {
    switch (m.kind) {
      case "delete": {
        const at = m.at % (text.length + 1);
        text = text.slice(0, at) + text.slice(at + m.length);
        break;
      }
      case "duplicate": {
        const at = m.at % (text.length + 1);
        const slice = text.slice(at, at + m.length);
        const to = m.to % (text.length + 1);
        text = text.slice(0, to) + slice + text.slice(to);
        break;
      }
      case "insert": {
        const at = m.at % (text.length + 1);
        text = `${text.slice(0, at)} ${m.token} ${text.slice(at)}`;
        break;
      }
      case "swap": {
        if (text.length < 2) break;
        const a = m.a % text.length;
        const b = m.b % text.length;
        const chars = text.split("");
        [chars[a], chars[b]] = [chars[b]!, chars[a]!];
        text = chars.join("");
        break;
      }
    }
  }
  return text;
}

const mutatedExample = fc
  .array(mutation, { minLength: 1, maxLength: 8 })
  .map((ms) => mutate(example, ms));

// --------------------------------------------------- well-formed workflow generator

/** Words that must not name a state: reserved words, template roots and result fields. */
const notStateNames = new Set([
  ...["and", "or", "not", "true", "false", "null", "contains", "matches", "between", "in"],
  ...["input", "context", "secrets", "state", "human", "run", "workflow", "github", "intent"],
  ...["iteration", "max_iterations", "previous", "index", "always", "success", "failure"],
  ...["timeout", "timed_out", "status", "score", "confidence", "output", "exit", "exit_code"],
  ...["approved", "rejected", "response", "consensus", "otherwise", "skipped", "error"],
]);

/** State names: plain identifiers, names with inner hyphens, and (non-reserved) keywords. */
const stateName = fc.oneof(
  fc.stringMatching(/^[A-Z][A-Z0-9_]{0,10}$/),
  fc.stringMatching(/^[a-z][a-z0-9]{0,6}(?:-[a-z0-9]{1,5}){0,2}$/),
  fc.constantFrom(...keywords),
);

/** Text safe inside a "..." string: no quotes, backslashes or braces. */
const plainText = fc.string({
  unit: fc.constantFrom(..."abcdefgh ijklmnop.,:;!?'-()ÉéßΩ日本😀"),
  maxLength: 30,
});

type Kind = "agent" | "run" | "human" | "branch";

interface PlannedState {
  name: string;
  kind: Kind;
  /** Forward targets (state indices, or -1 DONE, -2 FAILED) for conditional transitions. */
  extra: number[];
  /** A bounded back-edge to an earlier state index, if any. */
  back?: number;
  text: string;
  retry: boolean;
}

interface Plan {
  states: PlannedState[];
  withLimit: boolean;
  visits: number;
}

const planArbitrary: fc.Arbitrary<Plan> = fc
  .uniqueArray(stateName, {
    minLength: 1,
    maxLength: 14,
    selector: (s) => s.toLowerCase(),
  })
  // DONE and FAILED are added by render(), and so is "<gate>_ok" after each human gate.
  .map((names) => names.filter((n) => !notStateNames.has(n) && !/^(done|failed)$|_ok$/i.test(n)))
  .filter((names) => names.length > 0)
  .chain((names) =>
    fc.record({
      states: fc.tuple(
        ...names.map((name, i) =>
          fc.record({
            name: fc.constant(name),
            kind: fc.constantFrom<Kind>("agent", "agent", "run", "human", "branch"),
            extra: fc.array(fc.integer({ min: -2, max: names.length - 1 }), { maxLength: 3 }),
            back: fc.option(fc.integer({ min: 0, max: i }), { nil: undefined }),
            text: plainText,
            retry: fc.boolean(),
          }),
        ),
      ),
      withLimit: fc.boolean(),
      visits: fc.integer({ min: 1, max: 5 }),
    }),
  );

function conditionFor(kind: Kind, k: number): string {
  const options: Record<Kind, string[]> = {
    agent: ["success", "score >= 0.8", "confidence > 0.5 and score < 0.9", 'output contains "ok"'],
    run: ["exit 0", "exit_code == 2", "exit nonzero", 'stdout matches "^ok"'],
    human: ["approved", 'response == "later"'],
    branch: ['input.mode == "fast"', "input.level > 3", "not (input.level between 1 and 2)"],
  };
  const list = options[kind];
  return list[k % list.length]!;
}

/**
 * Writes a plan as aegis source. The shape keeps every check happy: a main chain (each
 * state's last transition is `otherwise` to the next one), random forward transitions,
 * back-edges only into states with a visit limit (or under a transition limit), human
 * gates whose approval leads to a state only they lead to, templates that only name the
 * start state (which dominates every other) or the state itself after it ran.
 */
function render(plan: Plan): { source: string; states: number; transitions: number } {
  const { states } = plan;
  // A gate's approval target is private to it: a state "<gate>_ok" follows each gate.
  const lines: string[] = [];
  let transitions = 0;
  const names = states.map((s) => s.name);
  const backTargets = new Set(states.flatMap((s) => (s.back === undefined ? [] : [s.back])));
  const first = states[0]!;
  const target = (t: number) => (t === -1 ? "DONE" : t === -2 ? "FAILED" : names[t]!);
  const next = (i: number) => (i + 1 < states.length ? names[i + 1]! : "DONE");
  const startRef = first.kind === "branch" ? "" : ` {{${first.name}.output}}`;
  lines.push("// generated by a property test");
  lines.push(`workflow generated "Generated: ${first.text}" {`);
  lines.push('  input task: string "What to do"');
  lines.push('  input mode: "fast" | "slow" = "fast"');
  lines.push("  input level: integer = 2");
  lines.push('  context { repo: "example/repo" }');
  lines.push('  agent planner = claude(model: "opus", effort: "high")');
  lines.push('  agent coder = command("opencode run", input: stdin)');
  if (plan.withLimit) lines.push(`  limits { transitions: ${10 * states.length + 10} }`);
  lines.push(`  start ${first.name}`);
  lines.push('  output "{{input.task}}"');
  states.forEach((s, i) => {
    const edges: string[] = [];
    const edge = (condition: string, to: string, feedback?: string) => {
      transitions++;
      edges.push(
        `    ${condition === "otherwise" ? "otherwise" : `on ${condition}`} -> ${to}${feedback ? ` feedback "${feedback}"` : ""}`,
      );
    };
    const visits = backTargets.has(i) || !plan.withLimit ? ` visits ${plan.visits}` : "";
    const ref = i === 0 ? "" : startRef;
    switch (s.kind) {
      case "agent": {
        const agent = i % 2 === 0 ? "planner" : "coder";
        const retry = s.retry ? " retry 2 backoff 10s" : "";
        lines.push(`  state ${s.name} = agent ${agent} timeout 5m${visits}${retry} {`);
        lines.push(`    prompt "${s.text} {{input.task}} in {{context.repo}}${ref}"`);
        break;
      }
      case "run":
        lines.push(`  state ${s.name} = run "make test" timeout 2m${visits} {`);
        lines.push('    env { TASK: "{{input.task}}" }');
        break;
      case "human":
        lines.push(`  state ${s.name} = human timeout 1h${visits} {`);
        lines.push(`    prompt "Approve? ${s.text}${ref}"`);
        break;
      case "branch":
        lines.push(`  state ${s.name} = branch${visits} {`);
        break;
    }
    if (s.kind === "human") {
      edge("approved", `${s.name}_ok`);
      edge("rejected", "FAILED", `{{human.feedback}} ${s.text}`);
    } else {
      s.extra.forEach((t, k) => {
        // Only forward (or to a final state): cycles come from `back` alone.
        if (t >= 0 && t <= i) return;
        edge(conditionFor(s.kind, k), target(t));
      });
      if (s.back !== undefined && s.kind !== "branch")
        edge("failure", names[s.back]!, `again: {{${s.name}.output}} ${s.text}`);
      edge("otherwise", next(i));
    }
    lines.push(...edges);
    lines.push("  }");
    if (s.kind === "human") {
      lines.push(`  state ${s.name}_ok = branch {`);
      edge("always", next(i));
      lines.push(edges.at(-1)!);
      lines.push("  }");
    }
  });
  lines.push("  final DONE");
  lines.push("  final FAILED failure");
  lines.push("}");
  const gates = states.filter((s) => s.kind === "human").length;
  return { source: `${lines.join("\n")}\n`, states: states.length + gates + 2, transitions };
}

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
      fc.property(tokenSoup, (text) => {
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

  it("never reports an internal compiler error (AEG000) on mutated or random input", () => {
    fc.assert(
      fc.property(fc.oneof(mutatedExample, tokenSoup, randomText), (text) => {
        const codes = compileSafely(text).diagnostics.map((d) => d.code);
        expect(codes).not.toContain("AEG000");
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
  const r = compileSafely(source);
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
        const r = compileSafely(source);
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
