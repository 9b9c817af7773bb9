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
  const parser = getParser();
  parser.input = lexed.tokens;
  const cst = parser.file();
  for (const error of parser.errors) findings.push(syntaxFinding(error, file, text));
  const builder = new AstBuilder();
  const ast = builder.file(cst);
  for (const problem of builder.problems) findings.push({ ...problem, file });

  if (!ast.workflow && findings.length === 0) {
    findings.push({
      code: "AEG107",
      message: "this file declares no workflow",
      file,
      span: { start: 0, end: 0 },
      hint: "add `workflow NAME { … }`",
    });
  }
  return { ast, findings, comments: lexed.groups.comments ?? [] };
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
