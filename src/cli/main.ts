// The `aegis` command line: a thin shell over the library. Exit codes: 0 clean, 1 findings
// at error level (or a failed run), 2 usage or I/O error.
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { glob, isDynamicPattern } from "tinyglobby";
import { type CompileResult, compileFiles } from "../compiler/compile.ts";
import {
  catalogue,
  compareDiagnostics,
  type Diagnostic,
  type Finding,
  toDiagnostic,
} from "../compiler/diagnostics.ts";
import { formatSource, PrintError, printAegis } from "../compiler/emit/aegis.ts";
import { toDot } from "../compiler/emit/dot.ts";
import { toMermaid } from "../compiler/emit/mermaid.ts";
import { formatDuration } from "../compiler/expression.ts";
import { exportGraph, GraphLoadError, loadGraph } from "../compiler/graph.ts";
import { parse } from "../compiler/parse.ts";
import { formatGithub } from "../compiler/report/github.ts";
import { formatJson } from "../compiler/report/json.ts";
import { formatSarif } from "../compiler/report/sarif.ts";
import { formatText, summaryLine } from "../compiler/report/text.ts";
import { SourceText } from "../compiler/source.ts";
import { RuntimeError } from "../runtime/types.ts";
import { UsageError } from "./errors.ts";
import {
  cancelCommand,
  DEFAULT_STORE,
  type Io,
  listCommand,
  logsCommand,
  type RuntimeHooks,
  resumeCommand,
  runCommand,
  signalCommand,
  statusCommand,
} from "./runs.ts";

const VERSION = "0.1.0";

const usage = `aegis ${VERSION} — compile, check and run multi-agent workflows

Usage:
  aegis compile [--check] [--format text|json|sarif|github] [--out graph.json] FILES…
  aegis graph FILE|GRAPH.json [--format mermaid|dot|json]
  aegis fmt [--check | --write] FILES…
  aegis convert FILE.yaml [--out FILE.aegis]
  aegis run FILE|GRAPH.json [--input JSON|@FILE] [--param NAME=VALUE …] [--intent TEXT]
            [--agents FILE] [--agent NAME=INSTANCE …] [--id ID] [--replace] [--workdir DIR]
            [--json] [--verbose]
  aegis signal RUN (--approve | --reject | --response TEXT) [--feedback TEXT] [--approver NAME]
  aegis resume RUN
  aegis cancel RUN [--reason TEXT]
  aegis status RUN [--json]
  aegis logs RUN [--follow] [--json]
  aegis list [--json]
  aegis --help | --version

compile options:
  --check            only check; write nothing
  --format F         how to print findings (default: text)
  --out FILE         write the compiled graph (JSON with its content hash); one input only
  --strict           warnings fail too (exit 1)
  --color / --no-color
                     colour the text output (default: when stdout is a terminal)

fmt options (canonical layout; comments are kept; files with syntax errors are refused):
  (none)             print the formatted file (one file)
  --write            rewrite the files that are not formatted, and list them
  --check            list the files that are not formatted; exit 1 if there are any

convert: an AEGIS manifest or AgentOS workflow (YAML) as aegis source, on stdout or to
  --out FILE.

run: compiles the workflow (refusing it if it has errors), validates the inputs against
  its declared inputs, and runs it, showing progress until it finishes or waits for a
  human. A human gate holds no process: the run is saved, and \`aegis signal\` answers it
  later and drives the run on. Runs are kept in ${DEFAULT_STORE} under the current directory.
  --input JSON|@FILE the inputs, as a JSON object (or a file holding one)
  --param NAME=VALUE one input (repeatable; JSON unless the input is a string)
  --intent TEXT      the caller's intent, the "why" of the run: {{intent}} in templates,
                     and the intent agents are given (unless their state gives its own)
  --agents FILE      providers for the workflow's agents, e.g.
                     {"agents": {"coder": {"provider": "command", "command": "./coder.sh"}}};
                     the run keeps them, so signal and resume use them too; a name
                     that is not one of the workflow's agents, or an agent left
                     without a provider, refuses the run before it starts (exit 2)
  --agent NAME=INSTANCE
                     binds the agent NAME for this run (repeatable; over the agents
                     file), as AgentOS's --agent does: INSTANCE is an entry of the agents
                     file, or a provider — claude, gemini, opencode, codex, command:LINE,
                     openai:URL; checked as the agents file is (exit 2)
  --id ID            the run's id (default: WORKFLOW-DATE-TIME-XXXX); --replace reuses one
  --workdir DIR      where the states' commands and agents run (default: the current
                     directory, or the agents file's "workdir")
  --json             print the run's events as JSON lines
  --verbose          print the states' output as it comes (when not on a terminal)
signal, resume: continue a run in this process until it finishes or waits again; like run,
  they take --json, --verbose and --agents.
  --store DIR        (every run command) where runs are kept

FILES may be globs ('examples/**/*.aegis'). Exit status: 0 no errors (a run that
succeeded or waits for a human), 1 errors found (a run that failed or was cancelled),
2 usage or I/O error (an unknown run, invalid inputs, a damaged journal), 130 interrupted.`;

