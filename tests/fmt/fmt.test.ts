// The canonical printer (src/compiler/emit/aegis.ts) and `aegis fmt` / `aegis convert`:
// on every example and every diagnostics fixture that parses, printing is idempotent, keeps
// the graph's content hash, every comment and the tree (positions aside); strings of any
// content round-trip; random comments and random trees (as the YAML front ends build them)
// survive printing; and the CLI's --check / --write / convert behave.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { IToken } from "chevrotain";
import fc from "fast-check";
import { globSync } from "tinyglobby";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type {
  Expr,
  SourceFileAst,
  Span,
  StateDecl,
  Template,
  Value,
} from "../../src/compiler/ast.ts";
import { compile } from "../../src/compiler/compile.ts";
import { formatSource, PrintError, printAegis } from "../../src/compiler/emit/aegis.ts";
import { aegisLexer } from "../../src/compiler/lexer.ts";
import { parse } from "../../src/compiler/parse.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

// ---------------------------------------------------------------- helpers

/**
 * A tree without positions: span-like fields and template maps removed, keys sorted, and a
 * duration value reduced to its milliseconds (fmt writes `90s` as `1m30s`).
 */
function strip(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(strip);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    const duration = (value as { kind?: string }).kind === "duration";
    for (const key of Object.keys(value).sort()) {
      if (["span", "map", "keywordSpan", "pathSpan", "kindSpan"].includes(key)) continue;
      if (duration && key === "text") continue;
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = strip(v);
    }
    return out;
  }
  return value;
}

const images = (comments: IToken[]) => comments.map((c) => c.image).sort();

/** Prints a parsed text the way `aegis fmt` does (comments and the text itself). */
function fmt(text: string, file = "test.aegis"): string {
  const parsed = parse(text, file);
  expect(parsed.findings).toEqual([]);
  return printAegis(parsed.ast, { comments: parsed.comments, source: text });
}

/** Prints with the comments only (no text: blank lines by declaration groups). */
function fmtComments(text: string, file = "test.aegis"): string {
  const parsed = parse(text, file);
  return printAegis(parsed.ast, { comments: parsed.comments });
}

function hash(text: string, file: string): string {
  return compile(text, { filename: file }).document.hash;
}

// ---------------------------------------------------------------- every example and fixture

const candidates = [
  ...globSync("examples/**/*.aegis", { cwd: root }),
  ...globSync("tests/fixtures/diagnostics/*.aegis", { cwd: root }),
].sort();
const files = candidates
  .map((path) => ({ path, abs: join(root, path), text: readFileSync(join(root, path), "utf8") }))
  .filter((f) => parse(f.text, f.abs).findings.length === 0);

describe("the corpus", () => {
  it("holds every example and the fixtures without syntax errors", () => {
    expect(files.length).toBeGreaterThanOrEqual(25);
    expect(files.map((f) => f.path)).toContain("examples/hello/hello.aegis");
    expect(files.map((f) => f.path)).not.toContain("tests/fixtures/diagnostics/syntax_mess.aegis");
  });
});

describe.each(files)("$path", ({ abs, text }) => {
  const parsed = parse(text, abs);
  const printed = printAegis(parsed.ast, { comments: parsed.comments, source: text });
  const again = parse(printed, abs);

  it("prints without a finding", () => {
    expect(again.findings).toEqual([]);
  });

  it("is printed idempotently", () => {
    expect(printAegis(again.ast, { comments: again.comments, source: printed })).toBe(printed);
    const plain = fmtComments(text, abs);
    expect(fmtComments(plain, abs)).toBe(plain);
    const bare = printAegis(parsed.ast);
    expect(printAegis(parse(bare, abs).ast)).toBe(bare);
  });

  it("keeps the content hash of the compiled graph", () => {
    const expected = hash(text, abs);
    expect(hash(printed, abs)).toBe(expected);
    expect(hash(fmtComments(text, abs), abs)).toBe(expected);
  });

  it("keeps every comment", () => {
    expect(images(again.comments)).toEqual(images(parsed.comments));
    expect(images(parse(fmtComments(text, abs), abs).comments)).toEqual(images(parsed.comments));
  });

  it("parses back to the same tree", () => {
    expect(strip(again.ast)).toEqual(strip(parsed.ast));
    expect(strip(parse(printAegis(parsed.ast), abs).ast)).toEqual(strip(parsed.ast));
  });

  it("is how the examples are written", () => {
    if (abs.includes("/examples/")) expect(printed).toBe(text);
  });
});

// ---------------------------------------------------------------- every construct

