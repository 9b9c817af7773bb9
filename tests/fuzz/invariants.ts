// What must hold for any input, however broken: the invariants the fuzz tests, the
// property tests and `npm run fuzz` check. Each returns the list of what went wrong
// (empty when all is well) rather than asserting, so the script can count and report.
import { type CompileResult, compile } from "../../src/compiler/compile.ts";
import { catalogue, type Diagnostic, type Location } from "../../src/compiler/diagnostics.ts";
import {
  expressionText,
  formatSource,
  PrintError,
  printAegis,
  withoutPositions,
} from "../../src/compiler/emit/aegis.ts";
import { parse, parseExpression } from "../../src/compiler/parse.ts";
import { parseYamlWorkflow } from "../../src/compiler/yaml/index.ts";

/** The file names fuzzed text is compiled under: the extension picks the front end. */
export const AEGIS_FILE = "fuzz.aegis";
export const YAML_FILE = "fuzz.yaml";

/** Lines as the language counts them: \n, \r\n and a lone \r end a line. */
export function linesOf(text: string): string[] {
  return text.split(/\r\n|\r|\n/);
}

/** Compiles without a file system: imports of fuzzed text resolve to nothing. */
export function compileText(text: string, file = AEGIS_FILE): CompileResult {
  return compile(text, { filename: file, readFile: () => undefined });
}

/** Positions are 1-based, in UTF-16 code units, and inside the text (one past a line's end at most). */
export function positionProblem(loc: Location, lines: string[]): string | undefined {
  const { line, column, endLine, endColumn } = loc;
  const width = (l: number) => (lines[l - 1]?.length ?? -1) + 1;
  if (![line, column, endLine, endColumn].every(Number.isInteger)) return "non-integer position";
  if (line < 1 || line > lines.length) return `line ${line} outside 1..${lines.length}`;
  if (column < 1 || column > width(line)) return `column ${column} outside 1..${width(line)}`;
  if (endLine < line || endLine > lines.length) return `endLine ${endLine} outside ${line}..`;
  if (endColumn < 1 || endColumn > width(endLine))
    return `endColumn ${endColumn} outside 1..${width(endLine)}`;
  if (endLine === line && endColumn < column) return "end before start";
  return undefined;
}

/** What is wrong with one diagnostic of `text` (split into `lines`) compiled as `file`. */
export function diagnosticProblems(
  d: Diagnostic,
  text: string,
  file: string,
  lines = linesOf(text),
): string[] {
  const problems: string[] = [];
  const where = `${d.code} '${d.message}' at ${d.line}:${d.column}`;
  if (!Object.hasOwn(catalogue, d.code)) return [`uncatalogued code ${d.code}`];
  if (d.code === "AEG000") problems.push(`internal error: ${d.message}`);
  if (d.rule !== catalogue[d.code].rule) problems.push(`${where}: rule ${d.rule}`);
  if (!["error", "warning", "info"].includes(d.severity))
    problems.push(`${where}: severity ${d.severity}`);
  if (typeof d.message !== "string" || d.message.length === 0)
    problems.push(`${where}: no message`);
  if (d.file !== file) problems.push(`${where}: in file ${d.file}`);
  const position = positionProblem(d, lines);
  if (position) problems.push(`${where}: ${position}`);
  if (!(d.offset >= 0 && d.offset <= d.endOffset && d.endOffset <= text.length))
    problems.push(`${where}: offsets ${d.offset}..${d.endOffset} outside 0..${text.length}`);
  for (const related of d.related) {
    if (related.file !== file) continue;
    const p = positionProblem(related, lines);
    if (p) problems.push(`${where}: related '${related.message}': ${p}`);
  }
  return problems;
}

/** An exception as one line: a crash is a finding of the fuzzer, never a test error. */
function crash(what: string, error: unknown): string {
  const e = error as Error;
  return `${what} threw ${e?.name ?? "a non-error"}: ${e?.message ?? String(error)}`;
}

/**
 * compile() returns (never throws, never reports an internal error), every diagnostic is
 * catalogued and lies inside the file, `ok` agrees with the severities, and compiling the
 * same text again gives the same diagnostics and the same graph hash.
 */
