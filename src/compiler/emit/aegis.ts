// The canonical printer of aegis source: `aegis fmt` (an AST parsed from text, with its
// comments) and `aegis convert` (an AST built by the YAML front ends) both end here.
//
// Layout: 2-space indentation; one declaration, statement or transition per line; the
// workflow's items in source order (or canonical order for a tree from YAML); a state's
// settings in its header, then its statements, then its transitions; objects,
// lists and argument lists on one line when they fit in 100 columns, else one entry per
// line; strings as "…" with escapes, or as """…""" when the text holds a line break;
// durations and expressions in their canonical spelling.
//
// Comments are attached to the nearest printed line: a comment on its own line leads the
// declaration, statement, entry or item that follows it; a comment after code on the same
// line trails it; a comment after the last item of a block stays at the end of the block.
// With `source`, single blank lines between items are kept; without it, blank lines
// separate groups of declarations (inputs, agents, …) and states with a body.
//
// Whatever the tree, the printer either emits text that parses back to the same tree
// (positions aside) or throws a PrintError naming what cannot be written in the language.
import type { IToken } from "chevrotain";
import type {
  AgentDecl,
  Expr,
  ImportDecl,
  InputDecl,
  ObjectEntry,
  SecretDecl,
  SourceFileAst,
  Span,
  StateDecl,
  StateSetting,
  StateStatement,
  Template,
  TransitionDecl,
  TypeExpr,
  Value,
  WorkflowDecl,
} from "../ast.ts";
import type { Finding } from "../diagnostics.ts";
import { formatDuration, precedence } from "../expression.ts";
import { isName } from "../lexer.ts";
import { parse } from "../parse.ts";
import { decodeString, decodeTripleString } from "../strings.ts";

export interface PrintOptions {
  /** The comment tokens of the parsed text (`parse(…).comments`), to keep them. */
  comments?: IToken[];
  /** The parsed text itself: lets the printer keep the blank lines between items. */
  source?: string;
  /** Line width for objects, lists and argument lists (default 100). */
  width?: number;
}

/** The tree holds something the language cannot express (a name with a space, NaN, …). */
export class PrintError extends Error {
  override name = "PrintError";
}

const STEP = "  ";

// ---------------------------------------------------------------- lexical helpers

function name(text: string, what: string): string {
  if (!isName(text)) {
    throw new PrintError(
      `${what} ${JSON.stringify(text)} is not a valid name (letters, digits, _ and inner hyphens, not starting with a digit)`,
    );
  }
  return text;
}

const singleToken = /^"(?:[^"\\\r\n]|\\.)*"$/;
const tripleToken = /^"""(?:[^"\\]|\\[\s\S]|"(?!""))*"""$/;
/**
 * Punctuation a backslash may precede and still mean itself, written as it is: Handlebars'
 * `\{{` and regular expressions' `\.` read better than `\\{{` and `\\.`. (Not letters:
 * `\b` would look like an escape.)
 */