const everything = `import "./lib/child.aegis" as child
workflow sink """
  Kitchen
  sink
""" {
  version "0.1.0-beta"
  description "Every construct"
  labels { team: "qa", "kebab-key": "v", "with space": "x", "in": "reserved" }
  annotations { owner: "me" }
  input topic: string "The topic"
  input level?: "low" | "high" | 3 = "low"
  input tags: list<string> = ["a", "b"] "Tags"
  input count: integer = -5
  input ratio: number = 0.25
  input flag: boolean = false
  input anything: any = null
  input obj: object = { a: { b: [1, 2.5, -3, 1e21] }, empty: {}, list: [] }
  context { timeout: 3m, when: 1h30m, nothing: null, yes: true, sym: some-symbol, env_call: env("HOME") }
  secret token "API token"
  secret other
  agent writer = claude(model: "opus", effort: "high")
  agent raw = command("my-agent --flag", cwd: "/tmp") session
  agent runtime
  limits { transitions: 50, agent_calls: 40, wall_time: 2h }
  storage { workspace: { size: "1Gi" }, cache: {} }
  start WRITE
  output { summary: "{{WRITE.output}}", count: "{{input.count}}" }
  output schema { "$schema": "https://json-schema.org/draft/2020-12/schema", type: "object", properties: { summary: { type: "string" } } }

  state WRITE = agent writer timeout 5m visits 3 retry 2 backoff 10s errors retry {
    intent "Write about {{input.topic}}"
    prompt """
      Write about {{input.topic}}.
        Indented "quoted" line with \\\\ backslash and \\{{escaped}} mustache
      Tab:	end
    """
    output { title: string, body: string }
    iterations 2
    on success and WRITE.output.title != "" -> PICK feedback "Again: \\"{{WRITE.output}}\\""
    on failure -> FAILED
  }

  state PICK = agent "writer-{{input.level}}" timeout 1m {
    session picks
    prompt "Pick"
    on success -> REVIEW
    otherwise -> FAILED
  }

  state REVIEW = parallel timeout 10m {
    judge writer weight 2 timeout 5m prompt "Judge: {{WRITE.output}}"
    judge raw
    consensus { strategy: weighted_average, threshold: 0.8, agreement: 0.5, min_judges: 1 }
    on consensus -> APPROVE
    otherwise -> FAILED
  }

  state APPROVE = human timeout 1d {
    prompt "Approve?"
    default rejected
    on approved -> BUILD
    on rejected -> WRITE feedback "{{human.feedback}}"
  }

  state BUILD = container "rust:{{input.topic}}" timeout 10m {
    command ["cargo", "build"]
    env { TOKEN: "{{secrets.token}}", LEVEL: "{{input.level}}" }
    workdir "/workspace"
    volumes { workspace: { path: "/workspace", read_only: true }, cache: "/cache" }
    resources { cpu: 2, memory: "4Gi" }
    options { network_mode: "none", run_as_user: 1000, read_only_root_filesystem: true, name: "build-{{input.topic}}" }
    handler { agent: "writer", prompt: "Summarise: {{output}}", timeout: 60s, required: true }
    on exit 0 -> FAN
    on exit nonzero -> FAILED
  }

  state FAN = foreach item in input.tags agent writer concurrency 2 timeout 5m {
    prompt "Handle {{item}} ({{index}})"
    on success -> LOOP
    otherwise -> FAILED
  }

  state LOOP = loop agent writer max 3 until LOOP.output contains "DONE" or iteration >= 3 session drafts timeout 5m {
    prompt "Iterate {{iteration}}"
    on success -> TEAM
    otherwise -> FAILED
  }

  state TEAM = coordinate [writer, raw] by writer steps 4 then finish timeout 5m {
    prompt "Coordinate"
    on success -> CALL
    otherwise -> FAILED
  }

  state CALL = subworkflow child blocking timeout 5m {
    input { repo: "{{input.topic}}" }
    result child_result
    on success -> SHELL
    otherwise -> FAILED
  }

  state SHELL = run "echo {{input.count}}" timeout 30s {
    env { A: "1" }
    workdir "/tmp"
    on exit 0 and len(trim(stdout)) > 0 and not (exit_code between 1 and 3) -> ROUTE
    otherwise -> FAILED
  }

  state ROUTE = branch {
    on input.count * 2 + 1 > 3 - -1 -> DONE
    on input.level in ["low", "high"] -> DONE
    on input.topic matches "^a\\.b\\d" -> DONE
    otherwise -> FAILED
  }

  state MULTI = containers timeout 10m {
    container build "rust:1.75" { command: ["cargo", "build"], env: { A: "1" }, workdir: "/w" }
    container test "rust:1.75"
    options { network_mode: "none" }
    on success -> DONE
    otherwise -> FAILED
  }

  final DONE = run ["echo", "done"] timeout 10s
  final FAILED failure {
    output "Failed"
  }
}
`;

