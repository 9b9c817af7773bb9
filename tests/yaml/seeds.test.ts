// The YAML examples of the seed documents (tests/fixtures/yaml/seeds/, the product's spec)
// and the real workflow files of others (../shared/corpus/, read where they are) compile
// from disk with no error; their warnings are listed in inline snapshots so that any change
// shows; and the graphs of a few have the shape the formats promise.

import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { type CompileResult, compileFile } from "../../src/compiler/compile.ts";
import { render } from "../helpers/compile.ts";
import { corpusDir as foundCorpus } from "../helpers/corpus.ts";
import { edges, edgesOf, node, printExpr, states } from "../helpers/yaml.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const seedDir = fileURLToPath(new URL("../fixtures/yaml/seeds/", import.meta.url));
const corpusDir = foundCorpus ?? resolve(root, "../shared/corpus");

const seedFiles = readdirSync(seedDir)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();

/** Every .yaml / .yml file under `dir`, as paths relative to it (empty if dir is missing). */
function yamlFilesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => f.split("\\").join("/"))
    .sort();
}
const corpusFiles = yamlFilesUnder(corpusDir);

const cache = new Map<string, CompileResult>();
function compiled(path: string): CompileResult {
  let result = cache.get(path);
  if (!result) {
    result = compileFile(path);
    cache.set(path, result);
  }
  return result;
}
const seed = (file: string) => compiled(join(seedDir, file));

/** Error-level diagnostics, rendered as in the baselines. */
function errorsOf(result: CompileResult): string[] {
  return render({
    ...result,
    diagnostics: result.diagnostics.filter((d) => d.severity === "error"),
  })
    .trimEnd()
    .split("\n")
    .filter((l) => l !== "(no diagnostics)");
}

/** Warnings and infos of each file, rendered as in the baselines; files with none left out. */
function warningsBy(dir: string, files: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const file of files) {
    const result = compiled(join(dir, file));
    const others = result.diagnostics.filter((d) => d.severity !== "error");
    if (others.length === 0) continue;
    out[file] = render({ ...result, diagnostics: others })
      .trimEnd()
      .split("\n");
  }
  return out;
}

