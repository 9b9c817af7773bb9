// AEGIS manifests mean what the seed's users expect, through compile() and the engine:
// a manifest without input_schema takes any inputs (`input *`), the caller's intent,
// the prompt of an Agent state without `input:`, result_key, the child's inputs checked
// against what a Subworkflow state gives, fire-and-forget children that fail to start,
// and gates answered with a response text.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { CompileResult } from "../../src/compiler/compile.ts";
import { printAegis } from "../../src/compiler/emit/aegis.ts";
import { parse } from "../../src/compiler/parse.ts";
import { createEngine, type StartOptions } from "../../src/runtime/engine.ts";
import { FileStore } from "../../src/runtime/store/file.ts";
import { MemoryStore } from "../../src/runtime/store/memory.ts";
import type { RunStore } from "../../src/runtime/store/types.ts";
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
  store: RunStore = new MemoryStore(),
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

describe("the caller's intent", () => {
  const text = manifest(`
    A:
      kind: Agent
      agent: bot
      input: "Do {{input.task}} because {{intent}}"
      transitions:
        - condition: on_success
          target: B
    B:
      kind: Agent
      agent: bot
      intent: "Check {{input.task}}"
      input: "Review: {{intent}}"
      transitions: []
  `);

  it("is {{intent}} in templates, and the intent of agents whose state gives none", async () => {
    const { record, calls } = await run(
      compiled(text),
      { task: "the API" },
      { bot: () => "ok" },
      { intent: "ship before Friday" },
    );
    expect(record.status).toBe("succeeded");
    expect(record.intent).toBe("ship before Friday");
    expect(calls.bot!.map((c) => [c.state, c.intent, c.prompt])).toEqual([
      ["A", "ship before Friday", "Do the API because ship before Friday"],
      // A state's own intent comes first, in its prompt as for its agent.
      ["B", "Check the API", "Review: Check the API"],
    ]);
  });

  it("an input named intent is an input; the caller's intent is {{intent}}", async () => {
    const named = oneAgent(
      'input: "{{input.intent}} / {{intent}}"',
      "input_schema:\n  properties:\n    intent:\n      type: string",
    );
    const both = await run(
      compiled(named),
      { intent: "the input" },
      { bot: () => "" },
      {
        intent: "the caller's",
      },
    );
    expect(both.record.inputs).toEqual({ intent: "the input" });
    expect(both.calls.bot![0]).toMatchObject({
      prompt: "the input / the caller's",
      intent: "the caller's",
    });
  });

  it("is kept with the run (the record rebuilt from its journal too), and must be text", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aegis-intent-"));
    try {
      const store = new FileStore(dir);
      await run(compiled(text), { task: "t" }, { bot: () => "" }, { intent: "why" }, store);
      const loaded = await store.load("r");
      expect(loaded.meta.intent).toBe("why");
      expect(loaded.record.intent).toBe("why");
      rmSync(join(dir, "r", "record.json"));
      const rebuilt = await new FileStore(dir).load("r");
      expect(rebuilt.recovery?.rebuilt).toBeDefined();
      expect(rebuilt.record.intent).toBe("why");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await expect(
      run(compiled(text), { task: "t" }, { bot: () => "" }, { intent: 3 as unknown as string }),
    ).rejects.toMatchObject({ code: "invalid-inputs", message: "the intent must be text" });
  });
});

