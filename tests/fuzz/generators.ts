// Input generators for fuzzing the compiler, shared by the test suite and `npm run fuzz`:
// arbitrary text, sequences of the language's tokens, well-formed workflows built from the
// grammar, expressions, mutations of real files (character, line and token edits, splices
// between files, truncation, huge or deeply nested fragments) and structural mutations of
// real YAML documents.
import fc from "fast-check";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { aegisLexer, keywords } from "../../src/compiler/lexer.ts";
import type { SeedFile } from "./seeds.ts";

// ------------------------------------------------------------------ vocabularies

const punctuation = [
  ...["{", "}", "(", ")", "[", "]", ",", ":", ";", "?", ".", "|", "==", "!=", "<=", ">="],
  ...["<", ">", "=", "+", "-", "*", "/", "->", '"', '"""', "'", "\\", "{{", "}}"],
  ...["{{#if x}}", "{{/if}}", "{{else}}", "{{#each input.items}}", "{{/each}}", "{{{x}}}"],
  ...["//", "/*", "*/", "#", "\n", "\r\n", "\r", "\t", "5m", "1h30m", "0", "3", "0.85", "1e9"],
  ...["-1", "REVIEW", "DONE", "x", '"text"', '"{{input.task}}"', "// aegis-ignore AEG502"],
  ...["é", "😀", "\u0000", "\uFEFF", "\uD800", "\u2028"],
];

/** Keywords and symbols of the aegis language, and a few awkward characters. */
export const aegisTokens: readonly string[] = [...keywords, ...punctuation];

/** Pieces of YAML syntax: indicators, anchors and aliases, tags, block scalars, documents. */
export const yamlTokens: readonly string[] = [
  ...[":", ": ", "- ", "\n", "\n  ", "\n    ", "  ", "\t", "? ", "|", "|-", ">", ">+", "#"],
  ...["{", "}", "[", "]", ",", "'", '"', "\\", "&a ", "*a", "&b [*a, *a, *a]", "<<: *a"],
  ...["!!str ", "!!int ", "!!map", "!tag ", "---\n", "...\n", "%YAML 1.2\n", "~", "null"],
  ...["true", "no", "0x1F", "1e999", ".inf", "-.nan", "{{x}}", "{{#if a}}b{{/if}}", "@", "`"],
  ...["é", "😀", "\u0000", "\uFEFF", "\uD800", "\u0085"],
];

/** Distinct token images of `files` (names, strings, keys): material from real code. */
export function tokensOf(files: readonly SeedFile[], kind: "aegis" | "yaml"): string[] {
  const out = new Set<string>();
  for (const f of files) {
    if (kind === "aegis") {
      for (const t of aegisLexer.tokenize(f.text).tokens)
        if (t.image.length <= 80) out.add(t.image);
    } else {
      for (const m of f.text.matchAll(/[A-Za-z_][\w.-]*:?|"[^"\n]{0,60}"|\{\{[^}\n]{0,40}\}\}/g))
        out.add(m[0]);
    }
  }
  return [...out].sort();
}

// ------------------------------------------------------------------ random text

/** Random text: any code points (lone surrogates included), or ASCII weighted to symbols. */
export const randomText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: "binary", maxLength: 300 }),
  fc.string({ unit: "grapheme", maxLength: 200 }),
  fc.string({
    unit: fc.constantFrom(..."{}()[]\"'\\/*#:;,.=-<>|?!&@% \n\r\tabcAEG019_é😀"),
    maxLength: 300,
  }),
);

/** Sequences of a vocabulary's tokens: closer to real code, so the parser gets further. */
export function tokenSoup(vocabulary: readonly string[], maxLength = 80): fc.Arbitrary<string> {
  return fc
    .array(fc.tuple(fc.constantFrom(...vocabulary), fc.constantFrom(" ", "", "\n", "  ", "\n  ")), {
      maxLength,
    })
    .map((parts) => parts.map(([token, sep]) => token + sep).join(""));
}

// ------------------------------------------------------------------ huge and deep fragments

