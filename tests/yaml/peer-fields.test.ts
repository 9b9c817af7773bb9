// Fields the systems' own engines accept and their test suites and templates use, read with
// the meaning those engines give them (the sources are named on each test): mapped onto the
// graph where aegis has a counterpart, else accepted with AEG709 (yaml-no-effect, a warning)
// at the field. Then the peers' own files that use them (tests/yaml/fixtures/, each naming
// its origin), compiled from disk.
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { compileFile } from "../../src/compiler/compile.ts";
import { evaluate } from "../../src/runtime/evaluate.ts";
import { positionOf } from "../helpers/compile.ts";
import {
  agentos,
  compileYaml,
  edgesOf,
  errors,
  indent,
  manifest,
  node,
  printExpr,
  shortYaml,
  states,
  yamlFindings,
} from "../helpers/yaml.ts";
import { drive } from "../runtime/core/drive.ts";

/** A manifest whose only state A has these fields (dedented), and no transitions. */
function stateA(body: string): string {
  return manifest(`A:\n${indent(body, 2)}\n  transitions: []`);
}

/** "CODE line:column" of the field `key` (its nth occurrence) in `text`. */
function at(code: string, text: string, key: string, nth = 0): string {
  const found = [...text.matchAll(new RegExp(`(?<=^[ -]*)${key}:`, "gm"))][nth];
  if (found?.index === undefined) throw new Error(`no field ${key} (#${nth}) in the text`);
  const before = text.slice(0, found.index);
  const column = found.index - (before.lastIndexOf("\n") + 1) + 1;
  return `${code} ${before.split("\n").length}:${column}`;
}

/** The message of the only finding with `code`. */
function message(text: string, code: "AEG104" | "AEG709" | "AEG710"): string {
  const found = yamlFindings(text, code);
  expect(found).toHaveLength(1);
  return found[0]!.message;
}

