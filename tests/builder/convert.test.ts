// `aegis convert --to ts`: a workflow as a TypeScript module that builds it. Every example
// (.aegis) and every YAML fixture that compiles without errors is converted; the module,
// imported, compiles to the same graph (content hash) as the file it came from.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";
import type { Workflow } from "../../src/builder/index.ts";
import { compileFile } from "../../src/compiler/compile.ts";
import { printTypeScript } from "../../src/compiler/emit/typescript.ts";
import { parse } from "../../src/compiler/parse.ts";
import { parseYamlWorkflow } from "../../src/compiler/yaml/index.ts";
import { aegis, ROOT, tempDir } from "../runtime/cli/helpers.ts";

function filesUnder(dir: string, pattern: RegExp): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => pattern.test(f))
    .map((f) => join(dir, f))
    .sort();
}

/** Each file's copy in `into` (imports stay beside it) and the module converted from it. */
async function converted(
  file: string,
  into: string,
): Promise<{ copy: string; module: Workflow; modulePath: string }> {
  const text = readFileSync(file, "utf8");
  const yaml = /\.ya?ml$/.test(file);
  const parsed = yaml ? parseYamlWorkflow(text, file) : parse(text, file);
  const ts = printTypeScript(parsed.ast, yaml ? {} : { comments: parsed.comments, source: text });
  const copy = join(into, relative(ROOT, file));
  const modulePath = copy.replace(/\.(aegis|ya?ml)$/, ".converted.ts");
  writeFileSync(modulePath, ts);
  const module = (await import(modulePath)) as { default: Workflow };
  return { copy, module: module.default, modulePath };
}

describe("aegis convert --to ts", () => {
  // The sources' copies, with the files they import beside them (kept for the whole file:
  // the helpers' temporary directories go after each test).
  const work = mkdtempSync(join(tmpdir(), "aegis-convert-"));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  // An ES module project, as a user's would be.
  writeFileSync(join(work, "package.json"), '{ "type": "module" }\n');
  cpSync(join(ROOT, "examples"), join(work, "examples"), { recursive: true });
  cpSync(join(ROOT, "tests/yaml/fixtures"), join(work, "tests/yaml/fixtures"), { recursive: true });
  cpSync(join(ROOT, "tests/builder/fixtures"), join(work, "tests/builder/fixtures"), {
    recursive: true,
  });

  const sources = [
    ...filesUnder(join(ROOT, "examples"), /\.aegis$/),
    ...filesUnder(join(ROOT, "tests/yaml/fixtures"), /\.ya?ml$/),
    ...filesUnder(join(ROOT, "tests/builder/fixtures"), /\.aegis$/),
  ].filter((f) => compileFile(f).ok);

  it("converts every example and YAML fixture that compiles", () => {
    expect(sources.length).toBeGreaterThan(20);
  });

  const modules: string[] = [];

  it("the module compiles to the same graph as its source", async () => {
    for (const file of sources) {
      const { copy, module, modulePath } = await converted(file, work);
      modules.push(modulePath);
      const result = module.compile();
      expect(
        result.diagnostics.filter((d) => d.severity === "error"),
        relative(ROOT, file),
      ).toEqual([]);
      expect(result.document.hash, relative(ROOT, file)).toBe(compileFile(copy).document.hash);
    }
  });

  it("the modules type-check against the builder's types", () => {
    expect(modules.length).toBe(sources.length);
    const config = ts.getParsedCommandLineOfConfigFile(
      join(ROOT, "tsconfig.json"),
      {},
      {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: () => undefined,
      },
    )!;
    const program = ts.createProgram(modules, { ...config.options, noEmit: true });
    const errors = modules.flatMap((m) =>
      ts
        .getPreEmitDiagnostics(program, program.getSourceFile(m))
        .map(
          (d) =>
            `${relative(work, d.file?.fileName ?? "")}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`,
        ),
    );
    expect(errors).toEqual([]);
  });

  it("writes one function per function name, named apart from JavaScript's and the builder's words", async () => {
    const { module, modulePath } = await converted(
      join(ROOT, "tests/builder/fixtures/convert-edges.aegis"),
      work,
    );
    const text = readFileSync(modulePath, "utf8");
    expect(text).toContain('c: agent.command("cat", { input: "stdin", output: "json" }),');
    expect(text).toContain('o: agent.openai("http://127.0.0.1:1/v1", { model: "m" }),');
    expect(text.match(/export async function route\(/g)).toHaveLength(1);
    expect(text).toContain("export async function state_fn(");
    expect(text).toContain("export async function fn_default(");
    expect(text).toContain("export async function fn_echo__fn(");
    expect(Object.keys(module.functions).sort()).toEqual(["default", "echo::fn", "route", "state"]);
  });

  it("through the command line: to stdout, or --out FILE", () => {
    const dir = tempDir();
    const r = aegis(dir, ["convert", join(ROOT, "examples/hello/hello.aegis"), "--to", "ts"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(
      'import { agent, input, on, otherwise, state, workflow } from "aegis-workflows/builder";',
    );
    expect(r.stdout).toContain('GREET: state.agent("default", {');
    const out = aegis(dir, [
      "convert",
      join(ROOT, "examples/hello/hello.aegis"),
      "--to",
      "ts",
      "--out",
      "hello.ts",
    ]);
    expect(out.status).toBe(0);
    expect(readFileSync(join(dir, "hello.ts"), "utf8")).toBe(r.stdout);
    // The module it wrote runs as any other.
    const check = aegis(dir, ["compile", "--check", "hello.ts"]);
    expect(check.stdout).toContain("1 file checked: 0 errors, 0 warnings");
  });

  it("a file with errors is not converted", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "bad.aegis"), "workflow bad {\n  start NOWHERE\n}\n");
    const r = aegis(dir, ["convert", "bad.aegis", "--to", "ts"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("not converting bad.aegis");
    expect(aegis(dir, ["convert", "bad.aegis", "--to", "py"]).status).toBe(2);
  });
});
