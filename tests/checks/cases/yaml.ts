// Trigger cases for the YAML front ends' codes (AEG701–AEG724). Each compiles as
// /virtual/test.yaml (so the YAML front end reads it); imports are read from an in-memory
// file system.
import { compile } from "../../../src/compiler/compile.ts";
import { memoryFiles } from "../../helpers/compile.ts";
import type { TriggerCase } from "../../helpers/triggers.ts";
import { agentos, indent, manifest, YAML_FILE } from "../../helpers/yaml.ts";

function yaml(files: Record<string, string> = {}): (input: string) => ReturnType<typeof compile> {
  return (input) => compile(input, { filename: YAML_FILE, readFile: memoryFiles(files).readFile });
}

/** A subworkflow state calling `id`, then DONE / FAILED. */
function calls(id: string): string {
  return manifest(`
    A:
      kind: Subworkflow
      workflow_id: ${id}
      mode: fire_and_forget
      transitions:
        - condition: on_success
          target: DONE
        - condition: on_failure
          target: FAILED
    DONE:
      kind: System
      command: "echo done"
      transitions: []
    FAILED:
      kind: System
      command: "echo failed"
      transitions: []
  `);
}

/** A state A with these fields (at column 7 from line 9), then DONE and FAILED. */
function stateA(fields: string, spec?: string): string {
  const finals = [
    "DONE:",
    "  kind: System",
    '  command: "echo done"',
    "  transitions: []",
    "FAILED:",
    "  kind: System",
    '  command: "echo failed"',
    "  transitions: []",
  ];
  return manifest(`A:\n${indent(fields, 2)}\n${finals.join("\n")}\n`, spec ? { spec } : {});
}

/** A valid child workflow, as /virtual/child.yaml. */
const childFile = `
  apiVersion: 100monkeys.ai/v1
  kind: Workflow
  metadata:
    name: child
  spec:
    initial_state: WORK
    states:
      WORK:
        kind: System
        command: "echo child"
        transitions: []
`;

/** An agent state with a context holding a list nested `depth` levels deep. */
function nested(depth: number): string {
  return manifest(
    `
      A:
        kind: Agent
        agent: bot
        transitions: []
    `,
    { spec: `context:\n  deep: ${"[".repeat(depth)}1${"]".repeat(depth)}` },
  );
}

