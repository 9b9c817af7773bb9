// The builder's types, as the editor shows them: the fixture (fixtures/typing.ts) compiled
// by the TypeScript compiler without its ts-expect-error directives. Each directive's line
// must then have exactly the error it names (code and words), and the accepted workflow
// none; tsc in `npm test` checks the fixture with the directives (none unused).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "../..");
const FIXTURE = join(import.meta.dirname, "fixtures", "typing.ts");

function diagnose(): { text: string; errors: { line: number; code: number; message: string }[] } {
  const text = readFileSync(FIXTURE, "utf8");
  const config = ts.getParsedCommandLineOfConfigFile(
    join(ROOT, "tsconfig.json"),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
      },
    },
  )!;
  // The directives become plain comments: what they silenced is reported again.
  const stripped = text.replaceAll("@ts-expect-error", "expected-error:");
  const host = ts.createCompilerHost(config.options);
  const read = host.getSourceFile;
  host.getSourceFile = (name, version, onError) =>
    name === FIXTURE ? ts.createSourceFile(name, stripped, version) : read(name, version, onError);
  const program = ts.createProgram([FIXTURE], { ...config.options, noEmit: true }, host);
  const file = program.getSourceFile(FIXTURE)!;
  const errors = ts.getPreEmitDiagnostics(program, file).map((d) => ({
    line: file.getLineAndCharacterOfPosition(d.start!).line + 1,
    code: d.code,
    message: ts.flattenDiagnosticMessageText(d.messageText, "\n"),
  }));
  return { text, errors };
}

describe("the builder's types", () => {
  const { text, errors } = diagnose();
  const lines = text.split("\n");
  const expected = lines.flatMap((line, i) => {
    const m = /@ts-expect-error (TS\d+) (.*)$/.exec(line);
    return m ? [{ line: i + 2, code: Number(m[1]!.slice(2)), words: m[2]!.trim() }] : [];
  });

  it("refuse each mistake on its line, saying what is wrong", () => {
    expect(expected.length).toBe(9);
    for (const e of expected) {
      const found = errors.filter((x) => x.line === e.line);
      expect(
        found.map((x) => x.code),
        `line ${e.line}: ${lines[e.line - 1]}`,
      ).toEqual([e.code]);
      expect(found[0]!.message).toContain(e.words);
    }
  });

  it("accept a workflow whose names all exist, and report nothing else", () => {
    const lines = new Set(expected.map((e) => e.line));
    expect(errors.filter((e) => !lines.has(e.line))).toEqual([]);
  });
});
