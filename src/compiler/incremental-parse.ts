// Parsing again after an edit, for the language server: when a document that parsed
// cleanly is edited inside one state's declaration, only that declaration is lexed and
// parsed again; the rest of the tree is kept, its positions after the edit moved by the
// length the edit added. Anything else — an edit across declarations, outside the states,
// a declaration that no longer reads cleanly alone, a document with findings — is a full
// parse(). The result is the tree parse() gives for the new text (tested on every example
// under random edits: tests/compiler/incremental-parse.test.ts).
import type { IToken } from "chevrotain";
import type { SourceFileAst, Span, StateDecl } from "./ast.ts";
import { AstBuilder } from "./cst-to-ast.ts";
import { aegisLexer } from "./lexer.ts";
import { MAX_NESTING, measureNesting, type ParseResult, parse } from "./parse.ts";
import { getParser } from "./parser.ts";
import { lexicalFindings, repairTokens } from "./syntax-errors.ts";

const positionKeys = new Set(["span", "keywordSpan", "pathSpan", "kindSpan"]);

/** A copy of `value` with every position at or past `from` moved by `delta`. */
function shifted<T>(value: T, from: number, delta: number): T {
  if (Array.isArray(value)) return value.map((v) => shifted(v, from, delta)) as T;
  if (!value || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (positionKeys.has(key) && v && typeof v === "object" && "start" in v) {
      const s = v as Span;
      out[key] = {
        start: s.start >= from ? s.start + delta : s.start,
        end: s.end >= from ? s.end + delta : s.end,
      };
    } else if (key === "map" && Array.isArray(v)) {
      // [textIndex, sourceOffset] pairs: the offsets move.
      out[key] = v.map((n: number, i) => (i % 2 === 1 && n >= from ? n + delta : n));
    } else out[key] = shifted(v, from, delta);
  }
  return out as T;
}

/** One state's declaration read alone from `text` at [start, end); undefined unless clean. */
function readState(
  text: string,
  start: number,
  end: number,
): { state: StateDecl; tokens: IToken[]; comments: IToken[] } | undefined {
  const slice = text.slice(start, end);
  const lexed = aegisLexer.tokenize(slice);
  // Clean only: what parse() would repair or report (an unterminated string, `10min`,
  // 'quotes'), or find too deep, it must read as a whole.
  if (lexed.errors.length > 0) return undefined;
  if (lexed.tokens.some((t) => t.tokenType.name.startsWith("Unterminated"))) return undefined;
  const repaired = repairTokens(lexed, slice, "");
  if (repaired.findings.length > 0 || lexicalFindings(repaired, slice, "").length > 0)
    return undefined;
  const nesting = measureNesting(lexed.tokens);
  if (nesting.deepest || nesting.operators > MAX_NESTING) return undefined;
  const move = (t: IToken) => ({
    ...t,
    startOffset: t.startOffset + start,
    endOffset: (t.endOffset ?? t.startOffset) + start,
  });
  const tokens = lexed.tokens.map(move);
  const parsed = getParser().parseWorkflowItem(tokens);
  if (parsed.errors.length > 0 || parsed.stoppedAt) return undefined;
  // The whole slice, and nothing but it, is the declaration.
  const location = parsed.cst.location;
  const last = tokens.at(-1);
  if (!location || !last || location.endOffset !== (last.endOffset ?? last.startOffset))
    return undefined;
  const builder = new AstBuilder();
  const state = builder.workflowState(parsed.cst);
  if (!state || builder.problems.length > 0) return undefined;
  return {
    state,
    tokens,
    comments: ((lexed.groups.comments as IToken[] | undefined) ?? []).map(move),
  };
}

/**
 * Whether the whole text lexes cleanly, with a token boundary at `start` and `end`, and the
 * same tokens between them as the declaration lexed alone.
 */
function lexesAlike(text: string, start: number, end: number, alone: readonly IToken[]): boolean {
  const whole = aegisLexer.tokenize(text);
  if (whole.errors.length > 0) return false;
  const tokens = whole.tokens;
  let i = 0;
  while (i < tokens.length && tokens[i]!.startOffset < start) i++;
  if (tokens[i]?.startOffset !== start) return false;
  for (const t of alone) {
    const w = tokens[i++];
    if (!w || w.startOffset !== t.startOffset || w.image !== t.image || w.tokenType !== t.tokenType)
      return false;
  }
  const next = tokens[i];
  return !next || next.startOffset >= end;
}

export class IncrementalParser {
  private text?: string;
  private result?: ParseResult;
  private readonly file: string;
  /** How the last parse was made (for tests and the benchmark). */
  last: "full" | "incremental" = "full";

  constructor(file: string) {
    this.file = file;
  }

  parse(text: string): ParseResult {
    const result = this.again(text) ?? parse(text, this.file);
    this.text = text;
    this.result = result;
    return result;
  }

  private again(text: string): ParseResult | undefined {
    this.last = "full";
    const before = this.text;
    const previous = this.result;
    const wf = previous?.ast.workflow;
    if (before === undefined || !previous || !wf || previous.findings.length > 0 || previous.broken)
      return undefined;
    // The edit: what differs between the common prefix and the common suffix.
    let prefix = 0;
    const max = Math.min(before.length, text.length);
    while (prefix < max && before.charCodeAt(prefix) === text.charCodeAt(prefix)) prefix++;
    let suffix = 0;
    while (
      suffix < max - prefix &&
      before.charCodeAt(before.length - 1 - suffix) === text.charCodeAt(text.length - 1 - suffix)
    )
      suffix++;
    const editEnd = before.length - suffix;
    const delta = text.length - before.length;
    // Strictly inside one state's declaration (its first and last characters unchanged).
    const index = wf.states.findIndex((s) => s.span.start < prefix && editEnd < s.span.end);
    if (index < 0) return undefined;
    const old = wf.states[index]!;
    const read = readState(text, old.span.start, old.span.end + delta);
    if (!read || read.state.name.name !== old.name.name) return undefined;
    // The declaration must lex alone as it lexes in the whole text: an edit that moves where
    // a string ends (a quote taken out) changes tokens past it, though the part reads alone.
    if (!lexesAlike(text, old.span.start, old.span.end + delta, read.tokens)) return undefined;
    const at = old.span.end;
    const states = wf.states.map((s, i) => (i === index ? read.state : shifted(s, at, delta)));
    const { states: _, ...rest } = wf;
    const ast: SourceFileAst = {
      ...shifted({ ...previous.ast, workflow: { ...rest, states: [] } }, at, delta),
    };
    ast.workflow!.states = states;
    const comments = [
      ...previous.comments.filter((c) => c.startOffset < old.span.start),
      ...read.comments,
      ...previous.comments
        .filter((c) => c.startOffset >= at)
        .map((c) => ({
          ...c,
          startOffset: c.startOffset + delta,
          endOffset: (c.endOffset ?? c.startOffset) + delta,
        })),
    ];
    this.last = "incremental";
    return { ast, findings: [], comments };
  }
}
