// The JSON Schemas of the two YAML workflow dialects (grammar/aegis-manifest.schema.json and
// grammar/agentos-workflow.schema.json), as an editor's yaml-language-server would apply them:
// they compile under Ajv's draft 2020-12 build in strict mode, accept every YAML example of the
// seed documents (copied into fixtures/seed-*.yaml) and every real file of ../shared/corpus, and
// reject the broken fixtures (fixtures/invalid/) at the expected place and only there.

import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { corpusDir } from "../helpers/corpus.ts";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const fixtures = path.join(repoRoot, "tests/schemas/fixtures");
const corpusRoot = corpusDir ?? path.resolve(repoRoot, "../shared/corpus");

type SchemaName = "aegis" | "agentos";
type JsonSchema = { [key: string]: unknown };

const schemaFiles: Record<SchemaName, string> = {
  aegis: "grammar/aegis-manifest.schema.json",
  agentos: "grammar/agentos-workflow.schema.json",
};
const schemas: Record<SchemaName, JsonSchema> = {
  aegis: JSON.parse(readFileSync(path.join(repoRoot, schemaFiles.aegis), "utf8")),
  agentos: JSON.parse(readFileSync(path.join(repoRoot, schemaFiles.agentos), "utf8")),
};

function newAjv(): Ajv2020 {
  // strictRequired stays off: `if: {condition: custom}, then: {required: [expression]}` names a
  // property defined next to the if/then, not inside it, which strictRequired cannot see.
  const ajv = new Ajv2020({ strict: true, strictRequired: false, allErrors: true });
  addFormats.default(ajv);
  // yaml-language-server shows it instead of the bare regex when a `pattern` fails.
  ajv.addVocabulary(["patternErrorMessage"]);
  return ajv;
}

const ajv = newAjv();
for (const name of Object.keys(schemas) as SchemaName[]) ajv.addSchema(schemas[name], name);

/** The validator of a whole document, or of one `$defs` entry (`aegis#/$defs/state`). */
function validator(name: SchemaName, def?: string): ValidateFunction {
  const v = ajv.getSchema(def ? `${name}#/$defs/${def}` : name);
  if (!v) throw new Error(`no schema ${name} ${def ?? ""}`);
  return v;
}

/**
 * A validator for a fragment of a document or of a `$defs` entry: the same schema without its
 * top-level `required`, so a snippet that shows only some fields (`mode: loop`) is checked
 * field by field (unknown fields, types, enums and nested objects still count).
 */
function partialValidator(name: SchemaName, def?: string): ValidateFunction {
  const root = schemas[name];
  const $defs = root.$defs as Record<string, JsonSchema>;
  const base = def ? $defs[def] : root;
  if (!base) throw new Error(`no $defs/${def} in ${name}`);
  const { required: _required, ...rest } = base;
  return newAjv().compile({ ...rest, $schema: String(root.$schema), $defs });
}

function loadYaml(file: string): unknown {
  return parse(readFileSync(file, "utf8"));
}

function format(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .map((e) => `${e.instancePath || "/"} ${e.keyword}: ${e.message} ${JSON.stringify(e.params)}`)
    .join("\n");
}

function expectValid(v: ValidateFunction, data: unknown): void {
  const ok = v(data);
  expect(ok, format(v.errors)).toBe(true);
}

/** Errors that say what is wrong; `if` errors only repeat that a `then` branch failed. */
function findings(v: ValidateFunction, data: unknown): ErrorObject[] {
  expect(v(data)).toBe(false);
  return (v.errors ?? []).filter((e) => e.keyword !== "if");
}

/** The value at a JSON pointer (`/spec/states/BUILD`; `""` is the whole value). */
function at(value: unknown, pointer: string): unknown {
  let node = value;
  for (const part of pointer.split("/").slice(1)) node = (node as Record<string, unknown>)[part];
  return node;
}

