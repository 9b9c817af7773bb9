// Coordinators as Ajolopy's @Workflow, through the library (compile + createEngine) with
// function agents: a specialist's failure reaches the router, which routes elsewhere (and
// the run's events say so); running out of steps fails with its own code, unless
// `then finish`; the router is given the run's context (as an object, and as JSON in its
// prompt) and may finish with its own answer; replies it cannot follow fail with a code.
import { describe, expect, it } from "vitest";
import { createEngine } from "../../../src/runtime/engine.ts";
import { MemoryStore } from "../../../src/runtime/store/memory.ts";
import type {
  AgentFunction,
  AgentInvocation,
  RouterContext,
  RunObservation,
  RunRecord,
} from "../../../src/runtime/types.ts";
import { compileSource } from "./helpers.ts";

const source = (steps = "steps 3") => `workflow support {
  input message: string
  agent billing = function("billing")
  agent technical = function("technical")
  agent general = function("general")
  agent triage = function("triage")
  start INTAKE
  state INTAKE = branch { on true -> H feedback "Keep it short." }
  state H = coordinate [billing, technical, general] by triage ${steps} timeout 20s {
    prompt "Customer: {{input.message}}"
    on success -> DONE
    otherwise -> FAILED
  }
  final DONE
  final FAILED failure
}`;

const message = "I was charged twice and the app crashes";

async function run(
  functions: Record<string, AgentFunction>,
  steps?: string,
): Promise<{ record: RunRecord; log: RunObservation[]; seen: RunObservation[] }> {
  const store = new MemoryStore();
  const seen: RunObservation[] = [];
  const engine = createEngine({ store, functions, onObservation: (o) => seen.push(o) });
  const handle = await engine.start(compileSource(source(steps)), { message }, { id: "r1" });
  const record = await handle.result();
  return { record, log: await store.readLog("r1"), seen };
}

/** A router that answers from a script, one reply per round, keeping what it was given. */
function scriptedRouter(replies: unknown[]) {
  const invocations: AgentInvocation[] = [];
  const triage: AgentFunction = (inv) => {
    invocations.push(inv);
    return replies[Math.min(invocations.length - 1, replies.length - 1)];
  };
  return { triage, invocations };
}

/** The JSON block that ends a router's prompt. */
function promptContext(prompt: string): unknown {
  const match = /```json\n([\s\S]*)\n```$/.exec(prompt);
  if (!match) throw new Error(`no context block at the end of: ${prompt}`);
  return JSON.parse(match[1]!);
}

describe("a coordinator whose specialist fails", () => {
  it("gives the error to the router, which routes elsewhere; the run's events say so", async () => {
    const contexts: RouterContext[] = [];
    const triage: AgentFunction = (inv) => {
      const context = inv.context!;
      contexts.push(context);
      const last = context.results.at(-1);
      if (!last) return { next: "billing", input: "Refund the double charge." };
      if (last.status !== "succeeded") return { next: "general", input: "Billing is down." };
      return { finish: true, answer: `Sorted: ${last.output}` };
    };
    const { record, log, seen } = await run({
      triage,
      billing: () => {
        throw new Error("the billing service is unavailable");
      },
      general: (inv) => `general handled "${inv.prompt}"`,
      technical: () => "unused",
    });

    expect(record.status).toBe("succeeded");
    expect(record.current).toBe("DONE");
    expect(record.results.H).toMatchObject({
      status: "succeeded",
      route: ["billing", "general"],
      steps: 3,
      output: 'Sorted: general handled "Billing is down."',
      agentCalls: 5,
    });
    // The router saw the failure as a result marked as an error.
    const failure = {
      step: 1,
      agent: "billing",
      input: "Refund the double charge.",
      status: "failed",
      error: {
        code: "agent-function",
        message: "function agent 'billing' failed: the billing service is unavailable",
      },
    };
    expect(contexts[1]!.results).toEqual([failure]);
    expect(record.results.H!.results).toEqual([
      failure,
      {
        step: 2,
        agent: "general",
        input: "Billing is down.",
        status: "succeeded",
        output: 'general handled "Billing is down."',
      },
    ]);
    const event = {
      type: "specialist-failed",
      run: "r1",
      state: "H",
      agent: "billing",
      step: 1,
      error: failure.error,
    };
    expect(log.filter((o) => o.type === "specialist-failed")).toEqual([
      { ...event, at: expect.any(String) },
    ]);
    expect(seen.filter((o) => o.type === "specialist-failed")).toEqual([
      { ...event, at: expect.any(String) },
    ]);
  });

  it("may ask the failed specialist again", async () => {
    let attempts = 0;
    const { triage, invocations } = scriptedRouter([
      { next: "technical" },
      { next: "technical" },
      { finish: true },
    ]);
    const { record, log } = await run({
      triage,
      technical: () => {
        attempts += 1;
        if (attempts === 1) throw new Error("flaky");
        return "fixed in 2.4.1";
      },
      billing: () => "unused",
      general: () => "unused",
    });
    expect(record.results.H).toMatchObject({
      status: "succeeded",
      route: ["technical", "technical"],
      output: "fixed in 2.4.1",
    });
    expect(invocations[1]!.context!.results.map((r) => r.status)).toEqual(["failed"]);
    expect(log.filter((o) => o.type === "specialist-failed")).toHaveLength(1);
  });
});

