// `aegis convert`: every YAML example (the seeds' and the real corpus files) converts to
// .aegis source whose compiled graph has the same content hash as the YAML's own.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { compile } from "../../src/compiler/compile.ts";
import { printAegis } from "../../src/compiler/emit/aegis.ts";
import { parseYamlWorkflow } from "../../src/compiler/yaml/index.ts";
import { corpusDir } from "../helpers/corpus.ts";

const root = resolve(import.meta.dirname, "../..");
const seeds = join(root, "tests/fixtures/yaml/seeds");

function yamlIn(dir: string): string[] {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => join(dir, f))
    .sort();
}

/** Copies a folder's YAML files to a temporary one, so converted files sit beside them. */
function workspace(files: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), "aegis-convert-"));
  for (const f of files) copyFileSync(f, join(dir, basename(f)));
  return dir;
}

function convertAndCompare(files: string[]): void {
  const dir = workspace(files);
  for (const original of files) {
    const yamlPath = join(dir, basename(original));
    const text = readFileSync(yamlPath, "utf8");
    const parsed = parseYamlWorkflow(text, yamlPath);
    expect(
      parsed.findings.filter((f) => f.code !== "AEG708"),
      basename(original),
    ).toEqual([]);
    const source = printAegis(parsed.ast);
    const aegisPath = yamlPath.replace(/\.ya?ml$/, ".converted.aegis");
    writeFileSync(aegisPath, source);
    const fromYaml = compile(text, { filename: yamlPath });
    const fromAegis = compile(source, { filename: aegisPath });
    expect(fromAegis.document.hash, basename(original)).toBe(fromYaml.document.hash);
    // The converted source compiles to the same findings, bar the ones YAML softens.
    const codes = (r: typeof fromYaml) => r.diagnostics.map((d) => d.code).sort();
    expect(codes(fromAegis), basename(original)).toEqual(codes(fromYaml));
  }
}

describe("aegis convert keeps the graph", () => {
  it("for every seed example", () => {
    const files = yamlIn(seeds);
    expect(files.length).toBeGreaterThanOrEqual(15);
    convertAndCompare(files);
  });

  const corpus = corpusDir;
  if (corpus)
    it("for every file of the corpus (../shared/corpus)", () => {
      for (const dialect of ["aegis-orchestrator", "agentos"]) {
        const files = yamlIn(join(corpus, dialect));
        expect(files.length).toBeGreaterThan(0);
        convertAndCompare(files);
      }
    });

  it("through the command line, printing the .aegis source", () => {
    const dir = workspace([join(seeds, "dev-pipeline.yaml")]);
    const run = spawnSync(
      process.execPath,
      [join(root, "bin/aegis.js"), "convert", join(dir, "dev-pipeline.yaml")],
      {
        encoding: "utf8",
      },
    );
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^workflow dev-pipeline /m);
    expect(run.stdout).toContain("state APPROVE_REQUIREMENTS = human");
    const yaml = compile(readFileSync(join(dir, "dev-pipeline.yaml"), "utf8"), {
      filename: join(dir, "dev-pipeline.yaml"),
    });
    expect(compile(run.stdout, { filename: join(dir, "dev-pipeline.aegis") }).document.hash).toBe(
      yaml.document.hash,
    );
  });
});