describe("AEGIS Agent states", () => {
  // JudgeConfigYaml (workflow_parser.rs): { agent_id, input_template, weight }, where
  // input_template "overrides the default judge prompt" (domain/workflow.rs).
  it("judges written as {agent_id, input_template, weight} are judges with their prompt", () => {
    const text = stateA(`
      kind: Agent
      agent: coder
      judges:
        - agent_id: security-judge
          input_template: "Look for injection in the answer to {{input.task}}."
          weight: 2
        - agent_id: quality-judge
    `);
    const r = compileYaml(text);
    expect(r.diagnostics).toEqual([]);
    expect(node(r, "A").judges?.map((j) => [j.agent, j.weight, j.prompt?.text])).toEqual([
      ["security-judge", 2, "Look for injection in the answer to {{input.task}}."],
      ["quality-judge", 1, undefined],
    ]);
    expect(Object.keys(r.graph.getAttribute("agents"))).toEqual([
      "coder",
      "security-judge",
      "quality-judge",
    ]);
  });

  it("a judge that gives both agent and agent_id (or input and input_template) is refused", () => {
    const text = stateA(`
      kind: Agent
      agent: coder
      judges:
        - agent: j1
          agent_id: j2
          input: "a"
          input_template: "b"
    `);
    expect(shortYaml(text)).toEqual([
      at("AEG104", text, "agent_id"),
      at("AEG104", text, "input_template"),
    ]);
    expect(yamlFindings(text, "AEG104").map((d) => d.message)).toEqual([
      "'agent' and 'agent_id' are the same field: give one of them",
      "'input' and 'input_template' are the same field: give one of them",
    ]);
    expect(node(compileYaml(text), "A").judges?.[0]).toMatchObject({
      agent: "j1",
      prompt: { text: "a" },
    });
  });

  // IsolationMode (domain/workflow.rs): inherit (the default) | firecracker | docker | process.
  it("isolation: inherit is the default and says nothing; another mode has no effect", () => {
    const quiet = stateA("kind: Agent\nagent: coder\nisolation: inherit");
    expect(compileYaml(quiet).diagnostics).toEqual([]);
    const text = stateA("kind: Agent\nagent: coder\nisolation: docker");
    const r = compileYaml(text);
    expect(shortYaml(text)).toEqual([at("AEG709", text, "isolation")]);
    expect(r.diagnostics[0]!.severity).toBe("warning");
    expect(message(text, "AEG709")).toBe(
      "'isolation' has no effect in aegis: an agent runs however its provider runs it",
    );
    expect(node(r, "A")).toMatchObject({ kind: "agent", agent: "coder" });
  });

  it("isolation: an unknown mode is refused at the value, with a hint", () => {
    const text = stateA("kind: Agent\nagent: coder\nisolation: firecraker");
    const [d] = yamlFindings(text, "AEG104");
    const p = positionOf(text, "firecraker");
    expect([d!.line, d!.column, d!.message, d!.hint]).toEqual([
      p.line,
      p.column,
      "isolation must be one of inherit, firecracker, docker, process",
      "did you mean 'firecracker'?",
    ]);
  });

  // ADR-049: the worker asks this judge about the rendered input before running the agent.
  it("pre_execution_validator has no effect, and is not an agent the run needs", () => {
    const text = stateA("kind: Agent\nagent: coder\npre_execution_validator: plan-judge");
    const r = compileYaml(text);
    expect(shortYaml(text)).toEqual([at("AEG709", text, "pre_execution_validator")]);
    expect(message(text, "AEG709")).toBe(
      "'pre_execution_validator' has no effect in aegis: aegis has no validation of an agent's input before the agent runs; the agent runs",
    );
    expect(Object.keys(r.graph.getAttribute("agents"))).toEqual(["coder"]);
  });

  it("output_handler on an Agent state is checked, then has no effect", () => {
    const text = stateA(`
      kind: Agent
      agent: coder
      output_handler:
        type: agent
        agent_id: notifier
        input_template: "{{output}}"
        required: true
    `);
    const r = compileYaml(text);
    expect(shortYaml(text)).toEqual([at("AEG709", text, "output_handler")]);
    expect(message(text, "AEG709")).toBe(
      "'output_handler' has no effect in aegis: aegis runs output handlers on ContainerRun states only",
    );
    expect(node(r, "A").handler).toBeUndefined();
    const typo = stateA(`
      kind: Agent
      agent: coder
      output_handler:
        type: agent
        agent: notifier
    `);
    expect(shortYaml(typo)).toEqual([
      at("AEG709", typo, "output_handler"),
      at("AEG704", typo, "agent", 1),
    ]);
  });
});

