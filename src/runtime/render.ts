// Renders templates: Handlebars without HTML escaping (prompts are not HTML), with the
// helpers the compiler's vocabulary lists (src/compiler/vocabulary.ts). Templates read only
// their data's own properties: nothing on a prototype (`__proto__`, `constructor`, methods)
// is reachable from a template. Every value a template writes is written by valueText:
// text as it is, lists and objects as JSON.
//
// In a shell command (a template marked by shellCommand), `{{quote X}}` writes X as a
// literal for the place it stands in: a single-quoted word where the shell reads words,
// escaped text inside "…" or a here-document, '\''-joined text inside '…'. Where no literal
// can be written safely (after a backslash, inside backquotes or $'…'), rendering fails
// with the RuntimeError "unsafe-quote" rather than guess.
import Handlebars from "handlebars";
import type { TemplateRef } from "../compiler/graph.ts";
import { lengthOf, text } from "./evaluate.ts";
import { RuntimeError } from "./types.ts";
import { valueText } from "./value-text.ts";

export { valueText };

const hbs = Handlebars.create();

// Handlebars writes every value — `{{X}}`, `{{{X}}}`, a helper's result, a block's text —
// with its compiler's `append` step, which concatenates (so "[object Object]"). This
// instance's compiler (Handlebars' documented extension point) writes it with valueText
// instead, through a helper of its own: "]" cannot appear in a template's names (and
// `{{"aegis]text" x}}` is an unknown helper to the checker, AEG405).
const TEXT = "aegis]text";
hbs.registerHelper(TEXT, valueText);
interface CompilerSteps {
  pushSource(source: unknown): void;
  appendToBuffer(source: unknown[]): unknown;
  nameLookup(parent: string, name: string, type: string): unknown;
  popStack(): unknown;
}
const BaseCompiler = (hbs as unknown as { JavaScriptCompiler: new () => object })
  .JavaScriptCompiler;
class TextCompiler extends BaseCompiler {
  append(this: CompilerSteps): void {
    // The second argument stands for Handlebars' options (its helper wrapper writes to it).
    const helper = this.nameLookup("helpers", TEXT, "helper");
    this.pushSource(this.appendToBuffer([helper, "(", this.popStack(), ", {})"]));
  }
}
// Block bodies are compiled by `new this.compiler()`: they must write values the same way.
(TextCompiler.prototype as { compiler?: unknown }).compiler = TextCompiler;
(hbs as unknown as { JavaScriptCompiler: unknown }).JavaScriptCompiler = TextCompiler;

