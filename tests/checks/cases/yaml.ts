// Trigger cases for the YAML front ends' codes (AEG701–AEG712). Each compiles as
// /virtual/test.yaml (so the YAML front end reads it); imports are read from an in-memory
// file system.
import { compile } from "../../../src/compiler/compile.ts";
import { memoryFiles } from "../../helpers/compile.ts";
import type { TriggerCase } from "../../helpers/triggers.ts";
import { agentos, manifest, YAML_FILE } from "../../helpers/yaml.ts";

function yaml(files: Record<string, string> = {}): (input: string) => ReturnType<typeof compile> {
  return (input) => compile(input, { filename: YAML_FILE, readFile: memoryFiles(files).readFile });
}

/** A subworkflow state calling `id`, then DONE / FAILED. */
function calls(id: string): string {
  return manifest(`
    A:
      kind: Subworkflow
      workflow_id: ${id}
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
];