describe("AEGIS ParallelAgents states", () => {
  /** A ParallelAgents state with these consensus lines and extra state lines (unindented). */
  const parallel = (extra: string, consensus = "strategy: weighted_average") =>
    stateA(
      [
        "kind: ParallelAgents",
        "agents:",
        '  - agent: a1\n    input: "look"',
        "  - agent: a2",
        "consensus:",
        indent(consensus, 2),
        extra,
      ].join("\n"),
    );

  // ConsensusConfigYaml: `#[serde(alias = "min_agreement_confidence")] agreement`.
  it("consensus agreement is the agreement the consensus needs", () => {
    const r = compileYaml(parallel("", "strategy: majority\nthreshold: 0.6\nagreement: 0.8"));
    expect(r.diagnostics).toEqual([]);
    expect(node(r, "A").consensus).toEqual({
      strategy: "majority",
      threshold: 0.6,
      agreement: 0.8,
    });
  });

  it("consensus agreement and min_agreement_confidence together are refused", () => {
    const text = parallel("", "strategy: majority\nmin_agreement_confidence: 0.7\nagreement: 0.8");
    expect(shortYaml(text)).toEqual([at("AEG104", text, "agreement")]);
    expect(node(compileYaml(text), "A").consensus?.agreement).toBe(0.7);
  });

  // validation_service.rs compute_best_of_n: the mean of the n best judges; aegis's
  // best_of_n keeps the single best, which is n: 1.
  it("consensus n: 1 with best_of_n is aegis's best_of_n; other n have no effect", () => {
    expect(compileYaml(parallel("", "strategy: best_of_n\nn: 1")).diagnostics).toEqual([]);
    const three = parallel("", "strategy: best_of_n\nn: 3");
    expect(shortYaml(three)).toEqual([at("AEG709", three, "n")]);
    expect(message(three, "AEG709")).toBe(
      "'n' has no effect in aegis: aegis's best_of_n keeps the single best answer (n: 1)",
    );
    expect(node(compileYaml(three), "A").consensus?.strategy).toBe("best_of_n");
    const majority = parallel("", "strategy: majority\nn: 2");
    expect(message(majority, "AEG709")).toBe(
      "'n' has no effect in aegis: only best_of_n reads it, not majority",
    );
    const zero = parallel("", "strategy: best_of_n\nn: 0");
    const value = positionOf(zero, "n: 0");
    expect(shortYaml(zero)).toEqual([`AEG104 ${value.line}:${value.column + 3}`]);
  });

  it("consensus confidence_weighting is checked, then has no effect", () => {
    const text = parallel(
      "",
      "strategy: weighted_average\nconfidence_weighting:\n  agreement_factor: 0.6\n  self_confidence_factor: 0.4",
    );
    expect(shortYaml(text)).toEqual([at("AEG709", text, "confidence_weighting")]);
    expect(message(text, "AEG709")).toBe(
      "'confidence_weighting' has no effect in aegis: aegis's consensus confidence is the judges' agreement times their mean confidence",
    );
    const bad = parallel(
      "",
      "strategy: weighted_average\nconfidence_weighting:\n  agreement_factor: 1.5\n  self_factor: 0.4",
    );
    expect(shortYaml(bad)).toEqual([
      at("AEG709", bad, "confidence_weighting"),
      // 1.5 and the default 0.3 (self_factor is no field) do not sum to 1.
      at("AEG722", bad, "confidence_weighting"),
      `AEG104 ${positionOf(bad, "1.5").line}:${positionOf(bad, "1.5").column}`,
      at("AEG704", bad, "self_factor"),
    ]);
  });

  // ParallelAgentConfigYaml.poll_interval_ms: how often the orchestrator polls a judge.
  it("poll_interval_ms on an agent has no effect", () => {
    const text = stateA(`
      kind: ParallelAgents
      agents:
        - agent: a1
          poll_interval_ms: 250
        - agent: a2
          poll_interval_ms: 250
      consensus:
        strategy: majority
    `);
    const r = compileYaml(text);
    expect(shortYaml(text)).toEqual([
      at("AEG709", text, "poll_interval_ms"),
      at("AEG709", text, "poll_interval_ms", 1),
    ]);
    expect(node(r, "A").judges?.map((j) => j.agent)).toEqual(["a1", "a2"]);
  });

  // judges_for_parallel: judges over the agents' combined output (ADR-016).
  it("judges_for_parallel are checked as judges, then have no effect", () => {
    const text = parallel("judges_for_parallel:\n  - agent_id: referee\n    weight: 2");
    const r = compileYaml(text);
    expect(shortYaml(text)).toEqual([at("AEG709", text, "judges_for_parallel")]);
    expect(message(text, "AEG709")).toBe(
      "'judges_for_parallel' has no effect in aegis: aegis has no second round of judges over the agents' combined output",
    );
    expect(node(r, "A").judges?.map((j) => j.agent)).toEqual(["a1", "a2"]);
    expect(Object.keys(r.graph.getAttribute("agents"))).toEqual(["a1", "a2"]);
    const broken = parallel("judges_for_parallel:\n  - weight: 2");
    expect(shortYaml(broken)).toEqual([
      at("AEG709", broken, "judges_for_parallel"),
      `AEG707 ${positionOf(broken, "weight: 2").line}:${positionOf(broken, "weight: 2").column}`,
    ]);
    expect(compileYaml(parallel("judges_for_parallel: []")).diagnostics).toEqual([]);
  });

  it("output_handler on a ParallelAgents state has no effect", () => {
    const text = parallel("output_handler:\n  type: agent\n  agent_id: notifier");
    expect(shortYaml(text)).toEqual([at("AEG709", text, "output_handler")]);
  });
});

