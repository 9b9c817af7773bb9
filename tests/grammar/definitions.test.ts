// Chevrotain checks token and grammar definitions (unreachable tokens, ambiguous
// alternatives, left recursion…). Those design-time checks are skipped when the compiler
// starts, to start faster; they run here instead.
import { expect, it } from "vitest";
import { aegisLexer, createLexer } from "../../src/compiler/lexer.ts";
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