export const yamlCases: TriggerCase[] = [
  {
    code: "AEG701",
    title: "a plain scalar starting with a reserved character",
    trigger: agentos(`
      - name: Draft
        promptTemplate: @{{topic}} first
    `),
    at: "6:21",
    clean: agentos(`
      - name: Draft
        promptTemplate: "@{{topic}} first"
    `),
    compileWith: yaml(),
  },
  {
    code: "AEG702",
    title: "a step with two names",
    trigger: agentos(`
      - name: Draft
        name: Review
    `),
    at: "6:5",
    clean: agentos(`
      - name: Draft
    `),
    compileWith: yaml(),
  },
  {
    code: "AEG703",
    title: "`step:` for `steps:`: neither dialect",
    trigger: "id: test\nstep:\n  - name: Draft\n",
    at: "1:1",
    clean: "id: test\nsteps:\n  - name: Draft\n",
    compileWith: yaml(),
  },
  {
    code: "AEG704",
    title: "a misspelled step field",
    trigger: agentos(`
      - name: Draft
        promtTemplate: "Write it"
    `),
    at: "6:5",
    clean: agentos(`
      - name: Draft
        promptTemplate: "Write it"
    `),
    compileWith: yaml(),
  },
  {
    code: "AEG705",
    title: "timeoutMs written as a duration string",
    trigger: agentos(`
      - name: Draft
        timeoutMs: "5s"
    `),
    at: "6:16",
    clean: agentos(`
      - name: Draft
        timeoutMs: 5000
    `),
    compileWith: yaml(),
  },
  {
    code: "AEG706",
    title: "a context value nested 70 levels deep",
    trigger: nested(70),
    at: "13:72",
    clean: nested(3),
    compileWith: yaml(),
  },
  {
    code: "AEG707",
    title: "a transition without its target",
    trigger: manifest(`
      A:
        kind: Agent
        agent: bot
        transitions:
          - condition: on_success
      DONE:
        kind: System
        command: "echo done"
        transitions: []
    `),
    at: "12:11",
    also: ["AEG205 13:5"],
    clean: manifest(`
      A:
        kind: Agent
        agent: bot
        transitions:
          - condition: on_success
            target: DONE
      DONE:
        kind: System
        command: "echo done"
        transitions: []
    `),
    compileWith: yaml(),
  },
  {
    code: "AEG708",
    title: "a workflow_id that is no file beside the manifest (a misspelling)",
    trigger: calls("chlid"),
    at: "10:20",
    clean: calls("child"),
    compileWith: yaml({ "/virtual/child.yaml": childFile }),
  },
  {
    code: "AEG709",
    title: "an agent state's isolation, which aegis leaves to the provider",
    trigger: manifest(`
      A:
        kind: Agent
        agent: bot
        isolation: docker
        transitions: []
    `),
    at: "11:7",
    clean: manifest(`
      A:
        kind: Agent
        agent: bot
        isolation: inherit
        transitions: []
    `),
    compileWith: yaml(),
  },
  {
    code: "AEG710",
    title: "an AgentOS condition comparing with an unquoted word",
    trigger: agentos(`
      - name: Triage
        outputVar: triage
      - name: Page
        mode: conditional
        condition: "{{triage.severity}} == P0"
    `),
    at: "9:16",
    clean: agentos(`
      - name: Triage
        outputVar: triage
      - name: Page
        mode: conditional
        condition: "{{triage.severity}} == 'P0'"
    `),
    compileWith: yaml(),
  },
  {
    code: "AEG711",
    title: "an agent::chat step that names none of the agents the workflow lists",
    trigger: agentos(
      `
      - name: Spec
        functionId: "agent::chat"
      - name: Build
        functionId: "agent::chat"
        agent: coder
    `,
      { agents: ["architect", "coder"] },
    ),
    at: "6:17",
    // architect is listed and no step names it
    also: ["AEG502 3:10"],
    clean: agentos(
      `
      - name: Spec
        functionId: "agent::chat"
        agent: architect
      - name: Build
        functionId: "agent::chat"
        agent: coder
    `,
      { agents: ["architect", "coder"] },
    ),
    compileWith: yaml(),
  },
  {
    code: "AEG712",
    title: "a sandbox aegis has not got (wasm)",
    trigger: agentos(
      `
      - name: Build
        functionId: "tool::shell_exec"
        sandbox: wasm
        config: { argv: ["make"] }
    `,
      { agents: false },
    ),
    at: "7:14",
    clean: agentos(
      `
      - name: Build
        functionId: "tool::shell_exec"
        sandbox: docker
        config: { argv: ["make"] }
    `,
      { agents: false },
    ),
    compileWith: yaml(),
  },

  // --- AEGIS manifests: what the AEGIS orchestrator's validator refuses
  {
    code: "AEG713",
    title: "an apiVersion other than 100monkeys.ai/v1 (a v2 that does not exist)",
    trigger: manifest("A:\n  kind: Agent\n  agent: bot\n  transitions: []").replace(
      "100monkeys.ai/v1",
      "100monkeys.ai/v2",
    ),
    at: "1:13",
    clean: manifest("A:\n  kind: Agent\n  agent: bot\n  transitions: []"),
    compileWith: yaml(),
  },
  {
    code: "AEG714",
    title: "a workflow name with an underscore: not a DNS label",
    trigger: manifest("A:\n  kind: Agent\n  agent: bot\n  transitions: []", {
      name: "release_train",
    }),
    at: "4:9",
    clean: manifest("A:\n  kind: Agent\n  agent: bot\n  transitions: []", {
      name: "release-train",
    }),
    compileWith: yaml(),
  },
  {
    code: "AEG714",
    title: "a workflow name that ends with a hyphen",
    trigger: manifest("A:\n  kind: Agent\n  agent: bot\n  transitions: []", { name: "nightly-" }),
    at: "4:9",
    clean: manifest("A:\n  kind: Agent\n  agent: bot\n  transitions: []", { name: "nightly-2" }),
    compileWith: yaml(),
  },
  {
    code: "AEG715",
    title: "a ContainerRun without name",
    trigger: stateA(`
      kind: ContainerRun
      image: "alpine:3"
      command: ["make"]
      transitions:
        - condition: exit_code_zero
          target: DONE
        - condition: exit_code_non_zero
          target: FAILED
    `),
    at: "9:13",
    clean: stateA(`
      kind: ContainerRun
      name: build
      image: "alpine:3"
      command: ["make"]
      transitions:
        - condition: exit_code_zero
          target: DONE
        - condition: exit_code_non_zero
          target: FAILED
    `),
    compileWith: yaml(),
  },
  {
    code: "AEG715",
    title: "a ParallelContainerRun step whose name is blank",
    trigger: stateA(`
      kind: ParallelContainerRun
      completion: all_succeed
      steps:
        - name: " "
          image: "alpine:3"
          command: ["make", "lint"]
      transitions:
        - condition: on_success
          target: DONE
        - condition: on_failure
          target: FAILED
    `),
    at: "12:17",
    clean: stateA(`
      kind: ParallelContainerRun
      completion: all_succeed
      steps:
        - name: "lint"
          image: "alpine:3"
          command: ["make", "lint"]
      transitions:
        - condition: on_success
          target: DONE
        - condition: on_failure
          target: FAILED
    `),
    compileWith: yaml(),
  },
  {
    code: "AEG716",
    title: "a volume mounted at a relative path",
    trigger: stateA(`
      kind: ContainerRun
      name: build
      image: "alpine:3"
      command: ["make"]
      volumes:
        - name: workspace
          mount_path: workspace
      transitions:
        - condition: exit_code_zero
          target: DONE
        - condition: exit_code_non_zero
          target: FAILED
    `),
    at: "15:23",
    clean: stateA(`
      kind: ContainerRun
      name: build
      image: "alpine:3"
      command: ["make"]
      volumes:
        - name: workspace
          mount_path: /workspace
      transitions:
        - condition: exit_code_zero
          target: DONE
        - condition: exit_code_non_zero
          target: FAILED
    `),
    compileWith: yaml(),
  },
  {
    code: "AEG717",
    title: "two steps of one ParallelContainerRun named alike",
    trigger: stateA(`
      kind: ParallelContainerRun
      completion: all_succeed
      steps:
        - name: lint
          image: "rust:1.75"
          command: ["cargo", "clippy"]
        - name: lint
          image: "rust:1.75"
          command: ["cargo", "fmt", "--check"]
      transitions:
        - condition: on_success
          target: DONE
        - condition: on_failure
          target: FAILED
    `),
    at: "15:17",
    clean: stateA(`
      kind: ParallelContainerRun
      completion: all_succeed
      steps:
        - name: lint
          image: "rust:1.75"
          command: ["cargo", "clippy"]
        - name: format
          image: "rust:1.75"
          command: ["cargo", "fmt", "--check"]
      transitions:
        - condition: on_success
          target: DONE
        - condition: on_failure
          target: FAILED
    `),
    compileWith: yaml(),
  },
  {
    code: "AEG718",
    title: "a mount of a volume spec.storage.shared_volumes does not declare",
    trigger: stateA(
      `
      kind: ContainerRun
      name: build
      image: "alpine:3"
      command: ["make"]
      volumes:
        - name: cache
          mount_path: /cache
      transitions:
        - condition: exit_code_zero
          target: DONE
        - condition: exit_code_non_zero
          target: FAILED
    `,
      "storage:\n  shared_volumes:\n    - name: cargo-cache",
    ),
    at: "14:17",
    clean: stateA(
      `
      kind: ContainerRun
      name: build
      image: "alpine:3"
      command: ["make"]
      volumes:
        - name: cargo-cache
          mount_path: /cache
      transitions:
        - condition: exit_code_zero
          target: DONE
        - condition: exit_code_non_zero
          target: FAILED
    `,
      "storage:\n  shared_volumes:\n    - name: cargo-cache",
    ),
    compileWith: yaml(),
  },
  {
    code: "AEG719",
    title: "a Subworkflow that does not say whether it waits",
    trigger: stateA(`
      kind: Subworkflow
      workflow_id: child
      transitions:
        - condition: on_success
          target: DONE
        - condition: on_failure
          target: FAILED
    `),
    at: "9:13",
    clean: stateA(`
      kind: Subworkflow
      workflow_id: child
      mode: fire_and_forget
      transitions:
        - condition: on_success
          target: DONE
        - condition: on_failure
          target: FAILED
    `),
    compileWith: yaml({ "/virtual/child.yaml": childFile }),
  },
  {
    code: "AEG720",
    title: "a Subworkflow with an empty workflow_id",
    trigger: stateA(`
      kind: Subworkflow
      workflow_id: ""
      mode: fire_and_forget
      transitions:
        - condition: on_success
          target: DONE
        - condition: on_failure
          target: FAILED
    `),
    at: "10:20",
    clean: stateA(`
      kind: Subworkflow
      workflow_id: "child"
      mode: fire_and_forget
      transitions:
        - condition: on_success
          target: DONE
        - condition: on_failure
          target: FAILED
    `),
    compileWith: yaml({ "/virtual/child.yaml": childFile }),
  },
  {
    code: "AEG721",
    title: "a blocking Subworkflow without result_key",
    trigger: stateA(`
      kind: Subworkflow
      workflow_id: child
      mode: blocking
      transitions:
        - condition: on_success
          target: DONE
        - condition: on_failure
          target: FAILED
    `),
    at: "11:13",
    clean: stateA(`
      kind: Subworkflow
      workflow_id: child
      mode: blocking
      result_key: child_result
      transitions:
        - condition: on_success
          target: DONE
        - condition: on_failure
          target: FAILED
    `),
    compileWith: yaml({ "/virtual/child.yaml": childFile }),
  },
  {
    code: "AEG721",
    title: "a fire_and_forget Subworkflow with a result_key",
    trigger: stateA(`
      kind: Subworkflow
      workflow_id: child
      mode: fire_and_forget
      result_key: child_result
      transitions:
        - condition: on_success
          target: DONE
        - condition: on_failure
          target: FAILED
    `),
    at: "12:7",
    clean: stateA(`
      kind: Subworkflow
      workflow_id: child
      mode: fire_and_forget
      transitions:
        - condition: on_success
          target: DONE
        - condition: on_failure
          target: FAILED
    `),
    compileWith: yaml({ "/virtual/child.yaml": childFile }),
  },
  {
    code: "AEG722",
    title: "confidence weights of 0.5 and the default 0.3",
    trigger: stateA(`
      kind: ParallelAgents
      agents: [security, style]
      consensus:
        strategy: weighted_average
        confidence_weighting:
          agreement_factor: 0.5
      transitions:
        - condition: on_success
          target: DONE
        - condition: on_failure
          target: FAILED
    `),
    at: "13:9",
    // confidence_weighting has no effect in aegis, whatever its values.
    also: ["AEG709 13:9"],
    clean: stateA(`
      kind: ParallelAgents
      agents: [security, style]
      consensus:
        strategy: weighted_average
        confidence_weighting:
          agreement_factor: 0.7
      transitions:
        - condition: on_success
          target: DONE
        - condition: on_failure
          target: FAILED
    `),
    cleanAlso: ["AEG709 13:9"],
    compileWith: yaml(),
  },
  {
    code: "AEG723",
    title: "a reviewer routed on score_above, with no score_below for low scores",
    trigger: stateA(`
      kind: Agent
      agent: reviewer
      transitions:
        - condition: score_above
          threshold: 0.8
          target: DONE
        - condition: on_failure
          target: FAILED
    `),
    at: "12:22",
    clean: stateA(`
      kind: Agent
      agent: reviewer
      transitions:
        - condition: score_above
          threshold: 0.8
          target: DONE
        - condition: score_below
          threshold: 0.8
          target: FAILED
        - condition: on_failure
          target: FAILED
    `),
    compileWith: yaml(),
  },
  {
    code: "AEG724",
    title: "score-based transitions with an on_success beside them",
    trigger: stateA(`
      kind: Agent
      agent: reviewer
      transitions:
        - condition: score_above
          threshold: 0.8
          target: DONE
        - condition: score_below
          threshold: 0.5
          target: FAILED
        - condition: on_success
          target: DONE
    `),
    at: "18:22",
    clean: stateA(`
      kind: Agent
      agent: reviewer
      transitions:
        - condition: score_above
          threshold: 0.8
          target: DONE
        - condition: score_below
          threshold: 0.8
          target: FAILED
        - condition: on_failure
          target: FAILED
    `),
    compileWith: yaml(),
  },
];