const keptEscape = /^[!#$%&'()*+,\-./:;<=>?@[\]^_`{|}~]$/;

/** One character (code point) of a string literal, escaped as needed. */
function escapeChar(ch: string, next: string | undefined, triple: boolean): string {
  switch (ch) {
    case "\\":
      return next !== undefined && keptEscape.test(next) ? "\\" : "\\\\";
    case '"':
      return '\\"';
    case "\n":
      return "\\n";
    case "\r":
      return "\\r";
    case "\t":
      return triple ? "\t" : "\\t";
    case "\0":
      return "\\0";
  }
  const code = ch.codePointAt(0)!;
  if (
    code < 0x20 ||
    (code >= 0x7f && code <= 0x9f) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0xfeff ||
    (code >= 0xd800 && code <= 0xdfff)
  ) {
    return `\\u{${code.toString(16)}}`;
  }
  return ch;
}

/** Code points of `text` (lone surrogates stay single units). */
function chars(text: string): string[] {
  return [...text];
}

/** `"…"`: always possible. */
export function quoteSingle(text: string): string {
  const cs = chars(text);
  let out = '"';
  for (let i = 0; i < cs.length; i++) out += escapeChar(cs[i]!, cs[i + 1], false);
  out += '"';
  const back = decodeString(out, 0);
  if (!singleToken.test(out) || back.problems.length > 0 || back.template.text !== text) {
    // Cannot happen (every character has an escape); checked rather than assumed.
    throw new PrintError(`cannot write the string ${JSON.stringify(text)}`);
  }
  return out;
}

/**
 * `"""…"""` whose lines are indented one step deeper than `indent` (the indentation of the
 * line it starts on), the closing quotes at `indent`. Undefined if decodeTripleString would
 * not give `text` back (e.g. text ending with a line of spaces).
 */
function quoteTriple(text: string, indent: string): string | undefined {
  const lines = text.split("\n").map((line) => {
    const cs = chars(line);
    let out = "";
    for (let i = 0; i < cs.length; i++) {
      const ch = cs[i]!;
      if (ch === '"') {
        // Only a run of three quotes would close the string.
        let run = 0;
        while (cs[i + run] === '"') run++;
        let runStart = i;
        while (runStart > 0 && cs[runStart - 1] === '"') runStart--;
        const total = run + (i - runStart);
        out += total >= 3 ? '\\"' : '"';
        continue;
      }
      out += escapeChar(ch, cs[i + 1], true);
    }
    return out;
  });
  // The decoder removes the indentation common to the non-blank lines: make sure that is
  // exactly ours, by escaping the first character of a line that is indented further.
  const contentful = lines.filter((l) => l.trim() !== "");
  const own = Math.min(...contentful.map((l) => /^[ \t]*/.exec(l)![0].length));
  if (contentful.length > 0 && own > 0) {
    const i = lines.findIndex((l) => l.trim() !== "");
    const line = lines[i]!;
    lines[i] = (line[0] === "\t" ? "\\t" : "\\u{20}") + line.slice(1);
  }
  const inner = indent + STEP;
  const body = lines.map((l) => (l === "" ? "" : inner + l)).join("\n");
  const out = `"""\n${body}\n${indent}"""`;
  if (!tripleToken.test(out)) return undefined;
  const back = decodeTripleString(out, 0);
  return back.problems.length === 0 && back.template.text === text ? out : undefined;
}

/** A string literal: `"""…"""` for text with a line break where the grammar allows it. */
function quote(text: string, indent: string, allowTriple = true): string {
  if (allowTriple && text.includes("\n")) {
    const triple = quoteTriple(text, indent);
    if (triple !== undefined) return triple;
  }
  return quoteSingle(text);
}

function number(n: number, what: string, negativeOk = true): string {
  if (!Number.isFinite(n)) throw new PrintError(`${what} ${n} cannot be written in aegis`);
  if (n < 0 || Object.is(n, -0)) {
    if (!negativeOk) throw new PrintError(`${what} must not be negative (got ${n})`);
    return Object.is(n, -0) ? "-0" : `-${String(-n)}`;
  }
  return String(n);
}

function duration(ms: number, what: string): string {
  if (!Number.isInteger(ms) || ms < 0)
    throw new PrintError(
      `${what} must be a whole, non-negative number of milliseconds (got ${ms})`,
    );
  return formatDuration(ms);
}

// ---------------------------------------------------------------- expressions

function wrap(text: string, own: number, parent: number): string {
  return own < parent ? `(${text})` : text;
}

/** `exit 0` / `exit nonzero` / `exit N`: the sugar the parser expands. */
function exitSugar(e: Expr & { kind: "binary" }): string | undefined {
  const left = e.left;
  const right = e.right;
  if (left.kind !== "path" || left.segments.length !== 1) return undefined;
  const head = left.segments[0]!;
  if (!("name" in head) || head.name !== "exit_code") return undefined;
  if (right.kind !== "literal" || right.duration || typeof right.value !== "number")
    return undefined;
  if (!Number.isInteger(right.value) || right.value < 0 || Object.is(right.value, -0))
    return undefined;
  if (e.op === "==") return `exit ${right.value}`;
  if (e.op === "!=" && right.value === 0) return "exit nonzero";
  return undefined;
}

/**
 * An expression as aegis text that parses back to the same tree. (printExpr in
 * expression.ts is for labels: it writes strings as JSON and chains comparisons.)
 */
export function expressionText(e: Expr, parent = 0): string {
  switch (e.kind) {
    case "literal": {
      const v = e.value;
      if (typeof v === "string") return quoteSingle(v);
      if (typeof v === "number") {
        if (e.duration) return duration(v, "a duration");
        const text = number(v, "the number");
        return text.startsWith("-") ? wrap(text, 7, parent) : text;
      }
      return String(v);
    }
    case "path":
      return e.segments
        .map((s, i) => {
          if ("index" in s) {
            if (!Number.isInteger(s.index) || s.index < 0)
              throw new PrintError(`a path index must be a whole number (got ${s.index})`);
            if (i === 0) throw new PrintError("a path cannot start with an index");
            return `[${s.index}]`;
          }
          const text = name(s.name, "the path segment");
          return i === 0 ? text : `.${text}`;
        })
        .join("");
    case "unary":
      if (e.op === "not") return wrap(`not ${expressionText(e.operand, 3)}`, 3, parent);
      // `-1` would read back as the number -1; minus applied to a number is `-(1)`.
      if (
        e.operand.kind === "literal" &&
        typeof e.operand.value === "number" &&
        !e.operand.duration
      ) {
        return `-(${expressionText(e.operand)})`;
      }
      return `-${expressionText(e.operand, 7)}`;
    case "binary": {
      const sugar = exitSugar(e);
      if (sugar) return wrap(sugar, 4, parent);
      const p = precedence[e.op];
      if (p === undefined) throw new PrintError(`unknown operator '${e.op}'`);
      // Comparisons do not chain: both sides are additive expressions.
      const left = expressionText(e.left, p === 4 ? 5 : p);
      const right = expressionText(e.right, p + 1);
      return wrap(`${left} ${e.op} ${right}`, p, parent);
    }
    case "between":
      return wrap(
        `${expressionText(e.operand, 5)} between ${expressionText(e.low, 5)} and ${expressionText(e.high, 5)}`,
        4,
        parent,
      );
    case "call":
      return `${name(e.callee.name, "the function")}(${e.args.map((a) => expressionText(a)).join(", ")})`;
    case "list":
      return `[${e.items.map((a) => expressionText(a)).join(", ")}]`;
  }
}

// ---------------------------------------------------------------- types

function typeText(t: TypeExpr): string {
  switch (t.kind) {
    case "named": {
      if (t.args.length > 1)
        throw new PrintError(`type '${t.name}' has ${t.args.length} arguments; aegis writes one`);
      const arg = t.args[0];
      return name(t.name, "the type") + (arg ? `<${typeText(arg)}>` : "");
    }
    case "literal":
      return typeof t.value === "string"
        ? quoteSingle(t.value)
        : number(t.value, "a literal type", false);
    case "union":
      if (t.members.length === 0) throw new PrintError("a union type with no members");
      return t.members.map(typeText).join(" | ");
  }
}

// ---------------------------------------------------------------- comments

/** A place comments attach to: a printed line (or block) and the source range it came from. */
interface Anchor {
  start: number;
  end: number;
  /** Children printed one per line inside this anchor's block. */
  items?: Anchor[];
  /** Other anchors inside this one's range (an object in an entry, a call's arguments). */
  nested: Anchor[];
  /** The file itself: no header line. */
  file?: boolean;
  leading: IToken[];
  trailing: IToken[];
  /** Comments on the header line, after its `{`. */
  header: IToken[];
  /** Comments after the last item of the block. */
  dangling: IToken[];
}

function anchor(span: Span | undefined): Anchor {
  return {
    start: span?.start ?? 0,
    end: span?.end ?? 0,
    nested: [],
    leading: [],
    trailing: [],
    header: [],
    dangling: [],
  };
}

function tokenEnd(t: IToken): number {
  return t.startOffset + t.image.length;
}

function isLineComment(t: IToken): boolean {
  return !t.image.startsWith("/*");
}

function hasComments(a: Anchor | undefined): boolean {
  if (!a) return false;
  if (a.leading.length || a.trailing.length || a.header.length || a.dangling.length) return true;
  return (a.items ?? []).some(hasComments) || a.nested.some(hasComments);
}

// ---------------------------------------------------------------- the printer

/** One line-level element of a block: its anchor, how to print it, how it is separated. */
interface Item {
  anchor: Anchor;
  /** The text from the item's first column; later lines carry their own indentation. */
  render: (indent: string) => string;
  /** Group of declarations (blank lines between groups when there is no source). */
  group?: number;
  /** Set apart by blank lines (states with a body, the workflow). */
  spacious?: boolean;
}

interface WorkflowItem {
  start: number;
  end: number;
  order: number;
  group: number;
  render: (indent: string) => string;
  /** Set apart by blank lines: decided once comments are attached. */
  spacious?: () => boolean;
  nested: Anchor[];
  items?: Anchor[];
}

class Printer {
  private readonly anchors = new Map<object, Anchor>();
  private readonly width: number;
  private readonly source: string | undefined;
  private readonly comments: IToken[];
  private readonly sourceOrder: boolean;

  constructor(options: PrintOptions) {
    this.width = options.width ?? 100;
    this.sourceOrder = options.comments !== undefined || options.source !== undefined;
    this.source = options.source;
    this.comments = [...(options.comments ?? [])].sort((a, b) => a.startOffset - b.startOffset);
  }

  // ------------------------------------------------------------ anchors

  /** The anchor of a node (created on first use). */
  private at(node: object, span: Span | undefined): Anchor {
    let a = this.anchors.get(node);
    if (!a) {
      a = anchor(span);
      this.anchors.set(node, a);
    }
    return a;
  }

  private valueAnchor(v: Value): Anchor {
    const a = this.at(v, v.span);
    if (v.kind === "object") {
      a.items = v.entries.map((e) => this.entryAnchor(e));
    } else if (v.kind === "list") {
      a.items = v.items.map((i) => this.valueAnchor(i));
    } else if (v.kind === "call") {
      a.items = v.args.map((i) => this.valueAnchor(i));
    }
    return a;
  }

  private entryAnchor(e: ObjectEntry): Anchor {
    const a = this.at(e, e.span);
    a.nested = [this.valueAnchor(e.value)];
    return a;
  }

  /** Builds every anchor, then hands each comment to one. */
  private attach(ast: SourceFileAst, workflowItems: WorkflowItem[] | undefined): Anchor {
    const file = anchor({ start: Number.NEGATIVE_INFINITY, end: Number.POSITIVE_INFINITY });
    file.file = true;
    file.items = ast.imports.map((i) => this.at(i, i.span));
    if (ast.workflow && workflowItems) {
      const wf = this.at(ast.workflow, ast.workflow.span);
      wf.items = workflowItems.map((item) => {
        const a = this.at(item, item);
        a.nested = item.nested;
        if (item.items) a.items = item.items;
        return a;
      });
      file.items.push(wf);
    }
    for (const c of this.comments) this.place(c, file);
    return file;
  }

  private sameLine(offset: number, c: IToken): boolean {
    if (!Number.isFinite(offset)) return false;
    if (offset > c.startOffset) return true;
    if (this.source !== undefined) return !/[\r\n]/.test(this.source.slice(offset, c.startOffset));
    // Without the text: the comment's line starts at startOffset - (startColumn - 1).
    const lineStart = c.startOffset - ((c.startColumn ?? 1) - 1);
    return lineStart <= offset;
  }

  private place(c: IToken, a: Anchor): void {
    const start = c.startOffset;
    const end = tokenEnd(c);
    const children = [...(a.items ?? []), ...a.nested];
    for (const child of children) {
      if (child.end > child.start && child.start <= start && end <= child.end) {
        this.place(c, child);
        return;
      }
    }
    if (!a.items) {
      a.leading.push(c);
      return;
    }
    const sorted = [...a.items].sort((x, y) => x.start - y.start);
    let prev: Anchor | undefined;
    let next: Anchor | undefined;
    for (const item of sorted) {
      if (item.end <= start) prev = item;
      else if (item.start >= end && !next) next = item;
    }
    if (prev && this.sameLine(prev.end, c)) prev.trailing.push(c);
    else if (!prev && !a.file && this.sameLine(a.start, c)) a.header.push(c);
    else if (next) next.leading.push(c);
    else a.dangling.push(c);
  }

  // ------------------------------------------------------------ blocks

  /** Whether the source has a blank line between two offsets. */
  private gap(from: number, to: number, prev?: IToken, next?: IToken): boolean {
    if (this.source !== undefined) {
      if (!Number.isFinite(from) || !Number.isFinite(to) || to <= from) return false;
      return /\n[ \t\f\v\r]*\n/.test(this.source.slice(from, to));
    }
    if (prev && next) return (next.startLine ?? 0) - (prev.endLine ?? prev.startLine ?? 0) > 1;
    return false;
  }

  /** `line` followed by trailing comments; a line comment ends the line, so later ones wrap. */
  private trail(line: string, comments: IToken[], indent: string): string[] {
    const out = [line];
    let open = true;
    for (const c of comments) {
      if (open) {
        out[0] += ` ${c.image}`;
        if (isLineComment(c)) open = false;
      } else out.push(indent + c.image);
    }
    return out;
  }

  /**
   * The lines of a block's content: each item with its leading and trailing comments,
   * blank lines where they belong, then the block's dangling comments.
   */
  private blockLines(
    indent: string,
    items: Item[],
    block: Anchor | undefined,
    separator = "",
    headerInline = true,
  ): string[] {
    const out: string[] = [];
    let prevEnd: number | undefined;
    let prevToken: IToken | undefined;
    let prevItem: Item | undefined;
    // Header comments that do not fit on the header line come first.
    const header = block?.header ?? [];
    const headerRest = headerInline
      ? this.trail("", header, indent).slice(1)
      : header.map((c) => indent + c.image);
    out.push(...headerRest);
    if (headerRest.length > 0) {
      const last = header.at(-1)!;
      prevEnd = tokenEnd(last);
      prevToken = last;
    }
    const emit = (lines: string[], blank: boolean) => {
      if (blank && out.length > 0 && out.at(-1) !== "") out.push("");
      out.push(...lines);
    };
    for (const item of items) {
      const a = item.anchor;
      let first = true;
      const blankFirst = (start: number, token?: IToken): boolean => {
        if (!prevItem) return prevEnd !== undefined && this.gap(prevEnd, start, prevToken, token);
        if (prevItem.spacious || item.spacious) return true;
        if (this.source !== undefined) return this.gap(prevEnd ?? start, start);
        return item.group !== undefined && prevItem.group !== item.group;
      };
      for (const c of a.leading) {
        const blank = first
          ? blankFirst(c.startOffset, c)
          : this.gap(prevEnd!, c.startOffset, prevToken, c);
        emit([indent + c.image], blank);
        first = false;
        prevEnd = tokenEnd(c);
        prevToken = c;
      }
      const blank = first ? blankFirst(a.start) : this.gap(prevEnd!, a.start, prevToken);
      const text = indent + item.render(indent) + separator;
      const lines = text.split("\n");
      const last = lines.pop()!;
      emit([...lines, ...this.trail(last, a.trailing, indent)], blank);
      prevEnd = Math.max(a.end, ...a.trailing.map(tokenEnd));
      prevToken = a.trailing.at(-1);
      prevItem = item;
    }
    let firstDangling = true;
    for (const c of block?.dangling ?? []) {
      const blank =
        (firstDangling && prevItem?.spacious) ||
        (prevEnd !== undefined && this.gap(prevEnd, c.startOffset, prevToken, c));
      emit([indent + c.image], blank);
      firstDangling = false;
      prevEnd = tokenEnd(c);
      prevToken = c;
    }
    return out;
  }

  /** `open` + items one per line + `close`, with the block's comments. */
  private block(
    open: string,
    close: string,
    indent: string,
    items: Item[],
    block: Anchor | undefined,
    separator = "",
  ): string {
    const inner = indent + STEP;
    // A comment stays on the header line only if that is where the declaration starts
    // (else, parsed again, it would lead the first item).
    const headerInline = !open.includes("\n");
    const head = headerInline ? this.trail(open, block?.header ?? [], inner)[0]! : open;
    const lines = this.blockLines(inner, items, block, separator, headerInline);
    return [head, ...lines, indent + close].join("\n");
  }

  // ------------------------------------------------------------ values

  /** A value on one line, or undefined if it cannot be (comments, multi-line strings). */
  private flat(v: Value): string | undefined {
    const a = this.anchors.get(v);
    if (a && hasComments(a)) return undefined;
    switch (v.kind) {
      case "string": {
        const text = stringText(v);
        return text.includes("\n") ? undefined : quoteSingle(text);
      }
      case "list": {
        const items = v.items.map((i) => this.flat(i));
        if (items.some((i) => i === undefined)) return undefined;
        return `[${items.join(", ")}]`;
      }
      case "object": {
        if (v.entries.length === 0) return "{}";
        const entries = v.entries.map((e) => {
          const value = this.flat(e.value);
          return value === undefined ? undefined : `${keyText(e.key.name)}: ${value}`;
        });
        if (entries.some((e) => e === undefined)) return undefined;
        return `{ ${entries.join(", ")} }`;
      }
      case "call": {
        const args = v.args.map((i) => this.flat(i));
        if (args.some((i) => i === undefined)) return undefined;
        return `${name(v.callee.name, "the function")}(${args.join(", ")})`;
      }
      default:
        return this.scalar(v);
    }
  }

  private scalar(v: Value): string {
    switch (v.kind) {
      case "number":
        return number(v.value, "the number");
      case "duration":
        return duration(v.ms, "a duration");
      case "boolean":
        return String(v.value);
      case "null":
        return "null";
      case "symbol":
        return name(v.name, "the symbol");
      default:
        throw new Error(`not a scalar: ${v.kind}`);
    }
  }

  /** A value starting at column `column` of a line indented by `indent`. */
  value(v: Value, indent: string, column: number, suffix = 0): string {
    const flat = this.flat(v);
    if (flat !== undefined && column + flat.length + suffix <= this.width) return flat;
    const a = this.anchors.get(v);
    switch (v.kind) {
      case "string":
        return quote(stringText(v), indent);
      case "object":
        return this.block(
          "{",
          "}",
          indent,
          v.entries.map((e) => ({
            anchor: this.anchors.get(e) ?? anchor(e.span),
            render: (ind) => {
              const key = `${keyText(e.key.name)}: `;
              return key + this.value(e.value, ind, ind.length + key.length);
            },
          })),
          a,
        );
      case "list":
        return this.block("[", "]", indent, this.valueItems(v.items), a, ",");
      case "call":
        return this.block(
          `${name(v.callee.name, "the function")}(`,
          ")",
          indent,
          this.valueItems(v.args),
          a,
          ",",
        );
      default:
        return flat ?? this.scalar(v);
    }
  }

  private valueItems(values: Value[]): Item[] {
    return values.map((i) => ({
      anchor: this.anchors.get(i) ?? anchor(i.span),
      render: (ind) => this.value(i, ind, ind.length, 1),
    }));
  }

  private object(v: Value, what: string, indent: string, column: number): string {
    if (v.kind !== "object") throw new PrintError(`${what} must be an object { … }`);
    return this.value(v, indent, column);
  }

  private template(t: Template, indent: string): string {
    return quote(t.text, indent);
  }

  // ------------------------------------------------------------ declarations

  print(ast: SourceFileAst): string {
    const wf = ast.workflow;
    const workflowItems = wf ? this.workflowItems(wf) : undefined;
    const file = this.attach(ast, workflowItems);
    const items: Item[] = ast.imports.map((imp) => ({
      anchor: this.anchors.get(imp)!,
      render: () => importText(imp),
      group: 0,
    }));
    if (wf && workflowItems) {
      items.push({
        anchor: this.anchors.get(wf)!,
        render: (indent) => this.workflow(wf, workflowItems, indent),
        group: 1,
        spacious: true,
      });
    }
    const lines = this.blockLines("", items, file);
    return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
  }

  private workflow(wf: WorkflowDecl, items: WorkflowItem[], indent: string): string {
    let open = `workflow ${name(wf.name.name, "the workflow name")}`;
    if (wf.title) open += ` ${this.template(wf.title, indent)}`;
    open += " {";
    return this.block(
      open,
      "}",
      indent,
      items.map((item) => ({
        anchor: this.anchors.get(item)!,
        render: item.render,
        group: item.group,
        spacious: item.spacious?.() ?? false,
      })),
      this.anchors.get(wf),
    );
  }

  /** The workflow's declarations, in source order. */
  private workflowItems(wf: WorkflowDecl): WorkflowItem[] {
    const items: WorkflowItem[] = [];
    const add = (
      span: Span,
      group: number,
      render: (indent: string) => string,
      values: Value[] = [],
      extra: Partial<WorkflowItem> = {},
    ) => {
      items.push({
        start: span.start,
        end: span.end,
        order: items.length,
        group,
        render,
        nested: values.map((v) => this.valueAnchor(v)),
        ...extra,
      });
    };
    const obj = (keyword: string, v: Value & { kind: "object" }, group: number) =>
      add(
        v.span,
        group,
        (ind) => `${keyword} ${this.object(v, keyword, ind, ind.length + keyword.length + 1)}`,
        [v],
      );

    if (wf.version) {
      const version = wf.version.value;
      add(wf.version.span, 0, () => `version ${quoteSingle(version)}`);
    }
    if (wf.description) {
      const d = wf.description;
      add(d.span, 0, (ind) => `description ${this.template(d, ind)}`);
    }
    if (wf.labels) obj("labels", wf.labels, 0);
    if (wf.annotations) obj("annotations", wf.annotations, 0);
    for (const input of wf.inputs) {
      add(input.span, 1, (ind) => this.input(input, ind), input.default ? [input.default] : []);
    }
    if (wf.otherInputs) add(wf.otherInputs.span, 1, () => "input *");
    if (wf.context) obj("context", wf.context, 2);
    for (const secret of wf.secrets) add(secret.span, 3, (ind) => this.secret(secret, ind));
    for (const agent of wf.agents) {
      const call: Anchor[] = [];
      if (agent.provider) {
        const a = anchor({ start: agent.provider.span.start, end: agent.span.end });
        a.items = [
          ...agent.args.map((v) => this.valueAnchor(v)),
          ...agent.options.map((e) => this.entryAnchor(e)),
        ];
        this.anchors.set(agent, a);
        call.push(a);
      }
      add(agent.span, 4, (ind) => this.agent(agent, ind), [], { nested: call });
    }
    if (wf.limits) obj("limits", wf.limits, 5);
    if (wf.storage) obj("storage", wf.storage, 6);
    if (wf.start) {
      const start = wf.start;
      add(
        { start: start.keywordSpan.start, end: start.span.end },
        7,
        () => `start ${name(start.name, "the start state")}`,
      );
    }
    if (wf.output) {
      const out = wf.output;
      add(out.span, 7, (ind) => `output ${this.template(out, ind)}`);
    }
    if (wf.outputFields) obj("output", wf.outputFields, 7);
    if (wf.outputSchema) {
      const schema = wf.outputSchema;
      add(
        schema.span,
        7,
        (ind) => `output schema ${this.object(schema, "output schema", ind, ind.length + 14)}`,
        [schema],
      );
    }
    for (const state of wf.states) {
      const body = this.stateBody(state);
      const item: WorkflowItem = {
        start: state.span.start,
        end: state.span.end,
        order: items.length,
        group: 8,
        render: (ind) => this.state(state, body, ind, this.anchors.get(item)),
        nested: [],
        items: body.map((b) => b.anchor),
        // A state is printed with a body if it has statements, or comments inside.
        spacious: () => this.needsBody(body, this.anchors.get(item)),
      };
      items.push(item);
    }
    // Parsed text: keep the author's order (comments are attached by position). A tree from
    // elsewhere (YAML): the canonical order of the groups.
    if (this.sourceOrder) return items.sort((a, b) => a.start - b.start || a.order - b.order);
    return items.sort((a, b) => a.group - b.group || a.order - b.order);
  }

  private needsBody(body: Item[], a: Anchor | undefined): boolean {
    return body.length > 0 || (!!a && (a.header.length > 0 || a.dangling.length > 0));
  }

  private input(input: InputDecl, indent: string): string {
    let text = `input ${name(input.name.name, "the input")}${input.optional ? "?" : ""}: `;
    text += input.type ? typeText(input.type) : "any";
    if (input.default) {
      text += " = ";
      const lastLine = text.slice(text.lastIndexOf("\n") + 1);
      text += this.value(input.default, indent, indent.length + lastLine.length);
    }
    if (input.description) text += ` ${this.template(input.description, indent)}`;
    return text;
  }

  private secret(secret: SecretDecl, indent: string): string {
    let text = `secret ${name(secret.name.name, "the secret")}`;
    if (secret.description) text += ` ${this.template(secret.description, indent)}`;
    return text;
  }

  private agent(agent: AgentDecl, indent: string): string {
    const head = `agent ${name(agent.name.name, "the agent")}`;
    const session = agent.session ? " session" : "";
    if (!agent.provider) {
      if (agent.args.length || agent.options.length)
        throw new PrintError(`agent '${agent.name.name}' has arguments but no provider`);
      return head + session;
    }
    const provider = name(agent.provider.name, "the provider");
    const a = this.anchors.get(agent);
    const args = [
      ...agent.args.map((v) => ({ v, key: undefined as string | undefined, node: v as object })),
      ...agent.options.map((e) => ({ v: e.value, key: e.key.name, node: e as object })),
    ];
    const flats = args.map(({ v, key }) => {
      const f = this.flat(v);
      return f === undefined ? undefined : key === undefined ? f : `${keyText(key)}: ${f}`;
    });
    const prefix = `${head} = ${provider}(`;
    if (!hasComments(a) && flats.every((f) => f !== undefined)) {
      const line = `${prefix}${flats.join(", ")})${session}`;
      if (indent.length + line.length <= this.width) return line;
    }
    return this.block(
      prefix,
      `)${session}`,
      indent,
      args.map(({ v, key, node }) => ({
        anchor: this.anchors.get(node) ?? anchor(v.span),
        render: (ind) => {
          const k = key === undefined ? "" : `${keyText(key)}: `;
          return k + this.value(v, ind, ind.length + k.length, 1);
        },
      })),
      a,
      ",",
    );
  }

  // ------------------------------------------------------------ states

  /** The lines of a state's body, each with its anchor. */
  private stateBody(state: StateDecl): Item[] {
    const items: Item[] = [];
    // Settings go in the header, except for a final state without an action (no header).
    if (state.kind === "final") {
      for (const s of state.settings) {
        items.push({ anchor: this.at(s, s.span), render: () => settingText(s) });
      }
    }
    for (const st of state.statements) {
      const a = this.at(st, st.span);
      const values = statementValues(st);
      a.nested = values.map((v) => this.valueAnchor(v));
      items.push({ anchor: a, render: (ind) => this.statement(st, ind) });
    }
    for (const t of state.transitions) {
      items.push({ anchor: this.at(t, t.span), render: (ind) => this.transition(t, ind) });
    }
    return items;
  }

  private state(state: StateDecl, body: Item[], indent: string, a: Anchor | undefined): string {
    const stateName = name(state.name.name, "the state");
    let head: string;
    if (state.final || state.kind === "final") {
      head = `final ${stateName}${state.final?.outcome === "failure" ? " failure" : ""}`;
      if (state.kind !== "final")
        head += ` = ${this.stateKind(state, indent, indent.length + head.length + 3)}`;
    } else {
      head = `state ${stateName} = `;
      head += this.stateKind(state, indent, indent.length + head.length);
    }
    if (state.kind !== "final") {
      for (const s of state.settings) head += ` ${settingText(s)}`;
    }
    if (!this.needsBody(body, a)) return head;
    return this.block(`${head} {`, "}", indent, body, a);
  }

  /** The kind of a state, written from column `column` of its header line. */
  private stateKind(state: StateDecl, indent: string, column: number): string {
    const what = `state '${state.name.name}'`;
    switch (state.kind) {
      case "agent":
        if (state.agentTemplate) return `agent ${this.template(state.agentTemplate, indent)}`;
        if (!state.agent) throw new PrintError(`${what} is an agent state without an agent`);
        return `agent ${name(state.agent.name, "the agent")}`;
      case "human":
      case "parallel":
      case "branch":
      case "containers":
        return state.kind;
      case "run": {
        const cmd = state.command;
        if (!cmd || (cmd.kind !== "string" && cmd.kind !== "list"))
          throw new PrintError(`${what} runs no command (a string or a list)`);
        return `run ${this.value(cmd, indent, column + 4)}`;
      }
      case "container":
        if (!state.image) throw new PrintError(`${what} is a container without an image`);
        return `container ${this.template(state.image, indent)}`;
      case "subworkflow": {
        if (!state.workflowRef) throw new PrintError(`${what} names no workflow`);
        const mode = state.mode ? ` ${state.mode.value}` : "";
        return `subworkflow ${name(state.workflowRef.name, "the workflow")}${mode}`;
      }
      case "foreach":
        if (!state.foreach || !state.agent)
          throw new PrintError(`${what} is a foreach without an item, a list or an agent`);
        return `foreach ${name(state.foreach.item.name, "the item")} in ${expressionText(state.foreach.over)} agent ${name(state.agent.name, "the agent")}`;
      case "loop":
        if (!state.agent) throw new PrintError(`${what} is a loop without an agent`);
        return `loop agent ${name(state.agent.name, "the agent")}`;
      case "coordinate": {
        if (!state.router) throw new PrintError(`${what} is a coordinate state without a router`);
        const specialists = (state.specialists ?? []).map((s) => name(s.name, "the agent"));
        return `coordinate [${specialists.join(", ")}] by ${name(state.router.name, "the agent")}`;
      }
    }
    throw new PrintError(`${what} has an unknown kind '${state.kind}'`);
  }

  private statement(st: StateStatement, indent: string): string {
    const col = (keyword: string) => indent.length + keyword.length + 1;
    switch (st.kind) {
      case "prompt":
      case "intent":
        return `${st.kind} ${this.template(st.template, indent)}`;
      case "input":
      case "output":
      case "command":
      case "default":
        return `${st.kind} ${this.value(st.value, indent, col(st.kind))}`;
      case "consensus":
        return `consensus ${this.object(st.config, "consensus", indent, col("consensus"))}`;
      case "env":
      case "volumes":
      case "resources":
      case "options":
      case "handler":
        return `${st.kind} ${this.object(st.value, st.kind, indent, col(st.kind))}`;
      case "workdir":
        return `workdir ${this.template(st.value, indent)}`;
      case "container": {
        const head = `container ${name(st.name.name, "the container")} ${this.template(st.image, indent)}`;
        if (!st.config) return head;
        const lastLine = head.slice(head.lastIndexOf("\n") + 1);
        const column = (head.includes("\n") ? 0 : indent.length) + lastLine.length + 1;
        return `${head} ${this.object(st.config, "a container's settings", indent, column)}`;
      }
      case "result":
        return `result ${name(st.key.name, "the result key")}`;
      case "iterations":
        return `iterations ${number(st.value, "iterations", false)}`;
      case "protects":
        return `protects [${st.states.map((s) => name(s.name, "the state")).join(", ")}]`;
      case "judge": {
        let text = `judge ${name(st.agent.name, "the judge")}`;
        if (st.weight !== undefined) text += ` weight ${number(st.weight, "a weight", false)}`;
        if (st.timeoutMs !== undefined) text += ` timeout ${duration(st.timeoutMs, "a timeout")}`;
        if (st.prompt) text += ` prompt ${this.template(st.prompt, indent)}`;
        return text;
      }
    }
    throw new PrintError(`unknown statement '${(st as { kind: string }).kind}'`);
  }

  private transition(t: TransitionDecl, indent: string): string {
    let text: string;
    if (t.otherwise) text = "otherwise";
    else if (t.condition) text = `on ${expressionText(t.condition)}`;
    else throw new PrintError("a transition with neither a condition nor otherwise");
    text += ` -> ${name(t.target.name, "the target state")}`;
    if (t.feedback) text += ` feedback ${this.template(t.feedback, indent)}`;
    return text;
  }
}

function stringText(v: Value & { kind: "string" }): string {
  return v.template?.text ?? v.value;
}

function keyText(key: string): string {
  return isName(key) ? key : quoteSingle(key);
}

function importText(imp: ImportDecl): string {
  return `import ${quoteSingle(imp.path)} as ${name(imp.alias.name, "the import alias")}`;
}

function settingText(s: StateSetting): string {
  switch (s.kind) {
    case "timeout":
      return `timeout ${duration(s.ms, "a timeout")}`;
    case "retry": {
      const backoff =
        s.backoffMs === undefined ? "" : ` backoff ${duration(s.backoffMs, "a backoff")}`;
      return `retry ${number(s.value, "retry", false)}${backoff}`;
    }
    case "errors":
      return `errors ${name(s.mode.name, "the error mode")}`;
    case "until":
      return `until ${expressionText(s.condition)}`;
    case "steps":
      return `steps ${number(s.value, "steps", false)}${s.then ? ` then ${name(s.then.name, "what running out of steps does")}` : ""}`;
    case "visits":
    case "concurrency":
    case "max":
      return `${s.kind} ${number(s.value, s.kind, false)}`;
    case "session":
      return `session ${name(s.name.name, "the session")}`;
  }
}

/** The values inside a statement (for comments inside them). */
function statementValues(st: StateStatement): Value[] {
  switch (st.kind) {
    case "input":
    case "output":
    case "command":
    case "default":
    case "env":
    case "volumes":
    case "resources":
    case "options":
    case "handler":
      return [st.value];
    case "consensus":
      return [st.config];
    case "container":
      return st.config ? [st.config] : [];
    default:
      return [];
  }
}

/**
 * Prints a file in canonical form. Pass the comments (and the text) of the parse to keep
 * the comments (and the blank lines between declarations). With either, the workflow's
 * declarations keep their order (by span); without (a tree built by a YAML front end),
 * they come in the canonical order: metadata, inputs, context, secrets, agents, limits,
 * storage, start and output, states. Throws a PrintError for what aegis cannot express.
 */
export function printAegis(ast: SourceFileAst, options: PrintOptions = {}): string {
  return new Printer(options).print(ast);
}

/** Keys that only locate a node in its file. */
const positionKeys = new Set(["span", "map", "keywordSpan", "pathSpan", "kindSpan"]);

/**
 * A tree without its positions (and with durations reduced to their value), for comparing
 * what two texts mean: `1h30m` and `90m` are the same duration.
 */
export function withoutPositions(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutPositions);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    const isDuration = (value as { kind?: unknown }).kind === "duration";
    for (const key of Object.keys(value).sort()) {
      if (positionKeys.has(key) || (isDuration && key === "text")) continue;
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = withoutPositions(v);
    }
    return out;
  }
  return value;
}

export type FormatResult =
  | { ok: true; text: string; changed: boolean }
  | { ok: false; findings: Finding[] };

/**
 * `aegis fmt` on one text: its canonical form, or the parse's findings if it has any (a
 * file that does not parse cleanly is not formatted: the tree would miss what the parser
 * dropped). The result is checked: it must parse to the same tree with the same comments.
 */
export function formatSource(text: string, file: string): FormatResult {
  const parsed = parse(text, file);
  if (parsed.findings.length > 0) return { ok: false, findings: parsed.findings };
  const out = printAegis(parsed.ast, { comments: parsed.comments, source: text });
  const again = parse(out, file);
  const comments = (r: typeof parsed) =>
    r.comments
      .map((c) => c.image)
      .sort()
      .join("\n");
  if (
    again.findings.length > 0 ||
    JSON.stringify(withoutPositions(again.ast)) !== JSON.stringify(withoutPositions(parsed.ast)) ||
    comments(again) !== comments(parsed)
  ) {
    throw new Error(`formatting ${file} would change what it means (a bug in aegis fmt)`);
  }
  return { ok: true, text: out, changed: out !== text };
}
