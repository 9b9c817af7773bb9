// Syntax errors in words: what the lexer and the parser found, with a hint for the common
// mistakes (a unit that is not one, single quotes, a missing `->` or `}`, `=` for `==`, a
// misspelt keyword, a reserved word as a name). Some mistakes are repaired in the tokens
// (a single-quoted string is read as a string, `10min` as a duration), so that one mistake
// is one finding and the rest of the file is read as meant.
import {
  createTokenInstance,
  type ILexingResult,
  type IRecognitionException,
  type IToken,
  type TokenType,
} from "chevrotain";
import type { Span } from "./ast.ts";
import { tokenSpan } from "./cst-to-ast.ts";
import type { Finding } from "./diagnostics.ts";
import * as T from "./lexer.ts";
import { editDistance } from "./suggest.ts";

// ------------------------------------------------------------------ the lexer's errors

/** The lexer's errors (bad characters, unterminated strings), in the order of the text. */
export function lexicalFindings(
  lexed: Pick<ILexingResult, "errors" | "tokens">,
  text: string,
  file: string,
): Finding[] {
  const findings: Finding[] = [];
  for (const error of lexed.errors) {
    const ch = text.slice(error.offset, error.offset + error.length);
    const unterminated = ch.startsWith('"');
    const finding: Finding = {
      code: unterminated ? "AEG101" : "AEG100",
      message: unterminated
        ? "unterminated string"
        : `unexpected character ${JSON.stringify(ch.slice(0, 1))}`,
      file,
      span: {
        start: error.offset,
        end: error.offset + Math.min(error.length, unterminated ? 1 : error.length),
      },
    };
    const hint = unterminated
      ? 'close the string with " on the same line, or use """ for text over several lines'
      : characterHint(text, error.offset);
    if (hint) finding.hint = hint;
    findings.push(finding);
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
  return findings.sort((a, b) => a.span.start - b.span.start);
}

/** Hints for characters that start no token, by what they mean in other languages. */
function characterHint(text: string, offset: number): string | undefined {
  const ch = text[offset]!;
  const next = text[offset + 1];
  if (ch === "'" || ch === "`" || "‘’“”".includes(ch))
    return 'strings are written in double quotes: "…"';
  if (ch === "&") return next === "&" ? "write `and`" : "write `and` to combine conditions";
  if (ch === "!") return "write `not` (`!=` is not equal)";
  if (ch === "$") return 'refer to values in a template: "{{input.name}}"';
  return undefined;
}

// ------------------------------------------------------------------ repairs

/** A mistake the tokens were repaired for: reported once, read as what was meant. */
export interface Repaired {
  tokens: IToken[];
  /** The lexer's errors that remain. */
  errors: ILexingResult["errors"];
  findings: Finding[];
}

/** Repairs made per file at most (each is a finding; past them, errors are reported as such). */
const MAX_REPAIRS = 25;

/**
 * Reads `'text'` (and “text”, `text`) as the string "text", `10min` as the duration 10m,
 * and a reserved word where a state's name goes (`state in = …`, `-> true`) as a name; each
 * with one finding saying what to write.
 */
export function repairTokens(lexed: ILexingResult, text: string, file: string): Repaired {
  const findings: Finding[] = [];
  let errors = lexed.errors;
  let tokens = lexed.tokens;
  const quoted = errors.length > 0 ? quotedStrings(text, errors, tokens) : undefined;
  if (quoted && quoted.strings.length > 0) {
    const strings = quoted.strings.slice(0, MAX_REPAIRS);
    const inside = (offset: number) => strings.some((s) => s.start <= offset && offset < s.end);
    tokens = tokens.filter((t) => !inside(t.startOffset));
    errors = errors.flatMap((e) => {
      // What remains of an error run once the quotes of repaired strings are taken out.
      const out: typeof errors = [];
      let start = -1;
      for (let i = e.offset; i <= e.offset + e.length; i++) {
        const bad = i < e.offset + e.length && !inside(i);
        if (bad && start < 0) start = i;
        if (!bad && start >= 0) {
          out.push({
            ...e,
            offset: start,
            length: i - start,
            column: e.column! + start - e.offset,
          });
          start = -1;
        }
      }
      return out;
    });
    const lines = lineStarts(text);
    for (const s of strings) {
      const image = text.slice(s.start, s.end);
      const inner = image.slice(1, -1);
      const { line, column } = position(lines, s.start);
      tokens.push(
        createTokenInstance(
          T.StringLit,
          image,
          s.start,
          s.end - 1,
          line,
          line,
          column,
          column + image.length - 1,
        ),
      );
      findings.push({
        code: "AEG100",
        message: `strings are written in double quotes, not ${image[0]}…${image.at(-1)}`,
        file,
        span: { start: s.start, end: s.end },
        hint:
          inner.length <= 40 && !inner.includes('"')
            ? `write "${inner}"`
            : 'write the string in double quotes: "…"',
      });
    }
    tokens.sort((a, b) => a.startOffset - b.startOffset);
  }
  let repairs = findings.length;
  for (let i = 0; i < tokens.length && repairs < MAX_REPAIRS; i++) {
    const t = tokens[i]!;
    const next = tokens[i + 1];
    if (t.tokenType === T.NumberLit && next && next.startOffset === t.endOffset! + 1) {
      const unit = durationUnit(t.image, next.image);
      // A unit that would not read as meant is left to the parser (whose error says what to write).
      if (!unit?.reads) continue;
      findings.push({
        code: "AEG104",
        message: `unknown unit '${next.image}' in ${t.image}${next.image}`,
        file,
        span: { start: t.startOffset, end: next.endOffset! + 1 },
        hint: unit.hint,
      });
      repairs++;
      // The duration it reads as: lower case, so that `10min` is read as 10m and `2H` as 2h.
      const image = `${t.image}${next.image}`.toLowerCase();
      tokens[i] = createTokenInstance(
        T.Duration,
        image,
        t.startOffset,
        next.endOffset!,
        t.startLine!,
        next.endLine!,
        t.startColumn!,
        next.endColumn!,
      );
      tokens.splice(i + 1, 1);
      continue;
    }
    const previous = tokens[i - 1]?.tokenType;
    const namesState =
      previous === T.State || previous === T.Final || previous === T.Start || previous === T.Arrow;
    if (namesState && T.reservedWords.has(t.image)) {
      findings.push({
        code: "AEG101",
        message: `'${t.image}' is a reserved word and cannot name a state`,
        file,
        span: tokenSpan(t),
        hint: `the words ${[...T.reservedWords].join(", ")} belong to conditions; choose another name`,
      });
      repairs++;
      tokens[i] = { ...t, tokenType: T.Identifier, tokenTypeIdx: T.Identifier.tokenTypeIdx! };
      continue;
    }
    // `||` (two pipes): `or`, as `&&` is `and` and `!` is `not` (repaired below).
    if (
      t.tokenType === T.Pipe &&
      next?.tokenType === T.Pipe &&
      next.startOffset === t.startOffset + 1
    ) {
      findings.push(operatorFinding("||", "or", t.startOffset, file));
      repairs++;
      tokens[i] = createTokenInstance(
        T.Or,
        "||",
        t.startOffset,
        next.endOffset!,
        t.startLine!,
        next.endLine!,
        t.startColumn!,
        next.endColumn!,
      );
      tokens.splice(i + 1, 1);
    }
  }
  // `&&` and a lone `!` are characters the lexer could not read.
  if (errors.length > 0 && repairs < MAX_REPAIRS) {
    const kept: typeof errors = [];
    for (const e of errors) {
      const chars = text.slice(e.offset, e.offset + e.length);
      const operator = chars === "&&" ? T.And : chars === "!" ? T.Not : undefined;
      if (!operator || repairs >= MAX_REPAIRS) {
        kept.push(e);
        continue;
      }
      const word = operator === T.And ? "and" : "not";
      findings.push(operatorFinding(chars, word, e.offset, file));
      repairs++;
      tokens.push(
        createTokenInstance(
          operator,
          chars,
          e.offset,
          e.offset + e.length - 1,
          e.line ?? 0,
          e.line ?? 0,
          e.column ?? 0,
          (e.column ?? 0) + e.length - 1,
        ),
      );
    }
    if (kept.length < errors.length) {
      errors = kept;
      tokens.sort((a, b) => a.startOffset - b.startOffset);
    }
  }
  return { tokens, errors, findings };
}

function operatorFinding(written: string, meant: string, offset: number, file: string): Finding {
  return {
    code: "AEG101",
    message: `'${written}' is written \`${meant}\` in a condition`,
    file,
    span: { start: offset, end: offset + written.length },
    hint: `write \`${meant}\``,
  };
}

/**
 * Strings in quotes other than `"`: a quote the lexer could not read, closed by the same
 * (or the matching curly) quote on the same line that it could not read either.
 */
function quotedStrings(
  text: string,
  errors: ILexingResult["errors"],
  tokens: readonly IToken[],
): { strings: Span[] } {
  const bad = new Set<number>();
  for (const e of errors) for (let i = 0; i < e.length; i++) bad.add(e.offset + i);
  const closing: Record<string, string> = { "'": "'", "`": "`", "‘": "’", "“": "”" };
  const strings: Span[] = [];
  // Tokens that end past the closing quote would be cut in two: no repair then.
  const ends = new Map<number, number>(
    tokens.map((t) => [t.startOffset, t.endOffset ?? t.startOffset]),
  );
  for (const e of errors) {
    for (let k = e.offset; k < e.offset + e.length; k++) {
      const close = closing[text[k]!];
      if (!close || strings.some((s) => s.start <= k && k < s.end)) continue;
      let j = k + 1;
      while (
        j < text.length &&
        text[j] !== "\n" &&
        text[j] !== "\r" &&
        !(text[j] === close && bad.has(j))
      )
        j++;
      if (text[j] !== close || !bad.has(j)) continue;
      let straddles = false;
      for (let i = k + 1; i < j && !straddles; i++) straddles = (ends.get(i) ?? 0) >= j;
      if (straddles) continue;
      strings.push({ start: k, end: j + 1 });
      if (strings.length >= MAX_REPAIRS) return { strings };
      k = j;
    }
  }
  return { strings };
}

/** Units people write, the unit of the language each means, and which read as is (lower-cased). */
const unitWords: [RegExp, string][] = [
  [/^(?:mins?|minutes?)$/i, "m"],
  [/^(?:secs?|seconds?)$/i, "s"],
  [/^(?:hrs?|hours?)$/i, "h"],
  [/^days?$/i, "d"],
  [/^(?:msecs?|millis(?:econds?)?)$/i, "ms"],
  [/^(?:ms|s|m|h|d)$/i, ""],
];

/** Whether `unit` after the number `n` is a (misspelt) unit of time, and what to write. */
function durationUnit(n: string, unit: string): { hint: string; reads: boolean } | undefined {
  const use = "use ms, s, m, h or d";
  for (const [pattern, meant] of unitWords) {
    if (!pattern.test(unit)) continue;
    const proper = meant || unit.toLowerCase();
    // Lower-cased, `10min` reads as 10m, `2Hours` as 2h, `5MS` as 5ms; `10millis` would not.
    const reads = !meant.startsWith("ms") || /^msecs?$/i.test(unit);
    return { hint: `${use}: write ${n}${proper}`, reads };
  }
  if (/^(?:w|wks?|weeks?)$/i.test(unit)) {
    const days = Number(n) * 7;
    return { hint: `${use}: write ${Number.isFinite(days) ? `${days}d` : `${n}d`}`, reads: false };
  }
  if (/^(?:mo|months?|y|yrs?|years?)$/i.test(unit))
    return { hint: `${use} (d for days)`, reads: false };
  return undefined;
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "\n" || (ch === "\r" && text[i + 1] !== "\n")) starts.push(i + 1);
  }
  return starts;
}

