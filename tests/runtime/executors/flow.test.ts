// foreach, loop, coordinate and subworkflow states, with executable and function agents.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readRoute } from "../../../src/runtime/executors/coordinate.ts";
import type { AgentInvocation, ExecutorServices } from "../../../src/runtime/types.ts";
import { agentPath, counted, harness, q, tempDir } from "./helpers.ts";

const counter = (file: string, responses?: unknown[]) =>
  `command(${q(agentPath("counter-agent.js"))}, env: { COUNTER_FILE: ${q(file)}${responses ? `, RESPONSES: ${q(JSON.stringify(responses))}` : ""} })`;

describe("foreach states", () => {
  const source = (
    agent: string,
    over = "input.files",
    settings = "concurrency 2",
    errors = "",
  ) => `workflow t {
  input files: list<string> = ["a.ts", "b.ts", "c.ts"]
  agent reviewer = ${agent}
  start R
  state R = foreach file in ${over} agent reviewer ${settings} timeout 20s ${errors} {
    prompt "Review {{file}} (#{{index}})"
    on failed == 0 -> DONE
    otherwise -> FAILED
  }
  final DONE
  final FAILED failure
}`;

  it("calls the agent once per item, in order, joined by blank lines", async () => {
    const file = join(tempDir(), "calls");
    const result = await harness(source(counter(file)), "R").run();
    expect(result).toMatchObject({ status: "succeeded", count: 3, failed: 0, agentCalls: 3 });
    expect(counted(file).sort()).toEqual([
      "Review a.ts (#0)",
      "Review b.ts (#1)",
      "Review c.ts (#2)",
    ]);
    expect((result.results as string[]).length).toBe(3);
    expect(result.output).toBe((result.results as string[]).join("\n\n"));
  });

  it("keeps at most `concurrency` calls running", async () => {
    // A call ends only once a second one runs beside it (or it is the last): events, not a
    // delay — so a third concurrent call would be seen, however slow the machine.
    let running = 0;
    let started = 0;
    let most = 0;
    let release: () => void = () => {};
    let both = new Promise<void>((r) => (release = r));
    const review = async (inv: AgentInvocation) => {
      running += 1;
      started += 1;
      most = Math.max(most, running);
      if (running >= 2 || started === 5) release();
      await both;
      running -= 1;
      if (running === 0) both = new Promise<void>((r) => (release = r));
      return `reviewed ${inv.prompt}`;
    };
    const result = await harness(source('function("review")', '["1", "2", "3", "4", "5"]'), "R", {
      functions: { review },
    }).run();
    expect(most).toBe(2);
    expect(result.results).toEqual(
      ["1", "2", "3", "4", "5"].map((n, i) => `reviewed Review ${n} (#${i})`),
    );
  });

  it("fails when an item fails, reporting which", async () => {
    const review = (inv: AgentInvocation) => {
      if (inv.prompt.includes("b.ts")) throw new Error("cannot read b.ts");
      return "ok";
    };
    const result = await harness(source('function("review")'), "R", {
      functions: { review },
    }).run();
    expect(result).toMatchObject({
      status: "failed",
      count: 3,
      failed: 1,
      results: ["ok", null, "ok"],
      output: "ok\n\nok",
    });
    expect(result.error?.message).toContain("item 1");
    expect(result.error?.message).toContain("cannot read b.ts");
  });

  it("skips failed items with errors skip", async () => {
    const review = (inv: AgentInvocation) => {
      if (inv.prompt.includes("b.ts")) throw new Error("nope");
      return "ok";
    };
    const result = await harness(
      source('function("review")', "input.files", "concurrency 2", "errors skip"),
      "R",
      { functions: { review } },
    ).run();
    expect(result).toMatchObject({ status: "succeeded", failed: 1, results: ["ok", null, "ok"] });
  });

  it("fails when the list is not a list", async () => {
    const result = await harness(source('function("review")', "input.files"), "R", {
      inputs: { files: "a.ts" },
    }).run();
    expect(result).toMatchObject({ status: "failed", error: { code: "foreach-not-list" } });
  });

  it("handles an empty list", async () => {
    const result = await harness(source('function("review")', "input.files"), "R", {
      inputs: { files: [] },
    }).run();
    expect(result).toMatchObject({
      status: "succeeded",
      count: 0,
      failed: 0,
      output: "",
      results: [],
    });
  });
});

