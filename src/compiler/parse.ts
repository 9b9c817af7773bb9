// parse(): source text → AST + findings. Never throws; the parser recovers so that one run
// reports every syntax error of a file.
import type { CstNode, IRecognitionException, IToken, TokenType } from "chevrotain";
import type { Expr, SourceFileAst, Span } from "./ast.ts";
import { AstBuilder, tokenSpan } from "./cst-to-ast.ts";
import type { Finding } from "./diagnostics.ts";
import { aegisLexer } from "./lexer.ts";
import { type FileParse, getParser } from "./parser.ts";
import {
  asKeyword,
  lexicalFindings,
  misspeltFinding,
  misspeltKeyword,
  repairTokens,
  syntaxFinding,
} from "./syntax-errors.ts";

export interface ParseResult {
  ast: SourceFileAst;
  findings: Finding[];
  /** Comments, for suppressions and the formatter. */
  comments: IToken[];
  /** What did not parse (absent when everything did). */
  broken?: BrokenParts;
}

/**
 * The parts of a file that did not parse, so that the checks of what did parse leave out
 * findings that depend on them (a transition to a state whose declaration was lost is not
 * "unknown", a state whose transitions were lost is not a dead end).
 */
export interface BrokenParts {
  /** Text that did not parse: skipped tokens, bad characters, unterminated strings, where a token was missing, all that follows where reading stopped. */
  regions: Span[];
  /** Names and keywords in those regions: what the lost text may have declared or used. */
  words: ReadonlySet<string>;
  /**
   * The workflow's declarations (states, agents, inputs, …) that hold a region or are
   * followed by one (the text before the next declaration belongs to them).
   */
  declarations: Span[];
  /** Where reading stopped, after MAX_SYNTAX_ERRORS (AEG113): nothing after it is checked. */
  stoppedAt?: number;
  /**
   * The file ends before what it began is finished (a block or a `"""` string left open, or
   * reading stopped): what would have followed is unknown, so any name may be declared or
   * used in it.
   */
  truncated?: boolean;
}

/**
 * Syntax errors reported per file. At the next one the parser stops reading (AEG113): a
 * badly broken file stays fast, and its report short (as clang's -ferror-limit).
 */
export const MAX_SYNTAX_ERRORS = 25;

/** Misspelt keywords read again as the keyword (each costs a parse of the file). */
const MAX_RESPELLINGS = 4;

const emptyAst = (text: string): SourceFileAst => ({
  imports: [],
  span: { start: 0, end: text.length },
});

export function parse(text: string, file: string): ParseResult {
  try {
    return parseUnguarded(text, file);
  } catch (error) {
    // Never thrown at the caller: the depth limits below keep recursion bounded, so this is
    // a bug; a stack overflow is still reported as what it is.
    const overflow = error instanceof RangeError && /call stack/i.test(error.message);
    const finding: Finding = overflow
      ? tooDeep({ start: 0, end: 0 }, file, "this file nests too deeply to be read")
      : {
          code: "AEG000",
          message: `internal compiler error while parsing: ${(error as Error)?.message ?? String(error)}`,
          file,
          span: { start: 0, end: 0 },
          hint: "please report this with the file that caused it",
        };
    return { ast: emptyAst(text), findings: [finding], comments: [] };
  }
}

