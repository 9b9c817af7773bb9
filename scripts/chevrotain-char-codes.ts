// Chevrotain's lexer fills a 65,536-entry table (charCode → optimized index) whenever a lexer
// is built: ~1.2 ms and half a megabyte at every start of `aegis compile`, for a table that
// is read only for characters above U+00FF (below, the index is the char code itself). Its
// entries are `255 + ~~(code / 255)`, so in the bundles the lookup computes that instead and
// the table is never filled: the same indexes, for every char code (the TODO above the
// table in chevrotain's lexer.js proposes as much). ASCII text takes the same branch as
// before. The build fails if chevrotain's source no longer reads as expected.
import { readFileSync } from "node:fs";
import type { Plugin } from "esbuild";

const lookup = "charCodeToOptimizedIdxMap[charCode]";
const fill = "if (charCodeToOptimizedIdxMap.length === 0) {";

/** Rewrites chevrotain's lexer.js (see above); other files are left alone. */
export function withComputedCharCodeIndex(source: string): string {
  if (!source.includes(lookup) || !source.includes(fill))
    throw new Error(
      "chevrotain's lexer.js changed: scripts/chevrotain-char-codes.ts no longer applies",
    );
  return source.replace(lookup, "255 + ~~(charCode / 255)").replace(fill, "if (false) {");
}

export const chevrotainCharCodes: Plugin = {
  name: "chevrotain-char-codes",
  setup(b) {
    b.onLoad({ filter: /[\\/]chevrotain[\\/]lib[\\/]src[\\/]scan[\\/]lexer\.js$/ }, (args) => ({
      contents: withComputedCharCodeIndex(readFileSync(args.path, "utf8")),
      loader: "js",
    }));
  },
};
