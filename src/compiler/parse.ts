// parse(): source text → AST + findings. Never throws; the parser recovers so that one run
// reports every syntax error of a file.
import type { IRecognitionException, IToken } from "chevrotain";
import type { Expr, SourceFileAst, Span } from "./ast.ts";
import { AstBuilder, tokenSpan } from "./cst-to-ast.ts";
import type { Finding } from "./diagnostics.ts";
import { aegisLexer } from "./lexer.ts";
import { getParser } from "./parser.ts";

export interface ParseResult {
  ast: SourceFileAst;
  findings: Finding[];
  /** Comments, for suppressions and the formatter. */
  comments: IToken[];
}

export function parse(text: string, file: string): ParseResult {
  const findings: Finding[] = [];
  const lexed = aegisLexer.tokenize(text);
  for (const error of lexed.errors) {
    const ch = text.slice(error.offset, error.offset + error.length);
    const unterminated = ch.startsWith('"');
    findings.push({
      code: unterminated ? "AEG101" : "AEG100",
      message: unterminated
        ? "unterminated string"
        : `unexpected character ${JSON.stringify(ch.slice(0, 1))}`,
      file,
      span: {
        start: error.offset,
        end: error.offset + Math.min(error.length, unterminated ? 1 : error.length),
      },
      ...(unterminated && {
        hint: 'close the string with " on the same line, or use """ for text over several lines',
      }),
    });
  }
  for (const t of lexed.tokens) {
    if (!t.tokenType.name.startsWith("Unterminated")) continue;
    const triple = t.tokenType.name === "UnterminatedTripleString";
    findings.push({
      code: "AEG101",
      message: triple ? 'unterminated string: no closing """' : "unterminated string",
      file,
      span: { start: t.startOffset, end: t.startOffset + (triple ? 3 : 1) },
      hint: triple
        ? 'close it with """'
        : 'close the string with " on the same line, or use """ for text over several lines',
    });
  }
  const empty: SourceFileAst = { imports: [], span: { start: 0, end: text.length } };
  const comments = lexed.groups.comments ?? [];
  // The parser and every pass after it recurse: refuse what would exhaust the stack.
  const nesting = measureNesting(lexed.tokens);
  if (nesting.deepest) {
    findings.push(
      tooDeep(tokenSpan(nesting.deepest), file, `nesting deeper than ${MAX_NESTING} levels`),
    );
    return { ast: empty, findings, comments };
  }
  const parser = getParser();
  parser.input = lexed.tokens;
  const cst = parser.file();
  for (const error of parser.errors) findings.push(syntaxFinding(error, file, text));
  const builder = new AstBuilder();
  const ast = builder.file(cst);
  for (const problem of builder.problems) findings.push({ ...problem, file });
  const deep = nesting.operators > MAX_NESTING ? deepestNode(ast) : undefined;
  if (deep) {
    const message = `an expression deeper than ${MAX_TREE_DEPTH} levels (too many operators in a row)`;
    findings.push(tooDeep(deep, file, message));
    return { ast: empty, findings, comments };
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
  return { ast, findings, comments };
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
function measureNesting(tokens: readonly IToken[]): { deepest?: IToken; operators: number } {
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

function describe(t: IToken): string {
  if (t.tokenType.name === "EOF") return "end of file";
  return `'${t.image.length > 30 ? `${t.image.slice(0, 30)}…` : t.image}'`;
}

function syntaxFinding(error: IRecognitionException, file: string, text: string): Finding {
  const t = error.token;
  const atEnd = t.tokenType.name === "EOF" || Number.isNaN(t.startOffset);
  const span = atEnd ? { start: text.length, end: text.length } : tokenSpan(t);
  const stack = error.context?.ruleStack ?? [];
  const rule = stack.at(-1);
  const inExpression = stack.some(
    (r) => r === "condition" || r === "expression" || r === "stateSetting",
  );
  let expected = expectedFrom(error.message);
  if (rule === "typeAtom" || rule === "type")
    expected = 'a type (string, number, boolean, list<string>, "a" | "b", …)';
  else if (inExpression && expected?.startsWith("one of"))
    expected = 'a condition such as success, score >= 0.8, exit 0 or output contains "LGTM"';
  else if (rule === "value" && expected?.startsWith("one of"))
    expected = "a value (string, number, duration, true/false, [list] or { object })";
  let message = `unexpected ${describe(t)}`;
  if (expected) message += `; expected ${expected}`;
  if (rule) message += ` (in ${ruleLabel(rule)})`;
  const finding: Finding = { code: "AEG101", message, file, span };
  const hint = syntaxHint(t, rule);
  if (hint) finding.hint = hint;
  return finding;
}

function syntaxHint(t: IToken, rule: string | undefined): string | undefined {
  if (rule === "stateBody" && (t.image === "always" || t.image === "else"))
    return `write \`otherwise -> STATE\` (or \`on always -> STATE\`)`;
  if (rule === "stateBody" || rule === "stateDecl")
    return "a state body holds statements (prompt …), settings (timeout …) and transitions (on CONDITION -> STATE, otherwise -> STATE)";
  if (rule === "workflowDecl")
    return "a workflow holds input, context, secret, agent, limits, start, state and final declarations";
  return undefined;
}

/** Chevrotain's messages list the expected token names; keep them short and readable. */
function expectedFrom(message: string): string | undefined {
  const single = /Expecting token of type --> (\w+) <--/.exec(message);
  if (single) return tokenLabel(single[1]!);
  const alternatives = [...message.matchAll(/\[([^\]]+)\]/g)].map((m) =>
    m[1]!
      .split(",")
      .map((s) => tokenLabel(s.trim()))
      .join(" "),
  );
  if (alternatives.length === 0) return undefined;
  const unique = [...new Set(alternatives)];
  return unique.length > 6
    ? `one of ${unique.slice(0, 6).join(", ")}, …`
    : `one of ${unique.join(", ")}`;
}

const labels: Record<string, string> = {
  Name: "a name",
  Identifier: "a name",
  String: "a string",
  TripleString: 'a """string"""',
  Number: "a number",
  Duration: "a duration (e.g. 30s, 5m, 2h)",
  LBrace: "'{'",
  RBrace: "'}'",
  LBracket: "'['",
  RBracket: "']'",
  LParen: "'('",
  RParen: "')'",
  Arrow: "'->'",
  Colon: "':'",
  Comma: "','",
  Equals: "'='",
  EqEq: "'=='",
  Dot: "'.'",
  EOF: "the end of the file",
};

function tokenLabel(name: string): string {
  return labels[name] ?? `'${name.toLowerCase()}'`;
}

function ruleLabel(rule: string): string {
  return (
    rule.replace(/Decl$|Kind$/, "").replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`) +
    (rule.endsWith("Decl") ? " declaration" : "")
  );
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
  const parser = getParser();
  parser.input = lexed.tokens;
  const cst = parser.expression();
  const error = parser.errors[0];
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
