// scripts/chevrotain-char-codes.ts: the bundles' chevrotain lexer computes the index
// (charCode → optimized index) its table holds instead of filling the table at start-up.
// Both versions of chevrotain's own lexer.js, bundled, must give the same index for every
// char code, and lex text beyond Latin-1 to the same tokens.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  chevrotainCharCodes,
  withComputedCharCodeIndex,
} from "../../scripts/chevrotain-char-codes.ts";
import { bundled } from "../helpers/bundle.ts";

const dir = mkdtempSync(join(tmpdir(), "aegis-charcodes-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const lexerJs = join(
  createRequire(import.meta.url)
    .resolve("chevrotain")
    .replace(/[\\/]lib[\\/].*$/, ""),
  "lib",
  "src",
  "scan",
  "lexer.js",
);

/** chevrotain, bundled with or without the plugin; a lexer built; the index exported. */
async function bundledLexer(patched: boolean) {
  const { module } = await bundled<{
    charCodeToOptimizedIndex: (code: number) => number;
    lex: (text: string) => unknown;
  }>(
    dir,
    patched ? "patched" : "original",
    [
      'import { Lexer, createToken } from "chevrotain";',
      `export { charCodeToOptimizedIndex } from ${JSON.stringify(lexerJs)};`,
      'const Word = createToken({ name: "Word", pattern: /[^\\s"]+/ });',
      'const Text = createToken({ name: "Text", pattern: /"[^"]*"/ });',
      'const Space = createToken({ name: "Space", pattern: /\\s+/, group: Lexer.SKIPPED });',
      "const lexer = new Lexer([Space, Text, Word], { positionTracking: 'full' });",
      "export const lex = (text) => { const r = lexer.tokenize(text);",
      "  return { tokens: r.tokens.map((t) => [t.tokenType.name, t.image, t.startOffset, t.startColumn]), errors: r.errors.map((e) => [e.offset, e.line, e.column]) }; };",
    ].join("\n"),
    patched ? [chevrotainCharCodes] : [],
  );
  return module;
}

describe("chevrotain's char-code index, computed in the bundles", () => {
  it("rewrites chevrotain's lexer.js, and refuses a lexer.js it does not recognise", () => {
    const source = readFileSync(lexerJs, "utf8");
    const patched = withComputedCharCodeIndex(source);
    expect(patched).not.toBe(source);
    expect(patched).toContain("255 + ~~(charCode / 255)");
    expect(() => withComputedCharCodeIndex("export const other = 1;")).toThrow(/no longer applies/);
  });

  it("gives the table's index for every char code, and the same tokens for text beyond Latin-1", async () => {
    const [original, patched] = [await bundledLexer(false), await bundledLexer(true)];
    for (let code = 0; code < 65536; code++)
      if (patched.charCodeToOptimizedIndex(code) !== original.charCodeToOptimizedIndex(code))
        expect.fail(
          `char code ${code}: ${patched.charCodeToOptimizedIndex(code)} vs ${original.charCodeToOptimizedIndex(code)}`,
        );
    const text = 'Grüße "你好 🚀" Ωmega\tλ → ※ "unterminated 日本';
    expect(patched.lex(text)).toEqual(original.lex(text));
    expect((patched.lex(text) as { tokens: unknown[] }).tokens.length).toBeGreaterThan(4);
  });
});