function parseUnguarded(text: string, file: string): ParseResult {
  const lexed = aegisLexer.tokenize(text);
  const comments = lexed.groups.comments ?? [];
  // Mistakes read as what was meant (reported once each): `'text'`, `10min`, `state in`.
  const repaired = repairTokens(lexed, text, file);
  const lexical = lexicalFindings({ errors: repaired.errors, tokens: repaired.tokens }, text, file);
  // Past MAX_SYNTAX_ERRORS errors (the repaired mistakes count), the parser does not read on.
  const max = Math.max(1, MAX_SYNTAX_ERRORS - repaired.findings.length);
  let stop = lexical[max]?.span.start;
  let tokens =
    stop === undefined ? repaired.tokens : repaired.tokens.filter((t) => t.startOffset < stop!);
  // The parser and every pass after it recurse: refuse what would exhaust the stack.
  const nesting = measureNesting(tokens);
  if (nesting.deepest) {
    const findings = [...repaired.findings, ...lexical.slice(0, max)];
    findings.push(
      tooDeep(tokenSpan(nesting.deepest), file, `nesting deeper than ${MAX_NESTING} levels`),
    );
    return { ast: emptyAst(text), findings, comments };
  }
  const lexicalOffsets = lexical.map((f) => f.span.start);
  const parser = getParser();
  let parsed = parser.parseFile(tokens, max, lexicalOffsets);
  // A misspelt keyword (`stat A = …`, `promt "…"`) is read again as the keyword it looks
  // like, so that one typo is one finding, not the errors of what the parser skipped after
  // it; kept only if the parser then gets further.
  // Each try is a parse of the file: a few at most, and none for a file the parser gave up on.
  let tries = MAX_RESPELLINGS;
  while (tries > 0 && !parsed.stoppedAt) {
    const first = parsed.errors[0];
    const typo = first && misspeltKeyword(first);
    if (!typo) break;
    const index = tokens.indexOf(typo.token);
    if (index < 0) break;
    // The keyword the parser gets furthest with (past the typo: its first error later).
    const reach = (p: FileParse) => p.errors[0]?.token.startOffset ?? Number.POSITIVE_INFINITY;
    let best: { tokens: IToken[]; parsed: FileParse; keyword: TokenType } | undefined;
    for (const keyword of typo.keywords) {
      if (tries-- <= 0) break;
      const respelt = tokens.slice();
      respelt[index] = asKeyword(typo.token, keyword);
      const again = parser.parseFile(respelt, max, lexicalOffsets);
      if (!(reach(again) > typo.token.startOffset)) continue;
      if (!best || reach(again) > reach(best.parsed))
        best = { tokens: respelt, parsed: again, keyword };
    }
    if (!best) break;
    tokens = best.tokens;
    parsed = best.parsed;
    repaired.findings.push(misspeltFinding(typo.token, best.keyword, file));
  }
  const at = parsed.stoppedAt?.startOffset;
  if (at !== undefined && !Number.isNaN(at) && (stop === undefined || at < stop)) stop = at;
  const source = { file, text, tokens };
  let syntax = [...lexical, ...parsed.errors.map((e) => syntaxFinding(e, source))].sort(
    (a, b) => a.span.start - b.span.start,
  );
  if (stop !== undefined) {
    // What the parser said after it stopped is about the end it was made to see.
    syntax = syntax.filter((f) => f.span.start <= stop!).slice(0, max);
    syntax.push({
      code: "AEG113",
      message: `too many syntax errors (more than ${MAX_SYNTAX_ERRORS}): reading stopped here, and the rest of the file is not checked`,
      file,
      span: { start: stop, end: Math.min(text.length, stop + 1) },
      hint: "fix the errors above and check the file again",
    });
  }
  const findings: Finding[] = [...repaired.findings, ...syntax];
  const builder = new AstBuilder();
  const ast = builder.file(parsed.cst);
  const firstSyntaxError = syntax[0]?.span.start ?? Number.POSITIVE_INFINITY;
  for (const problem of builder.problems) {
    // A "second workflow" after a syntax error is the parser's recovery misreading the text.
    const misread = problem.code === "AEG107" && problem.span.start > firstSyntaxError;
    if (!misread) findings.push({ ...problem, file });
  }
  const deep = nesting.operators > MAX_NESTING ? deepestNode(ast) : undefined;
  if (deep) {
    const message = `an expression deeper than ${MAX_TREE_DEPTH} levels (too many operators in a row)`;
    findings.push(tooDeep(deep, file, message));
    return { ast: emptyAst(text), findings, comments };
  }

  if (!ast.workflow && findings.length === 0) {
    findings.push({
      code: "AEG107",
      message: "this file declares no workflow",
      file,
      span: { start: 0, end: 0 },
      hint: "add `workflow NAME { … }`",
    });
  }
  const result: ParseResult = { ast, findings, comments };
  if (syntax.length > 0)
    result.broken = brokenParts(
      parsed.cst,
      tokens,
      repaired.tokens,
      lexical,
      parsed.errors,
      stop,
      text,
    );
  return result;
}

/**
 * What did not parse: the tokens the parser skipped (every token it was given that is not
 * in the tree), the lexer's errors, where the parser found a token missing, and all after
 * where reading stopped; each as the whole lines it is on, since what the parser read next
 * to an error may be a misreading of it (`claude(` left open reads the next line's `start`
 * as an argument), or dropped with it (`on -> DONE` is no transition to DONE). And which
 * declarations of the workflow those fall in or follow.
 */
