// Commands in an issue or pull-request comment: `/approve`, `/reject <why>`, `/status`,
// `/retry`, `/cancel`.
//
// A command is what the reader of the comment sees on GitHub: the comment is parsed as
// GitHub parses it (CommonMark + GFM, raw HTML allowed), and a command is recognized only
// as the first plain text of a line of a paragraph that is a top-level block of the
// comment, outside every raw HTML element. Quoted, listed, tabled, fenced, linked,
// emphasized, commented-out or collapsed text is never a command. The grammar, with
// examples, is in docs/action-commands.md.

import type { StateBlock, Token } from "markdown-it";
import MarkdownIt from "markdown-it";

export type CommandName = "approve" | "reject" | "status" | "retry" | "cancel";

export interface Command {
  name: CommandName;
  /**
   * For /reject, the reason: the rest of its line and the visible text after it up to the
   * next command or the end of the comment. For the others, the rest of the line. HTML
   * comments and hidden HTML are removed; trimmed.
   */
  args: string;
  /** 1-based line of the comment. */
  line: number;
}

const names = new Set<string>(["approve", "reject", "status", "retry", "cancel"]);

/** Every command of a comment, in order. */
export function parseCommands(body: string): Command[] {
  // markdown-it's own normalization, done first so that offsets agree with its tokens.
  const src = body.replace(/\r\n?/g, "\n").replace(/\0/g, "\uFFFD");
  if (src.trim() === "") return [];
  return new Reader(src).read();
}

// ---------------------------------------------------------------- the Markdown parser

/** Where, in the source, each line of a block's content starts (see StateBlock.getLines). */
interface SourceMap {
  /** Characters trimmed from the start of the content. */
  lead: number;
  /** Offset in the untrimmed content of each line's first character. */
  offsets: number[];
  /** Source offset of each line's first character. */
  firsts: number[];
  /** Spaces getLines put before each line (for a tab partly used as indentation). */
  pads: number[];
}

/** The content → source maps of inline and html_block tokens. */
const sourceMaps = new WeakMap<Token, SourceMap>();
/** The offset, in their inline token's content, of breaks and inline HTML. */
const positions = new WeakMap<Token, number>();

const md = new MarkdownIt({ html: true });
// Keep escapes and entities (`\/`, `&#47;`) apart from the text around them: a line that
// starts with one does not start with plain text.
md.core.ruler.disable("text_join");
for (const name of ["newline", "escape", "html_inline"]) recordPositions(name);
for (const name of ["paragraph", "lheading", "heading", "html_block"]) recordSourceMaps(name);
recordReferences();
// GitHub reads `[^label]: text` as a footnote definition, shown (if at all) at the end of
// the comment; markdown-it without a plugin reads a paragraph, or a link reference.
md.block.ruler.before("reference", "aegis_footnote", footnote, {
  alt: ["paragraph", "reference", "blockquote", "list"],
});

function blockRule(name: string) {
  const rule = md.block.ruler.__rules__.find((r) => r.name === name);
  if (!rule) throw new Error(`markdown-it has no block rule ${name}`);
  return rule;
}

function recordPositions(name: string): void {
  const rule = md.inline.ruler.__rules__.find((r) => r.name === name);
  if (!rule) throw new Error(`markdown-it has no inline rule ${name}`);
  const { fn, alt } = rule;
  md.inline.ruler.at(
    name,
    (state, silent) => {
      const start = state.pos;
      const from = state.tokens.length;
      const ok = fn(state, silent);
      if (ok && !silent)
        for (let i = from; i < state.tokens.length; i++) {
          const token = state.tokens[i]!;
          if (token.type !== "text") positions.set(token, start);
        }
      return ok;
    },
    { alt: [...alt] },
  );
}

