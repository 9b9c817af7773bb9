// Through the engine with the real executor: function agents answering JSON, a foreach
// over the answer, a shell command and its environment — every object and list reaches the
// next prompt and the command as JSON. A failure final's output stays with the failed run
// (and reaches a parent through its subworkflow state).
import { describe, expect, it } from "vitest";
import { createEngine } from "../../../src/runtime/engine.ts";
import { MemoryStore } from "../../../src/runtime/store/memory.ts";
import type { AgentInvocation } from "../../../src/runtime/types.ts";
import { compileSource } from "./helpers.ts";

const plan = { title: "Parser", steps: [{ name: "lex" }, { name: "parse" }] };

const source = `
workflow values {
  input task: object
  input tags: list<string>
  agent planner = function("planner")
  agent worker = function("worker")
  agent writer = function("writer")
  start PLAN

  state PLAN = agent planner timeout 1m {
    prompt "Plan {{input}} tagged {{input.tags}}"
    on success -> STEPS
    otherwise -> FAILED
  }
  state STEPS = foreach step in PLAN.output.steps agent worker timeout 1m {
    prompt "Do {{step}} of {{PLAN.output.steps}}"
    on failed == 0 -> WRITE
    otherwise -> FAILED
  }
  state WRITE = agent writer timeout 1m {
    prompt """
      Plan: {{PLAN.output}}
      Results: {{STEPS.results}}
      {{#each STEPS.results}}- {{this}}
      {{/each}}
    """
    on success -> SAVE
    otherwise -> FAILED
  }
  state SAVE = run "printf '%s\\n' {{quote PLAN.output}} \\"$RESULTS\\" {{quote WRITE.output}}" timeout 1m {
    env { RESULTS: "{{STEPS.results}}" }
    on exit 0 -> DONE
    otherwise -> FAILED
  }
  final DONE
  final FAILED failure
}
`;

describe("structured values through the engine", () => {
  it("an agent's JSON answer, the whole input and a foreach's results render as JSON", async () => {
    const prompts: Record<string, string[]> = { planner: [], worker: [], writer: [] };
    const answer =
      (name: string, reply: (call: AgentInvocation) => unknown) => (call: AgentInvocation) => {
        prompts[name]!.push(call.prompt);
        return reply(call);
      };
    const functions = {
      planner: answer("planner", () => plan),
      worker: answer("worker", (call) => ({ done: JSON.parse(call.prompt.split(" ")[1]!).name })),
      writer: answer("writer", () => ({ summary: "it's done", files: ["a.ts"] })),
    };
    const engine = createEngine({ store: new MemoryStore(), functions });
    const inputs = { task: { what: "a parser", lang: "ts" }, tags: ["x", "y"] };
    const run = await (await engine.start(compileSource(source), inputs, { id: "v" })).result();
    expect(run.status).toBe("succeeded");

    const steps = JSON.stringify(plan.steps);
    const results = '[{"done":"lex"},{"done":"parse"}]';
    expect(prompts.planner).toEqual([`Plan ${JSON.stringify(inputs)} tagged ["x","y"]`]);
    expect([...prompts.worker!].sort()).toEqual([
      `Do {"name":"lex"} of ${steps}`,
      `Do {"name":"parse"} of ${steps}`,
    ]);
    expect(prompts.writer).toEqual([
      `Plan: ${JSON.stringify(plan)}\nResults: ${results}\n- {"done":"lex"}\n- {"done":"parse"}\n`,
    ]);
    // The command printed what it was given: quoted JSON, and JSON in its environment.
    expect(run.results.SAVE?.stdout).toBe(
      `${JSON.stringify(plan)}\n${results}\n{"summary":"it's done","files":["a.ts"]}\n`,
    );
  });
});

describe("a failure final's output through the engine", () => {
  const child = `
workflow check {
  agent checker = function("checker")
  start CHECK
  state CHECK = agent checker timeout 1m {
    prompt "Check."
    on output.ok == true -> DONE
    otherwise -> REJECTED
  }
  final DONE
  final REJECTED failure {
    output "Rejected: {{CHECK.output.problems}}"
  }
}
`;

  it("is the failed run's output, and its subworkflow state's output in the parent", async () => {
    const checker = () => ({ ok: false, problems: ["no tests", "no docs"] });
    const engine = createEngine({ store: new MemoryStore(), functions: { checker } });
    const alone = await (await engine.start(compileSource(child), {}, { id: "c" })).result();
    expect(alone.status).toBe("failed");
    expect(alone.error).toMatchObject({ code: "final-failure", state: "REJECTED" });
    expect(alone.output).toBe('Rejected: ["no tests","no docs"]');

    const parent = compileSource(
      `
import "./check.aegis" as check
workflow parent {
  agent fixer = function("fixer")
  start CALL
  state CALL = subworkflow check timeout 5m {
    on success -> DONE
    on failure -> FIX feedback "{{CALL.output}}"
  }
  state FIX = agent fixer timeout 1m {
    prompt "Fix: {{state.feedback}}"
    on success -> DONE
    otherwise -> FAILED
  }
  final DONE
  final FAILED failure
}
`,
      { "/virtual/check.aegis": child },
    );
    const fixes: string[] = [];
    const fixer = (call: AgentInvocation) => {
      fixes.push(call.prompt);
      return "fixed";
    };
    const withParent = createEngine({ store: new MemoryStore(), functions: { checker, fixer } });
    const done = await (await withParent.start(parent, {}, { id: "p" })).result();
    expect(done.status).toBe("succeeded");
    expect(done.results.CALL?.output).toBe('Rejected: ["no tests","no docs"]');
    expect(fixes).toEqual(['Fix: Rejected: ["no tests","no docs"]']);
  });
});