export type { Io };

const processIo: Io = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  isTTY: !!process.stdout.isTTY,
};

export async function main(
  argv: string[],
  io: Io = processIo,
  hooks: RuntimeHooks = {},
): Promise<number> {
  try {
    const [command, ...rest] = argv;
    switch (command) {
      case "compile":
      case "check":
        return await compileCommand(command === "check" ? ["--check", ...rest] : rest, io);
      case "graph":
        return await graphCommand(rest, io);
      case "fmt":
        return await fmtCommand(rest, io);
      case "convert":
        return await convertCommand(rest, io);
      case "run":
        return await runCommand(rest, io, hooks);
      case "signal":
        return await signalCommand(rest, io, hooks);
      case "resume":
        return await resumeCommand(rest, io, hooks);
      case "cancel":
        return await cancelCommand(rest, io);
      case "status":
        return await statusCommand(rest, io);
      case "logs":
        return await logsCommand(rest, io);
      case "list":
      case "ls":
        return await listCommand(rest, io);
      case "--version":
      case "-v":
        io.stdout(`${VERSION}\n`);
        return 0;
      case undefined:
      case "--help":
      case "-h":
      case "help":
        io.stdout(`${usage}\n`);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (error) {
    if (
      error instanceof UsageError ||
      (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")
    ) {
      io.stderr(`aegis: ${(error as Error).message}\n\n${usage}\n`);
      return 2;
    }
    if (error instanceof RuntimeError || error instanceof GraphLoadError) {
      // The user's to fix (or the world's): a message with its code, no stack.
      const code = error instanceof RuntimeError ? error.code : "graph-load";
      io.stderr(`aegis: error[${code}]: ${error.message}\n`);
      return code === "not-cancellable" ? 1 : 2;
    }
    io.stderr(`aegis: internal error: ${(error as Error).stack ?? error}\n`);
    return 2;
  }
}

async function expandFiles(patterns: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const pattern of patterns) {
    if (isDynamicPattern(pattern)) {
      const found = (
        await glob(pattern, { absolute: false, onlyFiles: true, expandDirectories: false })
      ).sort();
      if (found.length === 0) throw new UsageError(`no files match '${pattern}'`);
      files.push(...found);
    } else files.push(pattern);
  }
  return [...new Set(files)];
}

function allSources(results: CompileResult[]): Map<string, SourceText> {
  const sources = new Map<string, SourceText>();
  for (const r of results) for (const [k, v] of r.sources) sources.set(k, v);
  return sources;
}

function ioFailure(results: CompileResult[]): boolean {
  return results.some((r) => r.diagnostics.some((d) => d.code === "AEG002"));
}

async function compileCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
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

async function graphCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { format: { type: "string", default: "mermaid" } },
  });
  const format = values.format!;
  if (!["mermaid", "dot", "json"].includes(format))
    throw new UsageError(`unknown graph format '${format}' (mermaid, dot, json)`);
  if (positionals.length !== 1) throw new UsageError("graph takes exactly one file");
  const path = positionals[0]!;
  // A compiled graph (from `compile --out`) is loaded as it is, without re-parsing.
  if (path.endsWith(".json")) return printLoadedGraph(path, format, io);
  const [result] = compileFiles([path]);
  if (!result) return 2;
  if (!result.ok) {
    io.stderr(`${formatText(result.diagnostics, result.sources, { color: false })}\n`);
    return ioFailure([result]) ? 2 : 1;
  }
  const output =
    format === "dot"
      ? toDot(result.graph)
      : format === "json"
        ? `${JSON.stringify(result.document, null, 2)}\n`
        : toMermaid(result.graph);
  io.stdout(output);
  return 0;
}

function printLoadedGraph(path: string, format: string, io: Io): number {
  let loaded: ReturnType<typeof loadGraph>;
  try {
    loaded = loadGraph(JSON.parse(readFileSync(path, "utf8")));
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === "ENOENT"
        ? "no such file"
        : (error as Error).message;
    io.stderr(`aegis: cannot load ${path}: ${reason}\n`);
    return 2;
  }
  const output =
    format === "dot"
      ? toDot(loaded.graph)
      : format === "json"
        ? `${JSON.stringify(exportGraph(loaded.graph, loaded.subworkflows), null, 2)}\n`
        : toMermaid(loaded.graph);
  io.stdout(output);
  return 0;
}