describe("the schemas", () => {
  for (const name of Object.keys(schemas) as SchemaName[]) {
    it(`${schemaFiles[name]} compiles under Ajv 2020 in strict mode`, () => {
      const fresh = newAjv();
      expect(() => fresh.compile(schemas[name])).not.toThrow();
      expect(schemas[name].$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    });

    it(`${schemaFiles[name]} gives every property a title and a description`, () => {
      const missing: string[] = [];
      const visit = (node: unknown, where: string): void => {
        if (Array.isArray(node)) {
          for (const [i, n] of node.entries()) visit(n, `${where}/${i}`);
          return;
        }
        if (!node || typeof node !== "object") return;
        const obj = node as Record<string, unknown>;
        // Inside an if-schema, `properties` select a branch; they are not fields to document.
        for (const [key, child] of Object.entries(obj)) {
          if (key === "if") continue;
          if (key === "properties" && child && typeof child === "object") {
            for (const [prop, sub] of Object.entries(child as Record<string, JsonSchema>)) {
              const documented =
                (typeof sub.title === "string" && typeof sub.description === "string") ||
                // `"x": { "$ref": "#/$defs/x" }`: the title and description live on the target.
                (typeof sub.$ref === "string" &&
                  Object.keys(sub).length === 1 &&
                  resolves(sub.$ref));
              if (!documented) missing.push(`${where}/properties/${prop}`);
              visit(sub, `${where}/properties/${prop}`);
            }
          } else visit(child, `${where}/${key}`);
        }
      };
      const resolves = (ref: string): boolean => {
        const target = at(schemas[name], ref.slice(1)) as JsonSchema | undefined;
        return typeof target?.title === "string" && typeof target.description === "string";
      };
      visit(schemas[name], "#");
      expect(missing).toEqual([]);
    });
  }

  it("lists the state kinds, conditions, strategies and modes of the seed documents", () => {
    expect(at(schemas.aegis, "/$defs/stateKind/enum")).toEqual([
      "Agent",
      "System",
      "Human",
      "ParallelAgents",
      "ContainerRun",
      "ParallelContainerRun",
      "Subworkflow",
    ]);
    expect(at(schemas.aegis, "/$defs/condition/enum")).toEqual([
      "always",
      "on_success",
      "on_failure",
      "exit_code_zero",
      "exit_code_non_zero",
      "exit_code",
      "score_above",
      "score_below",
      "score_between",
      "confidence_above",
      "score_and_confidence",
      "score_and_confidence_above",
      "consensus",
      "all_approved",
      "any_rejected",
      "input_equals",
      "input_equals_yes",
      "input_equals_no",
      "custom",
    ]);
    expect(at(schemas.aegis, "/$defs/consensus/properties/strategy/enum")).toEqual([
      "weighted_average",
      "majority",
      "unanimous",
      "best_of_n",
    ]);
    expect(at(schemas.aegis, "/$defs/subworkflowState/properties/mode/enum")).toEqual([
      "blocking",
      "fire_and_forget",
    ]);
    expect(
      at(schemas.aegis, "/$defs/parallelContainerRunState/properties/completion/enum"),
    ).toEqual(["all_succeed", "any_succeed", "best_effort"]);
    const step = "/$defs/step/properties";
    expect(at(schemas.agentos, `${step}/mode/enum`)).toEqual([
      "sequential",
      "fanout",
      "collect",
      "conditional",
      "loop",
    ]);
    expect(at(schemas.agentos, `${step}/errorMode/enum`)).toEqual(["fail", "retry", "skip"]);
  });
});

/**
 * Every YAML example of seeds 001 (AEGIS "Building Workflows") and 004 (AgentOS "Workflows").
 * A whole document is checked against the schema; a fragment against the `$defs` entry it
 * shows (`pointer` picks it out of the file), `partial` when it shows only some fields.
 */
interface SeedExample {
  file: string;
  schema: SchemaName;
  pointer?: string;
  def?: string;
  partial?: boolean;
  /** Where the example breaks a rule of the orchestrator's, as `path keyword` findings. */
  refused?: string[];
}

const seedExamples: SeedExample[] = [
  {
    file: "seed-001-metadata-description.yaml",
    schema: "aegis",
    pointer: "/metadata",
    def: "metadata",
  },
  {
    file: "seed-001-metadata-input-schema.yaml",
    schema: "aegis",
    pointer: "/metadata",
    def: "metadata",
  },
  { file: "seed-001-dev-pipeline.yaml", schema: "aegis" },
  { file: "seed-001-audit-state.yaml", schema: "aegis", pointer: "/AUDIT", def: "state" },
  // Seed 001's Composing Workflows example writes ContainerRun states without `name`, which
  // the orchestrator requires (StateKindYaml::ContainerRun): the schema says so where.
  {
    file: "seed-001-validation-pipeline.yaml",
    schema: "aegis",
    refused: ["/spec/states/LINT required", "/spec/states/TEST required"],
  },
  {
    file: "seed-001-release-pipeline.yaml",
    schema: "aegis",
    refused: ["/spec/states/DEPLOY required"],
  },
  { file: "seed-001-notify-state.yaml", schema: "aegis", pointer: "/NOTIFY", def: "state" },
  { file: "seed-001-retry-limits-spec.yaml", schema: "aegis", pointer: "/spec", def: "spec" },
  { file: "seed-004-structure.yaml", schema: "agentos" },
  { file: "seed-004-mode-sequential.yaml", schema: "agentos", def: "step", partial: true },
  { file: "seed-004-mode-fanout.yaml", schema: "agentos", def: "step", partial: true },
  { file: "seed-004-mode-collect.yaml", schema: "agentos", def: "step", partial: true },
  { file: "seed-004-mode-conditional.yaml", schema: "agentos", def: "step", partial: true },
  { file: "seed-004-mode-loop.yaml", schema: "agentos", def: "step", partial: true },
  { file: "seed-004-error-handling.yaml", schema: "agentos", partial: true },
  { file: "seed-004-feature-build.yaml", schema: "agentos" },
  { file: "seed-004-mvp-sprint.yaml", schema: "agentos" },
  { file: "seed-004-incident-response.yaml", schema: "agentos" },
  { file: "seed-004-fanout-collect.yaml", schema: "agentos", partial: true },
  { file: "seed-004-conditional-branching.yaml", schema: "agentos", partial: true },
  { file: "seed-004-iterative-refinement.yaml", schema: "agentos", partial: true },
  { file: "seed-004-variable-interpolation.yaml", schema: "agentos", def: "step", partial: true },
  { file: "seed-004-hands.yaml", schema: "agentos", partial: true },
  { file: "seed-004-approval.yaml", schema: "agentos", partial: true },
];

describe("seed examples validate", () => {
  it("every fixtures/seed-*.yaml is in the table above", () => {
    const onDisk = readdirSync(fixtures)
      .filter((f) => f.startsWith("seed-") && f.endsWith(".yaml"))
      .sort();
    expect(seedExamples.map((s) => s.file).sort()).toEqual(onDisk);
  });

  for (const ex of seedExamples) {
    const what = ex.def
      ? `$defs/${ex.def}${ex.partial ? " (partial)" : ""}`
      : ex.partial
        ? "(partial)"
        : "";
    it(`${ex.file} ${what}`.trim(), () => {
      const doc = loadYaml(path.join(fixtures, ex.file));
      const data = ex.pointer ? at(doc, ex.pointer) : doc;
      expect(data).toBeTypeOf("object");
      const v = ex.partial ? partialValidator(ex.schema, ex.def) : validator(ex.schema, ex.def);
      if (!ex.refused) expectValid(v, data);
      else
        expect(findings(v, data).map((e) => `${e.instancePath} ${e.keyword}`)).toEqual(ex.refused);
    });
  }

  it("each yaml-language-server modeline names the schema the file is checked against", () => {
    const files = [
      ...seedExamples.map((s) => [s.file, s.schema] as const),
      ["aegis-all-kinds.yaml", "aegis"] as const,
    ];
    let modelines = 0;
    for (const [file, schema] of files) {
      const text = readFileSync(path.join(fixtures, file), "utf8");
      const m = /^# yaml-language-server: \$schema=(\S+)$/m.exec(text);
      if (!m) continue;
      modelines++;
      expect(path.resolve(fixtures, m[1] as string), file).toBe(
        path.join(repoRoot, schemaFiles[schema]),
      );
    }
    expect(modelines).toBeGreaterThanOrEqual(2);
  });

  it("aegis-all-kinds.yaml (every state kind and condition) validates", () => {
    expectValid(validator("aegis"), loadYaml(path.join(fixtures, "aegis-all-kinds.yaml")));
  });

  it("aegis-orchestrator-fields.yaml (the fields the orchestrator reads beyond its docs) validates", () => {
    expectValid(
      validator("aegis"),
      loadYaml(path.join(fixtures, "aegis-orchestrator-fields.yaml")),
    );
  });
});

// The peers' own files that use those fields (tests/yaml/fixtures/, compiled by
// tests/yaml/peer-fields.test.ts), named after their dialect.
describe("the peers' own files of tests/yaml/fixtures validate", () => {
  const dir = path.join(repoRoot, "tests/yaml/fixtures");
  const files = yamlFiles(dir);
  it("finds them", () => {
    expect(files.map((f) => path.basename(f).split("-")[0])).toEqual(
      expect.arrayContaining(["aegis", "agentos"]),
    );
  });
  for (const file of files) {
    const name: SchemaName = path.basename(file).startsWith("agentos-") ? "agentos" : "aegis";
    it(`${path.basename(file)} against ${schemaFiles[name]}`, () => {
      expectValid(validator(name), loadYaml(file));
    });
  }
});

function yamlFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}

