// A typed reader over a YAML document for the front ends: every field read carries its
// span, wrong types and unknown fields become findings at the right line and column, and
// aliases and nesting are bounded (alias bombs, very deep documents).
import {
  Alias,
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  type Node,
  type Pair,
  Scalar,
  YAMLMap,
  YAMLSeq,
} from "yaml";
import type { Named, ObjectEntry, Span, Template, Value } from "../ast.ts";
import { MAX_DURATION_MS } from "../cst-to-ast.ts";
import { type Code, type Finding, hintFor } from "../diagnostics.ts";

/** Aliases resolved per document; more is an alias bomb. */
const MAX_ALIASES = 100;
/** Nesting depth; deeper is refused. */
export const MAX_DEPTH = 64;

export class YamlTooComplex extends Error {
  readonly span: Span;
  constructor(message: string, span: Span = { start: 0, end: 0 }) {
    super(message);
    this.span = span;
  }
}

export class YamlReader {
  readonly findings: Finding[] = [];
  private aliases = 0;
  readonly file: string;
  readonly text: string;

  constructor(file: string, text: string) {
    this.file = file;
    this.text = text;
  }

  report(
    code: Code,
    message: string,
    span: Span,
    hint?: string,
    related?: Finding["related"],
  ): void {
    this.findings.push({
      code,
      message,
      file: this.file,
      span,
      ...(hint && { hint }),
      ...(related?.length && { related }),
    });
  }

  span(node: Node | Pair | null | undefined, fallback: Span = { start: 0, end: 0 }): Span {
    if (!node) return fallback;
    if (isPair(node)) {
      const k = this.span(node.key as Node, fallback);
      const v = node.value ? this.span(node.value as Node, k) : k;
      return { start: k.start, end: v.end };
    }
    const range = (node as Node).range;
    return range ? { start: range[0], end: range[1] } : fallback;
  }

  /** Follows aliases (bounded), so the front ends never see one. */
  resolve(node: unknown, doc: Document.Parsed): Node | null {
    let current = node as Node | null;
    while (current && isAlias(current)) {
      const alias = current as Alias;
      if (++this.aliases > MAX_ALIASES) {
        throw new YamlTooComplex(
          `more than ${MAX_ALIASES} aliases: refusing a possible alias bomb`,
          this.span(alias),
        );
      }
      const target = alias.resolve(doc) as Node | undefined;
      if (!target) {
        this.report(
          "AEG701",
          `unknown alias *${alias.source}: no anchor &${alias.source} before it`,
          this.span(alias),
        );
        return null;
      }
      current = target;
    }
    return current;
  }
}

/** One YAML mapping, read field by field; what was never read is an unknown field. */
export class MapReader {
  private readonly read = new Set<string>();
  readonly pairs = new Map<string, Pair<Scalar, Node | null>>();
  readonly node: YAMLMap;
  readonly what: string;
  private readonly ctx: Context;

  constructor(ctx: Context, node: YAMLMap, what: string) {
    this.ctx = ctx;
    this.node = node;
    this.what = what;
    for (const pair of node.items) {
      const key = pair.key;
      const name = isScalar(key) ? String(key.value) : "";
      if (!this.pairs.has(name)) this.pairs.set(name, pair as Pair<Scalar, Node | null>);
    }
  }

  get span(): Span {
    return this.ctx.reader.span(this.node);
  }

  has(key: string): boolean {
    return this.pairs.has(key);
  }

  keySpan(key: string): Span {
    return this.ctx.reader.span(this.pairs.get(key)?.key, this.span);
  }

  /** The value node of a field (aliases resolved), marking the field as known. */
  node_(key: string): Node | null | undefined {
    this.read.add(key);
    const pair = this.pairs.get(key);
    if (!pair) return undefined;
    return this.ctx.resolve(pair.value);
  }

  /** A field's scalar value, without reading it (it is read, and reported, where it belongs). */
  peek(key: string): unknown {
    const value = this.pairs.get(key)?.value;
    return isScalar(value) ? value.value : undefined;
  }