describe("loop states", () => {
  const source = (
    agent: string,
    until = 'output contains "LGTM"',
    max = 4,
    timeout = "10s",
  ) => `workflow t {
  input task: string = "a haiku"
  agent writer = ${agent}
  start W
  state W = loop agent writer max ${max} until ${until} timeout ${timeout} {
    prompt "{{#if previous}}Improve (iteration {{iteration}} of {{max_iterations}}, state.iteration {{state.iteration}}): {{previous}}{{else}}Write {{input.task}} ({{iteration}}){{/if}}"
    on success -> DONE
    otherwise -> FAILED
  }
  final DONE
  final FAILED failure
}`;

  it("repeats until the condition holds on the answer; iteration counts from 0", async () => {
    const file = join(tempDir(), "calls");
    const result = await harness(
      source(counter(file, ["draft one", "draft two", "final LGTM", "unused"])),
      "W",
    ).run();
    expect(result).toMatchObject({
      status: "succeeded",
      output: "final LGTM",
      iterations: 3,
      agentCalls: 3,
    });
    expect(counted(file)).toEqual([
      "Write a haiku (0)",
      "Improve (iteration 1 of 4, state.iteration 1): draft one",
      "Improve (iteration 2 of 4, state.iteration 2): draft two",
    ]);
  });

  it("stops at max with the last answer when the condition never holds", async () => {
    const file = join(tempDir(), "calls");
    const result = await harness(source(counter(file), 'output contains "LGTM"', 3), "W").run();
    expect(result).toMatchObject({
      status: "succeeded",
      output: "call 3",
      iterations: 3,
      agentCalls: 3,
    });
  });

  it("evaluates the condition on the answer's fields (score)", async () => {
    const scores = [0.2, 0.5, 0.95];
    let i = 0;
    const result = await harness(source('function("w")', "score >= 0.9"), "W", {
      functions: { w: () => ({ output: `v${i}`, score: scores[i++] }) },
    }).run();
    expect(result).toMatchObject({ status: "succeeded", output: "v2", score: 0.95, iterations: 3 });
  });

  it("the timeout bounds each call; a timed-out call ends the loop", async () => {
    const result = await harness(
      source(`command(${q(agentPath("hang-agent.js"))})`, "success", 3, "400ms"),
      "W",
    ).run({ killGraceMs: 300 });
    expect(result).toMatchObject({
      status: "timed_out",
      iterations: 1,
      agentCalls: 1,
      error: { code: "timeout" },
    });
  });

  it("a failed call fails the loop, keeping the previous answer", async () => {
    let i = 0;
    const result = await harness(source('function("w")', 'output == "never"'), "W", {
      functions: {
        w: () => {
          i += 1;
          if (i === 2) throw new Error("tired");
          return `v${i}`;
        },
      },
    }).run();
    expect(result).toMatchObject({
      status: "failed",
      iterations: 2,
      output: "v1",
      error: { code: "agent-function" },
    });
  });
});