describe("a file with every construct of the language", () => {
  const child = "workflow child {\n  input repo?: string\n  start OK\n  final OK\n}\n";
  const options = { filename: "/virtual/sink.aegis", readFile: () => child };
  const parsed = parse(everything, "sink.aegis");
  const printed = printAegis(parsed.ast, { comments: parsed.comments, source: everything });

  it("parses, and prints to text that parses to the same tree", () => {
    expect(parsed.findings).toEqual([]);
    const again = parse(printed, "sink.aegis");
    expect(again.findings).toEqual([]);
    expect(strip(again.ast)).toEqual(strip(parsed.ast));
    expect(printAegis(again.ast, { comments: again.comments, source: printed })).toBe(printed);
  });

  it("keeps the content hash", () => {
    expect(compile(printed, options).document.hash).toBe(
      compile(everything, options).document.hash,
    );
    expect(compile(printAegis(parsed.ast), options).document.hash).toBe(
      compile(everything, options).document.hash,
    );
  });
});

// ---------------------------------------------------------------- layout

const messy = `# file header
import   "./lib.aegis"   as   lib // trailing import

/* block
   comment */
workflow   messy "Messy {{input.x}}" { // header comment
  version "2.0"; description "d"
  labels {a: "1", "b c": "2", "in": "3"} # after labels
  input x : string="q\\"uote\\\\back" "desc"
  input n?: number


  input k: list< string > = [ "a" , /* mid list */ "b" ]
  agent  w=claude( model:"opus" , /* in call */ effort : "high" )
  agent other
  context {
    // inside context
    nested: { deep: [1, 2, -3], empty: {} } // trailing entry
    d: 90s,
  }
  limits {transitions: 10}
  start A ; output "{{A.output}}"
  state A=agent w { prompt "hi\\tthere \\u{1F680}"; on success -> B // go
    timeout 90s
    otherwise -> FAILED }
  // before B
  state B = run ["echo", "a b"] visits 2 { on exit_code == 0 and (x == 1 or y) -> DONE feedback "multi\\nline"
     on not (a.b.0 > 3) -> A
     otherwise -> DONE }
  state C = loop agent w max 3 until done == true
  state D = branch { on x between 1 and 5 -> DONE
   /* dangling */ }
  final DONE
  final FAILED failure { timeout 5s // in final
  }
} // after workflow
// at end
`;

const messyFormatted = `# file header
import "./lib.aegis" as lib // trailing import

/* block
   comment */
workflow messy "Messy {{input.x}}" { // header comment
  version "2.0"
  description "d"
  labels { a: "1", "b c": "2", "in": "3" } # after labels
  input x: string = "q\\"uote\\\\back" "desc"
  input n?: number

  input k: list<string> = [
    "a", /* mid list */
    "b",
  ]
  agent w = claude(
    model: "opus", /* in call */
    effort: "high",
  )
  agent other
  context {
    // inside context
    nested: { deep: [1, 2, -3], empty: {} } // trailing entry
    d: 1m30s
  }
  limits { transitions: 10 }
  start A
  output "{{A.output}}"

  state A = agent w timeout 1m30s {
    prompt "hi\\tthere 🚀"
    on success -> B // go
    otherwise -> FAILED
  }

  // before B
  state B = run ["echo", "a b"] visits 2 {
    on exit 0 and (x == 1 or y) -> DONE feedback """
      multi
      line
    """
    on not a.b[0] > 3 -> A
    otherwise -> DONE
  }

  state C = loop agent w max 3 until done == true

  state D = branch {
    on x between 1 and 5 -> DONE
    /* dangling */
  }

  final DONE

  final FAILED failure {
    timeout 5s // in final
  }
} // after workflow

// at end
`;

