// Chevrotain checks token and grammar definitions (unreachable tokens, ambiguous
// alternatives, left recursion…). Those design-time checks are skipped when the compiler
// starts, to start faster; they run here instead.
import {
  createToken,
  createTokenInstance,
  EOF,
  Lexer,
  LLkLookaheadStrategy,
  type Rule,
  serializeGrammar,
  type TokenType,
  tokenMatcher,
} from "chevrotain";
import { expect, it } from "vitest";
import { recordNode, replayLookahead, resyncFollowsOf } from "../../src/compiler/grammar-record.ts";
import { recordedLookahead } from "../../src/compiler/grammar-recorded.ts";
import {
  And,
  aegisLexer,
  allTokens,
  createLexer,
  keywords,
  Name,
  reservedWords,
  Timeout,
} from "../../src/compiler/lexer.ts";
import { alternationLookahead, optionalLookahead } from "../../src/compiler/lookahead.ts";
import { AegisParser, getParser } from "../../src/compiler/parser.ts";

const sample = `workflow w "t" {
  agent a = claude(model: "opus") session
  start A
  state A = agent a visits 3 session s timeout 1m { prompt """x""" on score >= 0.8 and not failure -> B otherwise -> A }
  final B // done
}`;

it("the token definitions pass Chevrotain's validations, and lex as the compiler's lexer", () => {
  const validated = createLexer(true);
  expect(validated.lexerDefinitionErrors).toEqual([]);
  const image = (r: ReturnType<typeof aegisLexer.tokenize>) =>
    r.tokens.map((t) => `${t.tokenType.name}:${t.image}`);
  expect(image(validated.tokenize(sample))).toEqual(image(aegisLexer.tokenize(sample)));
  expect(image(aegisLexer.tokenize(sample))).toContain("Identifier:B");
});

it("the grammar passes Chevrotain's validations, and parses as the compiler's parser", () => {
  // With validations, a grammar definition error throws here (Chevrotain's default).
  const validated = new AegisParser(true);
  const parse = (parser: AegisParser) => {
    parser.input = aegisLexer.tokenize(sample).tokens;
    const cst = parser.file();
    expect(parser.errors).toEqual([]);
    return JSON.stringify(cst, (key, value) => (key === "tokenType" ? value.name : value));
  };
  expect(parse(validated)).toEqual(parse(getParser()));
});

it("the parser built from the recorded grammar has the grammar its rules record", () => {
  // grammar-recorded.ts stands in for Chevrotain's recording phase (grammar-record.ts).
  const recorded = Object.values(new AegisParser(true).getGAstProductions());
  const replayed = Object.values(getParser().getGAstProductions());
  expect(replayed.map((rule) => rule.name)).toEqual(recorded.map((rule) => rule.name));
  expect(replayed.map(recordNode)).toEqual(recorded.map(recordNode));
  expect(serializeGrammar(replayed)).toEqual(serializeGrammar(recorded));
  // Every reference to another rule resolved to that rule of the same parser.
  const rules = new Set(replayed);
  const walk = (node: { definition?: unknown[]; referencedRule?: unknown }): void => {
    if ("nonTerminalName" in node) expect(rules.has(node.referencedRule as never)).toBe(true);
    else for (const child of node.definition ?? []) walk(child as never);
  };
  for (const rule of replayed) walk(rule);
  // The follow sets error recovery uses are the ones Chevrotain computes, token for token.
  const follows = resyncFollowsOf(getParser());
  expect(Object.keys(follows).length).toBeGreaterThan(50);
  expect(follows).toEqual(resyncFollowsOf(new AegisParser(true)));
});

it("the keywords are in the Name category as if each had been made in it", () => {
  // lexer.ts puts the keywords in the category after making them (one by one, Chevrotain
  // would list the category's members again at each): its tables must be those createToken
  // gives tokens made with `categories`, here the same tokens made again that way.
  const category = createToken({ name: "ReferenceName", pattern: Lexer.NA });
  const remade = new Map(
    allTokens
      .filter((token) => token !== Name)
      .map((token) => [
        token,
        createToken({
          name: `Reference${token.name}`,
          pattern: token.PATTERN!,
          ...(token.CATEGORIES?.includes(Name) && { categories: [category] }),
        }),
      ]),
  );
  const instance = (type: TokenType) => createTokenInstance(type, "x", 0, 0, 1, 1, 1, 1);
  for (const [token, reference] of remade)
    expect(tokenMatcher(instance(token), Name), token.name).toBe(
      tokenMatcher(instance(reference), category),
    );
  expect(Name.categoryMatches?.length).toBe(category.categoryMatches?.length);
  // Every keyword but the reserved words is a Name (and Identifier is).
  expect(Name.categoryMatches?.length).toBe(keywords.length - reservedWords.size + 1);
  expect(tokenMatcher(instance(Timeout), Name)).toBe(true);
  expect(tokenMatcher(instance(And), Name)).toBe(false);
  expect(aegisLexer.tokenize("timeout").tokens[0]?.tokenType).toBe(Timeout);
});

