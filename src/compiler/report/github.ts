// GitHub Actions workflow commands: each finding becomes an annotation on its file and line.
import type { Diagnostic } from "../diagnostics.ts";

/** Escaping rules of workflow commands (see @actions/core's command.ts). */
function escapeData(s: string): string {
  return s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}
function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

export function formatGithub(diagnostics: Diagnostic[]): string {
  return diagnostics
    .map((d) => {
      const command =
        d.severity === "error" ? "error" : d.severity === "warning" ? "warning" : "notice";
      const props = [
        `file=${escapeProperty(d.file)}`,
        `line=${d.line}`,
        `col=${d.column}`,
        `endLine=${d.endLine}`,
        ...(d.endLine === d.line ? [`endColumn=${d.endColumn}`] : []),
        `title=${escapeProperty(`${d.code} ${d.rule}`)}`,
      ].join(",");
      return `::${command} ${props}::${escapeData(d.message + (d.hint ? ` (${d.hint})` : ""))}`;
    })
    .join("\n");
}