describe("an Agent state without input:", () => {
  const text = manifest(
    `
      A:
        kind: Agent
        agent: planner
        transitions:
          - condition: on_success
            target: B
      B:
        kind: Agent
        agent: reviewer
        transitions:
          - condition: score_above
            threshold: 0.5
            target: DONE
          - condition: score_below
            threshold: 0.5
            target: A
            feedback: "Too vague: {{B.output.reasoning}}"
      DONE:
        kind: System
        command: "echo done"
        transitions: []
    `,
    { metadata: 'description: "Plans, then reviews"', spec: "context:\n  language: python" },
  );

  it("is given its intent and the blackboard (inputs, context, outputs so far)", async () => {
    let reviews = 0;
    const { record, calls } = await run(
      compiled(text),
      { task: "a to-do API", limits: { users: 3 } },
      {
        planner: () => ({ steps: ["model", "routes"] }),
        reviewer: () =>
          reviews++ === 0
            ? { score: 0.2, reasoning: "no error handling" }
            : { score: 0.9, reasoning: "fine" },
      },
      { intent: "a demo for the team" },
    );
    expect(record.status).toBe("succeeded");
    const prompts = [...calls.planner!, ...calls.reviewer!].map((c) => c.prompt);
    for (const prompt of prompts) {
      expect(prompt.trim()).not.toBe("");
      expect(prompt).not.toContain("[object Object]");
      expect(prompt).toContain("Intent: a demo for the team");
      expect(prompt).toContain('"language": "python"');
      expect(prompt).toContain('"users": 3');
    }
    const [first, second] = calls.planner!.map((c) => c.prompt);
    expect(first).toMatch(/^Workflow test \(Plans, then reviews\), state A\./);
    expect(first).not.toContain('"B"');
    // Sent back with feedback: the feedback, and what the states said before.
    expect(second).toContain("Feedback: Too vague: no error handling");
    expect(second).toContain('"reasoning": "no error handling"');
    expect(calls.reviewer![0]!.prompt).toContain('"steps": [\n');
    expect(calls.planner![0]!.intent).toBe("a demo for the team");
  });

  it("without intent, inputs or context still says which workflow and state it is", async () => {
    const bare = oneAgent("");
    const { calls } = await run(compiled(bare), {}, { bot: () => "" });
    expect(calls.bot![0]!.prompt).toBe(
      "Workflow test, state A.\n\nThe blackboard (the run's inputs, its context and the output of each state so far), as JSON:\n\n{}",
    );
    expect(calls.bot![0]!.intent).toBeUndefined();
  });

  it("a ParallelAgents agent without input gets the same prompt", async () => {
    const parallel = manifest(`
      A:
        kind: ParallelAgents
        agents:
          - agent: judge
          - agent: judge2
            input: "Own prompt"
        consensus:
          strategy: weighted_average
        transitions: []
    `);
    const { calls } = await run(
      compiled(parallel),
      { task: "t" },
      {
        judge: () => ({ score: 1 }),
        judge2: () => ({ score: 1 }),
      },
      { intent: "audit before release" },
    );
    expect(calls.judge![0]!.prompt).toContain('"task": "t"');
    expect(calls.judge![0]!.prompt).toContain("Intent: audit before release");
    expect(calls.judge2![0]!.prompt).toBe("Own prompt");
  });
});

describe("a gate answered with a response text (aegis signal --response)", () => {
  const gate = manifest(`
    A:
      kind: Human
      prompt: "Ship it?"
      transitions:
        - condition: input_equals
          value: "later"
          target: LATER
        - condition: input_equals_yes
          target: YES
        - condition: input_equals_no
          target: NO
          feedback: "{{human.feedback}}"
    LATER:
      kind: System
      command: "echo later"
      transitions: []
    YES:
      kind: System
      command: "echo yes"
      transitions: []
    NO:
      kind: Agent
      agent: bot
      input: "Fix: {{state.feedback}}"
      transitions: []
  `);

  async function answer(response: string) {
    const calls: string[] = [];
    const engine = createEngine({
      functions: { bot: ({ prompt }: AgentInvocation) => calls.push(prompt) },
    });
    const waiting = await (await engine.start(compiled(gate), {}, { id: "g" })).result();
    expect(waiting.status).toBe("waiting");
    const record = await (await engine.signal("g", { response })).result();
    return { record, path: record.history.map((h) => h.state), calls };
  }

  it("approves with 'approved' or 'yes', as the seed shows", async () => {
    for (const response of ["approved", "yes", "Approve"]) {
      const { record } = await answer(response);
      expect(record.current, response).toBe("YES");
      expect(record.results.A).toMatchObject({ approved: true, rejected: false, response });
    }
  });

  it("rejects with 'rejected: why', the reason being the feedback", async () => {
    const { record, calls } = await answer(
      "rejected: Requirements need more detail on error handling",
    );
    expect(record.current).toBe("NO");
    expect(record.results.A).toMatchObject({
      approved: false,
      rejected: true,
      feedback: "Requirements need more detail on error handling",
    });
    expect(calls).toEqual(["Fix: Requirements need more detail on error handling"]);
  });

  it("any other text neither approves nor rejects: input_equals reads it", async () => {
    expect((await answer("later")).record.current).toBe("LATER");
    const other = await answer("nope");
    expect(other.record.results.A).toMatchObject({ approved: false, rejected: false });
    expect(other.record.error?.code).toBe("no-transition");
  });

  it("an answer with neither approve nor a response is refused", async () => {
    const engine = createEngine({ functions: { bot: () => "" } });
    await (await engine.start(compiled(gate), {}, { id: "g" })).result();
    await expect(engine.signal("g", {})).rejects.toMatchObject({ code: "invalid-answer" });
    expect((await engine.get("g")).status).toBe("waiting");
  });
});

