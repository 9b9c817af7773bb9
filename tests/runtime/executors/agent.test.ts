// Agent states: real executable agents (echo, JSON scores, failures, garbage, hangs,
// grandchildren) and in-process function agents; judges and refinement iterations;
// timeouts and cancellation.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { AgentInvocation } from "../../../src/runtime/types.ts";
import { agentPath, alive, counted, eventually, harness, q, tempDir } from "./helpers.ts";

/** A workflow with one agent state A calling `agent`, with extra agents and body lines. */
function workflow(agents: Record<string, string>, body: string, settings = "timeout 10s"): string {
  const declarations = Object.entries(agents)
    .map(([name, provider]) => `  agent ${name} = ${provider}`)
    .join("\n");
  return `workflow t {
  input word: string = "hello"
${declarations}
  start A
  state A = agent main ${settings} {
${body}
    on success -> DONE
    otherwise -> FAILED
  }
  final DONE
  final FAILED failure
}`;
}

const command = (script: string) => `command(${q(agentPath(script))})`;

describe("agent states with executable agents", () => {
  it("renders the prompt and the intent; the answer is the output", async () => {
    const h = harness(
      workflow(
        { main: command("echo-agent.js") },
        '    intent "a test"\n    prompt "Say {{input.word}} for {{intent}}"',
      ),
      "A",
      {
        inputs: { word: "bonjour" },
      },
    );
    const result = await h.run();
    expect(result).toMatchObject({
      status: "succeeded",
      output: "echo: Say bonjour for a test",
      exit_code: 0,
      agentCalls: 1,
      attempts: 1,
    });
    expect(result.duration).toBeGreaterThan(0);
    expect(
      h.observations.some(
        (o) => o.type === "state-output" && o.stream === "agent" && o.text.includes("bonjour"),
      ),
    ).toBe(true);
  });

  it("reads a JSON answer: score, confidence, reasoning, and the object as output", async () => {
    const h = harness(
      workflow(
        { main: `command(${q(`${agentPath("score-agent.js")} 0.85 0.6`)})` },
        '    prompt "Rate it"',
      ),
      "A",
    );
    const result = await h.run();
    expect(result).toMatchObject({
      status: "succeeded",
      score: 0.85,
      confidence: 0.6,
      reasoning: "scored 0.85",
    });
    expect(result.output).toMatchObject({ verdict: "pass" });
  });

  it("fails with agent-exit when the agent exits non-zero, keeping stderr and exit_code", async () => {
    const h = harness(workflow({ main: command("fail-agent.js") }, '    prompt "x"'), "A");
    const result = await h.run();
    expect(result.status).toBe("failed");
    expect(result.error?.code).toBe("agent-exit");
    expect(result.error?.message).toContain("something broke");
    expect(result).toMatchObject({ exit_code: 1, stderr: "something broke\n", agentCalls: 1 });
  });

  it("takes garbage as text", async () => {
    const result = await harness(
      workflow({ main: command("garbage-agent.js") }, '    prompt "x"'),
      "A",
    ).run();
    expect(result.status).toBe("succeeded");
    expect(String(result.output)).toContain("not json");
    expect(result.score).toBeUndefined();
  });

  it("fails when the agent was to answer JSON and printed garbage", async () => {
    const source = workflow(
      { main: `command(${q(agentPath("garbage-agent.js"))}, output: "json")` },
      '    prompt "x"',
    );
    const result = await harness(source, "A").run();
    expect(result).toMatchObject({ status: "failed", error: { code: "agent-output" } });
  });

  it("times out, and kills the agent's whole process tree", async () => {
    const pidFile = join(tempDir(), "pid");
    const source = workflow(
      { main: `command(${q(agentPath("grandchild-agent.js"))}, env: { PID_FILE: ${q(pidFile)} })` },
      '    prompt "x"',
      // 3 s: time enough for the agent and its grandchild to start on a loaded machine; the
      // agent never ends by itself, so that the state ends shows the timeout stopped it.
      "timeout 3s",
    );
    const result = await harness(source, "A").run({ killGraceMs: 500 });
    expect(result.status).toBe("timed_out");
    expect(result.error?.code).toBe("timeout");
    expect(result.agentCalls).toBe(1);
    const grandchild = Number(readFileSync(pidFile, "utf8"));
    expect(await eventually(() => !alive(grandchild))).toBe(true);
  });

  it("stops when the run is cancelled", async () => {
    const pidFile = join(tempDir(), "pid");
    const controller = new AbortController();
    const source = workflow(
      { main: `command(${q(agentPath("hang-agent.js"))}, env: { PID_FILE: ${q(pidFile)} })` },
      '    prompt "x"',
      "timeout 1m",
    );
    // Cancelled once the agent runs (its pid file exists): an event, not a delay.
    void eventually(() => existsSync(pidFile)).then(() => controller.abort());
    const result = await harness(source, "A", { signal: controller.signal }).run({
      killGraceMs: 500,
    });
    expect(result).toMatchObject({ status: "failed", error: { code: "cancelled" } });
    expect(await eventually(() => !alive(Number(readFileSync(pidFile, "utf8"))))).toBe(true);
  });

  it("fails at once when the run is already cancelled", async () => {
    const controller = new AbortController();
    controller.abort();
    const result = await harness(
      workflow({ main: command("echo-agent.js") }, '    prompt "x"'),
      "A",
      { signal: controller.signal },
    ).run();
    expect(result).toMatchObject({ status: "failed", error: { code: "cancelled" }, agentCalls: 0 });
  });

  it("times out a function agent that never answers", async () => {
    const source = workflow({ main: 'function("stuck")' }, '    prompt "x"', "timeout 300ms");
    // The function never answers: that the state ends shows the timeout ended it.
    const result = await harness(source, "A", {
      functions: { stuck: () => new Promise(() => {}) },
    }).run({ killGraceMs: 200 });
    expect(result).toMatchObject({
      status: "timed_out",
      error: { code: "timeout" },
      agentCalls: 1,
    });
  });

  it("gives the function agent the invocation: prompt, intent, ids, signal", async () => {
    let seen: AgentInvocation | undefined;
    const source = workflow(
      { main: 'function("look")' },
      '    intent "why {{input.word}}"\n    prompt "what"',
    );
    await harness(source, "A", {
      functions: {
        look: (inv: AgentInvocation) => {
          seen = inv;
          return "ok";
        },
      },
    }).run();
    expect(seen).toMatchObject({
      agent: "main",
      prompt: "what",
      intent: "why hello",
      state: "A",
      run: "run-1",
      idempotencyKey: "run-1:A:1:1",
    });
    expect(seen?.signal.aborted).toBe(false);
  });

  it("chooses the agent from a name template", async () => {
    const source = `workflow t {
  input language: string = "rust"
  agent rust-expert = function("rust")
  agent python-expert = function("python")
  start A
  state A = agent "{{input.language}}-expert" timeout 5s {
    prompt "Fix it"
    on success -> DONE
    otherwise -> FAILED
  }
  final DONE
  final FAILED failure
}`;
    const functions = { rust: () => "cargo fix", python: () => "ruff --fix" };
    expect(
      (await harness(source, "A", { functions, inputs: { language: "python" } }).run()).output,
    ).toBe("ruff --fix");
    const unknown = await harness(source, "A", { functions, inputs: { language: "cobol" } }).run();
    expect(unknown).toMatchObject({
      status: "failed",
      error: { code: "agent-missing" },
      agentCalls: 0,
    });
  });
});