describe("layout", () => {
  it("formats a messy file to the canonical layout", () => {
    expect(fmt(messy)).toBe(messyFormatted);
    expect(fmt(messyFormatted)).toBe(messyFormatted);
    expect(strip(parse(messyFormatted, "t").ast)).toEqual(strip(parse(messy, "t").ast));
  });

  it("keeps objects, lists and arguments on one line up to 100 columns", () => {
    const short = `workflow w {\n  context { a: "${"x".repeat(80)}" }\n}\n`;
    expect(fmt(short)).toBe(short);
    const long = `workflow w {\n  context { a: "${"x".repeat(81)}", b: 1 }\n}\n`;
    expect(fmt(long)).toBe(
      `workflow w {\n  context {\n    a: "${"x".repeat(81)}"\n    b: 1\n  }\n}\n`,
    );
  });

  it("writes every setting in the header, and a plain final state's in its body", () => {
    const text = `workflow w {
  start A
  state A = agent a { retry 2 backoff 5s; prompt "p"; errors skip; until x; on success -> B }
  final B { timeout 1m }
}
`;
    expect(fmt(text)).toBe(`workflow w {
  start A

  state A = agent a retry 2 backoff 5s errors skip until x {
    prompt "p"
    on success -> B
  }

  final B {
    timeout 1m
  }
}
`);
  });

  it("separates declaration groups by blank lines when there is no text to follow", () => {
    const text = `workflow w { version "1" input a: string agent x start A state A = agent x { on success -> B } final B final C failure }`;
    expect(printAegis(parse(text, "t").ast)).toBe(`workflow w {
  version "1"

  input a: string

  agent x

  start A

  state A = agent x {
    on success -> B
  }

  final B
  final C failure
}
`);
  });

  it("orders a tree from elsewhere canonically, and a parsed one as written", () => {
    const text = `workflow w {\n  start A\n  agent x\n  final A\n  input i: string\n}\n`;
    expect(fmt(text)).toBe(text);
    expect(printAegis(parse(text, "t").ast)).toBe(
      `workflow w {\n  input i: string\n\n  agent x\n\n  start A\n\n  final A\n}\n`,
    );
  });

  it("keeps an aegis-ignore comment on the line it silences", () => {
    const text = `workflow w {
  agent unused // aegis-ignore AEG502
  agent x
  start A
  state A = agent x {
    // aegis-ignore AEG601 -- checked
    prompt "{{input.q}}"
    on success -> B
  }
  final B
}
`;
    const before = compile(text, { filename: "w.aegis" }).diagnostics.map((d) => d.code);
    const after = compile(fmt(text), { filename: "w.aegis" }).diagnostics.map((d) => d.code);
    expect(after).toEqual(before);
  });

  it("formats an empty workflow, empty objects and lists", () => {
    expect(fmt("workflow w{}")).toBe("workflow w {\n}\n");
    expect(fmt("workflow w { context {} labels { } input l: list<any> = [ ] }")).toBe(
      "workflow w {\n  context {}\n  labels {}\n  input l: list<any> = []\n}\n",
    );
  });
});

// ---------------------------------------------------------------- strings

const S: Span = { start: 0, end: 0 };
const tpl = (text: string): Template => ({ kind: "template", text, span: S, map: [] });
const str = (text: string): Value => ({
  kind: "string",
  value: text,
  span: S,
  template: tpl(text),
});
const named = (name: string) => ({ name, span: S });

/** A workflow with `text` in every place a string can be, and `value` / `cond` where given. */
function carrier(text: string, value: Value = str(text), cond?: Expr): SourceFileAst {
  const state: StateDecl = {
    name: named("A"),
    kind: "branch",
    kindSpan: S,
    settings: [],
    statements: [
      { kind: "prompt", template: tpl(text) },
      { kind: "default", value },
    ].map((s) => ({ ...s, span: S })) as StateDecl["statements"],
    transitions: [
      {
        condition: cond ?? {
          kind: "binary",
          op: "==",
          left: { kind: "path", segments: [named("x")], span: S },
          right: { kind: "literal", value: text, span: S },
          span: S,
        },
        otherwise: false,
        target: named("A"),
        feedback: tpl(text),
        span: S,
      },
    ],
    span: S,
  };
  return {
    imports: [{ path: text, pathSpan: S, alias: named("lib"), span: S }],
    span: S,
    workflow: {
      name: named("w"),
      title: tpl(text),
      version: { value: text, span: S },
      description: tpl(text),
      labels: { kind: "object", entries: [{ key: named(text), value, span: S }], span: S },
      inputs: [
        {
          name: named("i"),
          optional: true,
          type: { kind: "literal", value: text, span: S },
          description: tpl(text),
          span: S,
        },
      ],
      secrets: [{ name: named("s"), description: tpl(text), span: S }],
      agents: [],
      states: [state],
      output: tpl(text),
      span: S,
    },
  };
}

function roundTrip(ast: SourceFileAst): { text: string; back: SourceFileAst } {
  const text = printAegis(ast);
  const parsed = parse(text, "t.aegis");
  expect(parsed.findings, text).toEqual([]);
  expect(strip(parsed.ast), text).toEqual(strip(ast));
  expect(printAegis(parsed.ast, { comments: parsed.comments, source: text })).toBe(text);
  return { text, back: parsed.ast };
}