function position(starts: readonly number[], offset: number): { line: number; column: number } {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - starts[lo]! + 1 };
}

// ------------------------------------------------------------------ misspelt keywords

/** What may start an item of a workflow, and a statement, setting or transition of a state. */
const keywordsOf: Record<string, TokenType[]> = {
  workflowDecl: [
    ...[T.Version, T.Description, T.Labels, T.Annotations, T.Input, T.Context, T.Secret],
    ...[T.Agent, T.Limits, T.Start, T.State, T.Final, T.Output, T.Storage],
  ],
  stateBody: [
    ...[T.Prompt, T.Intent, T.Input, T.Output, T.Judge, T.Consensus, T.Env, T.Workdir],
    ...[T.Command, T.Volumes, T.Resources, T.Options, T.Container, T.Handler, T.Result],
    ...[T.Default, T.Iterations, T.Timeout, T.Visits, T.Retry, T.Errors],
    ...[T.Concurrency, T.Max, T.Steps, T.Until, T.Session, T.On, T.Otherwise],
  ],
};

/** Keywords that begin a declaration of a workflow: one after a state's body means a '}' is missing. */
const startsItem: ReadonlySet<TokenType> = new Set([
  T.State,
  T.Final,
  T.Agent,
  T.Start,
  T.Secret,
  T.Limits,
  T.Context,
  T.Storage,
  T.Workflow,
]);