function brokenParts(
  cst: CstNode,
  read: readonly IToken[],
  all: readonly IToken[],
  lexical: readonly Finding[],
  errors: readonly IRecognitionException[],
  stop: number | undefined,
  text: string,
): BrokenParts {
  const inTree = new Set<number>();
  const items: Span[] = [];
  let workflowEnd = -1;
  // The tree, walked with a stack of its own (its depth is bounded, but need not be).
  const stack: CstNode[] = [cst];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.name === "workflowDecl" && workflowEnd < 0) {
      workflowEnd = locationEnd(n);
      for (const item of n.children.workflowItem ?? []) {
        if ("children" in item && item.location && !Number.isNaN(item.location.startOffset))
          items.push({ start: item.location.startOffset, end: locationEnd(item) });
      }
    }
    for (const key in n.children) {
      for (const child of n.children[key]!) {
        if ("children" in child) stack.push(child);
        else if (!Number.isNaN(child.startOffset)) inTree.add(child.startOffset);
      }
    }
  }
  const end = stop ?? Number.POSITIVE_INFINITY;
  // Where something did not parse (`start`), and how far it reaches (`end`).
  const damage: Span[] = [];
  let run: Span | undefined;
  for (const t of read) {
    if (t.startOffset >= end) break;
    if (inTree.has(t.startOffset)) {
      if (run) damage.push(run);
      run = undefined;
    } else if (run) run.end = t.startOffset + t.image.length;
    else run = tokenSpan(t);
  }
  if (run) damage.push(run);
  const tokenEnds = new Map(read.map((t) => [t.startOffset, t.startOffset + t.image.length]));
  for (const f of lexical) {
    if (f.span.start >= end) continue;
    // An unterminated string runs to the end of its line (or, `"""`, of the file).
    damage.push({ start: f.span.start, end: tokenEnds.get(f.span.start) ?? f.span.end });
  }
  for (const e of errors) {
    const t = e.token;
    const at = Number.isNaN(t.startOffset) ? text.length : t.startOffset;
    if (at > end) continue;
    // A missing `->`, `}`, `:` … put back by the parser loses nothing of what was written.
    const missing = /Expecting token of type --> (\w+) <--/.exec(e.message)?.[1];
    if (
      e.name === "MismatchedTokenException" &&
      missing &&
      punctuation.has(missing) &&
      inTree.has(at)
    )
      continue;
    damage.push({ start: at, end: at });
  }
  const unread = stop === undefined ? undefined : { start: stop, end: text.length };
  if (unread) damage.push(unread);
  damage.sort((a, b) => a.start - b.start);
  // Each region belongs to the last declaration that starts before it (inside the workflow).
  items.sort((a, b) => a.start - b.start);
  const declarations: Span[] = [];
  let i = -1;
  for (const r of damage) {
    while (i + 1 < items.length && items[i + 1]!.start < r.start) i++;
    const owner = items[i];
    // (Not what follows the workflow's end, unless the end was where reading stopped.)
    const inside = r.start <= workflowEnd || r === unread;
    if (owner && inside && declarations.at(-1) !== owner) declarations.push(owner);
  }
  const regions = damage.map((r) => ({
    start: lineStart(text, r.start),
    end: lineEnd(text, r.end),
  }));
  const words = new Set<string>();
  let k = 0;
  for (const t of all) {
    while (k < regions.length && regions[k]!.end < t.startOffset) k++;
    const r = regions[k];
    const lost = t.startOffset >= end || (r !== undefined && r.start <= t.startOffset);
    if (lost && /^[A-Za-z_]/.test(t.image)) words.add(t.image);
  }
  const truncated =
    stop !== undefined ||
    errors.some((e) => e.token.tokenType.name === "EOF" || Number.isNaN(e.token.startOffset)) ||
    lexical.some((f) => f.message.startsWith("unterminated string: no closing"));
  return {
    regions,
    words,
    declarations,
    ...(stop !== undefined && { stoppedAt: stop }),
    ...(truncated && { truncated }),
  };
}

/** Tokens whose absence the parser can make up for without losing what was written. */
const punctuation = new Set([
  ...["Arrow", "LBrace", "RBrace", "LParen", "RParen", "LBracket", "RBracket"],
  ...["Colon", "Comma", "Equals", "Semicolon", "Dot"],
]);

function lineEnd(text: string, offset: number): number {
  let i = Math.max(0, offset);
  while (i < text.length && text[i] !== "\n" && text[i] !== "\r") i++;
  return i;
}

function lineStart(text: string, offset: number): number {
  let i = Math.min(offset, text.length);
  while (i > 0 && text[i - 1] !== "\n" && text[i - 1] !== "\r") i--;
  return i;
}

function locationEnd(n: CstNode): number {
  const loc = n.location;
  if (!loc) return -1;
  const end = loc.endOffset ?? Number.NaN;
  return Number.isNaN(end) ? loc.startOffset : end + 1;
}

/** Brackets and prefix operators (`not`, `-`) nested deeper than this are refused. */
export const MAX_NESTING = 64;
/**
 * Depth of the tree (expressions, values) beyond which it is refused: a left-deep chain of
 * `a + a + …` nests one level per operator. Far below what the recursive passes can take.
 */
export const MAX_TREE_DEPTH = 320;