describe("coordinate states", () => {
  const source = (steps = 5) => `workflow t {
  input message: string = "I was charged twice and the app crashes"
  agent billing = function("billing")
  agent technical = function("technical")
  agent triage = function("triage")
  start H
  state H = coordinate [billing, technical] by triage steps ${steps} timeout 20s {
    prompt "Customer: {{input.message}}"
    on success -> DONE
    otherwise -> FAILED
  }
  final DONE
  final FAILED failure
}`;

  it("routes to specialists until the router says done", async () => {
    const routes = ["billing", '{"next": "technical", "done": false}', "DONE."];
    const routerPrompts: string[] = [];
    const specialistPrompts: string[] = [];
    const functions = {
      triage: (inv: AgentInvocation) => {
        routerPrompts.push(inv.prompt);
        return routes[routerPrompts.length - 1];
      },
      billing: (inv: AgentInvocation) => {
        specialistPrompts.push(inv.prompt);
        return "refund issued";
      },
      technical: (inv: AgentInvocation) => {
        specialistPrompts.push(inv.prompt);
        return "update the app";
      },
    };
    const result = await harness(source(), "H", { functions }).run();
    expect(result).toMatchObject({
      status: "succeeded",
      route: ["billing", "technical"],
      steps: 3,
      output: "update the app",
      agentCalls: 5,
    });
    expect(routerPrompts[0]).toContain("Customer: I was charged twice");
    expect(routerPrompts[0]).toContain("billing, technical");
    expect(routerPrompts[2]).toContain('"output": "refund issued"');
    expect(specialistPrompts[0]).toBe("Customer: I was charged twice and the app crashes");
    expect(specialistPrompts[1]).toContain("refund issued");
  });

  it("fails after `steps` rounds when the router has not finished", async () => {
    const result = await harness(source(1), "H", {
      functions: { triage: () => "technical please", billing: () => "b", technical: () => "t" },
    }).run();
    expect(result).toMatchObject({
      status: "failed",
      error: { code: "coordinator-steps-exhausted" },
      route: ["technical"],
      steps: 1,
      output: "t",
      agentCalls: 2,
    });
  });

  it("reports a specialist's failure as an observation, and goes on", async () => {
    const h = harness(source(2), "H", {
      functions: {
        triage: (inv) => (inv.context!.results.length === 0 ? "billing" : "done"),
        billing: () => {
          throw new Error("down");
        },
        technical: () => "t",
      },
    });
    const result = await h.run();
    expect(result).toMatchObject({ status: "succeeded", route: ["billing"], steps: 2 });
    expect(result.output).toBeUndefined();
    expect(h.observations).toEqual([
      {
        type: "specialist-failed",
        run: "run-1",
        state: "H",
        agent: "billing",
        step: 1,
        error: { code: "agent-function", message: "function agent 'billing' failed: down" },
        at: expect.any(String),
      },
    ]);
  });

  it("ends at the state's timeout, not at the router, when a specialist is stopped by it", async () => {
    let routed = 0;
    const h = harness(source(3).replace("timeout 20s", "timeout 200ms"), "H", {
      functions: {
        triage: () => {
          routed += 1;
          return "technical";
        },
        billing: () => "b",
        technical: (inv) =>
          new Promise((_resolve, reject) =>
            inv.signal.addEventListener("abort", () => reject(inv.signal.reason)),
          ),
      },
    });
    const result = await h.run({ killGraceMs: 50 });
    expect(result).toMatchObject({ status: "timed_out", error: { code: "timeout" } });
    expect(routed).toBe(1);
    expect(h.observations.filter((o) => o.type === "specialist-failed")).toEqual([]);
  });

  it("fails when the router names nobody", async () => {
    const result = await harness(source(), "H", {
      functions: { triage: () => "the marketing team", billing: () => "b", technical: () => "t" },
    }).run();
    expect(result).toMatchObject({
      status: "failed",
      error: {
        code: "router-invalid",
        message:
          "the reply of router 'triage' names no specialist (billing, technical) and does not say finish: \"the marketing team\"",
      },
      route: [],
      steps: 1,
    });
  });

  it("works with an executable router and specialists", async () => {
    const file = join(tempDir(), "router");
    const src = `workflow t {
  agent billing = command(${q(agentPath("echo-agent.js"))})
  agent technical = command(${q(agentPath("echo-agent.js"))})
  agent triage = ${counter(file, ["technical", "done"])}
  start H
  state H = coordinate [billing, technical] by triage steps 3 timeout 20s {
    prompt "Fix my app"
    on success -> DONE
    otherwise -> DONE
  }
  final DONE
}`;
    const result = await harness(src, "H").run();
    expect(result).toMatchObject({
      status: "succeeded",
      route: ["technical"],
      output: "echo: Fix my app",
      agentCalls: 3,
    });
    expect(counted(file)).toHaveLength(2);
  });

  it("reads the router's answer", () => {
    const specialists = ["billing", "technical", "tech"];
    const read = (output: unknown) => readRoute({ output, text: "" }, specialists);
    expect(read("Technical")).toEqual({ kind: "next", specialist: "technical" });
    expect(read("I think tech should answer, then billing")).toEqual({
      kind: "next",
      specialist: "tech",
    });
    expect(read("finish")).toEqual({ kind: "finish" });
    expect(read({ done: true })).toEqual({ kind: "finish" });
    expect(read({ finish: true, answer: null })).toEqual({ kind: "finish", answer: null });
    expect(read({ next: "billing", done: false })).toEqual({ kind: "next", specialist: "billing" });
    expect(read({ specialist: "Billing", input: "Refund #1" })).toEqual({
      kind: "next",
      specialist: "billing",
      input: "Refund #1",
    });
    expect(read({ agent: "tech", input: { order: 1 } })).toEqual({
      kind: "next",
      specialist: "tech",
      input: '{"order":1}',
    });
    expect(read({ next: "tech", input: "  " })).toEqual({ kind: "next", specialist: "tech" });
    expect(read("nobody")).toMatchObject({ kind: "invalid" });
    expect(read(undefined)).toEqual({ kind: "invalid", problem: "is empty" });
    expect(read(42)).toEqual({ kind: "invalid", problem: "is neither text nor a JSON object" });
  });
});