/** Fragments repeated many times: deep nesting, long lines, many aliases or blocks. */
const fragments: readonly (readonly [string, string])[] = [
  ["(", ")"],
  ["[", "]"],
  ["{", "}"],
  ["{a: ", "}"],
  ["not ", ""],
  ["- ", ""],
  ["1 + ", "1"],
  ["x and ", "x"],
  ["{{#if x}}", "{{/if}}"],
  ["{{else if y}}", ""],
  ["{{f (g ", ")}}"],
  ['"', ""],
  ["x", ""],
  ["\\u{1F600}", ""],
  ["  ", "k:"],
  ["- [", "]"],
  ["&a [*a, ", "]"],
  ["*a, ", ""],
  ["\n", ""],
  ["# comment\n", ""],
  ['import "a.aegis" as a\n', ""],
];

/** How often a fragment repeats: mostly a few, sometimes past the compiler's limits. */
const repeats = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 40 }) },
  { weight: 2, arbitrary: fc.integer({ min: 60, max: 400 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 3000 }) },
);

// ------------------------------------------------------------------ mutations

export type Edit =
  | { kind: "delete"; at: number; length: number }
  | { kind: "duplicate"; at: number; length: number; to: number }
  | { kind: "insert"; at: number; token: string }
  | { kind: "swap"; a: number; b: number }
  | { kind: "flip"; at: number; bit: number }
  | { kind: "line"; op: "delete" | "duplicate" | "swap" | "indent"; a: number; b: number }
  | { kind: "splice"; at: number; from: number; start: number; length: number }
  | { kind: "truncate"; at: number }
  | { kind: "fragment"; at: number; fragment: number; times: number };

/** An edit of a text; positions are taken modulo the text's length when applied. */
export function edit(vocabulary: readonly string[]): fc.Arbitrary<Edit> {
  const nat = fc.nat();
  return fc.oneof(
    fc.record({
      kind: fc.constant("delete" as const),
      at: nat,
      length: fc.integer({ min: 1, max: 300 }),
    }),
    fc.record({
      kind: fc.constant("duplicate" as const),
      at: nat,
      length: fc.integer({ min: 1, max: 300 }),
      to: nat,
    }),
    fc.record({
      kind: fc.constant("insert" as const),
      at: nat,
      token: fc.constantFrom(...vocabulary),
    }),
    fc.record({ kind: fc.constant("swap" as const), a: nat, b: nat }),
    fc.record({
      kind: fc.constant("flip" as const),
      at: nat,
      bit: fc.integer({ min: 0, max: 15 }),
    }),
    fc.record({
      kind: fc.constant("line" as const),
      op: fc.constantFrom(
        "delete" as const,
        "duplicate" as const,
        "swap" as const,
        "indent" as const,
      ),
      a: nat,
      b: nat,
    }),
    fc.record({
      kind: fc.constant("splice" as const),
      at: nat,
      from: nat,
      start: nat,
      length: fc.integer({ min: 1, max: 400 }),
    }),
    fc.record({ kind: fc.constant("truncate" as const), at: nat }),
    fc.record({
      kind: fc.constant("fragment" as const),
      at: nat,
      fragment: fc.nat(fragments.length - 1),
      times: repeats,
    }),
  );
}

function lineEdit(text: string, e: Edit & { kind: "line" }): string {
  const lines = text.split("\n");
  const a = e.a % lines.length;
  const b = e.b % lines.length;
  switch (e.op) {
    case "delete":
      lines.splice(a, 1);
      break;
    case "duplicate":
      lines.splice(b, 0, lines[a]!);
      break;
    case "swap":
      [lines[a], lines[b]] = [lines[b]!, lines[a]!];
      break;
    case "indent":
      lines[a] = " ".repeat(e.b % 9) + lines[a]!.trimStart();
      break;
  }
  return lines.join("\n");
}