describe("a coordinator's step cap", () => {
  const neverFinishing = () => ({
    triage: () => ({ next: "technical", input: "Look again." }),
    technical: (inv: AgentInvocation) => `looked (${inv.idempotencyKey.split(":").pop()})`,
    billing: () => "unused",
    general: () => "unused",
  });

  it("fails with coordinator-steps-exhausted, the cap and the count", async () => {
    const { record } = await run(neverFinishing(), "steps 3");
    expect(record.status).toBe("failed");
    expect(record.current).toBe("FAILED");
    expect(record.results.H).toMatchObject({
      status: "failed",
      steps: 3,
      route: ["technical", "technical", "technical"],
      agentCalls: 6,
      error: {
        code: "coordinator-steps-exhausted",
        message:
          "coordinator 'H' ran out of steps: 3 of 3 taken and router 'triage' did not finish (3 specialist calls, 0 failed)",
      },
    });
  });

  it("counts the failed calls in the message", async () => {
    const { record } = await run(
      {
        triage: () => "billing",
        billing: () => {
          throw new Error("down");
        },
        technical: () => "unused",
        general: () => "unused",
      },
      "steps 2",
    );
    expect(record.results.H!.error).toEqual({
      code: "coordinator-steps-exhausted",
      message:
        "coordinator 'H' ran out of steps: 2 of 2 taken and router 'triage' did not finish (2 specialist calls, 2 failed)",
    });
  });

  it("with `then finish`, ends well with the last specialist answer", async () => {
    const { record } = await run(neverFinishing(), "steps 3 then finish");
    expect(record.status).toBe("succeeded");
    expect(record.current).toBe("DONE");
    expect(record.results.H).toMatchObject({
      status: "succeeded",
      steps: 3,
      output: "looked (specialist-2)",
    });
    expect(record.results.H!.error).toBeUndefined();
  });

  it("with `then finish` but no answer to finish with, still fails", async () => {
    const { record } = await run(
      {
        triage: () => ({ next: "billing" }),
        billing: () => {
          throw new Error("down");
        },
        technical: () => "unused",
        general: () => "unused",
      },
      "steps 2 then finish",
    );
    expect(record.results.H).toMatchObject({
      status: "failed",
      error: {
        code: "coordinator-steps-exhausted",
        message: expect.stringContaining("no specialist answered, so there is no answer"),
      },
    });
    expect(record.current).toBe("FAILED");
  });

  it("`then fail` is the default, written out", async () => {
    const { record } = await run(neverFinishing(), "steps 2 then fail");
    expect(record.results.H!.error!.code).toBe("coordinator-steps-exhausted");
  });
});

describe("what a router is given", () => {
  it("a function router gets the run's context as an object, each round", async () => {
    const { triage, invocations } = scriptedRouter([
      { next: "billing", input: { order: 4392 } },
      { next: "technical" },
      { finish: true, answer: "done" },
    ]);
    await run({
      triage,
      billing: () => ({ refunded: true }),
      technical: (inv) => `prompt was: ${inv.prompt}`,
      general: () => "unused",
    });
    expect(invocations.map((i) => i.context!.step_count)).toEqual([0, 1, 2]);
    expect(invocations[0]!.context).toEqual({
      task: `Customer: ${message}`,
      inputs: { message },
      specialists: ["billing", "technical", "general"],
      results: [],
      step_count: 0,
      max_steps: 3,
      feedback: "Keep it short.",
    });
    expect(invocations[2]!.context).toEqual({
      task: `Customer: ${message}`,
      inputs: { message },
      specialists: ["billing", "technical", "general"],
      results: [
        {
          step: 1,
          agent: "billing",
          input: '{"order":4392}',
          status: "succeeded",
          output: { refunded: true },
        },
        {
          step: 2,
          agent: "technical",
          // No input from the router: the task and the work so far.
          input: `Customer: ${message}\n\nWork so far:\n1. billing:\n{"refunded":true}`,
          status: "succeeded",
          output: `prompt was: Customer: ${message}\n\nWork so far:\n1. billing:\n{"refunded":true}`,
        },
      ],
      step_count: 2,
      max_steps: 3,
      feedback: "Keep it short.",
    });
  });

  it("every router gets the same context as JSON at the end of its prompt", async () => {
    const { triage, invocations } = scriptedRouter([{ next: "general" }, { finish: true }]);
    await run({ triage, general: () => "hello", billing: () => "", technical: () => "" });
    for (const inv of invocations) {
      expect(promptContext(inv.prompt)).toEqual(inv.context);
      expect(inv.prompt.startsWith(`Customer: ${message}\n\n`)).toBe(true);
      expect(inv.prompt).toContain('{"next": "<specialist>", "input": "<what to ask them>"}');
      expect(inv.prompt).toContain('{"finish": true, "answer": "<the final answer>"}');
    }
    expect(invocations[1]!.prompt).toContain("This is step 2 of at most 3.");
    expect((promptContext(invocations[1]!.prompt) as RouterContext).results).toEqual([
      {
        step: 1,
        agent: "general",
        input: `Customer: ${message}`,
        status: "succeeded",
        output: "hello",
      },
    ]);
  });

  it("a router's changes to what it is given do not reach the run", async () => {
    const triage: AgentFunction = (inv) => {
      const context = inv.context!;
      (context.inputs as Record<string, unknown>).message = "changed";
      for (const r of context.results) r.output = "changed";
      return context.results.length === 0 ? "general" : "finish";
    };
    const { record } = await run({
      triage,
      general: () => "kept",
      billing: () => "",
      technical: () => "",
    });
    expect(record.inputs).toEqual({ message });
    expect(record.results.H).toMatchObject({ output: "kept", results: [{ output: "kept" }] });
  });
});