function readText(path: string, io: Io): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === "ENOENT"
        ? "no such file"
        : (error as Error).message;
    io.stderr(`aegis: cannot read ${path}: ${reason}\n`);
    return undefined;
  }
}

function useColor(values: { color?: boolean; "no-color"?: boolean }, io: Io): boolean {
  return values["no-color"] ? false : (values.color ?? (io.isTTY && !process.env.NO_COLOR));
}

/** Findings of one file in the text format of `compile`. */
function findingsText(findings: Finding[], file: string, text: string, color: boolean): string {
  const sources = new Map([[file, new SourceText(file, text)]]);
  const diagnostics = findings.map((f) => toDiagnostic(f, sources)).sort(compareDiagnostics);
  return formatText(diagnostics, sources, { color });
}

async function fmtCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      check: { type: "boolean", default: false },
      write: { type: "boolean", default: false },
      color: { type: "boolean" },
      "no-color": { type: "boolean" },
    },
  });
  if (values.check && values.write) throw new UsageError("use either --check or --write");
  if (positionals.length === 0) throw new UsageError("no files given");
  const files = await expandFiles(positionals);
  const print = !values.check && !values.write;
  if (print && files.length !== 1)
    throw new UsageError("fmt prints one file; use --write or --check for several");
  const color = useColor(values, io);
  let ioError = false;
  let failed = false;
  const unformatted: string[] = [];
  for (const file of files) {
    const text = readText(file, io);
    if (text === undefined) {
      ioError = true;
      continue;
    }
    let result: ReturnType<typeof formatSource>;
    try {
      result = formatSource(text, file);
    } catch (error) {
      if (!(error instanceof PrintError)) throw error;
      io.stderr(`aegis: cannot format ${file}: ${error.message}\n`);
      failed = true;
      continue;
    }
    if (!result.ok) {
      io.stderr(`${findingsText(result.findings, file, text, color)}\n`);
      io.stderr(`aegis: not formatting ${file}: fix its syntax errors first\n`);
      failed = true;
      continue;
    }
    if (print) io.stdout(result.text);
    else if (result.changed) {
      unformatted.push(file);
      if (values.write) {
        try {
          writeFileSync(file, result.text);
        } catch (error) {
          io.stderr(`aegis: cannot write ${file}: ${(error as Error).message}\n`);
          ioError = true;
          continue;
        }
      }
      io.stdout(`${file}\n`);
    }
  }
  if (values.check && unformatted.length > 0) {
    const n = unformatted.length;
    io.stderr(
      `aegis: ${n} file${n === 1 ? " is" : "s are"} not formatted; run aegis fmt --write\n`,
    );
  }
  if (ioError) return 2;
  return failed || (values.check && unformatted.length > 0) ? 1 : 0;
}

async function convertCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      out: { type: "string" },
      color: { type: "boolean" },
      "no-color": { type: "boolean" },
    },
  });
  if (positionals.length !== 1) throw new UsageError("convert takes exactly one file");
  const file = positionals[0]!;
  const text = readText(file, io);
  if (text === undefined) return 2;
  // Loaded on demand: only convert needs the YAML front end (and the yaml package).
  const { parseYamlWorkflow } = await import("../compiler/yaml/index.ts");
  const result = parseYamlWorkflow(text, file);
  const color = useColor(values, io);
  if (result.findings.length > 0)
    io.stderr(`${findingsText(result.findings, file, text, color)}\n`);
  const errors = result.findings.filter(
    (f) => (f.severity ?? catalogue[f.code].severity) === "error",
  );
  if (errors.length > 0) {
    io.stderr(
      `aegis: not converting ${file}: it has ${errors.length} error${errors.length === 1 ? "" : "s"}\n`,
    );
    return 1;
  }
  let source: string;
  try {
    source = printAegis(result.ast);
  } catch (error) {
    if (!(error instanceof PrintError)) throw error;
    io.stderr(`aegis: cannot convert ${file}: ${error.message}\n`);
    return 1;
  }
  // The printer's promise: what it writes parses. Check it rather than write a broken file.
  const check = parse(source, values.out ?? "<converted>");
  if (check.findings.some((f) => f.code === "AEG100" || f.code === "AEG101")) {
    throw new Error(`the converted text of ${file} does not parse: ${check.findings[0]!.message}`);
  }
  if (!values.out) {
    io.stdout(source);
    return 0;
  }
  try {
    writeFileSync(values.out, source);
  } catch (error) {
    io.stderr(`aegis: cannot write ${values.out}: ${(error as Error).message}\n`);
    return 2;
  }
  return 0;
}
