// AgentOS workflows run by the engine as AgentOS means them: each step runs the agent it
// names (agents is a set), a step's config reaches what runs it (a function agent's
// call.options, a program agent's $AEGIS_OPTIONS), templates rendered for each call, and
// `sandbox: docker` runs a tool::shell_exec command in a container (a fake docker client,
// tests/fixtures/agents/bin/docker, records what it was asked to run).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { CompileResult } from "../../src/compiler/compile.ts";
import { createEngine, type EngineOptions } from "../../src/runtime/engine.ts";
import { MemoryStore } from "../../src/runtime/store/memory.ts";
import type { AgentFunction, AgentInvocation, RunRecord } from "../../src/runtime/types.ts";
import { agentos, compileYaml, errors } from "../helpers/yaml.ts";
import { AGENTS, FAKE_BIN, tempDir } from "../runtime/executors/helpers.ts";

function compiled(text: string): CompileResult {
  const result = compileYaml(text);
  expect(errors(result)).toEqual([]);
  return result;
}

/** Runs `workflow` with function agents that note every call and answer as given. */
async function run(
  workflow: CompileResult,
  inputs: Record<string, unknown>,
  answers: Record<string, (call: AgentInvocation) => unknown>,
  agents?: EngineOptions["agents"],
): Promise<{ record: RunRecord; calls: Record<string, AgentInvocation[]> }> {
  const calls: Record<string, AgentInvocation[]> = {};
  const functions: Record<string, AgentFunction> = {};
  for (const [name, answer] of Object.entries(answers)) {
    calls[name] = [];
    functions[name] = (call) => {
      calls[name]!.push(call);
      return answer(call);
    };
  }
  const engine = createEngine({ store: new MemoryStore(), functions, ...(agents && { agents }) });
  const record = await (await engine.start(workflow, inputs, { id: "r" })).result();
  return { record, calls };
}

describe("the agent a step names", () => {
  it("runs each step's agent by its name, whatever the order of agents", async () => {
    const text = agentos(
      `
        - name: Spec
          agent: architect
          promptTemplate: "Design {{feature}}"
          outputVar: spec
        - name: Build
          config: { agentId: coder }
          promptTemplate: "Build {{spec}}"
        - name: Check
          agent: architect
          promptTemplate: "Check the build"
      `,
      { agents: ["coder", "reviewer", "architect"] },
    );
    const { record, calls } = await run(
      compiled(text),
      { feature: "a parser" },
      {
        architect: (call) => `spec by architect for ${call.state}`,
        coder: () => "code",
        reviewer: () => "never called",
      },
    );
    expect(record.status).toBe("succeeded");
    expect(calls.architect!.map((c) => [c.state, c.prompt])).toEqual([
      ["SPEC", "Design a parser"],
      ["CHECK", "Check the build"],
    ]);
    expect(calls.coder!.map((c) => [c.state, c.prompt])).toEqual([
      ["BUILD", "Build spec by architect for SPEC"],
    ]);
    expect(calls.reviewer).toEqual([]);
  });

  it("does not start when chat, which runs the steps that name no agent, has no provider", async () => {
    const text = agentos("- name: Spec\n- name: Build\n  agent: coder", {
      agents: ["architect", "coder"],
    });
    const engine = createEngine({ store: new MemoryStore(), functions: { coder: () => "x" } });
    await expect(engine.start(compileYaml(text), {})).rejects.toMatchObject({
      code: "agent-no-provider",
      message: expect.stringContaining("agent 'chat' has no provider (state SPEC)"),
    });
  });
});