describe("AEGIS ContainerRun states", () => {
  /** A ContainerRun state with extra state lines (unindented). */
  const container = (extra: string, command = '["cargo", "build", "--release"]') =>
    stateA(
      [
        "kind: ContainerRun",
        "name: build",
        'image: "rust:1.75"',
        `command: ${command}`,
        extra,
      ].join("\n"),
    );

  // The worker sends max_attempts as the number of attempts in all (`?? 1`), and
  // RunContainerStepUseCase makes that many (0 and 1: one): aegis counts the ones after.
  it.each([
    ["max_attempts: 3\n  backoff: 5s", { max: 2, backoffMs: 5000 }],
    ["max_attempts: 2", { max: 1, backoffMs: 1000 }],
    ['max_attempts: 4\n  backoff: "1m"', { max: 3, backoffMs: 60_000 }],
  ])("retry {%s} is the state's retry policy", (retry, expected) => {
    const r = compileYaml(container(`retry:\n  ${retry}`));
    expect(r.diagnostics).toEqual([]);
    expect(node(r, "A").retry).toEqual(expected);
  });

  it.each(["max_attempts: 1", "max_attempts: 0", "backoff: 5s"])(
    "retry {%s} is one attempt: no retry",
    (retry) => {
      const r = compileYaml(container(`retry:\n  ${retry}`));
      expect(r.diagnostics).toEqual([]);
      expect(node(r, "A").retry).toBeUndefined();
    },
  );

  it("retry: wrong values and unknown fields are reported", () => {
    const text = container("retry:\n  max_attempts: -1\n  backof: 5s");
    expect(shortYaml(text).map((s) => s.split(" ")[0])).toEqual(["AEG705", "AEG704"]);
    const duration = container("retry:\n  max_attempts: 2\n  backoff: soon");
    expect(shortYaml(duration).map((s) => s.split(" ")[0])).toEqual(["AEG705"]);
  });

  // ImagePullPolicy (shared_kernel.rs): Always | IfNotPresent (the default) | Never.
  it("image_pull_policy: IfNotPresent is what aegis does; Always and Never have no effect", () => {
    expect(compileYaml(container("image_pull_policy: IfNotPresent")).diagnostics).toEqual([]);
    for (const policy of ["Always", "Never"]) {
      const text = container(`image_pull_policy: ${policy}`);
      expect(shortYaml(text)).toEqual([at("AEG709", text, "image_pull_policy")]);
      expect(message(text, "AEG709")).toBe(
        "'image_pull_policy' has no effect in aegis: aegis's container runtime pulls an image only when it is missing (IfNotPresent)",
      );
    }
    const bad = container("image_pull_policy: always");
    const [d] = yamlFindings(bad, "AEG104");
    expect([d!.message, d!.hint]).toEqual([
      "image_pull_policy must be one of Always, IfNotPresent, Never",
      "did you mean 'Always'?",
    ]);
  });

  it("registry_credentials has no effect", () => {
    const text = container('registry_credentials: "secret:cicd/docker-registry"');
    expect(shortYaml(text)).toEqual([at("AEG709", text, "registry_credentials")]);
    expect(message(text, "AEG709")).toBe(
      "'registry_credentials' has no effect in aegis: aegis pulls images with the container runtime's own login (docker login)",
    );
  });

  // RunContainerStepUseCase: `shell` joins the command's words with spaces and runs `sh -c`.
  it("shell: true makes the command's words one command line; false keeps them", () => {
    const joined = compileYaml(container("shell: true"));
    expect(joined.diagnostics).toEqual([]);
    expect(node(joined, "A").command).toMatchObject({ shell: { text: "cargo build --release" } });
    const argv = compileYaml(container("shell: false"));
    expect(node(argv, "A").command).toMatchObject({
      argv: [{ text: "cargo" }, { text: "build" }, { text: "--release" }],
    });
  });

  it("shell: true keeps each word pointing at its text in the file", () => {
    const text = container("shell: true", '["echo", "{{input.name}}"]');
    const [d] = yamlFindings(text, "AEG606");
    const p = positionOf(text, "input.name");
    expect([d!.line, d!.column]).toEqual([p.line, p.column]);
  });
});