function recordSourceMaps(name: string): void {
  const { fn, alt } = blockRule(name);
  md.block.ruler.at(
    name,
    (state, startLine, endLine, silent) => {
      const from = state.tokens.length;
      const ok = fn(state, startLine, endLine, silent);
      if (ok && !silent)
        for (let i = from; i < state.tokens.length; i++) {
          const token = state.tokens[i]!;
          const map =
            token.type === "html_block"
              ? linesMap(state, token, true)
              : token.type !== "inline"
                ? undefined
                : name === "heading"
                  ? headingMap(state, token)
                  : linesMap(state, token, false);
          if (map) sourceMaps.set(token, map);
        }
      return ok;
    },
    { alt: [...alt] },
  );
}

/** Link reference definitions are not shown: mark the lines they take. */
function recordReferences(): void {
  const { fn, alt } = blockRule("reference");
  md.block.ruler.at(
    "reference",
    (state, startLine, endLine, silent) => {
      const ok = fn(state, startLine, endLine, silent);
      if (ok && !silent) state.push("aegis_reference", "", 0).map = [startLine, state.line];
      return ok;
    },
    { alt: [...alt] },
  );
}

/** The map of content made by getLines(map[0], map[1], blkIndent, keepLastLF), maybe trimmed. */
function linesMap(state: StateBlock, token: Token, keepLastLF: boolean): SourceMap | undefined {
  if (!token.map) return undefined;
  const [begin, end] = token.map;
  const { src, blkIndent: indent } = state;
  const offsets: number[] = [];
  const firsts: number[] = [];
  const pads: number[] = [];
  let offset = 0;
  for (let line = begin; line < end; line++) {
    // As StateBlock.getLines skips a line's indentation and container markers.
    const lineStart = state.bMarks[line]!;
    const last = line + 1 < end || keepLastLF ? state.eMarks[line]! + 1 : state.eMarks[line]!;
    let lineIndent = 0;
    let first = lineStart;
    while (first < last && lineIndent < indent) {
      const ch = src.charCodeAt(first);
      if (ch === 0x09) lineIndent += 4 - ((lineIndent + state.bsCount[line]!) % 4);
      else if (ch === 0x20 || first - lineStart < state.tShift[line]!) lineIndent++;
      else break;
      first++;
    }
    const pad = lineIndent > indent ? lineIndent - indent : 0;
    offsets.push(offset);
    firsts.push(first);
    pads.push(pad);
    offset += pad + Math.max(0, Math.min(last, src.length) - first);
  }
  const untrimmed = state.getLines(begin, end, indent, keepLastLF);
  let lead = 0;
  if (!keepLastLF) while (lead < untrimmed.length && " \t\n\r".includes(untrimmed[lead]!)) lead++;
  // Anything unexpected: no map, and the token's HTML is cut by whole lines.
  if (untrimmed.length !== offset || !untrimmed.startsWith(token.content, lead)) return undefined;
  return { lead, offsets, firsts, pads };
}

/** An ATX heading's content: the rest of its line after the `#`s, trimmed. */
function headingMap(state: StateBlock, token: Token): SourceMap | undefined {
  if (!token.map) return undefined;
  const line = token.map[0];
  let pos = state.bMarks[line]! + state.tShift[line]!;
  while (state.src[pos] === "#") pos++;
  while (state.src[pos] === " " || state.src[pos] === "\t") pos++;
  if (!state.src.startsWith(token.content, pos)) return undefined;
  return { lead: 0, offsets: [0], firsts: [pos], pads: [0] };
}

function toSource(map: SourceMap, offset: number, length: number): number {
  const u = offset + map.lead;
  let lo = 0;
  let hi = map.offsets.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (map.offsets[mid]! <= u) lo = mid;
    else hi = mid - 1;
  }
  const column = u - map.offsets[lo]!;
  return Math.min(map.firsts[lo]! + Math.max(0, column - map.pads[lo]!), length);
}

const FOOTNOTE = /\[\^[^\] \t\n\r]+\]:/y;

/**
 * A footnote definition, as cmark-gfm reads one: `[^label]:`, then the lines indented by 4
 * or more, and lazy continuation lines. It may interrupt a paragraph. Its lines become
 * one opaque `aegis_footnote` token: nothing in them is a command or part of a reason.
 */
