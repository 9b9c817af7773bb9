// AEGIS manifests mean what the seed's users expect, through compile() and the engine:
// a manifest without input_schema takes any inputs (`input *`), the caller's intent,
// the prompt of an Agent state without `input:`, result_key, the child's inputs checked
// against what a Subworkflow state gives, fire-and-forget children that fail to start,
// and gates answered with a response text.
import { describe, expect, it } from "vitest";
import type { CompileResult } from "../../src/compiler/compile.ts";
import { printAegis } from "../../src/compiler/emit/aegis.ts";
import { parse } from "../../src/compiler/parse.ts";
import { createEngine, type StartOptions } from "../../src/runtime/engine.ts";
import { MemoryStore } from "../../src/runtime/store/memory.ts";
import type { AgentInvocation, RunRecord } from "../../src/runtime/types.ts";
import { compileSource, diagnose, source } from "../helpers/compile.ts";
import { compileYaml, errors, manifest, yamlFindings } from "../helpers/yaml.ts";

function compiled(text: string, files: Record<string, string> = {}): CompileResult {
  const result = compileYaml(text, { readFile: (p) => files[p] });
  expect(errors(result)).toEqual([]);
  return result;
}

/** Runs `workflow` with function agents, keeping every invocation each agent was given. */
async function run(
  workflow: CompileResult,
  inputs: Record<string, unknown>,
  answers: Record<string, (call: AgentInvocation) => unknown>,
  options: StartOptions = {},
  store = new MemoryStore(),
): Promise<{ record: RunRecord; calls: Record<string, AgentInvocation[]> }> {
  const calls: Record<string, AgentInvocation[]> = {};
  const functions = Object.fromEntries(
    Object.entries(answers).map(([name, answer]) => {
      calls[name] = [];
      return [
        name,
        (call: AgentInvocation) => {
          calls[name]!.push(call);
          return answer(call);
        },
      ];
    }),
  );
  const engine = createEngine({ store, functions });
  const record = await (await engine.start(workflow, inputs, { id: "r", ...options })).result();
  await engine.idle();
  return { record, calls };
}

const oneAgent = (fields: string, metadata?: string) =>
  manifest(
    `
      A:
        kind: Agent
        agent: bot
        ${fields.trim().split("\n").join("\n        ")}
        transitions: []
    `,
    metadata ? { metadata } : {},
  );

describe("a manifest without input_schema takes any inputs", () => {
  const open = oneAgent('input: "Do {{input.task}}"');

  it("compiles to an input schema that lets other inputs through", () => {
    const schema = compiled(open).graph.getAttribute("inputSchema");
    expect(schema.additionalProperties).toBe(true);
    expect(schema.required).toEqual([]);
  });

  it("runs with inputs it never names, as the seed's `--input` gives them", async () => {
    const { record, calls } = await run(
      compiled(open),
      { task: "a to-do API", priority: 2, tags: ["api"] },
      { bot: () => "done" },
    );
    expect(record.status).toBe("succeeded");
    expect(record.inputs).toEqual({ task: "a to-do API", priority: 2, tags: ["api"] });
    expect(calls.bot!.map((c) => c.prompt)).toEqual(["Do a to-do API"]);
  });

  it("with input_schema, other inputs are refused (invalid-inputs), as before", async () => {
    const closed = oneAgent(
      'input: "Do {{input.task}}"',
      "input_schema:\n  properties:\n    task:\n      type: string",
    );
    expect(compiled(closed).graph.getAttribute("inputSchema").additionalProperties).toBe(false);
    await expect(run(compiled(closed), { task: "t", extra: 1 }, { bot: () => "" })).rejects.toThrow(
      /extra: is not an input of this workflow \(its inputs: task\)/,
    );
  });

  it("input_schema with additionalProperties: true takes other inputs, and reads them", async () => {
    const text = oneAgent(
      'input: "Do {{input.task}} by {{input.when}}"',
      "input_schema:\n  additionalProperties: true\n  properties:\n    task:\n      type: string",
    );
    expect(yamlFindings(text, "AEG402")).toEqual([]);
    const { record, calls } = await run(
      compiled(text),
      { task: "t", when: "Friday" },
      {
        bot: () => "",
      },
    );
    expect(record.status).toBe("succeeded");
    expect(calls.bot![0]!.prompt).toBe("Do t by Friday");
  });

  it("converts to `input *`, which compiles to the same graph", () => {
    const yaml = compiled(open);
    const text = printAegis(yaml.ast);
    expect(text).toContain("\n  input *\n");
    const back = compileSource(text);
    expect(back.diagnostics).toEqual([]);
    expect(back.document.hash).toBe(yaml.document.hash);
  });
});

describe("`input *` in the aegis language", () => {
  const wf = (inputs: string, prompt: string) =>
    source(`
      workflow w {
        ${inputs}
        agent bot
        start A
        final A = agent bot {
          prompt "${prompt}"
        }
      }
    `);

  it("lets templates read inputs it does not declare; without it they are AEG402", () => {
    expect(diagnose(wf("input *", "{{input.anything.at.all}}"))).toEqual([]);
    expect(diagnose(wf("input task: string", "{{input.anything}}"))).toEqual([
      { code: "AEG402", line: 6, column: 15 },
    ]);
  });

  it("keeps declared inputs typed and required", () => {
    const result = compileSource(wf("input task: string\n        input *", "{{input.task}}"));
    expect(result.diagnostics).toEqual([]);
    expect(result.graph.getAttribute("inputSchema")).toMatchObject({
      properties: { task: { type: "string" } },
      required: ["task"],
      additionalProperties: true,
    });
  });

  it("is said once (AEG106), and printed back as written", () => {
    expect(diagnose(wf("input *\n        input *", "x"))).toEqual([
      { code: "AEG106", line: 3, column: 9 },
    ]);
    const text = wf("input *", "x");
    expect(printAegis(parse(text, "w.aegis").ast)).toContain("  input *\n");
  });
});