  /** Marks fields as known without reading them (documented, meaningless here). */
  accept(...keys: string[]): void {
    for (const k of keys) this.read.add(k);
  }

  /** Reports every field that was not read, with "did you mean" among the known ones. */
  finish(fields: readonly string[] = [...this.read]): void {
    const known = [...new Set(fields)];
    for (const [key, pair] of this.pairs) {
      if (this.read.has(key)) continue;
      if (known.includes(key)) {
        // A field of the format that means nothing in this case (a threshold on on_success).
        this.ctx.reader.report(
          "AEG704",
          `'${key}' has no effect in ${this.what} here`,
          this.ctx.reader.span(pair.key),
        );
        continue;
      }
      this.ctx.reader.report(
        "AEG704",
        `unknown field '${key}' in ${this.what}`,
        this.ctx.reader.span(pair.key),
        hintFor(key, known) ?? (known.length ? `fields are ${known.join(", ")}` : undefined),
      );
    }
  }

  private wrong(key: string, expected: string, node: Node | null): undefined {
    this.ctx.reader.report(
      "AEG705",
      `'${key}' in ${this.what} must be ${expected}`,
      this.ctx.reader.span(node, this.keySpan(key)),
    );
    return undefined;
  }

  /** A finding about a field's value. */
  report_(code: Code, message: string, node: Node | null): void {
    this.ctx.reader.report(code, message, this.ctx.reader.span(node, this.span));
  }

  missing(key: string, hint?: string): void {
    this.ctx.reader.report("AEG707", `${this.what} needs '${key}'`, this.span, hint);
  }

  string(key: string, required = false): { value: string; span: Span; node: Scalar } | undefined {
    const node = this.node_(key);
    if (node === undefined || node === null) {
      if (required) this.missing(key);
      return undefined;
    }
    if (!isScalar(node) || typeof node.value === "object") return this.wrong(key, "a string", node);
    return { value: String(node.value), span: this.ctx.reader.span(node), node };
  }

  number(key: string, required = false): { value: number; span: Span } | undefined {
    const node = this.node_(key);
    if (node === undefined || node === null) {
      if (required) this.missing(key);
      return undefined;
    }
    if (!isScalar(node) || typeof node.value !== "number") return this.wrong(key, "a number", node);
    return { value: node.value, span: this.ctx.reader.span(node) };
  }

  /** A whole number of things (iterations, retries, concurrency): 0 or more, exactly representable. */
  count(key: string): { value: number; span: Span } | undefined {
    const n = this.number(key);
    if (n && !(Number.isSafeInteger(n.value) && n.value >= 0))
      return this.wrong(key, "a whole number (0 or more)", this.node_(key) ?? null);
    return n;
  }

  /** Milliseconds: more than 0, at most MAX_DURATION_MS. */
  milliseconds(key: string): { value: number; span: Span } | undefined {
    const n = this.number(key);
    if (n && !(n.value > 0 && n.value <= MAX_DURATION_MS))
      return this.wrong(
        key,
        "a number of milliseconds from 1 to 3650 days",
        this.node_(key) ?? null,
      );
    return n && { ...n, value: Math.round(n.value) };
  }

  boolean(key: string): { value: boolean; span: Span } | undefined {
    const node = this.node_(key);
    if (node === undefined || node === null) return undefined;
    if (!isScalar(node) || typeof node.value !== "boolean")
      return this.wrong(key, "true or false", node);
    return { value: node.value, span: this.ctx.reader.span(node) };
  }

  map(key: string, required = false): MapReader | undefined {
    const node = this.node_(key);
    if (node === undefined || node === null) {
      if (required) this.missing(key);
      return undefined;
    }
    if (!isMap(node)) return this.wrong(key, "a mapping", node);
    return this.ctx.map(node, `'${key}'`);
  }

  list(key: string): Node[] | undefined {
    const node = this.node_(key);
    if (node === undefined || node === null) return undefined;
    if (!isSeq(node)) return this.wrong(key, "a list", node);
    return (node as YAMLSeq).items.map((i) => this.ctx.resolve(i)).filter((n): n is Node => !!n);
  }

