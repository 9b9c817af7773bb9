// SARIF output, validated against the SARIF 2.1.0 JSON schema and against what GitHub code
// scanning requires of an upload.
//
// The schema is tests/fixtures/sarif/sarif-schema-2.1.0.json, vendored from the npm package
// @microsoft/sarif-multitool-linux@5.7.0 (file `sarif-2.1.0.json`, the schema Microsoft's
// SARIF SDK validates with; see tests/fixtures/sarif/README.md). Its $schema is JSON Schema
// 2020-12, hence ajv's 2020 build; ajv-formats checks the uri / uri-reference formats.
import { readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import type { Log, Result } from "sarif";
import { beforeAll, describe, expect, it } from "vitest";
import { type CompileResult, compile } from "../../src/compiler/compile.ts";
import { catalogue, type Diagnostic } from "../../src/compiler/diagnostics.ts";
import { formatSarif } from "../../src/compiler/report/sarif.ts";

const schemaUrl = new URL("../fixtures/sarif/sarif-schema-2.1.0.json", import.meta.url);
const schema = JSON.parse(readFileSync(schemaUrl, "utf8")) as Record<string, unknown>;

function validator() {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  return ajv.compile(schema);
}

/** A repository root; the files live below it. */
const ROOT = "/home/runner/work/repo";
const MAIN = join(ROOT, "workflows", "findings.aegis");
const SUB = join(ROOT, "workflows", "lib", "broken.aegis");

// Errors (unbounded cycle with related locations, unknown input, unknown state, a broken
// import with related locations in the imported file), warnings (unused agent, shadowed
// transition with a related location, unreachable state).
const mainSource = `import "./lib/broken.aegis" as broken
workflow findings "A workflow with findings" {
  agent planner = claude(model: "opus")
  agent unused = gemini(model: "flash")
  start PLAN
  state PLAN = agent planner {
    prompt "Plan {{input.task}}"
    on success -> CHECK
    on success and score > 0.5 -> DONE
    otherwise -> DONE
  }
  state CHECK = agent planner {
    prompt "Check"
    on success -> PLAN
    on failure -> NOWHERE
  }
  state CALL = subworkflow broken {
    on success -> DONE
  }
  final DONE
}
`;
const subSource = `workflow broken {
  start A
  state A = branch {
    otherwise -> MISSING
  }
  final DONE
}
`;

function compileFindings(): CompileResult {
  const files: Record<string, string> = { [MAIN]: mainSource, [SUB]: subSource };
  return compile(mainSource, { filename: MAIN, readFile: (p) => files[p] });
}

describe("formatSarif", () => {
  let result: CompileResult;
  let log: Log;
  let text: string;

  beforeAll(() => {
    result = compileFindings();
    text = formatSarif(result.diagnostics, { root: ROOT, version: "9.9.9" });
    log = JSON.parse(text) as Log;
  });

  it("compiles a workflow with errors, warnings and related locations (the fixture is meaningful)", () => {
    const severities = new Set(result.diagnostics.map((d) => d.severity));
    expect(severities).toEqual(new Set(["error", "warning"]));
    expect(result.diagnostics.filter((d) => d.related.length > 0).length).toBeGreaterThanOrEqual(3);
    const codes = result.diagnostics.map((d) => d.code);
    for (const code of ["AEG301", "AEG402", "AEG201", "AEG507", "AEG502", "AEG204", "AEG205"])
      expect(codes).toContain(code);
    // A related location lies in the imported file.
    expect(result.diagnostics.flatMap((d) => d.related).some((r) => r.file === SUB)).toBe(true);
  });

  it("is valid against the SARIF 2.1.0 schema", () => {
    const validate = validator();
    const valid = validate(log);
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
    expect(valid).toBe(true);
  });

  it("is valid with no findings at all", () => {
    const validate = validator();
    const empty = JSON.parse(formatSarif([], { root: ROOT }));
    expect(validate(empty), JSON.stringify(validate.errors)).toBe(true);
    expect(empty.runs[0].results).toEqual([]);
  });

  it("the schema check is not vacuous: it rejects a broken log", () => {
    const validate = validator();
    const broken = JSON.parse(text);
    broken.runs[0].results[0].level = "fatal";
    delete broken.runs[0].tool.driver.name;
    broken.runs[0].results[0].locations[0].physicalLocation.region.startLine = 0;
    expect(validate(broken)).toBe(false);
    const paths = (validate.errors ?? []).map((e) => e.instancePath);
    expect(paths).toContain("/runs/0/results/0/level");
    expect(paths).toContain("/runs/0/tool/driver");
    expect(paths).toContain("/runs/0/results/0/locations/0/physicalLocation/region/startLine");
  });

  it("has one run, version 2.1.0, the tool's name and version, and every catalogue code as a rule", () => {
    expect(log.version).toBe("2.1.0");
    expect(log.runs).toHaveLength(1);
    const driver = log.runs[0]!.tool.driver;
    expect(driver.name).toBe("aegis");
    expect(driver.version).toBe("9.9.9");
    const ids = (driver.rules ?? []).map((r) => r.id);
    expect(ids).toEqual(Object.keys(catalogue));
    expect(new Set(ids).size).toBe(ids.length);
    for (const rule of driver.rules ?? []) {
      const entry = catalogue[rule.id as keyof typeof catalogue];
      expect(rule.name).toBe(entry.rule);
      expect(rule.shortDescription?.text).toBe(entry.summary);
    }
  });

  it("has one result per diagnostic, with ruleId, a matching ruleIndex and level", () => {
    const results = log.runs[0]!.results ?? [];
    expect(results).toHaveLength(result.diagnostics.length);
    const rules = log.runs[0]!.tool.driver.rules ?? [];
    const levels = { error: "error", warning: "warning", info: "note" } as const;
    results.forEach((r: Result, i) => {
      const d = result.diagnostics[i]!;
      expect(r.ruleId).toBe(d.code);
      expect(rules[r.ruleIndex!]!.id).toBe(r.ruleId);
      expect(r.level).toBe(levels[d.severity]);
      expect(r.message.text).toContain(d.message);
      if (d.hint) expect(r.message.text).toContain(d.hint);
    });
  });

  describe("meets GitHub code scanning's requirements", () => {
    const allLocations = (l: Log) =>
      (l.runs[0]!.results ?? []).flatMap((r) => [
        ...(r.locations ?? []),
        ...(r.relatedLocations ?? []),
      ]);

    it("every result has a ruleId and at least one location", () => {
      for (const r of log.runs[0]!.results ?? []) {
        expect(r.ruleId).toMatch(/^AEG\d{3}$/);
        expect(r.locations?.length).toBeGreaterThanOrEqual(1);
        expect(r.message.text?.length).toBeGreaterThan(0);
      }
    });

    it("artifact URIs are relative to the repository root (no absolute path, no file://)", () => {
      const uris = allLocations(log).map((l) => l.physicalLocation!.artifactLocation!.uri!);
      expect(uris.length).toBeGreaterThan(0);
      for (const uri of uris) {
        expect(isAbsolute(uri)).toBe(false);
        expect(uri).not.toMatch(/^[a-z][a-z0-9+.-]*:/i);
        expect(uri).not.toContain("\\");
        expect(uri.startsWith("../")).toBe(false);
      }
      expect(uris).toContain("workflows/findings.aegis");
      expect(uris).toContain("workflows/lib/broken.aegis");
      for (const l of allLocations(log))
        expect(l.physicalLocation!.artifactLocation!.uriBaseId).toBe("%SRCROOT%");
    });

    it("regions are 1-based and their ends do not come before their starts", () => {
      for (const l of allLocations(log)) {
        const region = l.physicalLocation!.region!;
        expect(region.startLine).toBeGreaterThanOrEqual(1);
        expect(region.startColumn).toBeGreaterThanOrEqual(1);
        expect(region.endLine).toBeGreaterThanOrEqual(region.startLine!);
        if (region.endLine === region.startLine)
          expect(region.endColumn).toBeGreaterThan(region.startColumn!);
      }
    });

    it("regions match the diagnostics' positions (endColumn exclusive, as in SARIF)", () => {
      const results = log.runs[0]!.results ?? [];
      const unknownInput = result.diagnostics.findIndex((d) => d.code === "AEG402");
      const region = results[unknownInput]!.locations![0]!.physicalLocation!.region!;
      // `    prompt "Plan {{input.task}}"` on line 7: `input.task` spans columns 20..29.
      expect(region).toEqual({ startLine: 7, startColumn: 20, endLine: 7, endColumn: 30 });
      const line = mainSource.split("\n")[6]!;
      expect(line.slice(region.startColumn! - 1, region.endColumn! - 1)).toBe("input.task");
    });

    it("related locations carry ids, messages and the imported file's positions", () => {
      const results = log.runs[0]!.results ?? [];
      const imported = results.find((r) => r.ruleId === "AEG507")!;
      const related = imported.relatedLocations ?? [];
      expect(related.length).toBeGreaterThanOrEqual(1);
      related.forEach((r, i) => {
        expect(r.id).toBe(i);
        expect(r.message?.text?.length).toBeGreaterThan(0);
      });
      const inSub = related.find(
        (r) => r.physicalLocation?.artifactLocation?.uri === "workflows/lib/broken.aegis",
      )!;
      // `    otherwise -> MISSING` on line 4 of the imported file.
      expect(inSub.physicalLocation!.region!.startLine).toBe(4);
      expect(inSub.physicalLocation!.region!.startColumn).toBe(18);
    });

    it("a zero-width diagnostic (empty file) still has a non-empty region", () => {
      const empty = compile("", { filename: join(ROOT, "empty.aegis") });
      expect(empty.diagnostics.length).toBeGreaterThan(0);
      const l = JSON.parse(formatSarif(empty.diagnostics, { root: ROOT })) as Log;
      const region = l.runs[0]!.results![0]!.locations![0]!.physicalLocation!.region!;
      expect(region.startLine).toBe(1);
      expect(region.startColumn).toBe(1);
      expect(region.endColumn).toBeGreaterThan(1);
      const validate = validator();
      expect(validate(l), JSON.stringify(validate.errors)).toBe(true);
    });
  });

  // Regression (fixed): a file name with a space (or another character that a URI must escape) is put in
  // artifactLocation.uri verbatim. SARIF's `uri` is a URI reference (format uri-reference in
  // the schema), so "my workflows/a b.aegis" must be percent-encoded:
  // "my%20workflows/a%20b.aegis". GitHub decodes the URI to find the file.
  it("percent-encodes file names that are not valid in a URI", () => {
    const file = join(ROOT, "my workflows", "a b#1.aegis");
    const diagnostics: Diagnostic[] = compile("", { filename: file }).diagnostics;
    const l = JSON.parse(formatSarif(diagnostics, { root: ROOT })) as Log;
    const uri = l.runs[0]!.results![0]!.locations![0]!.physicalLocation!.artifactLocation!.uri!;
    expect(decodeURIComponent(uri.replace(/%2F/gi, "/"))).toBe("my workflows/a b#1.aegis");
    expect(uri).toBe("my%20workflows/a%20b%231.aegis");
    const validate = validator();
    expect(validate(l), JSON.stringify(validate.errors)).toBe(true);
  });

  it("validates the output of the CLI's compile of the dev_pipeline example with a finding added", () => {
    const example = readFileSync(
      new URL("../../examples/dev_pipeline/dev_pipeline.aegis", import.meta.url),
      "utf8",
    );
    const broken = example.replace("on exit 0 -> AUDIT", "on exit 0 -> AUDlT");
    const r = compile(broken, { filename: join(ROOT, "examples/dev_pipeline/dev_pipeline.aegis") });
    expect(r.diagnostics.some((d) => d.code === "AEG201")).toBe(true);
    const validate = validator();
    const l = JSON.parse(formatSarif(r.diagnostics, { root: ROOT }));
    expect(validate(l), JSON.stringify(validate.errors)).toBe(true);
  });
});
