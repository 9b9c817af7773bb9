// What the commands over workflow files share: globs expanded and directories walked, files
// (and stdin) read with a plain message for a missing one, findings printed in the text
// format, and the codes of --ignore.

import { type Dirent, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { CompileResult } from "../compiler/compile.ts";
import {
  type Code,
  catalogue,
  compareDiagnostics,
  type Diagnostic,
  type Finding,
  toDiagnostic,
} from "../compiler/diagnostics.ts";
import { formatText } from "../compiler/report/text.ts";
import { SourceText } from "../compiler/source.ts";
import { didYouMean } from "../compiler/suggest.ts";
import { looksLikeWorkflowYaml } from "../compiler/yaml/files.ts";
import { UsageError } from "./errors.ts";
import type { Io } from "./io.ts";

/** The argument that means standard input. */
export const STDIN = "-";

/** A pattern without any of these characters is no glob (picomatch needs one of them). */
const globCharacters = /[*?[\]{}()!+@]/;
const tinyglobby = () => import("tinyglobby");

/** What a directory is walked for: workflows (.aegis and workflow YAML), or .aegis only. */
export type Walk = "workflows" | "aegis";

/**
 * The files the arguments name: globs expanded, directories walked (as eslint and actionlint
 * do: node_modules and dot-directories are skipped; .aegis files, and YAML files that hold a
 * workflow), `-` (stdin) kept as it is, other paths kept as given (a missing one is reported
 * when it is read).
 */
export async function expandFiles(patterns: string[], walk: Walk = "workflows"): Promise<string[]> {
  const files: string[] = [];
  for (const pattern of patterns) {
    // tinyglobby (and fdir, and picomatch) is loaded only for a pattern that may be a glob:
    // `aegis compile --check FILE` in a pre-commit hook starts without it.
    const globbing =
      pattern !== STDIN && globCharacters.test(pattern) ? await tinyglobby() : undefined;
    if (globbing?.isDynamicPattern(pattern)) {
      const { glob } = globbing;
      const found = (
        await glob(pattern, { absolute: false, onlyFiles: true, expandDirectories: false })
      ).sort();
      if (found.length === 0) throw new UsageError(`no files match '${pattern}'`);
      files.push(...found);
    } else if (pattern !== STDIN && isDirectory(pattern)) {
      const found = walkDirectory(pattern, walk);
      if (found.length === 0)
        throw new UsageError(
          `no ${walk === "aegis" ? ".aegis files" : "workflows (.aegis, workflow YAML)"} in '${pattern}'`,
        );
      files.push(...found);
    } else files.push(pattern);
  }
  if (files.filter((f) => f === STDIN).length > 1) throw new UsageError("'-' (stdin) given twice");
  return [...new Set(files)];
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The workflow files under a directory, in a stable order (depth first, by name). */
function walkDirectory(dir: string, walk: Walk): string[] {
  const out: string[] = [];
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    // A symbolic link is followed to a file, never to a directory (no loops).
    const kind = entry.isSymbolicLink() ? statKind(path) : entry.isDirectory() ? "dir" : "file";
    if (kind === "dir" && !entry.isSymbolicLink()) {
      if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
      out.push(...walkDirectory(path, walk));
    } else if (kind === "file" && isWorkflowFile(path, walk)) out.push(path);
  }
  return out;
}

function statKind(path: string): "dir" | "file" | undefined {
  try {
    const s = statSync(path);
    return s.isDirectory() ? "dir" : s.isFile() ? "file" : undefined;
  } catch {
    return undefined;
  }
}

function isWorkflowFile(path: string, walk: Walk): boolean {
  if (/\.aegis$/i.test(path)) return true;
  if (walk === "aegis" || !/\.ya?ml$/i.test(path)) return false;
  try {
    return looksLikeWorkflowYaml(readFileSync(path, "utf8"));
  } catch {
    return false;
  }
}

export function allSources(results: CompileResult[]): Map<string, SourceText> {
  const sources = new Map<string, SourceText>();
  for (const r of results) for (const [k, v] of r.sources) sources.set(k, v);
  return sources;
}

/** Why a file could not be read, in plain words (no EISDIR, ENOENT). */
export function readFailure(error: unknown): string {
  switch ((error as NodeJS.ErrnoException)?.code) {
    case "ENOENT":
    case "ENOTDIR":
      return "no such file";
    case "EISDIR":
      return "is a directory";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    default:
      return (error as Error)?.message ?? String(error);
  }
}

/** A file's text, or why it cannot be read; `-` reads standard input. */
export function tryRead(path: string): { text: string } | { error: string } {
  try {
    if (path === STDIN) return { text: readFileSync(0, "utf8") };
    // Reading a directory fails on some systems only: say the same everywhere.
    if (isDirectory(path)) return { error: "is a directory" };
    return { text: readFileSync(path, "utf8") };
  } catch (error) {
    return { error: readFailure(error) };
  }
}

/** The line that says a file cannot be read (AEG002, the I/O error, in every format). */
export function cannotRead(path: string, reason: string): string {
  return `aegis: error[AEG002]: cannot read ${path === STDIN ? "stdin" : path}: ${reason}\n`;
}

/** A file's text; when it cannot be read, one line on stderr and undefined. */
export function readText(path: string, io: Io): string | undefined {
  const read = tryRead(path);
  if ("text" in read) return read.text;
  io.stderr(cannotRead(path, read.error));
  return undefined;
}

/** Findings of one file in the text format of `compile`. */
export function findingsText(
  findings: Finding[],
  file: string,
  text: string,
  color: boolean,
): string {
  const sources = new Map([[file, new SourceText(file, text)]]);
  const diagnostics = findings.map((f) => toDiagnostic(f, sources)).sort(compareDiagnostics);
  return formatText(diagnostics, sources, { color });
}

/** Findings that --ignore may not silence: a broken or unreadable file always shows. */
const unignorable = new Set<Code>(["AEG000", "AEG002", "AEG100", "AEG101"]);

/**
 * The codes of `--ignore` (repeatable, or comma lists): codes (AEG502) or rule names
 * (unused-agent), as inline aegis-ignore takes them. An unknown one is a usage error.
 */
export function ignoredCodes(values: string[] | undefined): Set<Code> {
  const out = new Set<Code>();
  const codes = Object.keys(catalogue) as Code[];
  const byRule = new Map<string, Code>(codes.map((c) => [catalogue[c].rule, c]));
  for (const word of (values ?? []).flatMap((v) => v.split(","))) {
    const name = word.trim();
    if (!name) continue;
    const code = /^aeg\d+$/i.test(name)
      ? codes.find((c) => c === name.toUpperCase())
      : byRule.get(name.toLowerCase());
    if (!code) {
      const near = didYouMean(name, [...codes, ...byRule.keys()]);
      throw new UsageError(
        `unknown code '${name}' for --ignore${near ? `; did you mean '${near}'?` : ""}`,
      );
    }
    if (unignorable.has(code))
      throw new UsageError(`${code} (${catalogue[code].rule}) cannot be ignored`);
    out.add(code);
  }
  return out;
}

/** Diagnostics without the ignored codes. */
export function withoutIgnored(diagnostics: Diagnostic[], ignored: Set<Code>): Diagnostic[] {
  return ignored.size === 0 ? diagnostics : diagnostics.filter((d) => !ignored.has(d.code));
}

/** actionlint's -oneline: `file:line:col: severity[CODE]: message (rule)`, one a line. */
export function formatOneline(diagnostics: Diagnostic[]): string {
  return diagnostics
    .map(
      (d) =>
        `${d.file}:${d.line}:${d.column}: ${d.severity}[${d.code}]: ${d.message.replace(/\s*\n\s*/g, " ")} (${d.rule})`,
    )
    .join("\n");
}