function footnote(state: StateBlock, startLine: number, endLine: number, silent: boolean): boolean {
  if (state.sCount[startLine]! - state.blkIndent >= 4) return false;
  FOOTNOTE.lastIndex = state.bMarks[startLine]! + state.tShift[startLine]!;
  if (!FOOTNOTE.test(state.src)) return false;
  if (silent) return true;
  const terminators = state.md.block.ruler.getRules("paragraph");
  const indented = (line: number) => state.sCount[line]! - state.blkIndent >= 4;
  let line = startLine + 1;
  while (line < endLine) {
    if (state.isEmpty(line)) {
      let next = line + 1;
      while (next < endLine && state.isEmpty(next)) next++;
      if (next < endLine && indented(next)) {
        line = next + 1;
        continue;
      }
      break;
    }
    if (!indented(line) && terminators.some((rule) => rule(state, line, endLine, true))) break;
    line++;
  }
  const token = state.push("aegis_footnote", "", 0);
  token.map = [startLine, line];
  state.line = line;
  return true;
}

// ---------------------------------------------------------------- raw HTML

type Mode =
  | "text"
  | "comment"
  | "bogus"
  | "tagName"
  | "tag"
  | "attrName"
  | "afterAttrName"
  | "beforeValue"
  | "doubleQuoted"
  | "singleQuoted"
  | "unquoted"
  | "raw"
  | "plaintext";

const VOID = new Set([
  "area",
  "base",
  "br",
  "col",
  "embed",
  "hr",
  "img",
  "input",
  "keygen",
  "link",
  "meta",
  "param",
  "source",
  "track",
  "wbr",
]);
const RAW_TEXT = new Set([
  "script",
  "style",
  "textarea",
  "title",
  "xmp",
  "iframe",
  "noembed",
  "noframes",
  "noscript",
]);
/** Elements whose content a reader sees, when they have no attributes (for reasons only). */
const TRANSPARENT = new Set(
  (
    "a abbr b big blockquote br cite code dd del dfn div dl dt em h1 h2 h3 h4 h5 h6 i ins kbd " +
    "li mark ol p pre q s samp small span strike strong sub sup table tbody td tfoot th thead " +
    "tr tt u ul var"
  ).split(" "),
);
const COMMENT_END = /--!?>/g;
const rawEnds = new Map<string, RegExp>();
const isSpace = (c: string | undefined) => c === " " || c === "\t" || c === "\n" || c === "\f";
const isLetter = (c: string | undefined) =>
  c !== undefined && ((c >= "a" && c <= "z") || (c >= "A" && c <= "Z"));

/**
 * Follows the raw HTML of a comment (html_block and html_inline tokens, in document order)
 * as an HTML tokenizer would, keeping the stack of elements left open. The Markdown
 * rendered between two pieces of raw HTML is escaped text, so it changes nothing here:
 * it is inside whatever the HTML before it left open (a comment, a tag, an element).
 * Elements are never closed implicitly: an element left open hides what follows it.
 * Linear: every step moves forward, and every element is popped at most once.
 */
class HtmlScanner {
  private mode: Mode = "text";
  private readonly stack: { name: string; hides: boolean }[] = [];
  private readonly counts = new Map<string, number>();
  private hiding = 0;
  private tagName = "";
  private endTag = false;
  private attributes = false;
  private raw = "";

  /** Plain text: not inside a comment, a tag, or any element. */
  get plain(): boolean {
    return this.mode === "text" && this.stack.length === 0;
  }

  /** Seen by the reader: outside comments and tags, inside transparent elements only. */
  get visible(): boolean {
    return this.mode === "text" && this.hiding === 0;
  }

