// Semantic tokens: the lexer's tokens, each name classified by what the document declares
// it as (a state, an agent, an input), in the protocol's relative encoding, one line at a
// time (a multi-line string is a token on each of its lines).
import type { IToken } from "chevrotain";
import {
  Arrow,
  aegisLexer,
  Comment,
  Duration,
  Identifier,
  isKeyword,
  NumberLit,
} from "../compiler/lexer.ts";
import type { Analysis, NameKind } from "./analysis.ts";

export const tokenTypes = [
  "keyword",
  "string",
  "number",
  "comment",
  "operator",
  "class",
  "interface",
  "parameter",
  "property",
  "namespace",
] as const;
export const tokenModifiers = ["declaration"] as const;

const byName: Record<NameKind, (typeof tokenTypes)[number]> = {
  state: "class",
  agent: "interface",
  input: "parameter",
  context: "property",
  import: "namespace",
  childInput: "property",
};

function typeOf(token: IToken, a: Analysis): { type: number; declaration: boolean } | undefined {
  const t = token.tokenType;
  const index = (name: (typeof tokenTypes)[number]) => tokenTypes.indexOf(name);
  if (t === Comment || t.name.includes("Comment"))
    return { type: index("comment"), declaration: false };
  if (t.name.includes("String")) return { type: index("string"), declaration: false };
  if (t === NumberLit || t === Duration) return { type: index("number"), declaration: false };
  if (t === Arrow) return { type: index("operator"), declaration: false };
  if (t === Identifier) {
    const name = a.nameAt(token.startOffset);
    if (!name || name.span.start !== token.startOffset) return undefined;
    return { type: index(byName[name.kind]), declaration: name.declaration };
  }
  if (isKeyword(t)) {
    // A keyword where a name stands (an input called `timeout`) is that name.
    const name = a.nameAt(token.startOffset);
    if (name && name.span.start === token.startOffset)
      return { type: index(byName[name.kind]), declaration: name.declaration };
    return { type: index("keyword"), declaration: false };
  }
  return undefined;
}

/** The document's semantic tokens, encoded as the protocol wants them. */
export function semanticTokens(a: Analysis): number[] {
  const lexed = aegisLexer.tokenize(a.text);
  const all = [...lexed.tokens, ...((lexed.groups.comments as IToken[] | undefined) ?? [])].sort(
    (x, y) => x.startOffset - y.startOffset,
  );
  const out: number[] = [];
  let lastLine = 0;
  let lastChar = 0;
  const lineStarts = [0];
  for (let i = a.text.indexOf("\n"); i >= 0; i = a.text.indexOf("\n", i + 1))
    lineStarts.push(i + 1);
  const lineOf = (offset: number) => {
    let low = 0;
    let high = lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (lineStarts[mid]! <= offset) low = mid;
      else high = mid - 1;
    }
    return low;
  };
  for (const token of all) {
    const kind = typeOf(token, a);
    if (!kind) continue;
    let start = token.startOffset;
    const end = token.startOffset + token.image.length;
    // One entry per line the token covers.
    while (start < end) {
      const line = lineOf(start);
      const lineEnd = Math.min(end, (lineStarts[line + 1] ?? a.text.length + 1) - 1);
      const char = start - lineStarts[line]!;
      const length = lineEnd - start;
      if (length > 0) {
        out.push(
          line - lastLine,
          line === lastLine ? char - lastChar : char,
          length,
          kind.type,
          kind.declaration ? 1 : 0,
        );
        lastLine = line;
        lastChar = char;
      }
      start = (lineStarts[line + 1] ?? end) as number;
    }
  }
  return out;
}