function tooDeep(span: Span, file: string, message: string): Finding {
  return {
    code: "AEG112",
    message,
    file,
    span,
    hint: "split it up: name the parts as inputs, context values or separate states",
  };
}

const openers = new Set(["LParen", "LBracket", "LBrace"]);
const closers = new Set(["RParen", "RBracket", "RBrace"]);
const prefixes = new Set(["Not", "Minus"]);

/**
 * How deeply the tokens nest, without parsing: each open bracket is a level, and so is each
 * prefix operator until the operand after it (`not (not x)` is 3 levels). Also counts the
 * operators, each of which may deepen the tree by one level.
 */
export function measureNesting(tokens: readonly IToken[]): { deepest?: IToken; operators: number } {
  // Prefix operators pending at each open bracket; `depth` is brackets plus all of them.
  const pending: number[] = [0];
  let depth = 0;
  let operators = 0;
  for (const t of tokens) {
    const name = t.tokenType.name;
    if (prefixes.has(name)) {
      pending[pending.length - 1]!++;
      depth++;
      operators++;
    } else if (openers.has(name)) {
      pending.push(0);
      depth++;
    } else {
      if (closers.has(name) && pending.length > 1) depth -= 1 + pending.pop()!;
      depth -= pending[pending.length - 1]!;
      pending[pending.length - 1] = 0;
      if (binaryOperators.has(name)) operators++;
    }
    if (depth > MAX_NESTING) return { deepest: t, operators };
  }
  return { operators };
}

const binaryOperators = new Set([
  ...["Or", "And", "EqEq", "NotEq", "LessEq", "GreaterEq", "Less", "Greater"],
  ...["Contains", "Matches", "In", "Between", "Plus", "Star", "Slash"],
]);

/**
 * The span of the first node nested deeper than MAX_TREE_DEPTH objects, walking with a
 * stack of its own (a recursive walk would overflow on exactly the trees it looks for).
 */
function deepestNode(root: object): Span | undefined {
  const stack: [unknown, number, Span | undefined][] = [[root, 0, undefined]];
  while (stack.length > 0) {
    const [value, depth, outer] = stack.pop()!;
    if (!value || typeof value !== "object") continue;
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push([value[i], depth, outer]);
      continue;
    }
    const span = (value as { span?: Span }).span ?? outer;
    if (depth > MAX_TREE_DEPTH) return span ?? { start: 0, end: 0 };
    // Children pushed last first, so the walk goes down the left of a left-deep chain and
    // the node it stops at starts where the expression starts.
    const children = Object.entries(value);
    for (let i = children.length - 1; i >= 0; i--) {
      const [key, child] = children[i]!;
      if (key !== "span" && key !== "map") stack.push([child, depth + 1, span]);
    }
  }
  return undefined;
}

/**
 * Parses a lone expression (a YAML front end's `custom` condition), shifting positions by
 * `offset` so they point into the file the text came from.
 */
export function parseExpression(text: string, offset: number): { expr?: Expr; error?: string } {
  const lexed = aegisLexer.tokenize(text);
  if (lexed.errors.length > 0)
    return { error: `unexpected character ${JSON.stringify(text[lexed.errors[0]!.offset])}` };
  const nesting = measureNesting(lexed.tokens);
  if (nesting.deepest) return { error: `the expression nests deeper than ${MAX_NESTING} levels` };
  const { cst, errors } = getParser().parseExpression(lexed.tokens);
  const error = errors[0];
  if (error) {
    const t = error.token;
    return {
      error:
        t.tokenType.name === "EOF"
          ? "the expression ends too early"
          : `unexpected '${t.image}' in the expression`,
    };
  }
  if (lexed.tokens.length === 0) return { error: "the expression is empty" };
  // A rule invoked on its own stops where it can; what follows is an error too.
  const end = cst.location?.endOffset ?? -1;
  const extra = lexed.tokens.find((t) => t.startOffset > end);
  if (extra) return { error: `unexpected '${extra.image}' after the expression` };
  const builder = new AstBuilder();
  const expr = builder.expression(cst);
  if (!expr || builder.problems.length > 0)
    return { error: builder.problems[0]?.message ?? "not an expression" };
  if (nesting.operators > MAX_NESTING && deepestNode(expr))
    return { error: `the expression nests deeper than ${MAX_TREE_DEPTH} levels` };
  return { expr: shift(expr, offset) };
}

function shift<T>(value: T, offset: number): T {
  if (Array.isArray(value)) return value.map((v) => shift(v, offset)) as T;
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] =
        k === "span" && v && typeof v === "object"
          ? { start: (v as Span).start + offset, end: (v as Span).end + offset }
          : shift(v, offset);
    }
    return out as T;
  }
  return value;
}