  /** Scans a piece of raw HTML; `text(from, to)` gets each visible run of its text. */
  feed(s: string, text?: (from: number, to: number) => void): void {
    const n = s.length;
    let i = 0;
    while (i < n) {
      switch (this.mode) {
        case "text": {
          let lt = s.indexOf("<", i);
          let next = lt < 0 ? -1 : this.markup(s, lt);
          while (lt >= 0 && next < 0) {
            lt = s.indexOf("<", lt + 1);
            if (lt >= 0) next = this.markup(s, lt);
          }
          const stop = lt < 0 ? n : lt;
          if (stop > i && this.hiding === 0) text?.(i, stop);
          i = lt < 0 ? n : next;
          break;
        }
        case "comment": {
          COMMENT_END.lastIndex = i;
          const m = COMMENT_END.exec(s);
          if (!m) return;
          i = m.index + m[0].length;
          this.mode = "text";
          break;
        }
        case "bogus": {
          const gt = s.indexOf(">", i);
          if (gt < 0) return;
          i = gt + 1;
          this.mode = "text";
          break;
        }
        case "doubleQuoted":
        case "singleQuoted": {
          const q = s.indexOf(this.mode === "doubleQuoted" ? '"' : "'", i);
          if (q < 0) return;
          i = q + 1;
          this.mode = "tag";
          break;
        }
        case "raw": {
          let end = rawEnds.get(this.raw);
          if (!end) {
            end = new RegExp(`</${this.raw}(?=[\\s/>]|$)`, "gi");
            rawEnds.set(this.raw, end);
          }
          end.lastIndex = i;
          const m = end.exec(s);
          if (!m) return;
          i = m.index; // the end tag itself is read in text mode
          this.mode = "text";
          break;
        }
        case "plaintext":
          return;
        default:
          i = this.tagStep(s, i);
      }
    }
  }

  /** If markup starts at `s[lt] === "<"`, enters it and returns where to go on; else -1. */
  private markup(s: string, lt: number): number {
    const c = s[lt + 1];
    if (c === "!") {
      if (!s.startsWith("<!--", lt)) {
        this.mode = "bogus";
        return lt + 2;
      }
      if (s[lt + 4] === ">") return lt + 5; // <!-->
      if (s.startsWith("->", lt + 4)) return lt + 6; // <!--->
      this.mode = "comment";
      return lt + 4;
    }
    if (c === "?") {
      this.mode = "bogus";
      return lt + 2;
    }
    if (c === "/") {
      const d = s[lt + 2];
      if (isLetter(d)) return this.startTag(true, lt + 2);
      if (d === ">") return lt + 3; // </> is nothing
      if (d === undefined) return -1;
      this.mode = "bogus";
      return lt + 2;
    }
    return isLetter(c) ? this.startTag(false, lt + 1) : -1;
  }

  private startTag(end: boolean, at: number): number {
    this.mode = "tagName";
    this.tagName = "";
    this.endTag = end;
    this.attributes = false;
    return at;
  }

  /** One character of a tag (after `<name`). */
  private tagStep(s: string, i: number): number {
    const c = s[i]!;
    switch (this.mode) {
      case "tagName":
        if (isSpace(c)) this.mode = "tag";
        else if (c === "/") this.mode = "tag";
        else if (c === ">") return this.emit(i);
        else this.tagName += c.toLowerCase();
        return i + 1;
      case "tag":
        if (isSpace(c) || c === "/") return i + 1;
        if (c === ">") return this.emit(i);
        this.attributes = true;
        this.mode = "attrName";
        return i + 1;
      case "attrName":
        if (isSpace(c)) this.mode = "afterAttrName";
        else if (c === "/") this.mode = "tag";
        else if (c === "=") this.mode = "beforeValue";
        else if (c === ">") return this.emit(i);
        return i + 1;
      case "afterAttrName":
        if (c === "/") this.mode = "tag";
        else if (c === "=") this.mode = "beforeValue";
        else if (c === ">") return this.emit(i);
        else if (!isSpace(c)) this.mode = "attrName";
        return i + 1;
      case "beforeValue":
        if (c === '"') this.mode = "doubleQuoted";
        else if (c === "'") this.mode = "singleQuoted";
        else if (c === ">") return this.emit(i);
        else if (!isSpace(c)) this.mode = "unquoted";
        return i + 1;
      default: // unquoted
        if (isSpace(c)) this.mode = "tag";
        else if (c === ">") return this.emit(i);
        return i + 1;
    }
  }