describe("seed examples (tests/fixtures/yaml/seeds)", () => {
  it("holds every YAML example of seeds 001 and 004", () => {
    expect(seedFiles).toEqual([
      "approval-gate.yaml",
      "audit.yaml",
      "conditional-branching.yaml",
      "dev-pipeline.yaml",
      "error-handling.yaml",
      "fanout-collect.yaml",
      "feature-build-short.yaml",
      "feature-build.yaml",
      "hand-run.yaml",
      "incident-response.yaml",
      "iterative-refinement.yaml",
      "mvp-sprint.yaml",
      "my-pipeline.yaml",
      "notification-pipeline.yaml",
      "notify.yaml",
      "release-pipeline.yaml",
      "retry-loop.yaml",
      "validation-pipeline.yaml",
      "variable-interpolation.yaml",
    ]);
  });

  // Seed 004's Deploy to Production step asks for the Docker sandbox for a tool::shell_exec
  // without the command it would run (config.argv): aegis refuses it rather than run it
  // outside the sandbox, as AgentOS's shell_exec fails without one.
  // Seed 004's Fanout-Collect pattern skips the fan-out's errors (errorMode: skip): when the
  // fan-out fails as a whole (its list is not a list, it times out), Aggregate is still
  // called, and synthesizes nothing — AgentOS leaves analysis_results unset, aegis empty.
  // Seed 001's Composing Workflows example writes its ContainerRun states without `name`,
  // which the AEGIS orchestrator requires (StateKindYaml::ContainerRun in workflow_parser.rs:
  // "missing field `name`"): as printed, it would refuse them too (AEG715), and the parent
  // refuses the child it imports.
  const noName = (state: string, at: string) => [
    `${at} error AEG715 ContainerRun state '${state}' has no 'name'`,
    "  hint: add name: LABEL: the AEGIS orchestrator requires it (the container's name in its events and logs)",
  ];
  const refused: Record<string, string[]> = {
    "release-pipeline.yaml": [
      "23:20 error AEG507 imported workflow 'validation-pipeline' has 2 errors: ContainerRun state 'LINT' has no 'name'",
      "  related: validation-pipeline.yaml:25:13 ContainerRun state 'LINT' has no 'name'",
      "  related: validation-pipeline.yaml:38:13 ContainerRun state 'TEST' has no 'name'",
      ...noName("DEPLOY", "47:13"),
    ],
    "validation-pipeline.yaml": [...noName("LINT", "25:13"), ...noName("TEST", "38:13")],
    "approval-gate.yaml": [
      "10:14 error AEG712 'sandbox: docker' needs the command to run in the container, tool::shell_exec's config.argv (AgentOS's shell_exec fails without one too): the step is refused rather than run unsandboxed",
      '  hint: give it, e.g. config: { argv: ["make", "deploy"] }',
    ],
    "fanout-collect.yaml": [
      "16:51 error AEG406 'PARALLEL_ANALYSIS' may have been skipped when 'AGGREGATE' uses it: on the path PARALLEL_ANALYSIS → AGGREGATE, 'PARALLEL_ANALYSIS' fails and `errors skip` goes on without its result",
      "  hint: read it under {{#if PARALLEL_ANALYSIS.results}}…{{/if}}, or take the skipped case first in 'PARALLEL_ANALYSIS' with `on skipped -> …` (a skipped state counts as a success: `on success` is taken too)",
    ],
  };
  for (const file of seedFiles) {
    it(`${file} compiles with ${refused[file] ? "the refusal expected" : "no error"}`, () => {
      const result = seed(file);
      expect(errorsOf(result)).toEqual(refused[file] ?? []);
      expect(result.ok).toBe(!refused[file]);
    });
  }

  it("never reports an internal error, whatever else it reports", () => {
    for (const file of seedFiles)
      expect(
        seed(file).diagnostics.map((d) => d.code),
        file,
      ).not.toContain("AEG000");
  });

  it("reports these warnings and infos", () => {
    expect(warningsBy(seedDir, seedFiles)).toMatchInlineSnapshot(`
      {
        "feature-build-short.yaml": [
          "7:5 warning AEG502 agent 'architect' is declared but no state uses it",
          "8:5 warning AEG502 agent 'coder' is declared but no state uses it",
          "9:5 warning AEG502 agent 'code-reviewer' is declared but no state uses it",
          "13:17 warning AEG711 steps 'Spec', 'Implement' and 'Review' name no agent, and the workflow lists 3: they run an agent called 'chat'",
          "  hint: AgentOS's agent::chat runs the agent its call names (agentId), not one by position: name one of architect, coder, code-reviewer with 'agent:' (or config.agentId), or give 'chat' a provider when the workflow runs (aegis run --agent chat=…)",
        ],
        "feature-build.yaml": [
          "9:5 warning AEG502 agent 'architect' is declared but no state uses it",
          "10:5 warning AEG502 agent 'coder' is declared but no state uses it",
          "11:5 warning AEG502 agent 'code-reviewer' is declared but no state uses it",
          "15:17 warning AEG711 steps 'Spec', 'Implement', 'Review' and 'Merge' name no agent, and the workflow lists 3: they run an agent called 'chat'",
          "  hint: AgentOS's agent::chat runs the agent its call names (agentId), not one by position: name one of architect, coder, code-reviewer with 'agent:' (or config.agentId), or give 'chat' a provider when the workflow runs (aegis run --agent chat=…)",
        ],
        "incident-response.yaml": [
          "9:5 warning AEG502 agent 'ops' is declared but no state uses it",
          "10:5 warning AEG502 agent 'debugger' is declared but no state uses it",
          "11:5 warning AEG502 agent 'security-auditor' is declared but no state uses it",
          "12:5 warning AEG502 agent 'doc-writer' is declared but no state uses it",
          "16:17 warning AEG711 steps 'Triage', 'Investigate', 'Mitigate', 'Security Check' and 'Post-Mortem' name no agent, and the workflow lists 4: they run an agent called 'chat'",
          "  hint: AgentOS's agent::chat runs the agent its call names (agentId), not one by position: name one of ops, debugger, security-auditor, doc-writer with 'agent:' (or config.agentId), or give 'chat' a provider when the workflow runs (aegis run --agent chat=…)",
        ],
        "mvp-sprint.yaml": [
          "9:5 warning AEG502 agent 'trend-researcher' is declared but no state uses it",
          "10:5 warning AEG502 agent 'ux-architect' is declared but no state uses it",
          "11:5 warning AEG502 agent 'rapid-prototyper' is declared but no state uses it",
          "12:5 warning AEG502 agent 'evidence-collector' is declared but no state uses it",
          "13:5 warning AEG502 agent 'devops-lead' is declared but no state uses it",
          "17:17 warning AEG711 steps 'Discovery', 'Design', 'Build', 'Test' and 'Ship' name no agent, and the workflow lists 5: they run an agent called 'chat'",
          "  hint: AgentOS's agent::chat runs the agent its call names (agentId), not one by position: name one of trend-researcher, ux-architect, rapid-prototyper, evidence-collector, devops-lead with 'agent:' (or config.agentId), or give 'chat' a provider when the workflow runs (aegis run --agent chat=…)",
        ],
      }
    `);
  });

  it("reads each file with the dialect it is written in", () => {
    const dialects = Object.fromEntries(seedFiles.map((f) => [f, seed(f).ast.dialect]));
    for (const [file, dialect] of Object.entries(dialects)) {
      const aegis = [
        "audit.yaml",
        "dev-pipeline.yaml",
        "my-pipeline.yaml",
        "notification-pipeline.yaml",
        "notify.yaml",
        "release-pipeline.yaml",
        "retry-loop.yaml",
        "validation-pipeline.yaml",
      ];
      expect(dialect, file).toBe(aegis.includes(file) ? "aegis-manifest" : "agentos");
    }
  });
});