/** Applies edits in order; `others` are the texts a splice copies from. */
export function applyEdits(
  text: string,
  edits: readonly Edit[],
  others: readonly string[],
): string {
  for (const e of edits) {
    const at = (n: number) => n % (text.length + 1);
    switch (e.kind) {
      case "delete":
        text = text.slice(0, at(e.at)) + text.slice(at(e.at) + e.length);
        break;
      case "duplicate": {
        const slice = text.slice(at(e.at), at(e.at) + e.length);
        text = text.slice(0, at(e.to)) + slice + text.slice(at(e.to));
        break;
      }
      case "insert":
        text = `${text.slice(0, at(e.at))} ${e.token} ${text.slice(at(e.at))}`;
        break;
      case "swap": {
        if (text.length < 2) break;
        const chars = text.split("");
        const [a, b] = [e.a % text.length, e.b % text.length];
        [chars[a], chars[b]] = [chars[b]!, chars[a]!];
        text = chars.join("");
        break;
      }
      case "flip": {
        if (text.length === 0) break;
        const i = e.at % text.length;
        text =
          text.slice(0, i) +
          String.fromCharCode(text.charCodeAt(i) ^ (1 << e.bit)) +
          text.slice(i + 1);
        break;
      }
      case "line":
        text = lineEdit(text, e);
        break;
      case "splice": {
        const source = others.length > 0 ? others[e.from % others.length]! : text;
        const start = e.start % (source.length + 1);
        text =
          text.slice(0, at(e.at)) + source.slice(start, start + e.length) + text.slice(at(e.at));
        break;
      }
      case "truncate":
        text = text.slice(0, at(e.at));
        break;
      case "fragment": {
        const [open, close] = fragments[e.fragment]!;
        const piece = open.repeat(e.times) + close.repeat(e.times);
        text = text.slice(0, at(e.at)) + piece + text.slice(at(e.at));
        break;
      }
    }
  }
  return text;
}

/** One of `files`, edited 1–8 times with `vocabulary` and splices from the others. */
export function mutatedFile(
  files: readonly SeedFile[],
  vocabulary: readonly string[],
): fc.Arbitrary<string> {
  const texts = files.map((f) => f.text);
  return fc
    .tuple(fc.nat(files.length - 1), fc.array(edit(vocabulary), { minLength: 1, maxLength: 8 }))
    .map(([i, edits]) => applyEdits(texts[i]!, edits, texts));
}

// ------------------------------------------------------------------ structural YAML mutations

type Tree = unknown;

/** Every subtree of `tree` (itself first), with a way to replace or remove it. */
function subtrees(tree: Tree): { node: Tree; set?: (v: Tree) => void; remove?: () => void }[] {
  const out: { node: Tree; set?: (v: Tree) => void; remove?: () => void }[] = [{ node: tree }];
  for (let i = 0; i < out.length && out.length < 5000; i++) {
    const { node } = out[i]!;
    if (Array.isArray(node)) {
      for (let k = 0; k < node.length; k++) {
        out.push({
          node: node[k],
          set: (v) => {
            node[k] = v;
          },
          remove: () => node.splice(k, 1),
        });
      }
    } else if (node && typeof node === "object") {
      const o = node as Record<string, Tree>;
      for (const key of Object.keys(o))
        out.push({
          node: o[key],
          set: (v) => {
            o[key] = v;
          },
          remove: () => delete o[key],
        });
    }
  }
  return out;
}

const scalar: fc.Arbitrary<Tree> = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.constantFrom("{{input.task}}", "{{x.output}}", "{{#if a}}b{{/if}}", "{{", "DONE", "always"),
  fc.constantFrom("Agent", "Human", "System", "ParallelAgents", "ContainerRun", "Subworkflow"),
  fc.constantFrom("sequential", "fanout", "collect", "conditional", "loop", "chat"),
  fc.integer({ min: -5, max: 1000 }),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
);

type TreeEdit =
  | { kind: "replace"; at: number; donor: number }
  | { kind: "scalar"; at: number; value: Tree }
  | { kind: "remove"; at: number }
  | { kind: "rename"; at: number; key: string }
  | { kind: "wrap"; at: number; list: boolean };

/**
 * A YAML seed parsed, its tree edited (subtrees replaced by subtrees of other seeds or by
 * scalars, removed, keys renamed, values wrapped in a list or map) and printed again:
 * well-formed YAML that goes deep into the front ends' field readers.
 */