/** A child manifest (/virtual/NAME.yaml beside the parent) with one agent state. */
function child(name: string, metadata = "", input = '"Check {{input.repo}}"'): string {
  return manifest(
    `
      A:
        kind: Agent
        agent: checker
        input: ${input}
        transitions: []
    `,
    { name, ...(metadata && { metadata }) },
  );
}

const typedChild = child(
  "typed",
  `input_schema:
  properties:
    repo:
      type: string
    count:
      type: integer
  required: [repo]`,
);

/** A parent whose state A calls `workflow_id` with these fields (mode, input …). */
function caller(fields: string, after = ""): string {
  return manifest(`
    A:
      kind: Subworkflow
      workflow_id: typed
      ${fields.trim().split("\n").join("\n      ")}
      transitions:
        - condition: on_success
          target: B
        - condition: on_failure
          target: FIX
    FIX:
      kind: Agent
      agent: fixer
      input: "Fix it"
      transitions:
        - condition: always
          target: A
    B:
      kind: Agent
      agent: bot
      ${after || 'input: "Next"'}
      transitions: []
  `);
}

describe("Subworkflow: the child's inputs against what the parent gives (AEG510)", () => {
  const files = { "/virtual/typed.yaml": typedChild };
  const check = (fields: string) =>
    compileYaml(caller(fields), { readFile: (p) => files[p as keyof typeof files] })
      .diagnostics.filter((d) => d.code === "AEG510")
      .map((d) => `${d.line}:${d.column} ${d.message}`);

  it("a text input the child does not take: its seed form, at the input", () => {
    expect(check('input: "Validate code generated for: {{intent}}"')).toEqual([
      "11:14 'A' gives subworkflow 'typed' its text as the input 'input', which it does not take (its inputs: repo, count)",
      "11:14 subworkflow 'typed' requires the input 'repo', which 'A' does not give",
    ]);
  });

  it("an input it does not take, by name, with a hint", () => {
    expect(check("input:\n  repo: acme\n  cuont: 2")).toEqual([
      "13:9 'A' gives subworkflow 'typed' an input it does not take: 'cuont' (its inputs: repo, count)",
    ]);
    const [d] = yamlFindings(caller("input:\n  repo: acme\n  cuont: 2"), "AEG510", {
      readFile: (p) => files[p as keyof typeof files],
    });
    expect(d).toMatchObject({ severity: "error", hint: "did you mean 'count'?" });
  });

  it("a literal of the wrong type; text that reads as the right one is fine", () => {
    expect(check('input:\n  repo: acme\n  count: "many"')).toEqual([
      `13:9 input 'count' of subworkflow 'typed' must be a whole number; 'A' gives it "many"`,
    ]);
    expect(check('input:\n  repo: acme\n  count: "3"')).toEqual([]);
    expect(check("input:\n  repo: acme\n  count: 3")).toEqual([]);
  });

  it("a required input not given, with no input at all: at the workflow_id", () => {
    expect(check("mode: blocking")).toEqual([
      "10:20 subworkflow 'typed' requires the input 'repo', which 'A' does not give",
    ]);
  });

  it("a JSON text is its inputs; a template's value is left to the run", () => {
    expect(check('input: \'{"repo": "{{input.r}}", "extra": 1}\'')).toEqual([
      "11:14 'A' gives subworkflow 'typed' an input it does not take: 'extra' (its inputs: repo, count)",
    ]);
    expect(check('input:\n  repo: "{{input.r}}"\n  count: "{{input.n}}"')).toEqual([]);
    expect(check('input: "{{input.payload}}"')).toEqual([]);
  });

  it("a child without input_schema takes anything; an unknown child is not checked", () => {
    const open = { "/virtual/typed.yaml": child("typed") };
    const r = compileYaml(caller('input: "Validate: {{intent}}"'), {
      readFile: (p) => open[p as keyof typeof open],
    });
    expect(r.diagnostics.filter((d) => d.code === "AEG510")).toEqual([]);
    const unknown = compileYaml(caller("mode: fire_and_forget\ninput:\n  nothing: 1"));
    expect(unknown.diagnostics.map((d) => d.code)).toEqual(["AEG708"]);
  });
});

