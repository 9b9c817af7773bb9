// Human-readable diagnostics: `file:line:col: severity[CODE]: message`, the source line
// with a caret underline, related locations and the hint. Colour only when asked.
import type { Diagnostic } from "../diagnostics.ts";
import type { SourceText } from "../source.ts";

export interface TextOptions {
  color: boolean;
}

const codes = { red: 31, yellow: 33, blue: 34, cyan: 36, dim: 2, bold: 1 } as const;

export function formatText(
  diagnostics: Diagnostic[],
  sources: ReadonlyMap<string, SourceText>,
  options: TextOptions,
): string {
  const paint = (style: keyof typeof codes, text: string) =>
    options.color ? `\u001b[${codes[style]}m${text}\u001b[0m` : text;
  const out: string[] = [];
  for (const d of diagnostics) {
    const colour = d.severity === "error" ? "red" : d.severity === "warning" ? "yellow" : "blue";
    out.push(
      `${paint("bold", `${d.file}:${d.line}:${d.column}`)}: ${paint(colour, `${d.severity}[${d.code}]`)}: ${d.message} ${paint("dim", `(${d.rule})`)}`,
    );
    const source = sources.get(d.file);
    if (source && source.text.length > 0) {
      // Long lines are shown as a window around the finding.
      const full = source.lineText(d.line).replace(/\t/g, " ");
      const from = Math.max(0, Math.min(d.column - 1 - 40, full.length - 120));
      const clipped = full.length > 120;
      const lineText = clipped
        ? `${from > 0 ? "…" : ""}${full.slice(from, from + 120)}${from + 120 < full.length ? "…" : ""}`
        : full;
      const column = clipped ? d.column - from + (from > 0 ? 1 : 0) : d.column;
      const gutter = String(d.line).length;
      const width =
        d.endLine === d.line
          ? Math.max(1, d.endColumn - d.column)
          : Math.max(1, lineText.length - column + 1);
      out.push(`${paint("dim", `${" ".repeat(gutter)} |`)}`);
      out.push(`${paint("dim", `${d.line} |`)} ${lineText}`);
      out.push(
        `${paint("dim", `${" ".repeat(gutter)} |`)} ${" ".repeat(Math.max(0, column - 1))}${paint(colour, "^".repeat(Math.min(width, Math.max(1, lineText.length - column + 2))))}`,
      );
    }
    for (const r of d.related)
      out.push(`  ${paint("cyan", "note")}: ${r.file}:${r.line}:${r.column}: ${r.message}`);
    if (d.hint) out.push(`  ${paint("cyan", "hint")}: ${d.hint}`);
  }
  return out.join("\n");
}

export function summaryLine(diagnostics: Diagnostic[], files: number): string {
  const count = (s: string) => diagnostics.filter((d) => d.severity === s).length;
  const errors = count("error");
  const warnings = count("warning");
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? "" : "s"}`;
  return `${plural(files, "file")} checked: ${plural(errors, "error")}, ${plural(warnings, "warning")}`;
}