export function mutatedYamlTree(
  files: readonly SeedFile[],
  keys: readonly string[],
): fc.Arbitrary<string> {
  const trees = files.flatMap((f) => {
    try {
      const tree = parseYaml(f.text, { maxAliasCount: 100 }) as Tree;
      return tree && typeof tree === "object" ? [JSON.stringify(tree)] : [];
    } catch {
      return [];
    }
  });
  const donors = trees.flatMap((t) => subtrees(JSON.parse(t)).map((s) => JSON.stringify(s.node)));
  const treeEdit: fc.Arbitrary<TreeEdit> = fc.oneof(
    fc.record({
      kind: fc.constant("replace" as const),
      at: fc.nat(),
      donor: fc.nat(donors.length - 1),
    }),
    fc.record({ kind: fc.constant("scalar" as const), at: fc.nat(), value: scalar }),
    fc.record({ kind: fc.constant("remove" as const), at: fc.nat() }),
    fc.record({
      kind: fc.constant("rename" as const),
      at: fc.nat(),
      key: fc.constantFrom(...keys),
    }),
    fc.record({ kind: fc.constant("wrap" as const), at: fc.nat(), list: fc.boolean() }),
  );
  return fc
    .tuple(fc.nat(trees.length - 1), fc.array(treeEdit, { minLength: 1, maxLength: 6 }))
    .map(([i, edits]) => {
      const tree = JSON.parse(trees[i]!) as Tree;
      for (const e of edits) {
        const all = subtrees(tree);
        const target = all[e.at % all.length]!;
        switch (e.kind) {
          case "replace":
            target.set?.(JSON.parse(donors[e.donor]!));
            break;
          case "scalar":
            target.set?.(e.value);
            break;
          case "remove":
            target.remove?.();
            break;
          case "rename":
            if (target.node && typeof target.node === "object" && !Array.isArray(target.node)) {
              const o = target.node as Record<string, Tree>;
              const old = Object.keys(o)[e.at % Math.max(1, Object.keys(o).length)];
              if (old !== undefined) {
                o[e.key] = o[old];
                if (old !== e.key) delete o[old];
              }
            }
            break;
          case "wrap":
            target.set?.(e.list ? [target.node] : { [keys[e.at % keys.length]!]: target.node });
            break;
        }
      }
      return stringifyYaml(tree);
    });
}

/** Mapping keys used by the YAML seeds (`name`, `kind`, `transitions` …). */
export function yamlKeysOf(files: readonly SeedFile[]): string[] {
  const keys = new Set<string>();
  for (const f of files)
    for (const m of f.text.matchAll(/^[ \t-]*([A-Za-z_][\w-]*):/gm)) keys.add(m[1]!);
  return [...keys].sort();
}

// ------------------------------------------------------------------ expressions

const pathRoot = fc.constantFrom("input", "REVIEW", "TEST", "score", "exit_code", "output", "x");
const pathText = fc
  .tuple(
    pathRoot,
    fc.array(fc.constantFrom("output", "score", "a-b", "0", "items"), { maxLength: 3 }),
  )
  .map(([root, rest]) => [root, ...rest].join("."));

/** Expressions of the condition language, built from its grammar (valid or nearly so). */
export const expressionText: fc.Arbitrary<string> = fc.letrec<{ expr: string }>((tie) => ({
  expr: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.oneof(
      fc.integer({ min: -100, max: 100 }).map(String),
      fc.double({ noNaN: true, min: -1e6, max: 1e6 }).map(String),
      fc.constantFrom("0.85", "1e3", "5m", "1h30m", "true", "false", "null", "-0", "exit 0"),
      fc.constantFrom("exit nonzero", "success", "failure", "approved", "timeout"),
      fc.string({ maxLength: 8 }).map((s) => JSON.stringify(s)),
      pathText,
    ),
    fc.tuple(fc.constantFrom("not ", "-", "- "), tie("expr")).map(([op, e]) => op + e),
    fc
      .tuple(
        tie("expr"),
        fc.constantFrom(..."and or == != < <= > >= + - * / contains matches in".split(" ")),
        tie("expr"),
      )
      .map(([a, op, b]) => `${a} ${op} ${b}`),
    fc
      .tuple(tie("expr"), tie("expr"), tie("expr"))
      .map(([a, b, c]) => `${a} between ${b} and ${c}`),
    tie("expr").map((e) => `(${e})`),
    fc.array(tie("expr"), { maxLength: 3 }).map((items) => `[${items.join(", ")}]`),
    fc
      .tuple(
        fc.constantFrom("len", "lower", "upper", "trim", "f"),
        fc.array(tie("expr"), { maxLength: 2 }),
      )
      .map(([f, args]) => `${f}(${args.join(", ")})`),
  ),
})).expr;

/** An expression as the condition of a transition in a small workflow. */
export function inWorkflow(condition: string): string {
  return `workflow w {
  input task: string
  agent a = claude()
  start A
  state A = agent a timeout 1m visits 2 {
    prompt "{{input.task}}"
    on ${condition} -> DONE
    otherwise -> A
  }
  final DONE
}
`;
}