describe("Subworkflow at run time", () => {
  const functions = {
    checker: ({ prompt }: AgentInvocation) => `checked: ${prompt}`,
    fixer: () => "fixed",
    bot: () => "next",
  };

  it("result_key keeps the child's output in the parent's blackboard", async () => {
    const text = caller(
      "mode: blocking\nresult_key: validation\ninput:\n  repo: acme",
      'input: "Got {{blackboard.validation}} ({{A.result}})"',
    );
    const { record, calls } = await run(
      compiled(text, { "/virtual/typed.yaml": typedChild }),
      {},
      functions,
      { intent: "release 1.2" },
    );
    expect(record.status).toBe("succeeded");
    expect(calls.bot![0]!.prompt).toBe("Got checked: Check acme (checked: Check acme)");
    // The child runs for the parent's caller: its agents have the parent's intent.
    expect(calls.checker!.map((c) => [c.run, c.intent])).toEqual([["r.A.1.1", "release 1.2"]]);
  });

  it("the default prompt's blackboard holds it under its key", async () => {
    const text = caller(
      "mode: blocking\nresult_key: validation\ninput:\n  repo: acme",
      "max_state_visits: 2",
    );
    const { calls } = await run(
      compiled(text, { "/virtual/typed.yaml": typedChild }),
      {},
      functions,
    );
    expect(calls.bot![0]!.prompt).toContain('"validation": "checked: Check acme"');
  });

  it("inputs a template makes that the child refuses fail the run at once, not a loop", async () => {
    const text = manifest(
      `
      GEN:
        kind: Agent
        agent: gen
        input: "Make the inputs"
        transitions:
          - condition: on_success
            target: A
      A:
        kind: Subworkflow
        workflow_id: typed
        mode: blocking
        result_key: checked
        input: "{{GEN.output}}"
        transitions:
          - condition: on_success
            target: DONE
          - condition: on_failure
            target: GEN
      DONE:
        kind: System
        command: "echo done"
        transitions: []
    `,
      { initial: "GEN" },
    );
    const store = new MemoryStore();
    const { record, calls } = await run(
      compiled(text, { "/virtual/typed.yaml": typedChild }),
      {},
      { ...functions, gen: () => ({ repository: "acme" }) },
      {},
      store,
    );
    expect(record.status).toBe("failed");
    expect(record.error).toEqual({
      code: "subworkflow-inputs",
      message:
        "subworkflow 'typed' refuses the inputs 'A' gives it: repo: is required; repository: is not an input of this workflow (its inputs: repo, count)",
      state: "A",
    });
    expect(calls.gen).toHaveLength(1);
    expect(record.visits).toEqual({ GEN: 1, A: 1 });
    expect((await store.list()).map((r) => r.id)).toEqual(["r"]);
  });

  it("fire_and_forget starts the child, which runs to its end; its id is the state's", async () => {
    const store = new MemoryStore();
    const { record } = await run(
      compiled(caller("mode: fire_and_forget\ninput:\n  repo: acme"), {
        "/virtual/typed.yaml": typedChild,
      }),
      {},
      functions,
      {},
      store,
    );
    expect(record.status).toBe("succeeded");
    expect(record.results.A?.child_execution_id).toBe("r.A.1.1");
    const children = await store.list();
    expect(children.map((r) => [r.id, r.status, r.parent])).toEqual([
      ["r", "succeeded", undefined],
      ["r.A.1.1", "succeeded", { run: "r", state: "A" }],
    ]);
  });

  it("a fire_and_forget child that cannot start fails the state, visibly", async () => {
    const observed: string[] = [];
    const store = new MemoryStore();
    const engine = createEngine({
      store,
      functions,
      onObservation: (o) => {
        if (o.type === "state-completed" && o.state === "A")
          observed.push(`${o.status} ${o.error?.code}`);
      },
    });
    const text = caller('mode: fire_and_forget\ninput: "{{input.payload}}"');
    const workflow = compiled(text, { "/virtual/typed.yaml": typedChild });
    const record = await (
      await engine.start(workflow, { payload: '{"repo": 7}' }, { id: "f" })
    ).result();
    expect(observed).toEqual(["failed subworkflow-inputs"]);
    expect(record.results.A).toMatchObject({ status: "failed" });
    expect(record.results.A?.child_execution_id).toBeUndefined();
    expect(record.error?.message).toBe(
      "subworkflow 'typed' refuses the inputs 'A' gives it: repo: must be a string (got number 7)",
    );
    expect((await store.list()).map((r) => r.id)).toEqual(["f"]);
  });
});
