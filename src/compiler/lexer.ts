// The aegis lexer. Keywords are tokens in the `Name` category, so a keyword can still be
// used wherever the grammar expects a name (an input called `timeout`, a field `output`).
// Only the words of the expression language (and/or/not/true/…) are truly reserved.
import { createToken, Lexer, type TokenType } from "chevrotain";

export const Name = createToken({ name: "Name", pattern: Lexer.NA });
// Hyphens are allowed inside names (agent names such as `security-reviewer`), never at
// either end, so `A->B` still lexes as A, ->, B. Subtraction needs spaces: `a - b`.
const identifier = /[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*/;
export const Identifier = createToken({
  name: "Identifier",
  pattern: identifier,
  categories: [Name],
});

const keywordTokens: TokenType[] = [];
/** The keywords that are names too (all but the reserved words). */
const nameKeywords: TokenType[] = [];
const reserved = new Set<string>();
/** A keyword's token; it joins the Name category (unless reserved) with the others, below. */
function keyword(word: string, isReserved = false): TokenType {
  if (isReserved) reserved.add(word);
  const token = createToken({
    name: word.charAt(0).toUpperCase() + word.slice(1),
    pattern: new RegExp(`${word}(?![A-Za-z0-9_]|-[A-Za-z0-9_])`),
    longer_alt: Identifier,
  });
  keywordTokens.push(token);
  if (!isReserved) nameKeywords.push(token);
  return token;
}

// Declarations
export const Workflow = keyword("workflow");
export const Import = keyword("import");
export const As = keyword("as");
export const Version = keyword("version");
export const Description = keyword("description");
export const Labels = keyword("labels");
export const Annotations = keyword("annotations");
export const Input = keyword("input");
export const Context = keyword("context");
export const Secret = keyword("secret");
export const Agent = keyword("agent");
export const Limits = keyword("limits");
export const Start = keyword("start");
export const State = keyword("state");
export const Final = keyword("final");
export const Output = keyword("output");
export const Schema = keyword("schema");
export const Storage = keyword("storage");
// State kinds
export const Human = keyword("human");
export const Run = keyword("run");
export const Parallel = keyword("parallel");
export const Container = keyword("container");
export const Subworkflow = keyword("subworkflow");
export const Foreach = keyword("foreach");
export const Loop = keyword("loop");
export const Branch = keyword("branch");
export const Coordinate = keyword("coordinate");
export const Containers = keyword("containers");
// State settings and statements
export const Timeout = keyword("timeout");
export const Visits = keyword("visits");
export const Retry = keyword("retry");
export const Backoff = keyword("backoff");
export const Errors = keyword("errors");
export const Concurrency = keyword("concurrency");
export const Max = keyword("max");
export const Until = keyword("until");
export const Session = keyword("session");
export const Steps = keyword("steps");
export const Then = keyword("then");
export const By = keyword("by");
export const Detached = keyword("detached");
export const Blocking = keyword("blocking");
export const Prompt = keyword("prompt");
export const Intent = keyword("intent");
export const Judge = keyword("judge");
export const Weight = keyword("weight");
export const Consensus = keyword("consensus");
export const Env = keyword("env");
export const Workdir = keyword("workdir");
export const Command = keyword("command");
export const Volumes = keyword("volumes");
export const Resources = keyword("resources");
export const Options = keyword("options");
export const Handler = keyword("handler");
export const Result = keyword("result");
export const Default = keyword("default");
export const Protects = keyword("protects");
export const Iterations = keyword("iterations");
export const On = keyword("on");
export const Otherwise = keyword("otherwise");
export const Feedback = keyword("feedback");
export const Exit = keyword("exit");
export const Success = keyword("success");
export const Failure = keyword("failure");
// Reserved words of the expression language
export const And = keyword("and", true);
export const Or = keyword("or", true);
export const Not = keyword("not", true);
export const True = keyword("true", true);
export const False = keyword("false", true);
export const Null = keyword("null", true);
export const Contains = keyword("contains", true);
export const Matches = keyword("matches", true);
export const Between = keyword("between", true);
export const In = keyword("in", true);

export const TripleString = createToken({
  name: "TripleString",
  pattern: /"""(?:[^"\\]|\\[\s\S]|"(?!""))*"""/,
  line_breaks: true,
});
export const StringLit = createToken({
  name: "String",
  pattern: /"(?:[^"\\\r\n]|\\.)*"/,
});
// Strings missing their closing quotes still lex as strings (to the end of the line, or of
// the file for """), so that the parser carries on and the one mistake is reported once.
export const UnterminatedTripleString = createToken({
  name: "UnterminatedTripleString",
  pattern: /"""(?:[^"\\]|\\[\s\S]|"(?!""))*/,
  line_breaks: true,
  categories: [TripleString],
});
export const UnterminatedString = createToken({
  name: "UnterminatedString",
  pattern: /"(?:[^"\\\r\n]|\\.)*/,
  categories: [StringLit],
});
// Durations come before numbers so that `3m` is one token, not `3` then `m`.
export const Duration = createToken({
  name: "Duration",
  pattern: /\d+(?:\.\d+)?(?:ms|s|m|h|d)(?:\d+(?:ms|s|m|h|d))*(?![A-Za-z0-9_])/,
});
export const NumberLit = createToken({ name: "Number", pattern: /\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/ });

export const Arrow = createToken({ name: "Arrow", pattern: /->/ });
export const LBrace = createToken({ name: "LBrace", pattern: /\{/ });
export const RBrace = createToken({ name: "RBrace", pattern: /\}/ });
export const LBracket = createToken({ name: "LBracket", pattern: /\[/ });
export const RBracket = createToken({ name: "RBracket", pattern: /\]/ });
export const LParen = createToken({ name: "LParen", pattern: /\(/ });
export const RParen = createToken({ name: "RParen", pattern: /\)/ });
export const Comma = createToken({ name: "Comma", pattern: /,/ });
export const Colon = createToken({ name: "Colon", pattern: /:/ });
export const Semicolon = createToken({ name: "Semicolon", pattern: /;/ });
export const Question = createToken({ name: "Question", pattern: /\?/ });
export const Dot = createToken({ name: "Dot", pattern: /\./ });
export const Pipe = createToken({ name: "Pipe", pattern: /\|/ });
export const EqEq = createToken({ name: "EqEq", pattern: /==/ });
export const NotEq = createToken({ name: "NotEq", pattern: /!=/ });
export const LessEq = createToken({ name: "LessEq", pattern: /<=/ });
export const GreaterEq = createToken({ name: "GreaterEq", pattern: />=/ });
export const Less = createToken({ name: "Less", pattern: /</ });
export const Greater = createToken({ name: "Greater", pattern: />/ });
export const Equals = createToken({ name: "Equals", pattern: /=/ });
export const Plus = createToken({ name: "Plus", pattern: /\+/ });
export const Minus = createToken({ name: "Minus", pattern: /-/ });
export const Star = createToken({ name: "Star", pattern: /\*/ });
export const Slash = createToken({ name: "Slash", pattern: /\// });

export const Comment = createToken({
  name: "Comment",
  pattern: /(?:\/\/|#)[^\r\n]*|\/\*[\s\S]*?\*\//,
  group: "comments",
  line_breaks: true,
});
export const WhiteSpace = createToken({
  name: "WhiteSpace",
  pattern: /[ \t\r\n\f\uFEFF]+/,
  group: Lexer.SKIPPED,
  line_breaks: true,
});

export const allTokens: TokenType[] = [
  WhiteSpace,
  Comment,
  TripleString,
  UnterminatedTripleString,
  StringLit,
  UnterminatedString,
  Duration,
  NumberLit,
  Arrow,
  LBrace,
  RBrace,
  LBracket,
  RBracket,
  LParen,
  RParen,
  Comma,
  Colon,
  Semicolon,
  Question,
  Dot,
  Pipe,
  EqEq,
  NotEq,
  LessEq,
  GreaterEq,
  Less,
  Greater,
  Equals,
  Plus,
  Minus,
  Star,
  Slash,
  ...keywordTokens,
  Identifier,
  Name,
];

// The keywords join the Name category all at once, and the lexer built below (Chevrotain's
// Lexer completes the category tables of the tokens it is given) fills in what follows.
// Given to createToken one by one, each would make Chevrotain list the category's members
// again: quadratic, ~1 ms of every start. tests/grammar/definitions.test.ts checks the
// tables against tokens made with `categories`.
for (const token of nameKeywords) token.CATEGORIES = [Name];

// What each token can start with, and whether it can span lines: Chevrotain's
// `start_chars_hint` and `line_breaks`. Given, the lexer skips analysing every regular
// expression when it is built (at start-up); tests/grammar/definitions.test.ts checks them
// against Chevrotain's own analysis.
const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_";
const digits = "0123456789";
const startChars = new Map<TokenType, string>([
  [WhiteSpace, " \t\r\n\f\uFEFF"],
  [Comment, "/#"],
  [TripleString, '"'],
  [UnterminatedTripleString, '"'],
  [StringLit, '"'],
  [UnterminatedString, '"'],
  [Duration, digits],
  [NumberLit, digits],
  [Arrow, "-"],
  [LBrace, "{"],
  [RBrace, "}"],
  [LBracket, "["],
  [RBracket, "]"],
  [LParen, "("],
  [RParen, ")"],
  [Comma, ","],
  [Colon, ":"],
  [Semicolon, ";"],
  [Question, "?"],
  [Dot, "."],
  [Pipe, "|"],
  [EqEq, "="],
  [NotEq, "!"],
  [LessEq, "<"],
  [GreaterEq, ">"],
  [Less, "<"],
  [Greater, ">"],
  [Equals, "="],
  [Plus, "+"],
  [Minus, "-"],
  [Star, "*"],
  [Slash, "/"],
  [Identifier, letters],
  ...keywordTokens.map((t): [TokenType, string] => [t, (t.PATTERN as RegExp).source.charAt(0)]),
]);
for (const [token, chars] of startChars) {
  const hinted = token as TokenType & { START_CHARS_HINT?: string[]; LINE_BREAKS?: boolean };
  hinted.START_CHARS_HINT = [...chars];
  hinted.LINE_BREAKS ??= false;
}

/** Every keyword of the language, for editors, docs and "did you mean" hints. */
export const keywords: readonly string[] = keywordTokens.map((t) =>
  (t.PATTERN as RegExp).source.replace(/\(\?!.*$/, ""),
);

/**
 * The lexer. Chevrotain's validations of the token definitions are design-time checks,
 * costly at start-up: skipped here, and run by the grammar tests (`validate`).
 */
export function createLexer(validate = false): Lexer {
  return new Lexer(allTokens, {
    positionTracking: "full",
    ensureOptimizations: true,
    skipValidations: !validate,
  });
}

export const aegisLexer = createLexer();

/** Whether a token is a keyword of the language (for editors' highlighting). */
export function isKeyword(type: TokenType): boolean {
  return keywordTokens.includes(type);
}

/** The words of the expression language (and/or/not/true/…): never names. */
export const reservedWords: ReadonlySet<string> = reserved;

const wholeName = new RegExp(`^(?:${identifier.source})$`);

/** Whether `text` lexes as one token the grammar accepts as a name. */
export function isName(text: string): boolean {
  return wholeName.test(text) && !reserved.has(text);
}
