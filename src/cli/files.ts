// What the commands over workflow files share: globs expanded, files read with a plain
// message for a missing one, findings printed in the text format.
import { readFileSync } from "node:fs";
import { glob, isDynamicPattern } from "tinyglobby";
import type { CompileResult } from "../compiler/compile.ts";
import { compareDiagnostics, type Finding, toDiagnostic } from "../compiler/diagnostics.ts";
import { formatText } from "../compiler/report/text.ts";
import { SourceText } from "../compiler/source.ts";
import { UsageError } from "./errors.ts";
import type { Io } from "./io.ts";

export async function expandFiles(patterns: string[]): Promise<string[]> {
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

export function allSources(results: CompileResult[]): Map<string, SourceText> {
  const sources = new Map<string, SourceText>();
  for (const r of results) for (const [k, v] of r.sources) sources.set(k, v);
  return sources;
}

export function ioFailure(results: CompileResult[]): boolean {
  return results.some((r) => r.diagnostics.some((d) => d.code === "AEG002"));
}

export function readText(path: string, io: Io): string | undefined {
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

export function useColor(values: { color?: boolean; "no-color"?: boolean }, io: Io): boolean {
  return values["no-color"] ? false : (values.color ?? (io.isTTY && !process.env.NO_COLOR));
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