describe("subworkflow states", () => {
  const source = (mode: string, input: string) => `import "./child.aegis" as child
workflow t {
  input repo: string = "aegis"
  start S
  state S = subworkflow child ${mode} timeout 20s {
    ${input}
    on success -> DONE
    otherwise -> FAILED
  }
  final DONE
  final FAILED failure
}`;

  const files = {
    "/virtual/child.aegis": `workflow child {
  input repo?: string
  input note?: string
  input n?: number
  input input?: string
  start OK
  final OK
}`,
  };
  const calls: { alias: string; inputs: Record<string, unknown>; detached: boolean }[] = [];
  const subworkflow =
    (status: "succeeded" | "failed", output?: unknown): ExecutorServices["subworkflow"] =>
    async (alias, inputs, detached) => {
      calls.push({ alias, inputs, detached });
      return {
        id: `child-${calls.length}`,
        status: detached ? "running" : status,
        ...(output !== undefined && { output }),
        ...(status === "failed" && { error: { code: "state-failed", message: "a check failed" } }),
      };
    };

  it("passes rendered inputs and waits for a blocking child", async () => {
    const result = await harness(
      source("blocking", 'input { repo: "{{input.repo}}", note: "n" }'),
      "S",
      {
        files,
        subworkflow: subworkflow("succeeded", { report: "ok" }),
      },
    ).run();
    expect(result).toMatchObject({
      status: "succeeded",
      output: { report: "ok" },
      result: { report: "ok" },
      child_execution_id: expect.stringMatching(/^child-/),
    });
    expect(calls.at(-1)).toEqual({
      alias: "child",
      inputs: { repo: "aegis", note: "n" },
      detached: false,
    });
  });

  it("parses a JSON input template; other text is {input}", async () => {
    await harness(
      source("blocking", 'input "{\\"repo\\": \\"{{input.repo}}\\", \\"n\\": 2}"'),
      "S",
      { files, subworkflow: subworkflow("succeeded") },
    ).run();
    expect(calls.at(-1)!.inputs).toEqual({ repo: "aegis", n: 2 });
    await harness(source("blocking", 'input "check {{input.repo}}"'), "S", {
      files,
      subworkflow: subworkflow("succeeded"),
    }).run();
    expect(calls.at(-1)!.inputs).toEqual({ input: "check aegis" });
  });

  it("fails with a failed child", async () => {
    const result = await harness(source("blocking", ""), "S", {
      files,
      subworkflow: subworkflow("failed"),
    }).run();
    expect(result).toMatchObject({ status: "failed", error: { code: "subworkflow-failed" } });
    expect(result.error?.message).toContain("a check failed");
  });

  it("returns a detached child's id at once", async () => {
    const result = await harness(source("detached", ""), "S", {
      files,
      subworkflow: subworkflow("succeeded"),
    }).run();
    expect(result).toMatchObject({
      status: "succeeded",
      child_execution_id: expect.stringMatching(/^child-/),
    });
    expect(calls.at(-1)!.detached).toBe(true);
  });

  it("fails when the engine cannot start the child", async () => {
    const result = await harness(source("blocking", ""), "S", {
      files,
      subworkflow: () => Promise.reject(new Error("no such workflow")),
    }).run();
    expect(result).toMatchObject({
      status: "failed",
      error: { code: "subworkflow-error", message: "no such workflow" },
    });
  });
});