  /** The `>` of a tag at `s[i]`. A `/>` does not close a non-void HTML element. */
  private emit(i: number): number {
    this.mode = "text";
    const name = this.tagName;
    if (this.endTag) {
      if (this.counts.get(name)) {
        for (;;) {
          const top = this.stack.pop()!;
          this.counts.set(top.name, this.counts.get(top.name)! - 1);
          if (top.hides) this.hiding--;
          if (top.name === name) break;
        }
      }
      return i + 1;
    }
    if (VOID.has(name)) return i + 1;
    const hides = this.attributes || !TRANSPARENT.has(name);
    this.stack.push({ name, hides });
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
    if (hides) this.hiding++;
    if (name === "plaintext") this.mode = "plaintext";
    else if (RAW_TEXT.has(name)) {
      this.mode = "raw";
      this.raw = name;
    }
    return i + 1;
  }
}

// ---------------------------------------------------------------- reading a comment

interface Found {
  name: CommandName;
  line: number;
  /** Source offset just after the command word. */
  end: number;
}

/** Source ranges left out of arguments: sorted, disjoint. */
class Cuts {
  readonly starts: number[] = [];
  readonly ends: number[] = [];

  add(start: number, end: number): void {
    if (end <= start) return;
    while (this.ends.length > 0 && start <= this.ends[this.ends.length - 1]!) {
      start = Math.min(start, this.starts.pop()!);
      end = Math.max(end, this.ends.pop()!);
    }
    this.starts.push(start);
    this.ends.push(end);
  }

  /** src[from, to) without the cut ranges. */
  apply(src: string, from: number, to: number): string {
    let lo = 0;
    let hi = this.ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.ends[mid]! <= from) lo = mid + 1;
      else hi = mid;
    }
    const parts: string[] = [];
    let at = from;
    for (let i = lo; i < this.starts.length && this.starts[i]! < to; i++) {
      if (this.starts[i]! > at) parts.push(src.slice(at, this.starts[i]!));
      at = Math.max(at, this.ends[i]!);
    }
    if (at < to) parts.push(src.slice(at, to));
    return parts.join("");
  }
}

class Reader {
  private readonly lineStarts: number[] = [0];
  private readonly html = new HtmlScanner();
  private readonly cuts = new Cuts();
  private readonly found: Found[] = [];
  /** Where the hidden region the HTML scanner is in began. */
  private hiddenFrom = 0;
  /** The lines of the last block token seen (for tokens without a source map). */
  private lastMap: [number, number] = [0, 0];

  private readonly src: string;

  constructor(src: string) {
    this.src = src;
    for (let i = src.indexOf("\n"); i >= 0; i = src.indexOf("\n", i + 1))
      this.lineStarts.push(i + 1);
  }

  read(): Command[] {
    const tokens = md.parse(this.src, {});
    for (let i = 0; i < tokens.length; i++) {
      const token = tokens[i]!;
      if (token.map) this.lastMap = token.map;
      switch (token.type) {
        case "html_block": {
          const map = sourceMaps.get(token);
          this.onHtml(token.content, map && ((k) => toSource(map, k, this.src.length)));
          break;
        }
        case "aegis_footnote":
        case "aegis_reference":
          this.cuts.add(...this.lines(this.lastMap));
          break;
        case "inline": {
          const before = tokens[i - 1];
          this.onInline(token, before?.type === "paragraph_open" && before.level === 0);
          break;
        }
      }
    }
    if (!this.html.visible) this.cuts.add(this.hiddenFrom, this.src.length);
    return this.found.map((command, k) => {
      const next = this.found[k + 1];
      const to =
        command.name === "reject"
          ? next
            ? this.lineStarts[next.line - 1]!
            : this.src.length
          : this.lineEnd(command.line - 1);
      let args = this.cuts.apply(this.src, command.end, to);
      // A reason loses trailing spaces, and the blank lines left where hidden blocks were.
      if (command.name === "reject")
        args = args
          .split("\n")
          .map((line) => line.trimEnd())
          .join("\n")
          .replace(/\n{3,}/g, "\n\n");
      return { name: command.name, args: args.trim(), line: command.line };
    });
  }