describe("agent states with judges and iterations", () => {
  it("judges score the answer; their consensus is the state's score", async () => {
    const source = workflow(
      {
        main: command("echo-agent.js"),
        strict: `command(${q(`${agentPath("score-agent.js")} 0.6 1`)})`,
        lenient: `command(${q(`${agentPath("score-agent.js")} 1.0 1`)})`,
      },
      '    prompt "Write"\n    judge strict weight 3\n    judge lenient prompt "Is it good?"\n    consensus { strategy: weighted_average, threshold: 0.5 }',
    );
    const result = await harness(source, "A").run();
    expect(result.status).toBe("succeeded");
    expect(result.output).toBe("echo: Write");
    expect(result.score).toBeCloseTo(0.7);
    expect(result.consensus?.reached).toBe(true);
    expect(result.agentCalls).toBe(3);
    expect(result.agents?.map((a) => a.agent)).toEqual(["strict", "lenient"]);
  });

  it("iterates until the judges approve, feeding back the previous answer", async () => {
    const counter = join(tempDir(), "calls");
    const source = workflow(
      {
        main: `command(${q(agentPath("counter-agent.js"))}, env: { COUNTER_FILE: ${q(counter)}, RESPONSES: ${q(JSON.stringify(["draft score=0.2", "better score=0.4", "good score=0.9", "never"]))} })`,
        judge: `command(${q(agentPath("score-agent.js"))}, env: { SCORE_FROM_PROMPT: "1" })`,
      },
      '    prompt "Write a poem"\n    judge judge\n    consensus { strategy: weighted_average, threshold: 0.8 }\n    iterations 4',
    );
    const result = await harness(source, "A").run();
    expect(result).toMatchObject({
      status: "succeeded",
      output: "good score=0.9",
      iterations: 3,
      score: 0.9,
    });
    expect(result.agentCalls).toBe(6);
    const prompts = counted(counter);
    expect(prompts).toHaveLength(3);
    expect(prompts[0]).toBe("Write a poem");
    expect(prompts[1]).toContain("Your previous answer:\ndraft score=0.2");
    expect(prompts[1]).toContain("judge: score 0.2");
    expect(prompts[2]).toContain("better score=0.4");
  });

  it("stops after N iterations with the last answer when the judges never approve", async () => {
    let calls = 0;
    const source = workflow(
      { main: 'function("writer")', judge: 'function("harsh")' },
      '    prompt "{{#if previous}}Again ({{iteration}}/{{max_iterations}}): {{previous}}{{else}}First{{/if}}"\n    judge judge\n    iterations 3',
    );
    const prompts: string[] = [];
    const result = await harness(source, "A", {
      functions: {
        writer: (inv: AgentInvocation) => {
          prompts.push(inv.prompt);
          calls += 1;
          return `answer ${calls}`;
        },
        harsh: () => ({ score: 0.1, reasoning: "no" }),
      },
    }).run();
    expect(result).toMatchObject({
      status: "succeeded",
      output: "answer 3",
      iterations: 3,
      score: 0.1,
    });
    expect(result.consensus?.reached).toBe(false);
    expect(prompts).toEqual(["First", "Again (1/3): answer 1", "Again (2/3): answer 2"]);
  });

  it("answers once with iterations but no judges", async () => {
    let calls = 0;
    const source = workflow({ main: 'function("writer")' }, '    prompt "x"\n    iterations 3');
    const result = await harness(source, "A", {
      functions: { writer: () => `answer ${++calls}` },
    }).run();
    expect(result).toMatchObject({
      status: "succeeded",
      output: "answer 1",
      iterations: 1,
      agentCalls: 1,
    });
  });

  it("fails when fewer judges answer than min_judges", async () => {
    const source = workflow(
      {
        main: command("echo-agent.js"),
        good: command("score-agent.js"),
        bad: command("fail-agent.js"),
      },
      '    prompt "x"\n    judge good\n    judge bad\n    consensus { strategy: majority, threshold: 0.5, min_judges: 2 }',
    );
    const result = await harness(source, "A").run();
    expect(result.status).toBe("failed");
    expect(result.error?.code).toBe("judges-quorum");
    expect(result.output).toBe("echo: x");
  });
});
