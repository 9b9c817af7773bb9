// SARIF 2.1.0, as GitHub code scanning accepts it: one run, the catalogue as rules,
// relative URIs against %SRCROOT%.
import { relative } from "node:path";
import type { Log, ReportingDescriptor, Result } from "sarif";
import { type Code, catalogue, type Diagnostic } from "../diagnostics.ts";

const level = { error: "error", warning: "warning", info: "note" } as const;

export function formatSarif(
  diagnostics: Diagnostic[],
  options: { root?: string; version?: string } = {},
): string {
  const root = options.root ?? process.cwd();
  const codes = Object.keys(catalogue) as Code[];
  const rules: ReportingDescriptor[] = codes.map((code) => ({
    id: code,
    name: catalogue[code].rule,
    shortDescription: { text: catalogue[code].summary },
    defaultConfiguration: { level: level[catalogue[code].severity] },
    helpUri: `https://github.com/aegis/workflow-action/blob/main/docs/diagnostics.md#${code.toLowerCase()}`,
  }));
  // A relative URI reference: path segments percent-encoded ("a b#1" → "a%20b%231").
  const uri = (file: string) =>
    (relative(root, file) || file).split(/[\\/]/).map(encodeURIComponent).join("/");
  const region = (d: { line: number; column: number; endLine: number; endColumn: number }) => ({
    startLine: d.line,
    startColumn: d.column,
    endLine: d.endLine,
    endColumn: Math.max(d.endColumn, d.endLine === d.line ? d.column + 1 : 1),
  });
  const results: Result[] = diagnostics.map((d) => ({
    ruleId: d.code,
    ruleIndex: codes.indexOf(d.code),
    level: level[d.severity],
    message: { text: d.hint ? `${d.message} (${d.hint})` : d.message },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: uri(d.file), uriBaseId: "%SRCROOT%" },
          region: region(d),
        },
      },
    ],
    ...(d.related.length > 0 && {
      relatedLocations: d.related.map((r, id) => ({
        id,
        message: { text: r.message },
        physicalLocation: {
          artifactLocation: { uri: uri(r.file), uriBaseId: "%SRCROOT%" },
          region: region(r),
        },
      })),
    }),
    partialFingerprints: { primaryLocationLineHash: `${d.code}:${uri(d.file)}:${d.message}` },
  }));
  const log: Log = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "aegis",
            informationUri: "https://github.com/aegis/workflow-action",
            version: options.version ?? "0.1.0",
            rules,
          },
        },
        results,
        columnKind: "utf16CodeUnits",
      },
    ],
  };
  return JSON.stringify(log, null, 2);
}