const hardStrings = [
  "",
  'say "hi"',
  'three """ quotes and """" four',
  'ends with a quote"',
  "back\\slash, \\n not a newline, trailing \\",
  "\\{{escaped}} mustache and {{input.x}} and {{{raw}}} and {{#if a}}b{{/if}}",
  "regex ^a\\.b\\d+$",
  "unicode: é ✓ 🚀 日本語, zero-width\u200b, bom\ufeff, line sep\u2028",
  "control \u0000 \u0001 \u001b[31m \u007f \u0085",
  "lone surrogate \ud800 here",
  "tab\tinside",
  "line one\nline two",
  "\n",
  "\n\n",
  "trailing newline\n",
  "\nleading newline",
  "  indented\n    more\n  less",
  "\tindented with a tab\n\tand again",
  "last line blank\n   ",
  "   \nfirst line blank",
  "crlf\r\nline",
  "cr\ronly",
  'quote at the end of a line"\nnext',
  "backslash at the end of a line\\\nnext",
  "blank\n\n\nlines",
  "  ",
];

describe("strings", () => {
  it.each(hardStrings.map((s) => [JSON.stringify(s), s]))(
    "%s round-trips in every place a string can be",
    (_, text) => {
      const { back } = roundTrip(carrier(text));
      const wf = back.workflow!;
      expect(wf.title!.text).toBe(text);
      expect(wf.description!.text).toBe(text);
      expect(wf.version!.value).toBe(text);
      expect(back.imports[0]!.path).toBe(text);
      expect(wf.labels!.entries[0]!.key.name).toBe(text);
      const state = wf.states[0]!;
      expect(state.statements[0]).toMatchObject({ kind: "prompt", template: { text } });
      expect(state.transitions[0]!.feedback!.text).toBe(text);
      expect(state.transitions[0]!.condition).toMatchObject({ right: { value: text } });
    },
  );

  it("writes multi-line text as an indented triple-quoted string", () => {
    const { text } = roundTrip(carrier("Write:\n  {{input.x}}\n\nThanks."));
    expect(text).toContain(`  description """
    Write:
      {{input.x}}

    Thanks.
  """`);
  });

  it("keeps the text of source strings with escapes exactly", () => {
    const source = String.raw`workflow w {
  description "a \"b\" \\ c \u{1F680} \{{not}} {{input.x}}"
  start A
  state A = agent x {
    prompt """
      one "two" \"""three\"""
        four\t\\
      five \
      six
    """
    on output matches "^\\d+\.\d$" -> B
  }
  final B
}
`;
    const before = parse(source, "t").ast;
    const printed = fmt(source);
    const after = parse(printed, "t").ast;
    expect(strip(after)).toEqual(strip(before));
    expect(after.workflow!.description!.text).toBe('a "b" \\ c 🚀 \\{{not}} {{input.x}}');
    expect(printed).toContain(String.raw`description "a \"b\" \\ c 🚀 \{{not}} {{input.x}}"`);
  });

  it("round-trips any text (property)", () => {
    const unit = fc.oneof(
      fc.constantFrom(
        '"',
        "\\",
        "\n",
        "\r",
        "\t",
        " ",
        "{",
        "}",
        "u",
        "n",
        "\u0000",
        "\ud800",
        "🚀",
      ),
      fc.string({ unit: "grapheme", minLength: 1, maxLength: 1 }),
      fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
    );
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 40 }), (text) => {
        roundTrip(carrier(text));
      }),
      { numRuns: 300 },
    );
  });
});

// ---------------------------------------------------------------- trees from elsewhere

const reservedWords = new Set([
  "and",
  "or",
  "not",
  "true",
  "false",
  "null",
  "contains",
  "matches",
  "between",
  "in",
]);
const nameArb = fc
  .stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,6}(-[a-z0-9]{1,3})?$/)
  .filter((n) => !reservedWords.has(n));
const textArb = fc.string({
  unit: fc.oneof(
    fc.constantFrom('"', "\\", "\n", "{", "}", " "),
    fc.string({ unit: "grapheme", minLength: 1, maxLength: 1 }),
  ),
  maxLength: 12,
});

const valueArb: fc.Arbitrary<Value> = fc.letrec<{ v: Value }>((tie) => ({
  v: fc.oneof(
    { depthSize: "small" },
    textArb.map(str),
    fc
      .double({ noNaN: true, noDefaultInfinity: true })
      .map((value): Value => ({ kind: "number", value, span: S })),
    fc
      .integer({ min: 0, max: 10 ** 10 })
      .map((ms): Value => ({ kind: "duration", ms, text: "", span: S })),
    fc.boolean().map((value): Value => ({ kind: "boolean", value, span: S })),
    fc.constant<Value>({ kind: "null", span: S }),
    nameArb.map((name): Value => ({ kind: "symbol", name, span: S })),
    fc.array(tie("v"), { maxLength: 4 }).map((items): Value => ({ kind: "list", items, span: S })),
    fc.array(fc.tuple(fc.oneof(textArb, nameArb), tie("v")), { maxLength: 4 }).map(
      (entries): Value => ({
        kind: "object",
        entries: entries.map(([k, value]) => ({ key: named(k), value, span: S })),
        span: S,
      }),
    ),
  ),
})).v;

