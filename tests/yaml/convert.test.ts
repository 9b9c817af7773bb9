// `aegis convert`: every YAML example (the seeds' and the real corpus files) converts to
// .aegis source whose compiled graph has the same content hash as the YAML's own.
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
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

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Copies a folder's YAML files to a temporary one (removed after the test), so converted files sit beside them. */
function workspace(files: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), "aegis-convert-"));
  dirs.push(dir);
  for (const f of files) copyFileSync(f, join(dir, basename(f)));
  return dir;
}

/**
 * Findings of the YAML front end that leave the graph as it is: a subworkflow resolved at
 * run time (AEG708), steps that name no agent and run chat (AEG711).
 */
const keepsGraph = new Set(["AEG708", "AEG711"]);

function convertAndCompare(files: string[]): void {
  const dir = workspace(files);
  for (const original of files) {
    const yamlPath = join(dir, basename(original));
    const text = readFileSync(yamlPath, "utf8");
    const parsed = parseYamlWorkflow(text, yamlPath);
    expect(
      parsed.findings.filter((f) => !keepsGraph.has(f.code)),
      basename(original),
    ).toEqual([]);
    const source = printAegis(parsed.ast);
    const aegisPath = yamlPath.replace(/\.ya?ml$/, ".converted.aegis");
    writeFileSync(aegisPath, source);
    const fromYaml = compile(text, { filename: yamlPath });
    const fromAegis = compile(source, { filename: aegisPath });
    expect(fromAegis.document.hash, basename(original)).toBe(fromYaml.document.hash);
    // The converted source compiles to the same findings, bar the ones YAML softens.
    const codes = (r: typeof fromYaml) =>
      r.diagnostics
        .map((d) => d.code)
        .filter((c) => c !== "AEG711")
        .sort();
    expect(codes(fromAegis), basename(original)).toEqual(codes(fromYaml));
  }
}

describe("aegis convert keeps the graph", () => {
  it("for every seed example", () => {
    // Refused (AEG712; AEG715, ContainerRun states without name): nothing to convert.
    const refused = ["approval-gate.yaml", "release-pipeline.yaml", "validation-pipeline.yaml"];
    const files = yamlIn(seeds).filter((f) => !refused.includes(basename(f)));
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

  it("for a step's config and sandbox: an agent state's options, a container state", () => {
    const text = `id: t
name: T
steps:
  - name: Research
    functionId: "hand::run"
    config: { handId: researcher, input: { topic: "{{workflow_input.topic}}" } }
  - name: Deploy
    functionId: "tool::shell_exec"
    sandbox: docker
    config: { argv: [make, "T={{topic}}"], cwd: sub }
`;
    const source = printAegis(parseYamlWorkflow(text, "/virtual/t.yaml").ast);
    expect(source).toContain(
      'options { handId: "researcher", input: { topic: "{{input.topic}}" } }',
    );
    expect(source).toContain('state DEPLOY = container "ubuntu:22.04" {');
    expect(source).toContain('command ["make", "T={{input.topic}}"]');
    const fromYaml = compile(text, { filename: "/virtual/t.yaml" });
    const fromAegis = compile(source, { filename: "/virtual/t.aegis" });
    expect(fromAegis.diagnostics).toEqual([]);
    expect(fromAegis.document.hash).toBe(fromYaml.document.hash);
    // In the language, an agent state's options are checked as its prompt is.
    const wrong = compile(source.replace("{{input.topic}}", "{{input.topik}}"), {
      filename: "/virtual/t.aegis",
    });
    expect(wrong.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([
      expect.stringMatching(/^AEG402 .*topik/),
    ]);
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
