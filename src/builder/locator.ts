// Where the parts of a built workflow are in the TypeScript file that called `workflow(…)`:
// a call site as an offset and the word it points at, a string's literal after a call, an
// object literal's key before or after a call. The front end (to-ast.ts) places the syntax
// tree with it; a file that cannot be read places everything at offset 0.
import { readFileSync } from "node:fs";
import type { Span } from "../compiler/ast.ts";
import { SourceText } from "../compiler/source.ts";
import type { CallSite } from "./call-site.ts";

/** Reads files once per build: a program's parts are usually all in one file. */
export function readSource(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

/** Places parts in the TypeScript file that called `workflow(…)`. */
export class Locator {
  readonly file: string;
  readonly source: SourceText;
  constructor(file: string) {
    this.file = file;
    this.source = new SourceText(file, readSource(file));
  }

  /** The offset of a call site in the file, if it is in the file. */
  offset(site: CallSite | undefined): number | undefined {
    if (!site || site.file !== this.file || this.source.text === "") return undefined;
    return this.source.offsetOf({ line: site.line, column: site.column });
  }

  /** The span of the word a call site points at (the builder function's name). */
  at(site: CallSite | undefined, fallback: Span): Span {
    const start = this.offset(site);
    if (start === undefined) return fallback;
    const word = /^[\w$]+/.exec(this.source.text.slice(start, start + 64));
    return { start, end: start + (word?.[0].length ?? 1) };
  }

  /** Where the literal of `value` starts after `from` (its first character inside the quotes). */
  literal(value: unknown, from: number | undefined): number | undefined {
    if (from === undefined || typeof value !== "string" || value === "") return undefined;
    const text = this.source.text;
    const limit = from + 20_000;
    for (const raw of new Set([value, JSON.stringify(value).slice(1, -1)])) {
      let at = text.indexOf(raw, from);
      while (at >= 0 && at < limit) {
        if (`"'\``.includes(text[at - 1] ?? "")) return at;
        at = text.indexOf(raw, at + 1);
      }
    }
    return undefined;
  }

  /** The key `name` of an object literal, looked for before `before` (`NAME: state.agent(…)`). */
  keyBefore(name: string, before: number | undefined): Span | undefined {
    if (before === undefined) return undefined;
    // Back over the callee (`state.agent`), the colon, and the key with its quotes.
    const t = this.source.text;
    let i = before;
    while (i > 0 && /[\w$.]/.test(t[i - 1]!)) i--;
    while (i > 0 && /\s/.test(t[i - 1]!)) i--;
    if (t[i - 1] !== ":") return undefined;
    i--;
    while (i > 0 && /\s/.test(t[i - 1]!)) i--;
    const quote = t[i - 1] === '"' || t[i - 1] === "'" ? t[i - 1] : "";
    if (quote) i--;
    const start = i - name.length;
    if (start < 0 || t.slice(start, i) !== name) return undefined;
    if (quote ? t[start - 1] !== quote : start > 0 && /[\w$]/.test(t[start - 1]!)) return undefined;
    return { start, end: i };
  }

  /**
   * The key `name` of an object literal after `from` and before `until` (a part made
   * elsewhere, e.g. a zod schema; an option of a state, before the next state's call).
   */
  keyAfter(
    name: string,
    from: number | undefined,
    until = Number.POSITIVE_INFINITY,
  ): Span | undefined {
    if (from === undefined) return undefined;
    const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const re = new RegExp(`(?<![\\w$])(["']?)(${escaped})\\1\\s*:`, "g");
    re.lastIndex = from;
    const m = re.exec(this.source.text);
    if (!m || m.index > Math.min(from + 50_000, until)) return undefined;
    const start = m.index + m[1]!.length;
    return { start, end: start + name.length };
  }
}