const operators = [
  "or",
  "and",
  "==",
  "!=",
  "<",
  "<=",
  ">",
  ">=",
  "contains",
  "matches",
  "in",
  "+",
  "-",
  "*",
  "/",
] as const;
const exprArb: fc.Arbitrary<Expr> = fc.letrec<{ e: Expr }>((tie) => ({
  e: fc.oneof(
    { depthSize: "small" },
    textArb.map((value): Expr => ({ kind: "literal", value, span: S })),
    fc.nat(1000).map((value): Expr => ({ kind: "literal", value, span: S })),
    fc.nat(10 ** 8).map((value): Expr => ({ kind: "literal", value, span: S, duration: true })),
    fc.constantFrom(true, false, null).map((value): Expr => ({ kind: "literal", value, span: S })),
    fc
      .tuple(
        nameArb,
        fc.array(
          fc.oneof(
            nameArb.map(named),
            fc.nat(9).map((index) => ({ index, span: S })),
          ),
          { maxLength: 3 },
        ),
      )
      .map(([head, rest]): Expr => ({ kind: "path", segments: [named(head), ...rest], span: S })),
    fc
      .tuple(fc.constantFrom<"not" | "-">("not", "-"), tie("e"))
      .map(([op, operand]): Expr => ({ kind: "unary", op, operand, span: S })),
    fc
      .tuple(fc.constantFrom(...operators), tie("e"), tie("e"))
      .map(([op, left, right]): Expr => ({ kind: "binary", op, left, right, span: S })),
    fc
      .tuple(tie("e"), tie("e"), tie("e"))
      .map(([operand, low, high]): Expr => ({ kind: "between", operand, low, high, span: S })),
    fc
      .tuple(nameArb, fc.array(tie("e"), { maxLength: 3 }))
      .map(([callee, args]): Expr => ({ kind: "call", callee: named(callee), args, span: S })),
    fc.array(tie("e"), { maxLength: 3 }).map((items): Expr => ({ kind: "list", items, span: S })),
  ),
})).e;

describe("trees built by a front end", () => {
  it("prints any value and any condition so that they parse back the same (property)", () => {
    fc.assert(
      fc.property(valueArb, textArb, exprArb, (value, text, cond) => {
        roundTrip(carrier(text, value, cond));
      }),
      { numRuns: 500 },
    );
  });

  it("quotes keys that are not names, and keeps hyphenated names and empty objects", () => {
    const schema: Value = {
      kind: "object",
      span: S,
      entries: [
        ["$schema", str("https://json-schema.org/draft/2020-12/schema")],
        ["a b", { kind: "object", entries: [], span: S }],
        ["in", { kind: "list", items: [], span: S }],
        ["kebab-case", str("x")],
        ["-lead", str("y")],
        ["", str("")],
      ].map(([k, value]) => ({ key: named(k as string), value: value as Value, span: S })),
    };
    const ast = carrier("x", schema);
    ast.workflow!.outputSchema = schema as Value & { kind: "object" };
    ast.workflow!.agents.push({ name: named("security-reviewer"), args: [], options: [], span: S });
    const { text } = roundTrip(ast);
    expect(text).toContain(
      `output schema {
    "$schema": "https://json-schema.org/draft/2020-12/schema"
    "a b": {}
    "in": []
    kebab-case: "x"
    "-lead": "y"
    "": ""
  }`,
    );
    expect(text).toContain("agent security-reviewer");
  });

  it("refuses what the language cannot say, with a PrintError", () => {
    const badName = carrier("x");
    badName.workflow!.states[0]!.name = named("my step");
    expect(() => printAegis(badName)).toThrow(PrintError);
    const nan = carrier("x", { kind: "number", value: Number.NaN, span: S });
    expect(() => printAegis(nan)).toThrow(/NaN/);
    const agentless = carrier("x");
    agentless.workflow!.states[0]!.kind = "agent";
    expect(() => printAegis(agentless)).toThrow(/without an agent/);
  });

  it("converts every YAML fixture that converts to the same graph", () => {
    // The converter's own tests live with the YAML front end; here: what it builds prints.
    const yamlFiles = globSync("tests/schemas/fixtures/*.yaml", { cwd: root });
    if (!existsSync(join(root, "src/compiler/yaml/index.ts")) || yamlFiles.length === 0) return;
    return import("../../src/compiler/yaml/index.ts").then(({ parseYamlWorkflow }) => {
      let converted = 0;
      for (const path of yamlFiles) {
        const text = readFileSync(join(root, path), "utf8");
        const result = parseYamlWorkflow(text, path);
        if (result.findings.some((f) => f.code >= "AEG700" && f.code !== "AEG708")) continue;
        const source = printAegis(result.ast);
        const back = parse(source, "converted.aegis");
        expect(back.findings, path).toEqual([]);
        const { dialect: _, ...ast } = result.ast as SourceFileAst & { dialect?: string };
        expect(strip(back.ast), path).toEqual(strip(ast));
        expect(hash(source, join(root, path.replace(/\.ya?ml$/, ".aegis"))), path).toBe(
          compile(text, { filename: join(root, path) }).document.hash,
        );
        converted++;
      }
      expect(converted).toBeGreaterThan(0);
    });
  });
});