describe("AEGIS ParallelContainerRun steps", () => {
  /** A ParallelContainerRun state with one step, and extra step lines (unindented). */
  const steps = (extra: string) =>
    stateA(
      [
        "kind: ParallelContainerRun",
        "completion: all_succeed",
        "steps:",
        "  - name: unit",
        '    image: "rust:1.75"',
        '    command: ["cargo", "test", "--lib"]',
        indent(extra, 4),
      ].join("\n"),
    );

  it("shell: true makes the step's command one command line", () => {
    const r = compileYaml(steps("shell: true"));
    expect(r.diagnostics).toEqual([]);
    expect(node(r, "A").containers?.[0]?.command).toMatchObject({
      shell: { text: "cargo test --lib" },
    });
    const argv = compileYaml(steps("shell: false"));
    expect(argv.diagnostics).toEqual([]);
    expect(node(argv, "A").containers?.[0]?.command).toMatchObject({
      argv: [{ text: "cargo" }, { text: "test" }, { text: "--lib" }],
    });
    expect(shortYaml(steps('shell: "yes"')).map((s) => s.split(" ")[0])).toEqual(["AEG705"]);
  });

  it("registry_credentials and resources of a step have no effect", () => {
    const text = steps('registry_credentials: "env:REGISTRY"\nresources:\n  cpu: 1000');
    expect(shortYaml(text)).toEqual([
      at("AEG709", text, "registry_credentials"),
      at("AEG709", text, "resources"),
    ]);
  });
});

describe("AEGIS transition conditions", () => {
  // The worker: `score > threshold && confidence > threshold` (aegis-workflow.ts).
  it("score_and_confidence_above with one threshold: score and confidence both above it", () => {
    const text = manifest(`
      A:
        kind: Agent
        agent: bot
        transitions:
          - condition: score_and_confidence_above
            threshold: 0.8
            target: DONE
          - condition: always
            target: DONE
      DONE:
        kind: System
        command: "echo done"
        transitions: []
    `);
    const r = compileYaml(text);
    // No score_below: the orchestrator's workflow generator refuses it, and so does aegis.
    expect(r.diagnostics.map((d) => d.code)).toEqual(["AEG723"]);
    expect(edgesOf(r, "A")).toEqual(["DONE [score > 0.8 and confidence > 0.8]", "DONE [always]"]);
  });
});