describe("config", () => {
  it("reaches a hand::run function as the call's options, its templates rendered", async () => {
    const text = agentos(
      `
        - name: Brief
          promptTemplate: "Brief on {{workflow_input.topic}}"
          outputVar: brief
        - name: Background Research
          functionId: "hand::run"
          promptTemplate: "Research it"
          config:
            handId: researcher
            input:
              topic: "{{workflow_input.topic}}"
              tags: ["automated", "{{brief}}"]
              depth: 2
      `,
      { agents: ["writer"] },
    );
    const { record, calls } = await run(
      compiled(text),
      { topic: "WASM runtimes" },
      { writer: () => "the brief", "hand::run": () => ({ found: 3 }) },
    );
    expect(record.status).toBe("succeeded");
    expect(calls["hand::run"]!.map((c) => c.options)).toEqual([
      {
        handId: "researcher",
        input: { topic: "WASM runtimes", tags: ["automated", "the brief"], depth: 2 },
      },
    ]);
    expect(calls["hand::run"]![0]!.agent).toBe("hand_run");
    // The writer's step has no config: its calls carry none.
    expect(calls.writer!.map((c) => c.options)).toEqual([undefined]);
  });

  it("is rendered for each call: a loop's iteration, a fan-out's item", async () => {
    const text = agentos(
      `
        - name: Refine
          functionId: "tool::refine"
          mode: loop
          maxIterations: 2
          promptTemplate: "Round {{iteration}}"
          config: { round: "{{iteration}}" }
        - name: Score
          functionId: "tool::score"
          mode: fanout
          items: "{{workflow_input.files}}"
          config: { file: "{{item}}" }
      `,
      { agents: false },
    );
    const { record, calls } = await run(
      compiled(text),
      { files: ["a.ts", "b.ts"] },
      { "tool::refine": () => "better", "tool::score": () => 1 },
    );
    expect(record.status).toBe("succeeded");
    // As the prompt renders it (AgentOS counts iterations from 0 too).
    expect(calls["tool::refine"]!.map((c) => [c.prompt, c.options])).toEqual([
      ["Round 0", { round: "0" }],
      ["Round 1", { round: "1" }],
    ]);
    expect(
      calls["tool::score"]!.map((c) => c.options).sort((a, b) =>
        String(a?.file).localeCompare(String(b?.file)),
      ),
    ).toEqual([{ file: "a.ts" }, { file: "b.ts" }]);
  });

  it("reaches a program bound to the function as $AEGIS_OPTIONS (JSON)", async () => {
    const text = agentos(
      `
        - name: Research
          functionId: "hand::run"
          config: { handId: researcher, input: { topic: "{{workflow_input.topic}}" } }
          outputVar: research
      `,
      { agents: false },
    );
    const { record } = await run(
      compiled(text),
      { topic: "queues" },
      {},
      {
        hand_run: { provider: "command", command: `node ${join(AGENTS, "env-agent.js")}` },
      },
    );
    expect(record.status).toBe("succeeded");
    const seen = record.results.RESEARCH?.output as { env: Record<string, string> };
    expect(JSON.parse(seen.env.AEGIS_OPTIONS!)).toEqual({
      handId: "researcher",
      input: { topic: "queues" },
    });
    expect(seen.env.AEGIS_AGENT).toBe("hand_run");
  });
});

describe("sandbox: docker", () => {
  const saved = {
    AEGIS_CONTAINER_RUNTIME: process.env.AEGIS_CONTAINER_RUNTIME,
    FAKE_DOCKER_LOG: process.env.FAKE_DOCKER_LOG,
  };
  afterEach(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it("runs a tool::shell_exec command in a container, behind its approval gate", async () => {
    // tempDir: removed after the test (these were left in /tmp).
    const log = join(tempDir(), "docker.log");
    process.env.AEGIS_CONTAINER_RUNTIME = join(FAKE_BIN, "docker");
    process.env.FAKE_DOCKER_LOG = log;
    const text = agentos(
      `
        - name: Deploy to Production
          functionId: "tool::shell_exec"
          approval: sync
          sandbox: docker
          timeoutMs: 300000
          config:
            argv: ["make", "deploy", "TARGET={{workflow_input.target}}"]
            env: ["STAGE={{workflow_input.target}}"]
          outputVar: deployed
      `,
      { agents: false },
    );
    const engine = createEngine({ store: new MemoryStore() });
    const handle = await engine.start(compiled(text), { target: "prod" }, { id: "deploy" });
    expect((await handle.result()).status).toBe("waiting");
    // Nothing runs before the gate is approved.
    expect(existsSync(log)).toBe(false);
    const record = await (
      await engine.signal("deploy", { approve: true, approver: "ops" })
    ).result();
    expect(record.status).toBe("succeeded");
    const [call] = readFileSync(log, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { args: string[]; env: Record<string, string> });
    const name = "aegis-deploy-DEPLOY_TO_PRODUCTION-1";
    expect(call!.args).toEqual([
      "run",
      "--rm",
      "--name",
      name,
      "--network",
      "none",
      "--cpus",
      "1",
      "--memory",
      "256m",
      "-w",
      "/workspace",
      "-e",
      "STAGE",
      "-v",
      `${process.cwd()}:/workspace`,
      "ubuntu:22.04",
      "make",
      "deploy",
      "TARGET=prod",
    ]);
    expect(call!.env).toEqual({ STAGE: "prod" });
    expect(record.output).toEqual({ deployed: `hello from ${name}\n` });
  });
});
