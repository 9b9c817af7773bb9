// Decoding of string literals into templates. A template remembers, for each run of
// decoded characters, the source offset it came from (`segments`), so a position inside
// the decoded text maps back to the file even across escapes and removed indentation.
import type { Span, Template } from "./ast.ts";

const escapes: Record<string, string> = {
  n: "\n",
  t: "\t",
  r: "\r",
  "\\": "\\",
  '"': '"',
  "0": "\0",
};

class Builder {
  text = "";
  map: number[] = [];
  push(chars: string, sourceOffset: number, advance = true): void {
    for (let i = 0; i < chars.length; i++) {
      this.text += chars[i];
      this.map.push(advance ? sourceOffset + i : sourceOffset);
    }
  }
}

/** Decode escapes in raw[from, to) (offsets into the file are `base + index`). */
function decodeEscapes(
  raw: string,
  from: number,
  to: number,
  base: number,
  out: Builder,
): StringProblem[] {
  const problems: StringProblem[] = [];
  let i = from;
  while (i < to) {
    const ch = raw[i]!;
    if (ch !== "\\" || i + 1 >= to) {
      out.push(ch, base + i);
      i++;
      continue;
    }
    const next = raw[i + 1]!;
    if (next in escapes) {
      out.push(escapes[next]!, base + i, false);
      i += 2;
    } else if (next === "u" && raw[i + 2] === "{") {
      const close = raw.indexOf("}", i + 3);
      const hex = close > 0 && close < to ? raw.slice(i + 3, close) : "";
      const code = /^[0-9a-fA-F]{1,6}$/.test(hex) ? Number.parseInt(hex, 16) : Number.NaN;
      if (Number.isNaN(code) || code > 0x10ffff) {
        const end = close > 0 && close < to ? close + 1 : i + 2;
        problems.push({ message: "invalid \\u{…} escape", start: base + i, end: base + end });
        out.push("\\", base + i);
        i++;
      } else {
        out.push(String.fromCodePoint(code), base + i, false);
        i = close + 1;
      }
    } else if (next === "\n" || next === "\r") {
      // A backslash at the end of a line joins it with the next.
      i += next === "\r" && raw[i + 2] === "\n" ? 3 : 2;
    } else {
      // Unknown escapes are kept as written: Handlebars uses `\{{` to escape mustaches.
      out.push(ch + next, base + i);
      i += 2;
    }
  }
  return problems;
}

export interface StringProblem {
  message: string;
  /** Offsets in the file. */
  start: number;
  end: number;
}

export interface DecodedString {
  template: Template;
  problems: StringProblem[];
}

/** `"…"`: the token's image including quotes, starting at `offset` in the file. */
export function decodeString(image: string, offset: number): DecodedString {
  const out = new Builder();
  const problems = decodeEscapes(image, 1, image.length - 1, offset, out);
  return { template: makeTemplate(out, { start: offset, end: offset + image.length }), problems };
}

/**
 * `"""…"""`: a multi-line string. If the opening quotes end their line, that line break is
 * dropped; so is the last line if it holds only the closing quotes' indentation. The
 * indentation common to every non-blank line is removed (like Kotlin's trimIndent), so
 * prompts can be indented with the code around them.
 */
export function decodeTripleString(image: string, offset: number): DecodedString {
  let from = 3;
  let to = image.length - 3;
  const firstBreak = /^[ \t]*\r?\n/.exec(image.slice(from, to));
  if (firstBreak) from += firstBreak[0].length;
  const lastBreak = /\r?\n[ \t]*$/.exec(image.slice(from, to));
  if (lastBreak) to -= lastBreak[0].length;
  const body = image.slice(from, to);
  const lines = body.split("\n");
  let indent = Number.POSITIVE_INFINITY;
  for (const line of lines) {
    if (line.trim() === "") continue; // (trim() also drops a CRLF's \r)
    indent = Math.min(indent, /^[ \t]*/.exec(line)![0].length);
  }
  if (!Number.isFinite(indent)) indent = 0;
  const out = new Builder();
  const problems: StringProblem[] = [];
  let lineStart = from;
  lines.forEach((raw, index) => {
    // CRLF files give the same text as LF ones: the \r of a line break is not content.
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    const skip = Math.min(indent, /^[ \t]*/.exec(line)![0].length);
    // An odd number of trailing backslashes: the last one joins this line with the next.
    const joined = (/\\+$/.exec(line)?.[0].length ?? 0) % 2 === 1;
    const end = lineStart + line.length - (joined ? 1 : 0);
    problems.push(...decodeEscapes(image, lineStart + skip, end, offset, out));
    if (index < lines.length - 1 && !joined) out.push("\n", offset + lineStart + line.length);
    lineStart += raw.length + 1;
  });
  return { template: makeTemplate(out, { start: offset, end: offset + image.length }), problems };
}

function makeTemplate(out: Builder, span: Span): Template {
  return { kind: "template", text: out.text, span, map: compressMap(out.map) };
}

/** Runs of consecutive offsets become one [textIndex, sourceOffset] pair. */
function compressMap(map: number[]): number[] {
  const segments: number[] = [];
  for (let i = 0; i < map.length; i++) {
    const n = segments.length;
    const previousIndex = n ? segments[n - 2]! : -1;
    const previousOffset = n ? segments[n - 1]! : -1;
    if (n && map[i] === previousOffset + (i - previousIndex)) continue;
    segments.push(i, map[i]!);
  }
  return segments;
}

/** The file offset of character `index` of a template's decoded text. */
export function templateOffset(template: Pick<Template, "map" | "span">, index: number): number {
  const map = template.map;
  if (map.length === 0) return template.span.start + 1;
  // The run holding `index`: the last whose first index is <= it (binary search: a long
  // template has many runs, and every reference in it is located).
  let low = 0;
  let high = map.length / 2 - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (map[2 * mid]! <= index) low = mid;
    else high = mid - 1;
  }
  const chosen = 2 * low;
  return map[chosen + 1]! + (index - map[chosen]!);
}

/** A literal template (no source), e.g. one synthesised by a front end. */
export function syntheticTemplate(text: string, span: Span): Template {
  return { kind: "template", text, span, map: [0, span.start] };
}