describe("AgentOS conditions and loops, as AgentOS's engine runs them", () => {
  const inputs = (r: ReturnType<typeof compileYaml>) =>
    r.graph.getAttribute("inputs").map((i) => i.name);

  // workers/workflow/src/main.rs, StepMode::Conditional: the step runs when the previous
  // output, lower-cased, contains the condition, lower-cased; else it is skipped.
  it("a condition over no names is text the previous output contains, in any case", () => {
    const r = compileYaml(
      agentos(`
        - name: Check
        - name: Fix
          mode: conditional
          condition: "CRITICAL"
      `),
    );
    expect(r.diagnostics).toEqual([]);
    expect(edgesOf(r, "IF_FIX")).toEqual([
      'FIX [lower(CHECK.output) contains "critical"]',
      "DONE [otherwise]",
    ]);
    expect(inputs(r)).toEqual([]);
  });

  it("an expression over names the workflow lacks is text too, said once (AEG710, info)", () => {
    const text = agentos(`
      - name: Triage
        outputVar: triage
      - name: Page
        mode: conditional
        condition: "{{triage.severity}} == P0"
    `);
    const r = compileYaml(text);
    expect(errors(r)).toEqual([]);
    const [d] = yamlFindings(text, "AEG710");
    const p = positionOf(text, '"{{triage');
    expect([d!.severity, d!.line, d!.column, d!.message, d!.hint]).toEqual([
      "info",
      p.line,
      p.column,
      `condition "{{triage.severity}} == P0" is read as AgentOS reads it, as text the previous output contains: 'P0' is not a name of this workflow`,
      "to compare with a text, quote it: {{x.status}} == 'done'",
    ]);
    expect(edgesOf(r, "IF_PAGE")[0]).toBe(
      'PAGE [lower(TRIAGE.output) contains "{{triage.severity}} == p0"]',
    );
    // Over the names it has, it stays an expression.
    const quoted = compileYaml(text.replace("== P0", "== 'P0'"));
    expect(quoted.diagnostics).toEqual([]);
    expect(edgesOf(quoted, "IF_PAGE")[0]).toBe('PAGE [TRIAGE.output.severity == "P0"]');
  });

  it("the text match reads the output the engine would: past skipped steps and fan-outs", () => {
    const r = compileYaml(
      agentos(`
        - name: Scan
        - name: Notes
          mode: fanout
        - name: Urgent
          mode: conditional
          condition: urgent
        - name: Optional
          errorMode: skip
        - name: Page
          mode: conditional
          condition: critical
      `),
    );
    expect(r.diagnostics).toEqual([]);
    expect(edgesOf(r, "IF_URGENT")[0]).toBe('URGENT [lower(SCAN.output) contains "urgent"]');
    expect(edgesOf(r, "IF_PAGE")[0]).toBe(
      "PAGE [" +
        'blackboard.OPTIONAL.status == "succeeded" and lower(blackboard.OPTIONAL.output) contains "critical" or ' +
        'not blackboard.OPTIONAL.status == "succeeded" and ' +
        '(blackboard.URGENT.status == "succeeded" and lower(blackboard.URGENT.output) contains "critical" or ' +
        'not blackboard.URGENT.status == "succeeded" and lower(SCAN.output) contains "critical")]',
    );
  });

  it("runs that way: a skipped step leaves the output before it to match", () => {
    const source = compileYaml(
      agentos(`
        - name: Check
        - name: Fix
          mode: conditional
          condition: urgent
        - name: Page
          mode: conditional
          condition: critical
      `),
    ).graph;
    const ran = (check: string, fix = "fixed") =>
      drive(source, { results: { CHECK: { output: check }, FIX: { output: fix }, PAGE: {} } }).path;
    // Check says both: Fix runs, and Page reads Fix's output, which does not say critical.
    expect(ran("URGENT and Critical")).toEqual(["CHECK", "IF_FIX", "FIX", "IF_PAGE", "DONE"]);
    expect(ran("urgent", "still CRITICAL")).toEqual([
      "CHECK",
      "IF_FIX",
      "FIX",
      "IF_PAGE",
      "PAGE",
      "DONE",
    ]);
    // Fix is skipped: Page reads Check's output.
    expect(ran("critical")).toEqual(["CHECK", "IF_FIX", "IF_PAGE", "PAGE", "DONE"]);
    expect(ran("all fine")).toEqual(["CHECK", "IF_FIX", "IF_PAGE", "DONE"]);
  });

  it("runs that way: a step whose failure is skipped leaves the output before it to match", () => {
    const source = compileYaml(
      agentos(`
        - name: Check
        - name: Optional
          errorMode: skip
        - name: Page
          mode: conditional
          condition: critical
      `),
    ).graph;
    const ran = (optional: { status?: "failed"; output: string }) =>
      drive(source, { results: { CHECK: { output: "Critical" }, OPTIONAL: optional, PAGE: {} } })
        .path;
    expect(ran({ status: "failed", output: "" })).toEqual([
      "CHECK",
      "OPTIONAL",
      "IF_PAGE",
      "PAGE",
      "DONE",
    ]);
    expect(ran({ output: "nothing to report" })).toEqual(["CHECK", "OPTIONAL", "IF_PAGE", "DONE"]);
  });

  it("a text condition before any step has run has no effect: the step runs (AEG709)", () => {
    const text = agentos(`
      - name: Fix
        mode: conditional
        condition: urgent
    `);
    const r = compileYaml(text);
    const p = positionOf(text, "urgent");
    expect(shortYaml(text)).toEqual([`AEG709 ${p.line}:${p.column}`]);
    expect(message(text, "AEG709")).toBe(
      "'condition' has no effect before any other step has run: AgentOS then matches it against the run's input, which aegis keeps as named values rather than one text; the step runs",
    );
    expect(r.graph.getAttribute("start")).toBe("FIX");
    expect(states(r)).not.toContain("IF_FIX");
  });

  // StepMode::Loop: `until`, lower-cased, in the iteration's output, lower-cased, ends it.
  it("until is text the loop's output contains, in any case", () => {
    const r = compileYaml(
      agentos(`
        - name: Review
          mode: loop
          maxIterations: 3
          until: "LGTM"
      `),
    );
    expect(r.diagnostics).toEqual([]);
    const until = node(r, "REVIEW").loop!.until!;
    const holds = (output: unknown) => evaluate(until, {}, { output });
    expect(holds("Looks good: lgtm.")).toBe(true);
    expect(holds("LGTM")).toBe(true);
    expect(holds("needs work")).toBe(false);
  });

  it("an until over names the loop lacks is text, said once (AEG710)", () => {
    const text = agentos(`
      - name: Review
        mode: loop
        maxIterations: 3
        until: "status == DONE"
    `);
    const r = compileYaml(text);
    expect(shortYaml(text)).toEqual(["AEG710 8:12"]);
    expect(printExpr(node(r, "REVIEW").loop!.until!)).toBe(
      'lower(output) contains "status == done"',
    );
  });

  it("a {{reference}} in an until is never taken for a field of the output", () => {
    const r = compileYaml(
      agentos(`
        - name: Goal
          outputVar: target
        - name: Refine
          mode: loop
          maxIterations: 3
          until: "output contains {{target.word}}"
      `),
    );
    expect(r.diagnostics).toEqual([]);
    expect(printExpr(node(r, "REFINE").loop!.until!)).toBe("output contains GOAL.output.word");
  });
});