// ---------------------------------------------------------------- comments anywhere

describe("comments", () => {
  const examples = files.filter((f) => f.path.startsWith("examples/"));

  it("survive wherever they are put between tokens (property)", () => {
    const cases = examples.map((f) => {
      const tokens = aegisLexer.tokenize(f.text).tokens;
      return {
        ...f,
        ends: tokens.map((t) => t.startOffset + t.image.length),
        base: hash(f.text, f.abs),
      };
    });
    const shapes = [" /* c */ ", " // c\n", "\n# c\n", "\n\n/* c\n   more */\n"];
    fc.assert(
      fc.property(
        fc.nat(cases.length - 1),
        fc.array(fc.tuple(fc.nat(10_000), fc.nat(shapes.length - 1)), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.boolean(),
        fc.integer({ min: 40, max: 140 }),
        (which, inserts, withSource, width) => {
          const c = cases[which]!;
          let text = c.text;
          const at = inserts
            .map(([i, shape], n) => ({ offset: c.ends[i % c.ends.length]!, shape, n }))
            .sort((a, b) => b.offset - a.offset);
          for (const { offset, shape, n } of at) {
            text =
              text.slice(0, offset) + shapes[shape]!.replace("c", `c${n}`) + text.slice(offset);
          }
          const parsed = parse(text, c.abs);
          expect(parsed.findings).toEqual([]);
          const options = withSource
            ? { comments: parsed.comments, source: text, width }
            : { comments: parsed.comments, width };
          const printed = printAegis(parsed.ast, options);
          const again = parse(printed, c.abs);
          expect(again.findings, printed).toEqual([]);
          expect(strip(again.ast)).toEqual(strip(parsed.ast));
          expect(images(again.comments)).toEqual(images(parsed.comments));
          const next = withSource
            ? { comments: again.comments, source: printed, width }
            : { comments: again.comments, width };
          expect(printAegis(again.ast, next), text).toBe(printed);
          // (A workflow whose agent is called `default` hashes some positions; skip those.)
          if (hash(text, c.abs) === c.base) expect(hash(printed, c.abs)).toBe(c.base);
        },
      ),
      { numRuns: 150 },
    );
  });
});

// ---------------------------------------------------------------- formatSource

describe("formatSource", () => {
  it("refuses a file with syntax errors, giving the parse's findings", () => {
    const r = formatSource("workflow w { state A = agent x timeout { } }", "bad.aegis");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.findings.map((f) => f.code)).toContain("AEG101");
  });

  it("refuses a call with named arguments in a value (the parser reports it)", () => {
    const text =
      'workflow w {\n  agent a = claude(model: "x")\n  context { home: env(name: "HOME") }\n}\n';
    const refused = formatSource(text, "w.aegis");
    expect(refused.ok).toBe(false);
    expect(
      compile(text, { filename: "w.aegis" }).diagnostics.map((d) => `${d.code} ${d.line}`),
    ).toContain("AEG104 3");
    const fine =
      'workflow w {\n  agent a = claude(model: "x")\n  context { home: env("HOME"), o: { k: 1 } }\n}\n';
    expect(formatSource(fine, "w.aegis")).toMatchObject({ ok: true, changed: false });
  });

  it("says whether the text changes", () => {
    expect(formatSource(messyFormatted, "m.aegis")).toEqual({
      ok: true,
      text: messyFormatted,
      changed: false,
    });
    expect(formatSource(messy, "m.aegis")).toEqual({
      ok: true,
      text: messyFormatted,
      changed: true,
    });
  });
});

// ---------------------------------------------------------------- the command line

const bin = join(root, "bin", "aegis.js");
const projectNode = join(root, "node_modules", ".bin", "node");
const node = existsSync(projectNode) ? projectNode : process.execPath;
let dir: string;

function aegis(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(node, [bin, ...args], {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: undefined },
    timeout: 60_000,
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function write(path: string, text: string): void {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), text);
}