describe("seed graphs", () => {
  it("dev-pipeline: states, transitions with their labels and feedback, AEGIS defaults", () => {
    const r = seed("dev-pipeline.yaml");
    expect(states(r)).toEqual([
      "REQUIREMENTS",
      "APPROVE_REQUIREMENTS",
      "IMPLEMENT",
      "REVIEW",
      "DONE",
      "FAILED",
      "COMPLETED",
    ]);
    expect(edges(r)).toEqual([
      "REQUIREMENTS -> APPROVE_REQUIREMENTS [success]",
      "REQUIREMENTS -> FAILED [failure]",
      "APPROVE_REQUIREMENTS -> IMPLEMENT [approved]",
      "APPROVE_REQUIREMENTS -> FAILED [rejected]",
      "IMPLEMENT -> REVIEW [success]",
      "IMPLEMENT -> FAILED [failure]",
      "REVIEW -> DONE [score >= 0.85]",
      "REVIEW -> FAILED [score < 0.85]",
      // score_above / score_below match no run without a score: the engine would stop
      // there; aegis makes that explicit.
      "REVIEW -> COMPLETED [otherwise]",
    ]);
    const g = r.graph.getAttributes();
    expect(g.name).toBe("dev-pipeline");
    expect(g.version).toBe("1.0.0");
    expect(g.start).toBe("REQUIREMENTS");
    expect(g.labels).toEqual({ category: "development", team: "platform" });
    expect(g.context).toEqual({ language: "python", test_framework: "pytest" });
    // AEGIS defaults: max_total_transitions 50, max_state_visits 5 on every state.
    expect(g.limits.transitions).toBe(50);
    for (const name of states(r).filter((s) => s !== "COMPLETED"))
      expect(node(r, name).visits, name).toBe(5);
    expect(node(r, "REQUIREMENTS").timeoutMs).toBe(180_000);
    expect(node(r, "APPROVE_REQUIREMENTS").timeoutMs).toBe(86_400_000);
    expect(node(r, "APPROVE_REQUIREMENTS").kind).toBe("human");
    expect(node(r, "DONE").final).toBe("success");
    expect(node(r, "FAILED").final).toBe("failure");
    const feedback = [...r.graph.outEdges("REVIEW")]
      .map((e) => r.graph.getEdgeAttributes(e))
      .find((e) => e.label === "score < 0.85")?.feedback?.text;
    expect(feedback).toBe("Review score too low ({{REVIEW.score}}): {{REVIEW.output.reasoning}}");
  });

  it("retry-loop: its own transition limit, visit limits, the feedback edge back", () => {
    const r = seed("retry-loop.yaml");
    expect(r.graph.getAttribute("limits").transitions).toBe(30);
    expect(node(r, "GENERATE").visits).toBe(5);
    expect(node(r, "VALIDATE").visits).toBe(5);
    expect(edges(r)).toEqual([
      "GENERATE -> VALIDATE [always]",
      "VALIDATE -> DONE [score >= 0.85]",
      "VALIDATE -> GENERATE [score < 0.85]",
      "VALIDATE -> COMPLETED [otherwise]",
    ]);
  });

  it("release-pipeline: VALIDATE runs validation-pipeline.yaml from beside it", () => {
    const r = seed("release-pipeline.yaml");
    const imports = r.graph.getAttribute("imports");
    expect(Object.keys(imports)).toEqual(["validation-pipeline"]);
    expect(imports["validation-pipeline"]!.external).toBeUndefined();
    expect(imports["validation-pipeline"]!.workflow).toBe("validation-pipeline");
    expect([...r.imports.keys()]).toEqual(["validation-pipeline"]);
    expect(node(r, "VALIDATE").subworkflow).toEqual({
      workflow: "validation-pipeline",
      mode: "blocking",
      resultKey: "validation_result",
    });
    expect(edgesOf(r, "VALIDATE")).toEqual(["DEPLOY [success]", "FIX_CODE [failure]"]);
  });

  it("notify: a detached subworkflow resolved to notification-pipeline.yaml", () => {
    const r = seed("notify.yaml");
    expect(node(r, "NOTIFY").subworkflow).toEqual({
      workflow: "notification-pipeline",
      mode: "detached",
    });
    expect(r.graph.getAttribute("imports")["notification-pipeline"]?.external).toBeUndefined();
    expect(r.diagnostics.map((d) => d.code)).not.toContain("AEG708");
    expect(edgesOf(r, "NOTIFY")).toEqual(["DONE [success]", "COMPLETED [otherwise]"]);
  });

  it("audit: three weighted judges and the consensus condition", () => {
    const r = seed("audit.yaml");
    const audit = node(r, "AUDIT");
    expect(audit.kind).toBe("parallel");
    expect(audit.judges?.map((j) => [j.agent, j.weight, j.timeoutMs])).toEqual([
      ["security-reviewer", 2, 300_000],
      ["performance-reviewer", 1, 180_000],
      ["style-reviewer", 1, 60_000],
    ]);
    expect(audit.consensus).toEqual({
      strategy: "weighted_average",
      threshold: 0.85,
      agreement: 0.75,
      minJudges: 2,
    });
    expect(edgesOf(r, "AUDIT")).toEqual([
      "DONE [consensus.score >= 0.85 and consensus.agreement >= 0.75]",
      "FAILED [score < 0.85]",
      "COMPLETED [otherwise]",
    ]);
  });

  it("feature-build: a chain of steps, each running agent chat (none names its own), retries and a loop", () => {
    const r = seed("feature-build.yaml");
    expect(edges(r)).toEqual([
      "SPEC -> IMPLEMENT [success]",
      "SPEC -> FAILED [otherwise]",
      "IMPLEMENT -> REVIEW [success]",
      "IMPLEMENT -> FAILED [otherwise]",
      "REVIEW -> MERGE [success]",
      "REVIEW -> FAILED [otherwise]",
      "MERGE -> DONE [success]",
      "MERGE -> FAILED [otherwise]",
    ]);
    // `agents` is a set, not one agent per step: the steps name none, so they run chat.
    expect(["SPEC", "IMPLEMENT", "REVIEW", "MERGE"].map((s) => node(r, s).agent)).toEqual([
      "chat",
      "chat",
      "chat",
      "chat",
    ]);
    expect(r.diagnostics.filter((d) => d.code === "AEG711").map((d) => d.message)).toEqual([
      "steps 'Spec', 'Implement', 'Review' and 'Merge' name no agent, and the workflow lists 3: they run an agent called 'chat'",
    ]);
    expect(node(r, "IMPLEMENT").retry?.max).toBe(2);
    const review = node(r, "REVIEW");
    expect(review.kind).toBe("loop");
    expect(review.loop?.max).toBe(3);
    // AgentOS matches `until` as text, in any case.
    expect(printExpr(review.loop!.until!)).toBe('lower(output) contains "lgtm"');
    expect(r.graph.getAttribute("inputs").map((i) => i.name)).toEqual(["feature_description"]);
    expect(node(r, "IMPLEMENT").prompt?.text).toContain("based on this spec: {{SPEC.output}}.");
  });

  it("incident-response: the conditional step behind a branch state", () => {
    const r = seed("incident-response.yaml");
    expect(edgesOf(r, "MITIGATE")).toEqual(["IF_SECURITY_CHECK [success]", "FAILED [otherwise]"]);
    expect(edgesOf(r, "IF_SECURITY_CHECK")).toEqual([
      'SECURITY_CHECK [TRIAGE.output.severity == "P0"]',
      "POST_MORTEM [otherwise]",
    ]);
    expect(edgesOf(r, "SECURITY_CHECK")).toEqual(["POST_MORTEM [always]"]);
    expect(node(r, "SECURITY_CHECK").errorMode).toBe("skip");
  });

  it("approval-gate: a human gate before the step (refused for its sandbox, but with this shape)", () => {
    const r = seed("approval-gate.yaml");
    expect(r.graph.getAttribute("start")).toBe("APPROVE_DEPLOY_TO_PRODUCTION");
    expect(edges(r)).toEqual([
      "APPROVE_DEPLOY_TO_PRODUCTION -> DEPLOY_TO_PRODUCTION [approved]",
      "APPROVE_DEPLOY_TO_PRODUCTION -> FAILED [rejected]",
      "DEPLOY_TO_PRODUCTION -> DONE [success]",
      "DEPLOY_TO_PRODUCTION -> FAILED [otherwise]",
    ]);
    expect(node(r, "DEPLOY_TO_PRODUCTION").agent).toBe("tool_shell_exec");
    expect(r.graph.getAttribute("agents").tool_shell_exec?.provider).toBe("function");
    expect(node(r, "DEPLOY_TO_PRODUCTION").timeoutMs).toBe(300_000);
  });
});

