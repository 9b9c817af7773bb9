// Both YAML dialects, compiled and run by the engine with function agents answering JSON:
// `{{input}}` (the whole input), a step's output variable and a fan-out's results reach the
// next agent's prompt as JSON; an AEGIS failure state that echoes a message leaves it as
// the failed run's output.
import { describe, expect, it } from "vitest";
import type { CompileResult } from "../../src/compiler/compile.ts";
import { createEngine } from "../../src/runtime/engine.ts";
import { MemoryStore } from "../../src/runtime/store/memory.ts";
import type { AgentInvocation, RunRecord } from "../../src/runtime/types.ts";
import { agentos, compileYaml, errors, manifest } from "../helpers/yaml.ts";

const plan = { title: "Parser", steps: ["lex", "parse"] };

function compiled(text: string): CompileResult {
  const result = compileYaml(text);
  expect(errors(result)).toEqual([]);
  return result;
}

/** Runs `workflow` with function agents, keeping the prompt each agent was sent. */
async function run(
  workflow: CompileResult,
  inputs: Record<string, unknown>,
  answers: Record<string, (call: AgentInvocation) => unknown>,
): Promise<{ record: RunRecord; prompts: Record<string, string[]> }> {
  const prompts: Record<string, string[]> = {};
  const functions = Object.fromEntries(
    Object.entries(answers).map(([name, answer]) => {
      prompts[name] = [];
      return [
        name,
        (call: AgentInvocation) => {
          prompts[name]!.push(call.prompt);
          return answer(call);
        },
      ];
    }),
  );
  const engine = createEngine({ store: new MemoryStore(), functions });
  const record = await (await engine.start(workflow, inputs, { id: "y" })).result();
  return { record, prompts };
}

describe("AEGIS manifests", () => {
  const text = manifest(
    `
      A:
        kind: Agent
        agent: planner
        input: "Plan {{input}}"
        transitions:
          - condition: on_success
            target: B
          - condition: on_failure
            target: FAILED
      B:
        kind: Agent
        agent: writer
        input: "Write {{A.output}}, steps {{blackboard.A.output.steps}}"
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
        command: "echo 'planning failed'"
        transitions: []
    `,
    {
      metadata: `
        input_schema:
          type: object
          properties:
            task:
              type: object
      `,
    },
  );
  const task = { what: "a parser", lang: "ts" };

  it("{{input}} and a state's JSON output reach the next prompt as JSON", async () => {
    const { record, prompts } = await run(
      compiled(text),
      { task },
      {
        planner: () => plan,
        writer: () => "written",
      },
    );
    expect(record.status).toBe("succeeded");
    expect(prompts.planner).toEqual([`Plan ${JSON.stringify({ task })}`]);
    expect(prompts.writer).toEqual([`Write ${JSON.stringify(plan)}, steps ["lex","parse"]`]);
  });

  it("a failure state's command output is the failed run's output", async () => {
    const { record } = await run(
      compiled(text),
      { task },
      {
        planner: () => {
          throw new Error("no plan");
        },
        writer: () => "unused",
      },
    );
    expect(record.status).toBe("failed");
    expect(record.error).toMatchObject({ code: "final-failure", state: "FAILED" });
    expect(record.output).toBe("planning failed\n");
  });
});

describe("AgentOS workflows", () => {
  const text = agentos(
    `
      - name: Plan
        functionId: agent::chat
        agent: planner
        promptTemplate: "Plan {{feature}} from {{input}}"
        outputVar: plan
      - name: Fan
        mode: fanout
        config: { agentId: reviewer }
        items: "{{plan.steps}}"
        promptTemplate: "Review {{item}} of {{plan}}"
        outputVar: results
      - name: Merge
        mode: collect
        agent: merger
        promptTemplate: "Merge {{results}} for {{plan.title}}"
    `,
    { agents: ["planner", "reviewer", "merger"] },
  );

  it("{{input}}, an output variable and a fan-out's {{results}} reach prompts as JSON", async () => {
    const feature = { name: "parser", priority: 1 };
    const { record, prompts } = await run(
      compiled(text),
      { feature },
      {
        planner: () => plan,
        reviewer: (call) => ({ step: call.prompt.split(" ")[1], ok: true }),
        merger: () => "merged",
      },
    );
    expect(record.status).toBe("succeeded");
    expect(prompts.planner).toEqual([
      `Plan ${JSON.stringify(feature)} from ${JSON.stringify({ feature })}`,
    ]);
    expect([...prompts.reviewer!].sort()).toEqual([
      `Review lex of ${JSON.stringify(plan)}`,
      `Review parse of ${JSON.stringify(plan)}`,
    ]);
    expect(prompts.merger).toEqual([
      'Merge [{"step":"lex","ok":true},{"step":"parse","ok":true}] for Parser',
    ]);
  });
});
