// Table-driven tests for the diagnostic catalogue: each case is a source that reports one
// code at an exact position, and a near-identical source that must not report it.
import { expect, it } from "vitest";
import type { CompileOptions, CompileResult } from "../../src/compiler/compile.ts";
import { type Code, catalogue } from "../../src/compiler/diagnostics.ts";
import { compileSource, memoryFiles } from "./compile.ts";

export interface TriggerCase {
  code: Code;
  /** What the case shows, for the test name. */
  title: string;
  /** A source that reports `code` exactly once, at `at`. */
  trigger: string;
  /** "line:column" (1-based) where the finding starts. */
  at: string;
  /** Other findings the trigger source legitimately reports too, as "CODE line:column". */
  also?: string[];
  /** A near-identical source that must not report `code`. */
  clean: string;
  /**
   * What the clean source may report, as "CODE line:column". Default: nothing at all, so
   * the clean variant is also a check against false positives of every other rule.
   */
  cleanAlso?: string[];
  /** Other files, readable as imports (absolute paths, e.g. /virtual/review.aegis). */
  files?: Record<string, string>;
  /** Compiles differently (e.g. compileFile for I/O errors); `input` is trigger or clean. */
  compileWith?: (input: string) => CompileResult;
}

export function short(d: { code: string; line: number; column: number }): string {
  return `${d.code} ${d.line}:${d.column}`;
}

function order(list: string[]): string[] {
  const key = (s: string) => {
    const [code, pos] = s.split(" ");
    const [line, column] = (pos ?? "0:0").split(":").map(Number);
    return { code: code!, line: line!, column: column! };
  };
  return [...list].sort((x, y) => {
    const a = key(x);
    const b = key(y);
    return (
      a.line - b.line || a.column - b.column || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0)
    );
  });
}

function run(c: TriggerCase, input: string): CompileResult {
  if (c.compileWith) return c.compileWith(input);
  const opts: CompileOptions = c.files ? { readFile: memoryFiles(c.files).readFile } : {};
  return compileSource(input, opts);
}

/** Registers, for each case, a test that it triggers and a test that its clean twin does not. */
export function checkTriggers(cases: readonly TriggerCase[]): void {
  const triggers = (list: readonly TriggerCase[]) =>
    list.map((c) => [`${c.code} ${c.title}`, c] as const);
  const reported = (_name: string, c: TriggerCase) => {
    const result = run(c, c.trigger);
    const expected = order([`${c.code} ${c.at}`, ...(c.also ?? [])]);
    expect(order(result.diagnostics.map(short))).toEqual(expected);
    for (const d of result.diagnostics.filter((x) => x.code === c.code)) {
      expect(d.severity).toBe(catalogue[c.code].severity);
      expect(d.rule).toBe(catalogue[c.code].rule);
      expect(d.message.length).toBeGreaterThan(0);
    }
  };
  it.each(triggers(cases))("%s: reported at the exact position", reported);
  it.each(cases.map((c) => [`${c.code} ${c.title}`, c] as const))(
    "%s: not reported by the near-identical clean source",
    (_name, c) => {
      const result = run(c, c.clean);
      expect(result.diagnostics.map(short).filter((d) => d.startsWith(`${c.code} `))).toEqual([]);
      expect(order(result.diagnostics.map(short))).toEqual(order(c.cleanAlso ?? []));
    },
  );
}