if (foundCorpus)
  describe("corpus (../shared/corpus: real files by others)", () => {
    it("is there, with files of both systems", () => {
      // Fails loudly rather than skipping when the shared corpus is missing.
      expect(existsSync(corpusDir), `missing ${corpusDir}`).toBe(true);
      expect(corpusFiles.length).toBeGreaterThanOrEqual(6);
      expect(new Set(corpusFiles.map((f) => f.split("/")[0]))).toEqual(
        new Set(["aegis-orchestrator", "agentos"]),
      );
    });

    // True positives: real problems of published files, reported as errors.
    const knownErrors: Record<string, string[]> = {
      // `echo '{{COMPOSE_MANIFEST.output}}' > …`: single quotes do not protect the agent's
      // text (a quote in it ends them), so the agent's output is a shell injection.
      "aegis-orchestrator/skill-import.yaml": [
        "125:25 AEG601 'COMPOSE_MANIFEST.output' comes from an agent, a human or a command's output and is put into a shell command unquoted",
      ],
    };
    for (const file of corpusFiles) {
      it(`${file} compiles with no error but its true positives`, () => {
        const result = compiled(join(corpusDir, file));
        const known = knownErrors[file] ?? [];
        expect(
          result.diagnostics
            .filter((d) => d.severity === "error")
            .map((d) => `${d.line}:${d.column} ${d.code} ${d.message}`),
        ).toEqual(known);
        if (known.length > 0) return;
        expect(errorsOf(result)).toEqual([]);
        expect(result.ok).toBe(true);
        expect(result.ast.dialect).toBe(
          file.startsWith("aegis-orchestrator/") ? "aegis-manifest" : "agentos",
        );
      });
    }

    it("reports these warnings and infos", () => {
      expect(warningsBy(corpusDir, corpusFiles)).toMatchInlineSnapshot(`
        {
          "aegis-orchestrator/skill-import.yaml": [
            "29:30 warning AEG606 'input.skill_url' comes from a caller-supplied input and is put into a shell command unquoted",
            "  hint: write {{quote input.skill_url}}, or pass it in env { VALUE: "{{input.skill_url}}" } and use "$VALUE"",
          ],
          "agentos/feature-build.yaml": [
            "8:5 warning AEG502 agent 'architect' is declared but no state uses it",
            "9:5 warning AEG502 agent 'coder' is declared but no state uses it",
            "10:5 warning AEG502 agent 'code-reviewer' is declared but no state uses it",
            "14:17 warning AEG711 steps 'Spec', 'Implement', 'Review' and 'Merge' name no agent, and the workflow lists 3: they run an agent called 'chat'",
            "  hint: AgentOS's agent::chat runs the agent its call names (agentId), not one by position: name one of architect, coder, code-reviewer with 'agent:' (or config.agentId), or give 'chat' a provider when the workflow runs (aegis run --agent chat=…)",
          ],
          "agentos/incident-response.yaml": [
            "8:5 warning AEG502 agent 'ops' is declared but no state uses it",
            "9:5 warning AEG502 agent 'debugger' is declared but no state uses it",
            "10:5 warning AEG502 agent 'coder' is declared but no state uses it",
            "11:5 warning AEG502 agent 'test-engineer' is declared but no state uses it",
            "15:17 warning AEG711 steps 'Detect', 'Triage', 'Fix' and 'Verify' name no agent, and the workflow lists 4: they run an agent called 'chat'",
            "  hint: AgentOS's agent::chat runs the agent its call names (agentId), not one by position: name one of ops, debugger, coder, test-engineer with 'agent:' (or config.agentId), or give 'chat' a provider when the workflow runs (aegis run --agent chat=…)",
          ],
          "agentos/mvp-sprint.yaml": [
            "8:5 warning AEG502 agent 'trend-researcher' is declared but no state uses it",
            "9:5 warning AEG502 agent 'ux-architect' is declared but no state uses it",
            "10:5 warning AEG502 agent 'rapid-prototyper' is declared but no state uses it",
            "11:5 warning AEG502 agent 'evidence-collector' is declared but no state uses it",
            "12:5 warning AEG502 agent 'devops-lead' is declared but no state uses it",
            "16:17 warning AEG711 steps 'Discovery', 'Design', 'Build', 'Test' and 'Ship' name no agent, and the workflow lists 5: they run an agent called 'chat'",
            "  hint: AgentOS's agent::chat runs the agent its call names (agentId), not one by position: name one of trend-researcher, ux-architect, rapid-prototyper, evidence-collector, devops-lead with 'agent:' (or config.agentId), or give 'chat' a provider when the workflow runs (aegis run --agent chat=…)",
          ],
        }
      `);
    });
  });
