// The AEGIS orchestrator's own workflow manifests get the orchestrator's verdict. Each
// manifest of its test suites (tests/yaml/fixtures/orchestrator/, see the README there) and
// each of its shipped templates (../shared/corpus/aegis-orchestrator/, read where they are)
// is compiled from disk, and aegis must accept what the orchestrator's tests accept and
// refuse what they refuse, for the same reason (the aegis codes listed), or differ on
// purpose, as docs/diagnostics.md says ("Where aegis differs from the AEGIS orchestrator's
// validator"). Also the orchestrator's tests of workflow names and confidence weights,
// which test values rather than manifests.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { type CompileResult, compileFile } from "../../src/compiler/compile.ts";
import { corpusDir } from "../helpers/corpus.ts";
import { compileYaml, manifest } from "../helpers/yaml.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const fixtures = join(root, "tests/yaml/fixtures/orchestrator");
const docs = readFileSync(join(root, "docs/diagnostics.md"), "utf8");
const readme = readFileSync(join(fixtures, "README.md"), "utf8");

interface Verdict {
  /** What the orchestrator's tests expect: accepted, or the error they expect. */
  orchestrator: "accepted" | { refused: string };
  /** The error-level codes aegis reports (none: accepted). */
  aegis: string[];
  /** Why aegis decides otherwise; the file is named in docs/diagnostics.md. */
  difference?: string;
}

const accepted: Verdict = { orchestrator: "accepted", aegis: [] };

/** The manifests of the orchestrator's test suites, by fixture. */
const suites: Record<string, Verdict> = {
  // orchestrator/core/src/infrastructure/workflow_parser.rs
  "parser-simple-workflow.yaml": accepted,
  "parser-invalid-api-version.yaml": {
    orchestrator: { refused: "InvalidApiVersion" },
    aegis: ["AEG713"],
  },
  "parser-round-trip.yaml": accepted,
  "parser-container-run-state.yaml": accepted,
  "parser-parallel-container-run.yaml": accepted,
  "parser-container-run-round-trip.yaml": accepted,
  "parser-undeclared-mount.yaml": {
    orchestrator: { refused: "UndeclaredVolume" },
    aegis: ["AEG718"],
  },
  "parser-subworkflow-round-trip.yaml": {
    orchestrator: "accepted",
    aegis: ["AEG403"],
    difference: "{{workflow.context.task}} names a context key the manifest does not declare",
  },
  "parser-output-schema-and-template.yaml": accepted,
  "parser-without-output-fields.yaml": accepted,
  "parser-output-round-trip.yaml": accepted,
  // orchestrator/core/src/application/register_workflow.rs
  "register-valid.yaml": accepted,
  "register-no-version.yaml": accepted,
  "register-invalid-yaml.yaml": {
    orchestrator: { refused: "Failed to parse workflow YAML manifest" },
    aegis: ["AEG703"],
  },
  "register-unknown-agent.yaml": {
    orchestrator: { refused: "agent 'nonexistent-agent' not found (not deployed)" },
    aegis: [],
    difference: "agents are given when the workflow runs; aegis has no registry to look in",
  },
  "register-unknown-judge.yaml": {
    orchestrator: { refused: "missing judge agents: nonexistent-agent (not deployed)" },
    aegis: [],
    difference: "judges are agents, given when the workflow runs",
  },
  // orchestrator/core/src/application/tool_invocation_service/tests.rs
  "tool-validate-me.yaml": accepted,
  "tool-cycle-update.yaml": {
    orchestrator: { refused: "Circular reference detected in workflow" },
    // The cycle has no way out (AEG302), so no final state is reachable (AEG206) or there.
    aegis: ["AEG206", "AEG210", "AEG302"],
  },
  "tool-explicit-score-below.yaml": accepted,
  "tool-missing-score-below.yaml": {
    orchestrator: { refused: "has no explicit `score_below` branch" },
    aegis: ["AEG723"],
  },
  "tool-ambiguous-threshold-routing.yaml": {
    orchestrator: {
      refused: "mixes `on_success` with score-based transitions; has no explicit `score_below`",
    },
    aegis: ["AEG723", "AEG724"],
  },
  // orchestrator/core/tests/workflow_domain_tests.rs (Workflows built in Rust, as manifests)
  "domain-container-run-empty-name.yaml": {
    orchestrator: { refused: "ContainerRun.name cannot be empty" },
    aegis: ["AEG715"],
  },
  "domain-container-run-relative-mount.yaml": {
    orchestrator: { refused: "must be an absolute path" },
    aegis: ["AEG716"],
  },
  "domain-container-run-valid-mount.yaml": accepted,
  "domain-parallel-duplicate-step-names.yaml": {
    orchestrator: { refused: "step name 'lint' must be unique" },
    aegis: ["AEG717"],
  },
  "domain-parallel-relative-step-mount.yaml": {
    orchestrator: { refused: "non-absolute mount_path" },
    aegis: ["AEG716"],
  },
  "domain-parallel-undeclared-volume.yaml": {
    orchestrator: { refused: "UndeclaredVolume missing-vol" },
    aegis: ["AEG718"],
  },
  "domain-subworkflow-blocking-no-result-key.yaml": {
    orchestrator: { refused: "blocking mode requires a result_key" },
    aegis: ["AEG721"],
  },
  "domain-subworkflow-fire-and-forget-result-key.yaml": {
    orchestrator: { refused: "fire_and_forget mode must not specify result_key" },
    aegis: ["AEG721"],
  },
  "domain-subworkflow-empty-workflow-id.yaml": {
    orchestrator: { refused: "workflow_id cannot be empty" },
    aegis: ["AEG720"],
  },
  "domain-subworkflow-blocking-with-result-key.yaml": accepted,
  "domain-subworkflow-fire-and-forget.yaml": accepted,
  "domain-volume-undeclared.yaml": {
    orchestrator: { refused: "UndeclaredVolume ghost-vol" },
    aegis: ["AEG718"],
  },
  "domain-volume-declared.yaml": accepted,
  "domain-volume-none-declared.yaml": accepted,
};