const keywordText = (t: TokenType) => (t.PATTERN as RegExp).source.replace(/\(\?!.*$/, "");

/**
 * A name where a keyword of a workflow or a state body goes, spelt like one (`stat`,
 * `promt`, `Otherwise`): the keyword it was meant to be, to read the file again with.
 */
export function misspeltKeyword(
  error: IRecognitionException,
): { token: IToken; keywords: TokenType[] } | undefined {
  const t = error.token;
  const rule = error.context?.ruleStack.at(-1);
  const candidates = rule ? keywordsOf[rule] : undefined;
  if (!candidates || t.tokenType !== T.Identifier || t.image.length < 3) return undefined;
  const word = t.image.toLowerCase();
  // As didYouMean: a few edits away (fewer for short words), closest first.
  const limit = Math.max(2, Math.floor(word.length / 3));
  const close = candidates
    .map((k) => ({ k, d: editDistance(word, keywordText(k)) }))
    .filter(({ d }) => d <= limit)
    .sort((a, b) => a.d - b.d)
    .slice(0, 3)
    .map(({ k }) => k);
  return close.length > 0 ? { token: t, keywords: close } : undefined;
}

/** The finding for a misspelt keyword read as `keyword`. */
export function misspeltFinding(token: IToken, keyword: TokenType, file: string): Finding {
  const word = keywordText(keyword);
  return {
    code: "AEG101",
    message: `unknown keyword '${token.image}'; did you mean '${word}'?`,
    file,
    span: tokenSpan(token),
    hint: `write \`${word}\` (read here as \`${word}\`)`,
  };
}

/** `token` read as the keyword `keyword`. */
export function asKeyword(token: IToken, keyword: TokenType): IToken {
  return { ...token, tokenType: keyword, tokenTypeIdx: keyword.tokenTypeIdx! };
}

// ------------------------------------------------------------------ the parser's errors

function describe(t: IToken): string {
  if (t.tokenType.name === "EOF") return "end of file";
  return `'${t.image.length > 30 ? `${t.image.slice(0, 30)}…` : t.image}'`;
}

/** Where a file's text is, for the positions that hints name. */
export interface SyntaxSource {
  file: string;
  text: string;
  /** The tokens the parser read. */
  tokens: readonly IToken[];
}

export function syntaxFinding(error: IRecognitionException, source: SyntaxSource): Finding {
  const { file, text } = source;
  const t = error.token;
  const atEnd = t.tokenType.name === "EOF" || Number.isNaN(t.startOffset);
  const span = atEnd ? { start: text.length, end: text.length } : tokenSpan(t);
  const stack = error.context?.ruleStack ?? [];
  const rule = stack.at(-1);
  const inExpression = stack.some(
    (r) => r === "condition" || r === "expression" || r === "stateSetting",
  );
  const expectedToken = /Expecting token of type --> (\w+) <--/.exec(error.message)?.[1];
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
  const hint = syntaxHint(error, source, rule, stack, expectedToken);
  if (hint) {
    finding.hint = hint.hint;
    if (hint.related) finding.related = [hint.related];
  }
  return finding;
}

interface Hint {
  hint: string;
  related?: { file: string; span: Span; message: string };
}

function syntaxHint(
  error: IRecognitionException,
  source: SyntaxSource,
  rule: string | undefined,
  stack: readonly string[],
  expectedToken: string | undefined,
): Hint | undefined {
  const t = error.token;
  const image = t.image;
  const name = t.tokenType.name;
  const next = followingToken(source.tokens, t);
  const adjacent = next && next.startOffset === t.endOffset! + 1;
  // A number where a duration goes: `timeout 30`, `timeout 10 min`, `timeout 2weeks`.
  if (expectedToken === "Duration" && name === "Number") {
    const unit = next && /^[A-Za-z]\w*$/.test(next.image) ? next.image : undefined;
    const meant = unit ? durationUnit(image, unit) : undefined;
    if (meant && adjacent)
      return { hint: meant.hint.replace(/^use/, `unknown unit '${unit}'; use`) };
    if (meant) return { hint: `${meant.hint}, with no space` };
    if (unit && adjacent) return { hint: `unknown unit '${unit}'; use ms, s, m, h or d` };
    return {
      hint: `a duration is a number and its unit, with no space: ${image}s, ${image}m, ${image}h (units ms, s, m, h, d)`,
    };
  }
  if (rule === "stateBody" && (image === "always" || image === "else"))
    return { hint: "write `otherwise -> STATE` (or `on always -> STATE`)" };
  if (image === "=" && next?.image === ">" && next.startOffset === t.startOffset + 1)
    return { hint: "write `->`, not `=>`" };
  // A missing closing brace (what follows begins something outside the block, or the file
  // ends): say where the block opened.
  const outside =
    name === "EOF" ||
    (rule === "stateBody" && startsItem.has(t.tokenType)) ||
    (rule === "workflowDecl" && (t.tokenType === T.Workflow || t.tokenType === T.Import));
  if (expectedToken === "RBrace" && outside) {
    const open = unclosedBrace(source.tokens, t, source.text.length);
    if (open) {
      const { line, column } = position(lineStarts(source.text), open.startOffset);
      const what =
        rule === "stateBody"
          ? "the state body"
          : rule === "workflowDecl"
            ? "the workflow"
            : "the block";
      return {
        hint: `${what} that opens with '{' at line ${line}, column ${column} is not closed: add '}'${name === "EOF" ? " at the end" : " before this"}`,
        related: { file: source.file, span: tokenSpan(open), message: "the '{' not closed" },
      };
    }
  }
  if (
    image === "=" &&
    (stack.includes("transition") || stack.includes("condition") || rule === "stateBody")
  )
    return { hint: "compare with `==`: `=` only declares (state NAME = …)" };
  if (expectedToken === "Arrow") {
    if (image === ":") return { hint: "write `on CONDITION -> STATE`, with `->`, not `:`" };
    if (image === "|" || image === "&") return { hint: "combine conditions with `and` and `or`" };
    if (name === "Identifier" || t.tokenType.CATEGORIES?.includes(T.Name))
      return { hint: `a transition is \`on CONDITION -> STATE\`: add \`->\` before '${image}'` };
    return { hint: "a transition is `on CONDITION -> STATE` (or `otherwise -> STATE`)" };
  }
  if (expectedToken === "Equals" && rule === "stateDecl")
    return {
      hint: "a state is declared `state NAME = KIND …`, e.g. `state REVIEW = agent reviewer { … }`",
    };
  if (
    image === "=" &&
    ["providerCall", "arguments", "argument", "object", "entry"].includes(rule ?? "")
  )
    return { hint: "options are written `key: value`" };
  if (rule === "template" && name === "Colon") return { hint: "no ':' here: write `prompt \"…\"`" };
  if (rule === "template") return { hint: 'text is written in double quotes: "…"' };
  if (expectedToken === "Name" && name === "Number")
    return { hint: "a name starts with a letter or _ (then letters, digits, _ and -)" };
  if (expectedToken && /^(?:Name|Identifier)$/.test(expectedToken) && T.reservedWords.has(image))
    return {
      hint: `'${image}' is a reserved word (${[...T.reservedWords].join(", ")}); choose another name`,
    };
  if (expectedToken === "Colon" && rule === "inputDecl")
    return { hint: "an input is declared `input NAME: TYPE`, e.g. `input task: string`" };
  if (rule === "stateBody" || rule === "stateDecl")
    return {
      hint: "a state body holds statements (prompt …), settings (timeout …) and transitions (on CONDITION -> STATE, otherwise -> STATE)",
    };
  if (rule === "workflowDecl")
    return {
      hint: "a workflow holds input, context, secret, agent, limits, start, state and final declarations",
    };
  return undefined;
}

/** The token after `t` in `tokens` (binary search by offset). */
function followingToken(tokens: readonly IToken[], t: IToken): IToken | undefined {
  if (Number.isNaN(t.startOffset)) return undefined;
  let lo = 0;
  let hi = tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (tokens[mid]!.startOffset <= t.startOffset) lo = mid + 1;
    else hi = mid;
  }
  return tokens[lo];
}

/** The innermost '{' still open where `t` is (at the end of the text for EOF). */
function unclosedBrace(tokens: readonly IToken[], t: IToken, end: number): IToken | undefined {
  const at = Number.isNaN(t.startOffset) ? end : t.startOffset;
  const open: IToken[] = [];
  for (const token of tokens) {
    if (token.startOffset >= at) break;
    if (token.tokenType === T.LBrace) open.push(token);
    else if (token.tokenType === T.RBrace) open.pop();
  }
  return open.at(-1);
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