const read = (path: string) => readFileSync(join(dir, path), "utf8");
const broken = "workflow w {\n  state A = agent x timeout {\n  }\n}\n";
const agentos = `id: tiny
name: Tiny
agents:
  - writer
steps:
  - name: Draft
    functionId: "agent::chat"
    promptTemplate: "Write about {{topic}}"
    timeoutMs: 120000
`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "aegis-fmt-"));
  write("messy.aegis", messy);
  write("clean.aegis", messyFormatted);
  write("broken.aegis", broken);
  write("flows/a.aegis", messy);
  write("flows/b.aegis", messyFormatted);
  write("tiny.yaml", agentos);
  write("bad.yaml", "id: x\nsteps: 3\n");
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("aegis fmt", () => {
  it("prints one file, formatted, to stdout", () => {
    const r = aegis("fmt", "messy.aegis");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(messyFormatted);
    expect(read("messy.aegis")).toBe(messy);
  });

  it("--check exits 1 listing unformatted files, 0 when all are formatted", () => {
    const bad = aegis("fmt", "--check", "flows/*.aegis");
    expect(bad.status).toBe(1);
    expect(bad.stdout).toBe("flows/a.aegis\n");
    expect(bad.stderr).toContain("1 file is not formatted");
    const good = aegis("fmt", "--check", "clean.aegis", "flows/b.aegis");
    expect(good.status).toBe(0);
    expect(good.stdout).toBe("");
    expect(read("flows/a.aegis")).toBe(messy);
  });

  it("--write rewrites the files that need it, and lists them", () => {
    write("w/one.aegis", messy);
    write("w/two.aegis", messyFormatted);
    const r = aegis("fmt", "--write", "w/*.aegis");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("w/one.aegis\n");
    expect(read("w/one.aegis")).toBe(messyFormatted);
    expect(read("w/two.aegis")).toBe(messyFormatted);
    expect(aegis("fmt", "--check", "w/*.aegis").status).toBe(0);
  });

  it("refuses a file with syntax errors: diagnostics as compile prints them, exit 1", () => {
    const r = aegis("fmt", "--write", "broken.aegis");
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("broken.aegis:2:29: error[AEG101]");
    expect(r.stderr).toContain("not formatting broken.aegis");
    expect(read("broken.aegis")).toBe(broken);
    expect(aegis("fmt", "--check", "broken.aegis", "clean.aegis").status).toBe(1);
  });

  it("is a usage error without files, with several files and no flag, or with both flags", () => {
    expect(aegis("fmt").status).toBe(2);
    expect(aegis("fmt", "clean.aegis", "messy.aegis").status).toBe(2);
    expect(aegis("fmt", "--check", "--write", "clean.aegis").status).toBe(2);
    expect(aegis("fmt", "--check", "missing.aegis").status).toBe(2);
  });

  it("is in the usage text, and each has its own", () => {
    const r = aegis("--help");
    expect(r.stdout).toMatch(/^ {2}fmt {2,}lay out \.aegis files canonically$/m);
    expect(r.stdout).toMatch(
      /^ {2}convert {2,}an AEGIS manifest or AgentOS workflow as aegis source$/m,
    );
    expect(aegis("fmt", "--help").stdout).toMatch(/^Usage: aegis fmt \[--check \| --write\]/);
    expect(aegis("help", "convert").stdout).toMatch(/^Usage: aegis convert FILE\.yaml/);
  });
});

describe("aegis convert", () => {
  it("prints a YAML workflow as aegis source that compiles to the same graph", () => {
    const r = aegis("convert", "tiny.yaml");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("state DRAFT = agent writer timeout 2m {");
    expect(parse(r.stdout, "tiny.aegis").findings).toEqual([]);
    expect(hash(r.stdout, join(dir, "tiny.aegis"))).toBe(hash(agentos, join(dir, "tiny.yaml")));
  });

  it("writes --out, and the result is already formatted", () => {
    const r = aegis("convert", "tiny.yaml", "--out", "tiny.aegis");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("");
    expect(aegis("fmt", "--check", "tiny.aegis").status).toBe(0);
  });

  it("refuses a YAML file with errors: diagnostics, exit 1", () => {
    const r = aegis("convert", "bad.yaml", "--out", "bad.aegis");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/bad\.yaml:\d+:\d+: error\[AEG7\d\d\]/);
    expect(existsSync(join(dir, "bad.aegis"))).toBe(false);
  });

  it("takes exactly one file", () => {
    expect(aegis("convert").status).toBe(2);
    expect(aegis("convert", "tiny.yaml", "bad.yaml").status).toBe(2);
    expect(aegis("convert", "missing.yaml").status).toBe(2);
  });
});