  /** A field as a template (the string decoded by YAML, mapped back to the file). */
  template(key: string, required = false): Template | undefined {
    const s = this.string(key, required);
    return s ? this.ctx.template(s.node) : undefined;
  }

  /** A field as plain data (any YAML), as an AST value. */
  value(key: string): Value | undefined {
    const node = this.node_(key);
    if (node === undefined || node === null) return undefined;
    return this.ctx.value(node);
  }

  named(key: string, required = false): Named | undefined {
    const s = this.string(key, required);
    return s ? { name: s.value, span: s.span } : undefined;
  }
}

/** Per-document state shared by the readers of one front end. */
export class Context {
  readonly reader: YamlReader;
  readonly doc: Document.Parsed;
  private depth = 0;

  constructor(reader: YamlReader, doc: Document.Parsed) {
    this.reader = reader;
    this.doc = doc;
  }

  resolve(node: unknown): Node | null {
    return this.reader.resolve(node, this.doc);
  }

  map(node: YAMLMap, what: string): MapReader {
    return new MapReader(this, node, what);
  }

  /** A YAML string scalar as a template whose characters map back to the file. */
  template(node: Scalar): Template {
    const span = this.reader.span(node);
    const text = String(node.value ?? "");
    return {
      kind: "template",
      text,
      span,
      map: align(text, this.reader.text, span.start, span.end),
    };
  }

  /** Any YAML value as an AST value (for context, labels, storage, options …). */
  value(node: Node): Value {
    if (++this.depth > MAX_DEPTH) {
      throw new YamlTooComplex(`nesting deeper than ${MAX_DEPTH} levels`, this.reader.span(node));
    }
    try {
      const span = this.reader.span(node);
      if (isScalar(node)) {
        const v = node.value;
        if (typeof v === "number") return { kind: "number", value: v, span };
        if (typeof v === "boolean") return { kind: "boolean", value: v, span };
        if (v === null || v === undefined) return { kind: "null", span };
        const template = this.template(node);
        return { kind: "string", value: template.text, span, template };
      }
      if (isSeq(node)) {
        const items = node.items.map((i) => this.resolve(i)).filter((n): n is Node => !!n);
        return { kind: "list", items: items.map((i) => this.value(i)), span };
      }
      if (isMap(node)) {
        const entries: ObjectEntry[] = [];
        for (const pair of node.items) {
          const key = isScalar(pair.key) ? String(pair.key.value) : "";
          const value = this.resolve(pair.value);
          const keySpan = this.reader.span(pair.key as Node);
          entries.push({
            key: { name: key, span: keySpan },
            value: value ? this.value(value) : { kind: "null", span: keySpan },
            span: this.reader.span(pair as Pair),
          });
        }
        return { kind: "object", entries, span };
      }
      return { kind: "null", span };
    } finally {
      this.depth--;
    }
  }
}

/**
 * Maps each character of a decoded YAML string to its offset in the file, by walking the
 * source alongside it: characters that match advance both, anything else in the source
 * (quotes, indentation, escapes, folding) is skipped. Returns flattened runs as in
 * ast.Template.map.
 */
export function align(text: string, source: string, start: number, end: number): number[] {
  const segments: number[] = [];
  let j = start;
  let lastIndex = -2;
  let lastOffset = -2;
  // Where the search for a character last failed: as `j` only grows, it would fail again
  // (without this, a string of escapes costs quadratic time).
  const missingFrom = new Map<string, number>();
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    let k = j;
    const missing = missingFrom.get(ch);
    if (missing !== undefined && missing <= j) k = end;
    else while (k < end && source[k] !== ch) k++;
    if (k >= end) missingFrom.set(ch, j);
    const offset = k < end ? k : Math.max(start, end - 1);
    if (k < end) j = k + 1;
    if (!(i === lastIndex + 1 && offset === lastOffset + 1)) segments.push(i, offset);
    lastIndex = i;
    lastOffset = offset;
  }
  return segments;
}

export { Alias, isMap, isScalar, isSeq, Scalar, YAMLMap, YAMLSeq };
