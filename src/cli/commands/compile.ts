// aegis compile (and aegis check): compile workflows, print their findings, and write
// the compiled graph.
import { writeFileSync } from "node:fs";
import { compileFiles } from "../../compiler/compile.ts";
import type { Diagnostic } from "../../compiler/diagnostics.ts";
import { formatDuration } from "../../compiler/expression.ts";
import { formatGithub } from "../../compiler/report/github.ts";
import { formatJson } from "../../compiler/report/json.ts";
import { formatSarif } from "../../compiler/report/sarif.ts";
import { formatText, summaryLine } from "../../compiler/report/text.ts";
import { parseCommandArgs } from "../args.ts";
import { UsageError } from "../errors.ts";
import { allSources, expandFiles, ioFailure } from "../files.ts";
import type { Io } from "../io.ts";
import { VERSION } from "../usage.ts";

export async function compileCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs("compile", {
    args,
    allowPositionals: true,
    options: {
      check: { type: "boolean", default: false },
      format: { type: "string", default: "text" },
      out: { type: "string" },
      strict: { type: "boolean", default: false },
      color: { type: "boolean" },
      "no-color": { type: "boolean" },
    },
  });
  const format = values.format!;
  if (!["text", "json", "sarif", "github"].includes(format))
    throw new UsageError(`unknown format '${format}' (text, json, sarif, github)`);
  if (positionals.length === 0) throw new UsageError("no files given");
  const files = await expandFiles(positionals);
  if (values.out && files.length !== 1) throw new UsageError("--out takes exactly one input file");
  const results = compileFiles(files);
  const diagnostics: Diagnostic[] = results.flatMap((r) => r.diagnostics);
  const color = values["no-color"] ? false : (values.color ?? (io.isTTY && !process.env.NO_COLOR));
  switch (format) {
    case "json":
      io.stdout(`${formatJson(diagnostics)}\n`);
      break;
    case "sarif":
      io.stdout(`${formatSarif(diagnostics, { version: VERSION })}\n`);
      break;
    case "github": {
      const text = formatGithub(diagnostics);
      if (text) io.stdout(`${text}\n`);
      break;
    }
    default: {
      const text = formatText(diagnostics, allSources(results), { color });
      if (text) io.stdout(`${text}\n\n`);
      for (const r of results) {
        if (!r.ok) continue;
        const w = r.worstCase;
        const calls =
          w.agentCalls === undefined
            ? "unknown agent calls"
            : `${w.agentCalls} agent call${w.agentCalls === 1 ? "" : "s"}`;
        const time =
          w.wallTimeMs === undefined
            ? "unknown wall time"
            : `${formatDuration(w.wallTimeMs)} wall time`;
        const why = w.reasons.length > 0 ? ` (${w.reasons[0]})` : "";
        io.stdout(`${r.file}: ${r.graph.order} states; worst case ${calls}, ${time}${why}\n`);
      }
      io.stdout(`${summaryLine(diagnostics, results.length)}\n`);
    }
  }
  if (values.out && !values.check) {
    const result = results[0]!;
    if (result.ok) {
      try {
        writeFileSync(values.out, `${JSON.stringify(result.document, null, 2)}\n`);
      } catch (error) {
        io.stderr(`aegis: cannot write ${values.out}: ${(error as Error).message}\n`);
        return 2;
      }
    } else io.stderr(`aegis: not writing ${values.out}: the workflow has errors\n`);
  }
  if (ioFailure(results)) return 2;
  const failing = diagnostics.some(
    (d) => d.severity === "error" || (values.strict && d.severity === "warning"),
  );
  return failing ? 1 : 0;
}
