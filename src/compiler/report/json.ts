// Machine-readable diagnostics: one JSON array; positions are 1-based.
import type { Diagnostic } from "../diagnostics.ts";

export function formatJson(diagnostics: Diagnostic[]): string {
  return JSON.stringify(
    diagnostics.map((d) => ({
      file: d.file,
      line: d.line,
      column: d.column,
      endLine: d.endLine,
      endColumn: d.endColumn,
      severity: d.severity,
      code: d.code,
      rule: d.rule,
      message: d.message,
      ...(d.hint && { hint: d.hint }),
      related: d.related.map((r) => ({
        file: r.file,
        line: r.line,
        column: r.column,
        endLine: r.endLine,
        endColumn: r.endColumn,
        message: r.message,
      })),
    })),
    null,
    2,
  );
}