/**
 * The templates it ships (cli/templates/workflows/), as the corpus keeps them. Its tests
 * parse all three (all_builtin_workflow_templates_parse_successfully, builtins.rs); deploying
 * them also runs check_for_cycles, which refuses the one that loops.
 */
const templates: Record<string, Verdict> = {
  "builtin-intent-to-execution.yaml": {
    orchestrator: { refused: "Circular reference detected in workflow (when deployed)" },
    aegis: [],
    difference: "bounded cycles: its loops are bounded by max_state_visits (3, 2)",
  },
  "builtin-workflow-generator.yaml": accepted,
  "skill-import.yaml": {
    orchestrator: "accepted",
    aegis: ["AEG601"],
    difference: "its REGISTER command puts an agent's output in a shell command, in single quotes",
  },
};

/** The distinct error codes of a result, sorted. */
function errorCodes(result: CompileResult): string[] {
  const codes = result.diagnostics.filter((d) => d.severity === "error").map((d) => d.code);
  return [...new Set(codes)].sort();
}

function check(file: string, verdict: Verdict): void {
  const result = compileFile(file);
  expect(result.diagnostics.map((d) => d.code)).not.toContain("AEG000");
  expect(errorCodes(result)).toEqual(verdict.aegis);
  expect(result.ok).toBe(verdict.aegis.length === 0);
  // A verdict of its own only where it is on purpose, and documented.
  const agrees = (verdict.orchestrator === "accepted") === (verdict.aegis.length === 0);
  expect(verdict.difference !== undefined, "a difference is declared where they differ").toBe(
    !agrees,
  );
  if (verdict.difference) {
    const name = file.split("/").pop()!;
    expect(docs, `docs/diagnostics.md names ${name}`).toContain(`\`${name}\``);
  }
}

