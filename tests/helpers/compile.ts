// Shared helpers for the compiler's diagnostic tests: compile a source held in memory and
// reduce its diagnostics to what a test asserts (code, line, column), build small
// workflows around a few state lines, and render diagnostics as baseline text.
import { basename, dirname, relative, resolve } from "node:path";
import { type CompileOptions, type CompileResult, compile } from "../../src/compiler/compile.ts";
import type { Code, Diagnostic } from "../../src/compiler/diagnostics.ts";

/** What most assertions look at: which finding, and where it starts (1-based). */
export interface Brief {
  code: Code;
  line: number;
  column: number;
}

/** The file name tests compile under unless they say otherwise. */
export const TEST_FILE = "/virtual/test.aegis";

function options(opts: CompileOptions = {}): CompileOptions {
  // Never touch the real file system by accident: imports resolve against an empty map.
  return { filename: TEST_FILE, readFile: () => undefined, ...opts };
}

/** Compiles `source` (file name /virtual/test.aegis, no readable imports unless given). */
export function compileSource(source: string, opts?: CompileOptions): CompileResult {
  return compile(source, options(opts));
}

/** The diagnostics of `source`, in the compiler's order, as { code, line, column }. */
export function diagnose(source: string, opts?: CompileOptions): Brief[] {
  return compileSource(source, opts).diagnostics.map(brief);
}

/** Only the diagnostics with this code. */
export function diagnoseCode(source: string, code: Code, opts?: CompileOptions): Brief[] {
  return diagnose(source, opts).filter((d) => d.code === code);
}

/** The distinct codes reported for `source`, sorted. */
export function codes(source: string, opts?: CompileOptions): Code[] {
  return [...new Set(diagnose(source, opts).map((d) => d.code))].sort();
}

/** The full diagnostics with this code (for message, hint, severity and related checks). */
export function findings(source: string, code: Code, opts?: CompileOptions): Diagnostic[] {
  return compileSource(source, opts).diagnostics.filter((d) => d.code === code);
}

export function brief(d: Pick<Diagnostic, "code" | "line" | "column">): Brief {
  return { code: d.code, line: d.line, column: d.column };
}

/** Sorts briefs the way the compiler sorts diagnostics of one file. */
export function sortBriefs(list: Brief[]): Brief[] {
  return [...list].sort(
    (a, b) =>
      a.line - b.line || a.column - b.column || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0),
  );
}

/** Removes the common indentation of a template literal and its blank first/last lines. */
export function dedent(text: string): string {
  const lines = text
    .replace(/^[ \t]*\r?\n/, "")
    .replace(/\r?\n[ \t]*$/, "")
    .split("\n");
  let indent = Number.POSITIVE_INFINITY;
  for (const line of lines) {
    if (line.trim() === "") continue;
    indent = Math.min(indent, /^[ \t]*/.exec(line)![0].length);
  }
  if (!Number.isFinite(indent)) indent = 0;
  return lines.map((line) => line.slice(Math.min(indent, line.length))).join("\n");
}

/** A whole file from a template literal: dedented, ending with a newline. */
export function source(text: string): string {
  return `${dedent(text)}\n`;
}

export interface WorkflowOptions {
  /** The workflow's name (line 1). Default `test`. */
  name?: string;
  /** Line 2: the agent declaration; `false` leaves a comment instead. Default `agent bot = claude()`. */
  agent?: string | false;
  /** Line 3: the start state; `false` leaves a comment instead. Default `A`. */
  start?: string | false;
  /** Append `final DONE` and `final FAILED failure` after the body. Default true. */
  finals?: boolean;
}

/** The line of the file where the body of `workflow()` starts. */
export const BODY_LINE = 4;

/**
 * Wraps state lines in a minimal valid workflow. The layout is fixed so that tests can
 * state positions: the body's first line is line 4 of the file, indented by 2 more
 * columns than in the template literal after dedenting (so a body line `state A = …`
 * starts at column 3).
 *
 *   1  workflow test {
 *   2    agent bot = claude()
 *   3    start A
 *   4    <body…>
 *        final DONE
 *        final FAILED failure
 *      }
 */
export function workflow(body: string, opts: WorkflowOptions = {}): string {
  const name = opts.name ?? "test";
  const agent = opts.agent === false ? "// (no agent)" : (opts.agent ?? "agent bot = claude()");
  const start = opts.start === false ? "// (no start)" : `start ${opts.start ?? "A"}`;
  const lines = dedent(body)
    .split("\n")
    .map((l) => (l.trim() === "" ? "" : `  ${l}`));
  const finals = opts.finals === false ? [] : ["  final DONE", "  final FAILED failure"];
  return [`workflow ${name} {`, `  ${agent}`, `  ${start}`, ...lines, ...finals, "}", ""].join(
    "\n",
  );
}

/** Position of the `nth` (0-based) occurrence of `needle` in `text`, 1-based line and column. */
export function positionOf(
  text: string,
  needle: string,
  nth = 0,
): { line: number; column: number } {
  let index = -1;
  for (let i = 0; i <= nth; i++) {
    index = text.indexOf(needle, index + 1);
    if (index < 0) throw new Error(`'${needle}' occurs fewer than ${nth + 1} times`);
  }
  const before = text.slice(0, index);
  const line = before.split("\n").length;
  return { line, column: index - (before.lastIndexOf("\n") + 1) + 1 };
}

/**
 * An in-memory file system for imports: keys are absolute paths (e.g. /virtual/a.aegis),
 * values file contents (dedented). Returns compile options that read from it.
 */
export function memoryFiles(files: Record<string, string>): {
  readFile: (path: string) => string | undefined;
  reads: string[];
} {
  const normalised = new Map(Object.entries(files).map(([p, text]) => [resolve(p), source(text)]));
  const reads: string[] = [];
  return {
    readFile: (path: string) => {
      reads.push(path);
      return normalised.get(resolve(path));
    },
    reads,
  };
}

/** Compiles `path` out of an in-memory file system built by memoryFiles. */
export function compileMemory(files: Record<string, string>, path: string): CompileResult {
  const fs = memoryFiles(files);
  const text = fs.readFile(path);
  if (text === undefined) throw new Error(`no file ${path} in the memory file system`);
  return compile(text, { filename: resolve(path), readFile: fs.readFile });
}

/**
 * Baseline text: one line per diagnostic (`line:column severity CODE message`), then an
 * indented `hint:` line and one `related:` line per related location. Files other than
 * the compiled one are named relative to its directory.
 */
export function render(result: CompileResult): string {
  const base = dirname(resolve(result.file));
  const name = (file: string) =>
    file === result.file ? basename(file) : relative(base, resolve(file)) || basename(file);
  const out: string[] = [];
  for (const d of result.diagnostics) {
    const where = d.file === result.file ? "" : `${name(d.file)}:`;
    out.push(`${where}${d.line}:${d.column} ${d.severity} ${d.code} ${d.message}`);
    if (d.hint) out.push(`  hint: ${d.hint}`);
    for (const r of d.related)
      out.push(`  related: ${name(r.file)}:${r.line}:${r.column} ${r.message}`);
  }
  return out.length === 0 ? "(no diagnostics)\n" : `${out.join("\n")}\n`;
}