const corpusExists = existsSync(corpusRoot);
const corpus: Record<SchemaName, string[]> = {
  aegis: yamlFiles(path.join(corpusRoot, "aegis-orchestrator")),
  agentos: yamlFiles(path.join(corpusRoot, "agentos")),
};

describe("real files of ../shared/corpus validate", () => {
  it("finds the corpus files (when the corpus folder exists)", () => {
    if (!corpusExists) {
      console.warn(`note: ${corpusRoot} does not exist; no corpus file was validated`);
      return;
    }
    expect(corpus.aegis.length).toBeGreaterThanOrEqual(1);
    expect(corpus.agentos.length).toBeGreaterThanOrEqual(1);
  });

  for (const name of Object.keys(corpus) as SchemaName[]) {
    for (const file of corpus[name]) {
      it(`${path.relative(corpusRoot, file)} against ${schemaFiles[name]}`, () => {
        expectValid(validator(name), loadYaml(file));
      });
    }
  }
});

/**
 * Broken fixtures: each must fail, and every finding must be at `path` with `keyword` (and
 * `params` when given), so an editor underlines the right place and nothing else.
 */
interface Broken {
  file: string;
  path: string;
  keyword: string;
  params?: Record<string, unknown>;
}

const broken: Record<SchemaName, Broken[]> = {
  aegis: [
    {
      file: "aegis-unknown-field.yaml",
      path: "/spec/states/BUILD",
      keyword: "additionalProperties",
      params: { additionalProperty: "retries" },
    },
    { file: "aegis-bad-kind.yaml", path: "/spec/states/BUILD/kind", keyword: "enum" },
    {
      file: "aegis-visits-25.yaml",
      path: "/spec/states/BUILD/max_state_visits",
      keyword: "maximum",
      params: { limit: 20 },
    },
    {
      file: "aegis-missing-target.yaml",
      path: "/spec/states/BUILD/transitions/0",
      keyword: "required",
      params: { missingProperty: "target" },
    },
    {
      file: "aegis-bad-condition.yaml",
      path: "/spec/states/BUILD/transitions/0/condition",
      keyword: "enum",
    },
    {
      file: "aegis-wrong-type.yaml",
      path: "/metadata/version",
      keyword: "type",
      params: { type: "string" },
    },
    {
      file: "aegis-missing-threshold.yaml",
      path: "/spec/states/BUILD/transitions/0",
      keyword: "required",
      params: { missingProperty: "threshold" },
    },
    {
      file: "aegis-too-many-transitions.yaml",
      path: "/spec/max_total_transitions",
      keyword: "maximum",
      params: { limit: 100 },
    },
    { file: "aegis-bad-duration.yaml", path: "/spec/states/BUILD/timeout", keyword: "pattern" },
    {
      file: "aegis-field-of-other-kind.yaml",
      path: "/spec/states/BUILD",
      keyword: "additionalProperties",
      params: { additionalProperty: "image" },
    },
    {
      file: "aegis-exit-code-string.yaml",
      path: "/spec/states/BUILD/transitions/0/value",
      keyword: "type",
      params: { type: "integer" },
    },
    { file: "aegis-env-number.yaml", path: "/spec/states/BUILD/env/PORT", keyword: "type" },
    {
      file: "aegis-bad-pull-policy.yaml",
      path: "/spec/states/BUILD/image_pull_policy",
      keyword: "enum",
    },
    { file: "aegis-judge-agent-twice.yaml", path: "/spec/states/BUILD/judges/0", keyword: "oneOf" },
  ],
  agentos: [
    {
      file: "agentos-unknown-field.yaml",
      path: "/steps/1",
      keyword: "additionalProperties",
      params: { additionalProperty: "timeout" },
    },
    { file: "agentos-bad-mode.yaml", path: "/steps/1/mode", keyword: "enum" },
    {
      file: "agentos-wrong-type.yaml",
      path: "/steps/1/timeoutMs",
      keyword: "type",
      params: { type: "integer" },
    },
    { file: "agentos-bad-error-mode.yaml", path: "/steps/1/errorMode", keyword: "enum" },
    {
      file: "agentos-agents-not-list.yaml",
      path: "/agents",
      keyword: "type",
      params: { type: "array" },
    },
    { file: "agentos-bad-output-var.yaml", path: "/steps/1/outputVar", keyword: "pattern" },
    {
      file: "agentos-missing-function.yaml",
      path: "/steps/1",
      keyword: "required",
      params: { missingProperty: "functionId" },
    },
  ],
};