/** POSIX shell quoting: one word, whatever the text holds. */
export function shellQuote(value: unknown): string {
  const text = valueText(value);
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

// ---------------------------------------------------------------- shell commands

/** The texts of templates that are shell command lines. */
const shellTexts = new Set<string>();

/** Marks a template as a shell command line (so `quote` quotes for where it stands). */
export function shellCommand(template: TemplateRef): TemplateRef {
  shellTexts.add(template.text);
  return template;
}

/** Where a place in a shell command line stands, as far as quoting goes. */
type ShellPlace =
  | { kind: "word" | "single" | "double" | "comment" }
  | { kind: "heredoc"; delimiter: string; expands: boolean; stripTabs: boolean }
  | { kind: "unsafe"; why: string };

type Frame = "word" | "paren" | "subst" | "single" | "double" | "backtick" | "ansi";

const wordBreak = /[\s;&|()<>]/;

/**
 * Where `offset` stands in a command line whose template statements are masked (see
 * maskStatements), read as POSIX sh reads it: quotes, backslashes, $( … ) and ( … ),
 * backquotes, comments and here-documents.
 */
function shellPlace(text: string, offset: number): ShellPlace {
  const stack: Frame[] = ["word"];
  const pending: { delimiter: string; expands: boolean; stripTabs: boolean }[] = [];
  let uncertain: string | undefined;
  let wordStart = true;
  let i = 0;
  while (i < offset) {
    const top = stack.at(-1)!;
    const c = text[i]!;
    if (top === "single") {
      if (c === "'") stack.pop();
      i++;
      continue;
    }
    if (c === "\\") {
      if (i + 1 === offset) return { kind: "unsafe", why: "right after a backslash" };
      i += 2;
      wordStart = false;
      continue;
    }
    if (top === "ansi" || top === "backtick") {
      if ((top === "ansi" && c === "'") || (top === "backtick" && c === "`")) stack.pop();
      i++;
      continue;
    }
    if (top === "double") {
      if (c === '"') stack.pop();
      else if (c === "`") stack.push("backtick");
      else if (c === "$" && text[i + 1] === "(") {
        stack.push("subst");
        i++;
      }
      i++;
      continue;
    }
    // Where words are read: the command line itself, ( … ) and $( … ).
    if (c === "\n" && pending.length > 0) {
      // Here-documents start on the next line, one after the other.
      i++;
      for (const doc of pending.splice(0)) {
        for (;;) {
          const end = text.indexOf("\n", i);
          const lineEnd = end < 0 ? text.length : end;
          if (offset <= lineEnd && offset >= i) {
            const before = text.slice(i, offset);
            if (doc.expands && /\$\(|`/.test(before))
              return { kind: "unsafe", why: "inside a command substitution in a here-document" };
            return { kind: "heredoc", ...doc };
          }
          const line = text.slice(i, lineEnd);
          i = end < 0 ? text.length : end + 1;
          if ((doc.stripTabs ? line.replace(/^\t+/, "") : line) === doc.delimiter) break;
          if (end < 0) break;
        }
      }
      wordStart = true;
      continue;
    }
    if (c === "#" && wordStart) {
      const end = text.indexOf("\n", i);
      if (end < 0 || offset <= end) return { kind: "comment" };
      i = end;
      continue;
    }
    if (c === "'") stack.push(text[i - 1] === "$" ? "ansi" : "single");
    else if (c === '"') stack.push("double");
    else if (c === "`") stack.push("backtick");
    else if (c === "$" && text[i + 1] === "(") {
      stack.push("subst");
      i += 2;
      wordStart = true;
      continue;
    } else if (c === "(") stack.push("paren");
    else if (c === ")") {
      if (top === "paren" || top === "subst") stack.pop();
    } else if (c === "<" && text[i + 1] === "<" && text[i + 2] !== "<") {
      const doc = /^<<(-?)[ \t]*([^\s;&|()<>]+)/.exec(text.slice(i));
      if (doc) {
        const word = doc[2]!;
        pending.push({
          delimiter: word.replace(/["'\\]/g, ""),
          expands: !/["'\\]/.test(word),
          stripTabs: doc[1] === "-",
        });
        i += doc[0].length;
        wordStart = false;
        continue;
      }
    } else if (/[a-z]/.test(c) && wordStart && text.startsWith("case", i) && stack.length > 1) {
      // `case` patterns end in an unmatched ")": past one, nesting cannot be told.
      uncertain = "after a case statement inside ( … )";
    }
    wordStart = wordBreak.test(c);
    i++;
  }
  const top = stack.at(-1)!;
  if (uncertain) return { kind: "unsafe", why: uncertain };
  if (top === "backtick") return { kind: "unsafe", why: "inside backquotes (write $( … ))" };
  if (top === "ansi") return { kind: "unsafe", why: "inside $'…'" };
  if (top === "single" || top === "double") return { kind: top };
  return { kind: "word" };
}

/** Stands for a template statement's characters in a masked template. */
const MASK = "\uE000";

/** The template with every Handlebars statement's characters masked: only its literal text stays. */
function maskStatements(text: string): { masked: string; offset: (p: Position) => number } {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === "\n") lineStarts.push(i + 1);
  const offset = (p: Position) => (lineStarts[p.line - 1] ?? 0) + p.column;
  const out = Array.from({ length: text.length }, () => MASK);
  // biome-ignore lint/suspicious/noExplicitAny: Handlebars' AST nodes
  const walk = (node: any): void => {
    if (!node) return;
    if (node.type === "ContentStatement") {
      const start = offset(node.loc.start);
      for (let i = start; i < offset(node.loc.end); i++) out[i] = text[i]!;
    }
    for (const child of node.body ?? []) walk(child);
    walk(node.program);
    walk(node.inverse);
  };
  walk(hbs.parse(text));
  return { masked: out.join(""), offset };
}

interface Position {
  line: number;
  column: number;
}

interface ShellTemplate {
  text: string;
  masked?: ReturnType<typeof maskStatements>;
}

/** A value as a literal for where it stands in a shell command. */
function quoteIn(
  shell: ShellTemplate,
  loc: { start: Position; end: Position },
  value: string,
): string {
  shell.masked ??= maskStatements(shell.text);
  const { masked, offset } = shell.masked;
  const start = offset(loc.start);
  const end = offset(loc.end);
  const place = shellPlace(masked, start);
  const fail = (why: string) => {
    throw new RuntimeError(
      "unsafe-quote",
      `{{quote}} at line ${loc.start.line}, column ${loc.start.column + 1} of the command stands ${why}, where no value can be quoted safely; pass the value in env { VALUE: "…" } and write "$VALUE"`,
    );
  };
  switch (place.kind) {
    case "word":
      return shellQuote(value);
    case "single":
      return value.replace(/'/g, `'\\''`);
    case "double":
      return value.replace(/[\\$`"]/g, "\\$&");
    case "comment":
      return value.replace(/\n/g, " ");
    case "unsafe":
      return fail(place.why);
    case "heredoc": {
      // No line of the here-document may become its delimiter. The text beside the value
      // on its first and last line is known when it is literal; when it is another
      // statement's (or whitespace control may remove it), a line that could be completed
      // into the delimiter is refused.
      const lines = value.split("\n");
      const strip = (l: string) => (place.stripTabs ? l.replace(/^\t+/, "") : l);
      const next = masked.indexOf("\n", end);
      const before = masked.slice(masked.lastIndexOf("\n", start - 1) + 1, start);
      const after = masked.slice(end, next < 0 ? masked.length : next);
      const stripping = /\{\{~|~\}\}/.test(shell.text);
      const unknown = (t: string) => stripping || t.includes(MASK);
      const d = place.delimiter;
      const closes = lines.some((line, n) => {
        const first = n === 0;
        const last = n === lines.length - 1;
        if (!first && !last) return strip(line) === d;
        if ((first && unknown(before)) || (last && unknown(after)))
          return first && last ? d.includes(line) : first ? d.endsWith(line) : d.startsWith(line);
        return strip(`${first ? before : ""}${line}${last ? after : ""}`) === d;
      });
      if (closes) fail("in a here-document that the value would end");
      return place.expands ? value.replace(/[\\$`]/g, "\\$&") : value;
    }
  }
}

/** The key of the render data that tells helpers the template is a shell command. */
const SHELL = "aegisShellTemplate";

const last = (args: unknown[]) => args.slice(0, -1); // Handlebars appends its options object

hbs.registerHelper({
  json: (value: unknown) => JSON.stringify(text(value) ?? null),
  quote(
    value: unknown,
    options: Handlebars.HelperOptions & { loc?: { start: Position; end: Position } },
  ) {
    const shell = (options?.data as Record<string, unknown> | undefined)?.[SHELL] as
      | ShellTemplate
      | undefined;
    const literal = valueText(value);
    return shell && options.loc ? quoteIn(shell, options.loc, literal) : shellQuote(literal);
  },
  default: (value: unknown, fallback: unknown) => {
    const v = text(value);
    return v === undefined || v === null || v === "" ? fallback : value;
  },
  join: (list: unknown, separator: unknown) =>
    Array.isArray(list)
      ? list.map(valueText).join(typeof separator === "string" ? separator : ", ")
      : valueText(list),
  truncate: (value: unknown, n: unknown) => {
    const text = valueText(value);
    const max = Number(n);
    return Number.isFinite(max) && text.length > max ? `${text.slice(0, max)}…` : text;
  },
  upper: (v: unknown) => valueText(v).toUpperCase(),
  lower: (v: unknown) => valueText(v).toLowerCase(),
  trim: (v: unknown) => valueText(v).trim(),
  indent: (v: unknown, n: unknown) => {
    const pad = " ".repeat(Number(n) || 0);
    return valueText(v)
      .split("\n")
      .map((l) => pad + l)
      .join("\n");
  },
  eq: (a: unknown, b: unknown) => valueText(a) === valueText(b),
  ne: (a: unknown, b: unknown) => valueText(a) !== valueText(b),
  gt: (a: unknown, b: unknown) => Number(a) > Number(b),
  gte: (a: unknown, b: unknown) => Number(a) >= Number(b),
  lt: (a: unknown, b: unknown) => Number(a) < Number(b),
  lte: (a: unknown, b: unknown) => Number(a) <= Number(b),
  and: (...args: unknown[]) => last(args).every(Boolean),
  or: (...args: unknown[]) => last(args).some(Boolean),
  not: (v: unknown) => !v,
  len: lengthOf,
  keys: (v: unknown) => (v && typeof v === "object" ? Object.keys(v).join(", ") : ""),
  contains: (a: unknown, b: unknown) =>
    Array.isArray(a) ? a.includes(b) : valueText(a).includes(valueText(b)),
});

// `if`/`unless` test text with fields (a command's output) by its text: empty stdout is false.
const builtinIf = hbs.helpers.if!;
const builtinUnless = hbs.helpers.unless!;
const unwrap = (v: unknown) =>
  v && typeof v === "object" && !Array.isArray(v)
    ? ((v as { valueOf(): unknown }).valueOf() ?? v)
    : v;
hbs.registerHelper(
  "if",
  function (this: unknown, condition: unknown, options: Handlebars.HelperOptions) {
    return builtinIf.call(this, unwrap(condition), options);
  },
);
hbs.registerHelper(
  "unless",
  function (this: unknown, condition: unknown, options: Handlebars.HelperOptions) {
    return builtinUnless.call(this, unwrap(condition), options);
  },
);

const cache = new Map<string, { template: HandlebarsTemplateDelegate; shell?: ShellTemplate }>();

export function render(text: string, scope: Record<string, unknown>): string {
  if (!text.includes("{{")) return text;
  let entry = cache.get(text);
  if (!entry) {
    const template = hbs.compile(text, { noEscape: true, strict: false, knownHelpersOnly: false });
    entry = { template, ...(shellTexts.has(text) && { shell: { text } }) };
    cache.set(text, entry);
  } else if (!entry.shell && shellTexts.has(text)) entry.shell = { text };
  return entry.template(scope, {
    // Only own properties: prototypes (and so __proto__, constructor) are out of reach.
    allowProtoPropertiesByDefault: false,
    allowProtoMethodsByDefault: false,
    ...(entry.shell && { data: { [SHELL]: entry.shell } }),
  });
}