describe("the orchestrator's test-suite manifests get its verdict", () => {
  it("has a verdict for every fixture, and a fixture for every verdict", () => {
    const onDisk = readdirSync(fixtures)
      .filter((f) => f.endsWith(".yaml"))
      .sort();
    expect(onDisk).toEqual(Object.keys(suites).sort());
  });

  it("names the source of every fixture in the README", () => {
    for (const name of Object.keys(suites)) expect(readme).toContain(`\`${name}\``);
    for (const name of Object.keys(templates)) expect(readme).toContain(`\`${name}\``);
  });

  for (const [name, verdict] of Object.entries(suites)) {
    const what = verdict.orchestrator === "accepted" ? "accepted" : "refused";
    it(`${name}: ${what}${verdict.difference ? " by the orchestrator (aegis differs)" : ""}`, () => {
      check(join(fixtures, name), verdict);
    });
  }
});

const corpus = corpusDir && join(corpusDir, "aegis-orchestrator");
describe.runIf(corpus && existsSync(corpus))("the orchestrator's shipped templates", () => {
  it("are the three the corpus holds", () => {
    const onDisk = readdirSync(corpus!).filter((f) => f.endsWith(".yaml"));
    expect(onDisk.sort()).toEqual(Object.keys(templates).sort());
  });

  for (const [name, verdict] of Object.entries(templates)) {
    const what = verdict.aegis.length > 0 ? `refused (${verdict.aegis.join(", ")})` : "accepted";
    it(`${name}: ${what}${verdict.difference ? ", where the orchestrator differs" : ""}`, () => {
      check(join(corpus!, name), verdict);
    });
  }
});

// WorkflowMetadata::validate_name's tests (domain/workflow.rs, workflow_domain_tests.rs).
describe("the orchestrator's workflow-name tests (AEG714)", () => {
  const named = (name: string) =>
    compileYaml(
      manifest("A:\n  kind: Agent\n  agent: bot\n  transitions: []", { name: `"${name}"` }),
    );
  it.each(["my-workflow", "100monkeys-classic", "a", "abc123", "a".repeat(63)])(
    "%s is a name",
    (name) => {
      expect(named(name).diagnostics).toEqual([]);
    },
  );
  it.each(["My-Workflow", "my_workflow", "-invalid", "-bad", "bad-", "", "a".repeat(64)])(
    "%j is not",
    (name) => {
      const codes = named(name).diagnostics.map((d) => `${d.code} ${d.line}:${d.column}`);
      expect(codes).toEqual(["AEG714 4:9"]);
    },
  );
});

// ConfidenceWeighting::validate's tests (workflow_domain_tests.rs).
describe("the orchestrator's confidence-weighting tests (AEG722, AEG104)", () => {
  const weighted = (factors: string) =>
    compileYaml(
      manifest(
        `A:\n  kind: ParallelAgents\n  agents: [a, b]\n  consensus:\n    strategy: weighted_average\n    confidence_weighting: {${factors}}\n  transitions: []`,
      ),
    )
      .diagnostics.filter((d) => d.severity === "error")
      .map((d) => d.code);
  it.each([
    ["", []],
    ["agreement_factor: 0.7, self_confidence_factor: 0.3", []],
    ["agreement_factor: 0.5, self_confidence_factor: 0.5", []],
    ["agreement_factor: 1.0, self_confidence_factor: 0.0", []],
    ["agreement_factor: 0.0, self_confidence_factor: 1.0", []],
    ["agreement_factor: 0.5, self_confidence_factor: 0.3", ["AEG722"]],
    // Summing to 1, but out of range.
    ["agreement_factor: -0.5, self_confidence_factor: 1.5", ["AEG104", "AEG104"]],
    ["agreement_factor: 1.5, self_confidence_factor: -0.5", ["AEG104", "AEG104"]],
    ["agreement_factor: 1.3, self_confidence_factor: -0.3", ["AEG104", "AEG104"]],
  ])("{%s}: %j", (factors, codes) => {
    expect(weighted(factors)).toEqual(codes);
  });
});