it("the tokens' start characters and line breaks are what Chevrotain's own analysis finds", () => {
  // The compiler's lexer is given each token's first characters and whether it can span
  // lines (so that it need not analyse the regular expressions when it starts). The same
  // tokens without those hints make Chevrotain analyse the patterns: both lexers must agree.
  type Hinted = TokenType & { START_CHARS_HINT?: string[]; LINE_BREAKS?: boolean };
  const hints = new Map<Hinted, Pick<Hinted, "START_CHARS_HINT" | "LINE_BREAKS">>();
  for (const token of allTokens as Hinted[]) {
    expect(token.PATTERN === Lexer.NA || token.START_CHARS_HINT, token.name).toBeTruthy();
    hints.set(token, { START_CHARS_HINT: token.START_CHARS_HINT, LINE_BREAKS: token.LINE_BREAKS });
  }
  // The token types themselves (longer_alt and categories refer to them), hints taken off
  // while the analysed lexer is built, then put back.
  let analysed: Lexer;
  try {
    for (const token of hints.keys()) {
      delete token.START_CHARS_HINT;
      delete token.LINE_BREAKS;
    }
    analysed = new Lexer(allTokens, { positionTracking: "full", ensureOptimizations: true });
  } finally {
    for (const [token, hint] of hints) Object.assign(token, hint);
  }
  expect(analysed.lexerDefinitionErrors).toEqual([]);
  type Config = { tokenTypeIdx: number; canLineTerminator: boolean };
  type Internals = {
    charCodeToPatternIdxToConfig: Record<string, (Config[] | undefined)[]>;
    patternIdxToConfig: Record<string, Config[]>;
    canModeBeOptimized: Record<string, boolean>;
  };
  const view = (lexer: Lexer) => {
    const l = lexer as unknown as Internals;
    return {
      optimized: l.canModeBeOptimized.defaultMode,
      startChars: l.charCodeToPatternIdxToConfig.defaultMode!.map((configs) =>
        configs?.map((c) => c.tokenTypeIdx),
      ),
      lineBreaks: l.patternIdxToConfig.defaultMode!.map((c) => [
        c.tokenTypeIdx,
        c.canLineTerminator,
      ]),
    };
  };
  const mine = view(aegisLexer);
  expect(mine.optimized).toBe(true);
  expect(mine).toEqual(view(analysed));
});

it("the decisions built from the recorded lookahead paths choose as Chevrotain's own LL(k)", () => {
  // The compiler's parser builds each decision's lookahead from grammar-recorded.ts
  // (lookahead.ts); Chevrotain's LLkLookaheadStrategy builds it from the grammar. Both are
  // asked about every path into every decision, those paths cut short, and random tokens.
  const llk = new LLkLookaheadStrategy({ maxLookahead: 3 });
  const recorded = JSON.parse(recordedLookahead) as Record<string, string[][][]>;
  const byName = new Map(allTokens.map((token) => [token.name, token]));
  const concrete = allTokens.filter((token) => token.PATTERN !== Lexer.NA);
  let seed = 7;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return concrete[seed % concrete.length]!;
  };
  const reader = (types: readonly TokenType[]) => {
    const tokens = types.map((type) => createTokenInstance(type, "x", 0, 0, 1, 1, 1, 1));
    const la = (n: number) => tokens[n - 1] ?? createTokenInstance(EOF, "", 0, 0, 1, 1, 1, 1);
    return { LA: la, LA_FAST: la };
  };
  const decisions: string[] = [];
  const visit = (rule: Rule, node: { definition?: unknown[]; idx?: number }): void => {
    const kind = node.constructor.name;
    const optional = [
      "Option",
      "Repetition",
      "RepetitionMandatory",
      "RepetitionMandatoryWithSeparator",
      "RepetitionWithSeparator",
    ];
    if (kind === "Alternation" || optional.includes(kind)) {
      const key = `${rule.name}:${kind}:${node.idx}`;
      decisions.push(key);
      expect(recorded[key], key).toBeDefined();
      const paths = replayLookahead(recorded[key]!, byName);
      const options = {
        prodOccurrence: node.idx!,
        rule,
        maxLookahead: 3,
        dynamicTokensEnabled: false,
      };
      type Decide = (this: unknown) => unknown;
      const [theirs, mine] = (
        kind === "Alternation"
          ? [
              llk.buildLookaheadForAlternation({ ...options, hasPredicates: false }),
              alternationLookahead(paths, false),
            ]
          : [
              llk.buildLookaheadForOptional({ ...options, prodType: kind as never }),
              optionalLookahead(paths[0]!),
            ]
      ) as [Decide, Decide];
      const inputs = paths.flat().flatMap((path) => [path, path.slice(0, -1), path.slice(1)]);
      for (let i = 0; i < 100; i++) inputs.push([random(), random(), random()]);
      for (const input of inputs) {
        const at = reader(input);
        expect(mine.call(at), `${key} on ${input.map((t) => t.name)}`).toBe(theirs.call(at));
      }
    }
    // A NonTerminal's definition is its rule's: visited as that rule.
    if (kind !== "NonTerminal")
      for (const child of node.definition ?? []) visit(rule, child as never);
  };
  for (const rule of Object.values(new AegisParser(true).getGAstProductions())) visit(rule, rule);
  expect(decisions.length).toBeGreaterThan(50);
  expect(Object.keys(recorded).sort()).toEqual([...decisions].sort());
});