export function compileProblems(text: string, file = AEGIS_FILE): string[] {
  let first: CompileResult;
  let second: CompileResult;
  try {
    first = compileText(text, file);
    second = compileText(text, file);
  } catch (error) {
    return [crash("compile", error)];
  }
  const lines = linesOf(text);
  const problems = first.diagnostics.flatMap((d) => diagnosticProblems(d, text, file, lines));
  if (first.ok !== !first.diagnostics.some((d) => d.severity === "error"))
    problems.push(`ok is ${first.ok} with diagnostics ${first.diagnostics.map((d) => d.code)}`);
  if (JSON.stringify(first.diagnostics) !== JSON.stringify(second.diagnostics))
    problems.push("not deterministic: the diagnostics differ between two compilations");
  if (first.document.hash !== second.document.hash)
    problems.push("not deterministic: the graph hash differs between two compilations");
  return problems;
}

/**
 * `aegis fmt`: on text that parses, it prints or refuses with a PrintError (never another
 * exception), and what it prints is already formatted (fmt is idempotent).
 */
export function formatProblems(text: string, file = AEGIS_FILE): string[] {
  let once: ReturnType<typeof formatSource>;
  try {
    once = formatSource(text, file);
  } catch (error) {
    return error instanceof PrintError ? [] : [crash("fmt", error)];
  }
  if (!once.ok) return [];
  let twice: ReturnType<typeof formatSource>;
  try {
    twice = formatSource(once.text, file);
  } catch (error) {
    return [crash("fmt of fmt's output", error)];
  }
  if (!twice.ok) return [`fmt's output does not parse: ${twice.findings[0]?.message}`];
  if (twice.changed) return ["fmt is not idempotent: formatting its output changes it"];
  return [];
}

/**
 * `aegis convert` on YAML without errors: it prints aegis source (or refuses with a
 * PrintError), which parses cleanly and compiles to the same graph as the YAML.
 */
export function convertProblems(text: string, file = YAML_FILE): string[] {
  let source: string;
  try {
    const yaml = parseYamlWorkflow(text, file);
    if (yaml.findings.some((f) => (f.severity ?? catalogue[f.code].severity) === "error"))
      return [];
    source = printAegis(yaml.ast);
  } catch (error) {
    return error instanceof PrintError ? [] : [crash("convert", error)];
  }
  try {
    const parsed = parse(source, AEGIS_FILE);
    if (parsed.findings.length > 0)
      return [`converted text does not parse: ${parsed.findings[0]!.message}\n${source}`];
    const fromYaml = compileText(text, file).document.hash;
    const fromAegis = compileText(source, AEGIS_FILE).document.hash;
    if (fromYaml !== fromAegis) return [`converted text compiles to another graph\n${source}`];
  } catch (error) {
    return [crash("compiling the converted text", error)];
  }
  return [];
}

/**
 * parseExpression (the YAML front ends' `custom` conditions) returns an expression or an
 * error, never throws; the printer writes the expression as text that reads back the same
 * (or refuses with a PrintError).
 */
export function expressionProblems(text: string): string[] {
  try {
    const { expr } = parseExpression(text, 0);
    if (!expr) return [];
    let printed: string;
    try {
      printed = expressionText(expr);
    } catch (error) {
      return error instanceof PrintError ? [] : [crash("printing the expression", error)];
    }
    const again = parseExpression(printed, 0);
    if (!again.expr) return [`printed expression '${printed}' does not parse: ${again.error}`];
    if (JSON.stringify(withoutPositions(again.expr)) !== JSON.stringify(withoutPositions(expr)))
      return [`printed expression '${printed}' reads back differently`];
  } catch (error) {
    return [crash("parseExpression", error)];
  }
  return [];
}

/** Throws (for fast-check and vitest) when there are problems, showing the input. */
export function assertNone(problems: string[], input: string): void {
  if (problems.length === 0) return;
  const shown = input.length > 2000 ? `${input.slice(0, 2000)}… (${input.length} chars)` : input;
  throw new Error(`${problems.join("\n")}\n--- input ---\n${shown}`);
}