describe("the peers' own files", () => {
  const fixtures = fileURLToPath(new URL("./fixtures/", import.meta.url));
  const compiled = (file: string) => {
    const r = compileFile(join(fixtures, file));
    expect(errors(r)).toEqual([]);
    return r;
  };

  it("aegis-orchestrator ci-build: ContainerRun retry and shell", () => {
    const r = compiled("aegis-orchestrator-ci-build.yaml");
    expect(r.diagnostics).toEqual([]);
    const build = node(r, "build");
    expect(build.retry).toEqual({ max: 1, backoffMs: 5000 });
    expect(build.command).toMatchObject({
      argv: [{ text: "cargo" }, { text: "build" }, { text: "--release" }],
    });
  });

  it("aegis-orchestrator parallel-tests: steps with shell", () => {
    const r = compiled("aegis-orchestrator-parallel-tests.yaml");
    expect(r.diagnostics).toEqual([]);
    expect(node(r, "test").containers?.map((c) => c.name)).toEqual([
      "unit-tests",
      "integration-tests",
    ]);
  });

  it("aegis-orchestrator unknown-judge: a judge written {agent_id}", () => {
    const r = compiled("aegis-orchestrator-unknown-judge.yaml");
    expect(r.diagnostics).toEqual([]);
    expect(node(r, "step1").judges?.map((j) => j.agent)).toEqual(["nonexistent-agent"]);
  });

  it("aegis-orchestrator thresholded validator: score_and_confidence_above, one threshold", () => {
    const r = compiled("aegis-orchestrator-thresholded-validator.yaml");
    expect(r.diagnostics).toEqual([]);
    expect(edgesOf(r, "VALIDATE")).toEqual([
      "SUCCESS [score > 0.8 and confidence > 0.8]",
      "PARTIAL_PASS [score >= 0.6]",
      "VALIDATION_FAILED [score < 0.6]",
      "VALIDATION_ERROR [failure]",
      "COMPLETED [otherwise]",
    ]);
  });

  it("agentos crew-blog-writer: a loop until LGTM, in any case", () => {
    const r = compiled("agentos-crew-blog-writer.yaml");
    // Its steps name no agent ("writer revises" is the last step, not the last agent): it
    // says so, and that the agents it lists are used by none.
    expect(r.diagnostics.map((d) => d.code)).toEqual(["AEG502", "AEG502", "AEG502", "AEG711"]);
    const edit = node(r, "EDIT");
    expect(edit.loop?.max).toBe(2);
    expect(printExpr(edit.loop!.until!)).toBe('lower(output) contains "lgtm"');
  });
});
