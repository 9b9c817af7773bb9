// aegis compile (and aegis check): compile workflows, print their findings, and write
// the compiled graph.
import { writeFileSync } from "node:fs";
import { compileWorkflowModule, isWorkflowModule } from "../../builder/module.ts";
import {
  type CompileResult,
  compile,
  type YamlFrontEnd,
  yamlFrontEndFor,
} from "../../compiler/compile-core.ts";
import { type Diagnostic, toDiagnostic } from "../../compiler/diagnostics.ts";
import { formatDuration } from "../../compiler/expression.ts";
import { formatGithub } from "../../compiler/report/github.ts";
import { formatJson } from "../../compiler/report/json.ts";
import { formatSarif } from "../../compiler/report/sarif.ts";
import { formatText, summaryLine } from "../../compiler/report/text.ts";
import { parseCommandArgs } from "../args.ts";
import { UsageError } from "../errors.ts";
import {
  allSources,
  cannotRead,
  expandFiles,
  formatOneline,
  ignoredCodes,
  STDIN,
  tryRead,
  withoutIgnored,
} from "../files.ts";
import { type Io, useColor } from "../io.ts";
import { VERSION } from "../usage.ts";

const formats = ["text", "oneline", "json", "sarif", "github"];

export async function compileCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs("compile", {
    args,
    allowPositionals: true,
    options: {
      check: { type: "boolean", default: false },
      format: { type: "string", default: "text" },
      out: { type: "string" },
      strict: { type: "boolean", default: false },
      ignore: { type: "string", multiple: true },
      "stdin-filename": { type: "string" },
      color: { type: "boolean" },
      "no-color": { type: "boolean" },
    },
  });
  const format = values.format!;
  if (!formats.includes(format))
    throw new UsageError(`unknown format '${format}' (${formats.join(", ")})`);
  const ignored = ignoredCodes(values.ignore);
  if (positionals.length === 0) throw new UsageError("no files given");
  const files = await expandFiles(positionals);
  const stdinName = values["stdin-filename"];
  if (stdinName !== undefined && !files.includes(STDIN))
    throw new UsageError("--stdin-filename names what '-' (stdin) reads; no '-' given");
  if (values.out && files.length !== 1) throw new UsageError("--out takes exactly one input file");
  // Each file read here (stdin under its --stdin-filename); one that cannot be read is an
  // I/O error (AEG002): a plain line in the text formats, a finding in the others.
  const cache = new Map<string, CompileResult>();
  const results: CompileResult[] = [];
  const unreadable: Diagnostic[] = [];
  const unreadableLines: string[] = [];
  let yaml: YamlFrontEnd | undefined;
  for (const file of files) {
    const name = file === STDIN ? (stdinName ?? "<stdin>") : file;
    const unreadableFile = (message: string, line: string) => {
      const finding = { code: "AEG002" as const, message, file: name, span: { start: 0, end: 0 } };
      unreadable.push(toDiagnostic(finding, new Map()));
      unreadableLines.push(line);
    };
    let result: CompileResult;
    if (file !== STDIN && isWorkflowModule(file)) {
      // A program that builds a workflow (aegis-workflows/builder): imported, then compiled.
      const compiled = await compileWorkflowModule(file, cache);
      if ("error" in compiled) {
        unreadableFile(compiled.error, `aegis: error[AEG002]: ${compiled.error}\n`);
        continue;
      }
      result = compiled.result;
    } else {
      const read = tryRead(file);
      if ("error" in read) {
        unreadableFile(
          `cannot read ${file === STDIN ? "stdin" : file}: ${read.error}`,
          cannotRead(file, read.error),
        );
        continue;
      }
      yaml ??= await yamlFrontEndFor(name, read.text);
      result = compile(read.text, { filename: name, cache, ...(yaml && { yaml }) });
    }
    if (ignored.size > 0) {
      result.diagnostics = withoutIgnored(result.diagnostics, ignored);
      result.ok = !result.diagnostics.some((d) => d.severity === "error");
    }
    results.push(result);
  }
  const diagnostics: Diagnostic[] = [...unreadable, ...results.flatMap((r) => r.diagnostics)];
  const color = useColor(values, io);
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
    case "oneline": {
      const text = formatOneline(diagnostics);
      if (text) io.stdout(`${text}\n`);
      break;
    }
    default: {
      for (const line of unreadableLines) io.stderr(line);
      const found = results.flatMap((r) => r.diagnostics);
      const text = formatText(found, allSources(results), { color });
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
      if (results.length > 0) io.stdout(`${summaryLine(found, results.length)}\n`);
    }
  }
  if (values.out && !values.check && results.length === 1) {
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
  if (unreadable.length > 0) return 2;
  const failing = diagnostics.some(
    (d) => d.severity === "error" || (values.strict && d.severity === "warning"),
  );
  return failing ? 1 : 0;
}