describe("a router that finishes", () => {
  it("makes its answer the state's output", async () => {
    const { triage } = scriptedRouter([
      { next: "billing" },
      { finish: true, answer: "Refunded, and update to 2.4.1." },
    ]);
    const { record } = await run({
      triage,
      billing: () => "refund issued",
      technical: () => "",
      general: () => "",
    });
    expect(record.results.H).toMatchObject({
      status: "succeeded",
      output: "Refunded, and update to 2.4.1.",
      route: ["billing"],
      steps: 2,
    });
  });

  it("may answer at once, with any JSON value, without a specialist", async () => {
    const { triage } = scriptedRouter([
      '```json\n{"done": true, "answer": {"reply": "No action needed."}}\n```',
    ]);
    const { record } = await run({
      triage,
      billing: () => "",
      technical: () => "",
      general: () => "",
    });
    expect(record.results.H).toMatchObject({
      status: "succeeded",
      output: { reply: "No action needed." },
      route: [],
      steps: 1,
      agentCalls: 1,
    });
  });

  it("without an answer, ends with the last specialist answer", async () => {
    const { triage } = scriptedRouter(["technical", "Done."]);
    const { record } = await run({
      triage,
      technical: () => "update the app",
      billing: () => "",
      general: () => "",
    });
    expect(record.results.H).toMatchObject({ status: "succeeded", output: "update the app" });
  });
});

describe("router replies that cannot be followed", () => {
  const cases: [string, unknown, string][] = [
    [
      "an unknown specialist",
      { next: "marketing" },
      `names 'marketing', who is not a specialist (billing, technical, general): "{\\"next\\":\\"marketing\\"}"`,
    ],
    [
      "both finish and next",
      { finish: true, next: "billing" },
      `says both "finish": true and "next": "{\\"finish\\":true,\\"next\\":\\"billing\\"}"`,
    ],
    [
      "an answer without finish",
      { next: "billing", answer: "x" },
      `gives an "answer" but hands the work to 'billing' (not "finish": true)`,
    ],
    ["a finish that is not a boolean", { finish: "yes" }, `has "finish": "yes", not true or false`],
    ["neither next nor finish", { reasoning: "hmm" }, `has neither "next" nor "finish"`],
    ["done: false and nobody next", { done: false }, `says "done": false but names no "next"`],
    ["a next that is not a name", { next: 3 }, `has "next": 3, not a specialist's name`],
    ["broken JSON", '{"next": billing', `is not a valid JSON object: "{\\"next\\": billing"`],
    [
      "text that names nobody",
      "the marketing team",
      `names no specialist (billing, technical, general) and does not say finish: "the marketing team"`,
    ],
    ["an empty reply", "", `is empty: ""`],
    ["a list", ["billing"], "is neither text nor a JSON object"],
  ];

  it.each(cases)("fails the state with router-invalid: %s", async (_what, reply, problem) => {
    const { record } = await run({
      triage: () => reply,
      billing: () => "",
      technical: () => "",
      general: () => "",
    });
    expect(record.current).toBe("FAILED");
    const result = record.results.H!;
    expect(result).toMatchObject({ status: "failed", steps: 1, route: [], agentCalls: 1 });
    expect(result.error!.code).toBe("router-invalid");
    expect(result.error!.message).toContain(`the reply of router 'triage' ${problem}`);
  });

  it("a router that fails fails the state with its error", async () => {
    const { record } = await run({
      triage: () => {
        throw new Error("rate limited");
      },
      billing: () => "",
      technical: () => "",
      general: () => "",
    });
    expect(record.results.H).toMatchObject({
      status: "failed",
      error: { code: "agent-function", message: "function agent 'triage' failed: rate limited" },
    });
  });
});