  /** Source range of whole lines [begin, end). */
  private lines([begin, end]: [number, number]): [number, number] {
    return [this.lineStarts[begin] ?? this.src.length, this.lineStarts[end] ?? this.src.length];
  }

  private lineEnd(line: number): number {
    const next = this.lineStarts[line + 1];
    return next === undefined ? this.src.length : next - 1;
  }

  private lineOf(pos: number): number {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /**
   * A piece of raw HTML, at source offsets `at(0)`…`at(content.length)`, or (no map) in the
   * lines of the last block. Cuts what the reader does not see: the markup, and everything
   * from where the HTML hides what follows to where it stops hiding it.
   */
  private onHtml(content: string, at: ((offset: number) => number) | undefined): void {
    const [start, end] = at ? [at(0), at(content.length)] : this.lines(this.lastMap);
    if (!this.html.visible) this.cuts.add(this.hiddenFrom, start);
    if (at) {
      let cursor = start;
      this.html.feed(content, (from, to) => {
        this.cuts.add(cursor, at(from));
        cursor = at(to);
      });
      this.cuts.add(cursor, end);
    } else {
      this.html.feed(content);
      this.cuts.add(start, end);
    }
    if (!this.html.visible) this.hiddenFrom = end;
  }

  private onInline(inline: Token, topLevel: boolean): void {
    const children = inline.children ?? [];
    const map = sourceMaps.get(inline);
    const at = map && ((k: number) => toSource(map, k, this.src.length));
    let depth = 0;
    /** Content offset where the current line's first token starts; -1: not at a line start. */
    let lineStart = 0;
    let displayMath = 0;
    for (let j = 0; j < children.length; j++) {
      const child = children[j]!;
      if (lineStart >= 0 && topLevel && at && depth === 0 && displayMath % 2 === 0)
        this.command(child, children[j + 1], at(lineStart));
      lineStart = -1;
      switch (child.type) {
        case "softbreak":
        case "hardbreak": {
          const from = positions.get(child);
          const newline = from === undefined ? -1 : inline.content.indexOf("\n", from);
          if (newline >= 0) {
            lineStart = newline + 1;
            while (inline.content[lineStart] === " " || inline.content[lineStart] === "\t")
              lineStart++;
          }
          break;
        }
        case "html_inline": {
          const from = positions.get(child);
          this.onHtml(child.content, at && from !== undefined ? (k) => at(from + k) : undefined);
          break;
        }
        case "text":
          // GitHub renders what is between `$$` and `$$` as mathematics.
          displayMath += child.content.split("$$").length - 1;
          break;
      }
      depth += child.nesting;
    }
  }

  /** A command, if `token`, the first of a line at source offset `pos`, is one. */
  private command(token: Token, next: Token | undefined, pos: number): void {
    if (token.type !== "text" || !this.html.plain) return;
    const m = /^\/([A-Za-z]+)/.exec(token.content);
    const name = m?.[1]?.toLowerCase();
    if (!m || !name || !names.has(name)) return;
    const after = token.content[m[0].length];
    if (after === undefined) {
      if (next && next.type !== "softbreak" && next.type !== "hardbreak") return;
    } else if (!/^[\t\p{Zs}]$/u.test(after)) return;
    // The token's text is the source's: check that nothing but indentation precedes it.
    const line = this.lineOf(pos);
    if (this.src.slice(pos, pos + m[0].length) !== m[0]) return;
    if (!/^[ \t]*$/.test(this.src.slice(this.lineStarts[line]!, pos))) return;
    this.found.push({ name: name as CommandName, line: line + 1, end: pos + m[0].length });
  }
}