describe("broken fixtures fail at the expected place", () => {
  it("every fixtures/invalid/*.yaml is in the table below", () => {
    const onDisk = readdirSync(path.join(fixtures, "invalid")).sort();
    expect([...broken.aegis, ...broken.agentos].map((b) => b.file).sort()).toEqual(onDisk);
  });

  for (const name of Object.keys(broken) as SchemaName[]) {
    for (const b of broken[name]) {
      it(`${b.file}: ${b.keyword} at ${b.path}`, () => {
        const errors = findings(validator(name), loadYaml(path.join(fixtures, "invalid", b.file)));
        expect(errors.length, format(errors)).toBeGreaterThanOrEqual(1);
        for (const e of errors) {
          expect({ path: e.instancePath, keyword: e.keyword }, format(errors)).toEqual({
            path: b.path,
            keyword: b.keyword,
          });
          if (b.params) expect(e.params).toMatchObject(b.params);
        }
      });
    }
  }
});

describe("ranges and patterns", () => {
  /**
   * seed-001-release-pipeline.yaml, its DEPLOY given the name the orchestrator requires, with
   * the value at `pointer` replaced (or added).
   */
  const manifest = (...changes: [pointer: string, value: unknown][]): unknown => {
    const doc = loadYaml(path.join(fixtures, "seed-001-release-pipeline.yaml"));
    for (const [pointer, value] of [["/spec/states/DEPLOY/name", "deploy"] as const, ...changes]) {
      const parts = pointer.split("/").slice(1);
      const last = parts.pop() as string;
      (at(doc, parts.map((p) => `/${p}`).join("")) as Record<string, unknown>)[last] = value;
    }
    return doc;
  };
  const v = validator("aegis");
  const visits = "/spec/states/GENERATE_CODE/max_state_visits";
  const timeout = "/spec/states/VALIDATE/timeout";
  const firstRule = "/spec/states/VALIDATE/transitions/0";

  it.each([1, 5, 20])("max_state_visits %i is accepted", (n) => {
    expectValid(v, manifest([visits, n]));
  });
  it.each([0, 21, 2.5])("max_state_visits %d is rejected", (n) => {
    expect(v(manifest([visits, n]))).toBe(false);
  });
  it.each([1, 50, 100])("max_total_transitions %i is accepted", (n) => {
    expectValid(v, manifest(["/spec/max_total_transitions", n]));
  });
  it.each([0, 101])("max_total_transitions %i is rejected", (n) => {
    expect(v(manifest(["/spec/max_total_transitions", n]))).toBe(false);
  });
  it.each(["180s", "10m", "24h", "500ms", "1h30m", "1h 30m", "7d"])(
    "duration %s is accepted",
    (t) => {
      expectValid(v, manifest([timeout, t]));
    },
  );
  it.each(["10", "10 minutes", "1.5h", "s", "-5s", ""])("duration %j is rejected", (t) => {
    expect(v(manifest([timeout, t]))).toBe(false);
  });
  it.each([
    ["score_between", { min: 0.2 }],
    ["exit_code", {}],
    ["input_equals", {}],
    ["custom", {}],
    ["score_and_confidence", { threshold: 0.5 }],
    ["score_above", { threshold: 1.5 }],
  ])("condition %s with %j is rejected", (condition, extra) => {
    expect(v(manifest([firstRule, { condition, target: "DEPLOY", ...extra }]))).toBe(false);
  });
  it.each([
    ["consensus", {}],
    ["consensus", { threshold: 0.8, agreement: 0.7 }],
    ["input_equals", { value: "approve" }],
    ["exit_code", { value: 2 }],
  ])("condition %s with %j is accepted", (condition, extra) => {
    expectValid(v, manifest([firstRule, { condition, target: "DEPLOY", ...extra }]));
  });
  it("labels, annotations, context, storage, resources and input_schema stay open-ended", () => {
    const data = manifest(
      ["/metadata/labels", { anything: "goes", "example.com/owner": "team-a" }],
      ["/metadata/annotations", { note: "free text" }],
      [
        "/metadata/input_schema",
        {
          type: "object",
          properties: { repo: { type: "string", format: "uri", "x-ui": { widget: "url" } } },
          additionalProperties: false,
        },
      ],
      ["/spec/context", { nested: { list: [1, 2] }, flag: true }],
      ["/spec/storage", { workspace: { storage_class: "ephemeral", future_field: 1 }, other: {} }],
      ["/spec/states/DEPLOY/resources", { cpu: 2, memory: "1Gi", gpu: 1 }],
    );
    expectValid(v, data);
  });
  it.each([
    ["score_and_confidence_above", { threshold: 0.8 }],
    ["score_and_confidence_above", { threshold: 0.8, confidence: 0.6 }],
  ])("condition %s with %j is accepted", (condition, extra) => {
    expectValid(v, manifest([firstRule, { condition, target: "DEPLOY", ...extra }]));
  });
  it("condition score_and_confidence_above without a threshold is rejected", () => {
    const errors = findings(
      v,
      manifest([firstRule, { condition: "score_and_confidence_above", target: "DEPLOY" }]),
    );
    expect(errors.map((e) => [e.instancePath, e.keyword, e.params])).toEqual([
      [firstRule, "required", { missingProperty: "threshold" }],
    ]);
  });
  it("consensus agreement is accepted, but not with min_agreement_confidence", () => {
    const consensus = "/spec/states/REVIEW/consensus";
    const parallel = {
      kind: "ParallelAgents",
      agents: [{ agent: "a" }, { agent: "b" }],
      consensus: { strategy: "majority", agreement: 0.7 },
      transitions: [],
    };
    expectValid(v, manifest(["/spec/states/REVIEW", parallel]));
    const both = { ...parallel.consensus, min_agreement_confidence: 0.7 };
    const errors = findings(v, manifest(["/spec/states/REVIEW", { ...parallel, consensus: both }]));
    expect(errors.map((e) => [e.instancePath, e.keyword])).toEqual([[consensus, "not"]]);
  });
  it.each([
    ["registry_credentials", "env:REGISTRY_LOGIN", true],
    ["registry_credentials", "secret:cicd/docker-registry", true],
    ["registry_credentials", "user:password", false],
    ["retry", { max_attempts: 2, backoff: "5s" }, true],
    ["retry", { max_attempts: 2, backoff: "5 seconds" }, false],
    ["retry", { attempts: 2 }, false],
    ["image_pull_policy", "IfNotPresent", true],
  ])("a ContainerRun's %s %j: accepted %s", (field, value, ok) => {
    const state = {
      kind: "ContainerRun",
      name: "package",
      image: "alpine:3",
      command: ["true"],
      [field]: value,
      transitions: [],
    };
    expect(v(manifest(["/spec/states/PACKAGE", state]))).toBe(ok);
  });
  // What the orchestrator's Workflow::new and parser require (aegis: AEG715, AEG719–AEG721).
  it.each([
    [{ name: "package" }, true],
    [{}, false],
    [{ name: " " }, false],
  ])("a ContainerRun with %j: accepted %s", (fields, ok) => {
    const state = { kind: "ContainerRun", image: "alpine:3", ...fields, transitions: [] };
    expect(v(manifest(["/spec/states/PACKAGE", state]))).toBe(ok);
  });
  it.each([
    [{ workflow_id: "child", mode: "blocking", result_key: "out" }, true],
    [{ workflow_id: "child", mode: "fire_and_forget" }, true],
    [{ workflow_id: "child" }, false],
    [{ workflow_id: "child", mode: "blocking" }, false],
    [{ workflow_id: "child", mode: "fire_and_forget", result_key: "out" }, false],
    [{ workflow_id: " ", mode: "fire_and_forget" }, false],
  ])("a Subworkflow with %j: accepted %s", (fields, ok) => {
    const state = { kind: "Subworkflow", ...fields, transitions: [] };
    expect(v(manifest(["/spec/states/PACKAGE", state]))).toBe(ok);
  });
  it("a label value must be a string", () => {
    const errors = findings(v, manifest(["/metadata/labels", { builtin: true }]));
    expect(errors.map((e) => [e.instancePath, e.keyword])).toEqual([
      ["/metadata/labels/builtin", "type"],
    ]);
  });
});

describe("AgentOS steps as AgentOS's engine takes them", () => {
  const step = partialValidator("agentos", "step");
  it.each([
    ["a conditional step without a condition (it always runs)", { mode: "conditional" }],
    ["a loop without maxIterations or until (10 iterations)", { mode: "loop" }],
    ["a condition that is text", { mode: "conditional", condition: "critical" }],
  ])("%s validates", (_what, fields) => {
    expectValid(step, { name: "Step", functionId: "agent::chat", ...fields });
  });
});

describe("grammar/schemas.md", () => {
  it("links only to files that exist", () => {
    const doc = readFileSync(path.join(repoRoot, "grammar/schemas.md"), "utf8");
    const links = [...doc.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)]
      .map((m) => m[1] as string)
      .filter((l) => !/^[a-z]+:/.test(l));
    expect(links.length).toBeGreaterThanOrEqual(3);
    for (const link of links)
      expect(existsSync(path.resolve(repoRoot, "grammar", link)), link).toBe(true);
  });
});
