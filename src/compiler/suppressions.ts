// Inline suppression: `// aegis-ignore AEG601 AEG502 -- why` silences those codes (or rule
// names) on the next line, or on its own line when it trails code;
// `// aegis-ignore-file AEG502` silences them in the whole file. A suppression that
// silences nothing is itself reported (AEG001), so stale ones do not pile up.
import type { IToken } from "chevrotain";
import { type Code, catalogue, type Finding } from "./diagnostics.ts";
import type { SourceText } from "./source.ts";

export interface Suppression {
  codes: Set<string>;
  /** 1-based line it applies to; undefined for the whole file. */
  line?: number;
  span: { start: number; end: number };
  used: boolean;
}

/** A broken file cannot be half-ignored: syntax errors drop code, so they always show. */
const unsuppressible = new Set<Code>(["AEG000", "AEG100", "AEG101"]);

const directive = /^aegis-ignore(-file)?\s+([A-Za-z0-9_\-, ]+?)(?:\s*(?:--|:).*)?\s*(?:\*\/)?$/;

export function readSuppressions(
  comments: IToken[],
  source: SourceText,
  _file: string,
): Suppression[] {
  const out: Suppression[] = [];
  for (const comment of comments) {
    const text = comment.image.replace(/^(\/\/|#|\/\*)\s*/, "");
    const m = directive.exec(text);
    if (!m) continue;
    const codes = new Set(
      m[2]!
        .split(/[\s,]+/)
        .filter(Boolean)
        .map((c) => (c.toUpperCase().startsWith("AEG") ? c.toUpperCase() : c.toLowerCase())),
    );
    const span = { start: comment.startOffset, end: comment.startOffset + comment.image.length };
    if (m[1]) {
      out.push({ codes, span, used: false });
      continue;
    }
    const position = source.position(comment.startOffset);
    const before = source.lineText(position.line).slice(0, position.column - 1);
    const trailing = before.trim() !== "";
    out.push({
      codes,
      line: trailing ? position.line : nextCodeLine(source, position.line),
      span,
      used: false,
    });
  }
  return out;
}

function nextCodeLine(source: SourceText, line: number): number {
  for (let l = line + 1; l <= source.lineStarts.length; l++) {
    const text = source.lineText(l).trim();
    if (text !== "" && !text.startsWith("//") && !text.startsWith("#")) return l;
  }
  return line + 1;
}

function matches(s: Suppression, code: Code): boolean {
  return s.codes.has(code) || s.codes.has(catalogue[code].rule);
}

export function applySuppressions(
  findings: Finding[],
  suppressions: Suppression[],
  file: string,
  source?: SourceText,
): Finding[] {
  if (suppressions.length === 0) return findings;
  const kept = findings.filter((f) => {
    if (f.file !== file || unsuppressible.has(f.code)) return true;
    const line = source ? source.position(f.span.start).line : undefined;
    const hit = suppressions.find(
      (s) => matches(s, f.code) && (s.line === undefined || s.line === line),
    );
    if (hit) hit.used = true;
    return !hit;
  });
  for (const s of suppressions) {
    if (!s.used) {
      kept.push({
        code: "AEG001",
        message: `this aegis-ignore suppresses nothing (${[...s.codes].join(", ")})`,
        file,
        span: s.span,
        hint: "remove it",
      });
    }
  }
  return kept;
}
