// The engine with the real executor (executeState) and real providers: agents supplied as
// functions, agents overridden by an agents file's command, a shell state; a gate; a run
// stopped while a function agent works, resumed with the same idempotency key.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createEngine } from "../../../src/runtime/engine.ts";
import { FileStore } from "../../../src/runtime/store/file.ts";
import type { AgentInvocation } from "../../../src/runtime/types.ts";
import { compileSource, tempDir } from "./helpers.ts";

const source = `
workflow real "Plan, approve, build, check" {
  input task: string
  agent planner
  agent coder = claude(model: "opus")
  limits { transitions: 20 }
  start PLAN

  state PLAN = agent planner timeout 1m visits 3 {
    prompt "Plan {{input.task}}.{{#if state.feedback}} Feedback: {{state.feedback}}{{/if}}"
    on success -> APPROVE
    on failure -> FAILED
  }
  state APPROVE = human timeout 1h {
    prompt "Approve? {{PLAN.output}}"
    on approved -> BUILD
    on rejected -> PLAN feedback "{{human.feedback}}"
  }
  state BUILD = agent coder timeout 1m {
    prompt "Build {{PLAN.output}}"
    on success -> CHECK
    on failure -> FAILED
  }
  state CHECK = run "echo checked" timeout 1m {
    on exit 0 -> DONE
    otherwise -> FAILED
  }
  final DONE
  final FAILED failure
}
`;

describe("the engine with executeState", () => {
  it("runs function agents, an agents-file command and a shell state, across a gate", async () => {
    const workflow = compileSource(source);
    const store = new FileStore(join(tempDir(), "runs"));
    const calls: AgentInvocation[] = [];
    const functions = {
      planner: (call: AgentInvocation) => {
        calls.push(call);
        return `a plan for ${call.prompt.replace(/^Plan /, "")}`;
      },
    };
    // The declared coder is Claude Code; on this machine it is a local command.
    const agents = { coder: { provider: "command", command: "cat >/dev/null; echo built it" } };
    const engine = createEngine({ store, functions, agents });
    const waiting = await (
      await engine.start(workflow, { task: "a parser" }, { id: "real" })
    ).result();
    expect(waiting.status).toBe("waiting");
    expect(waiting.results.PLAN?.output).toBe("a plan for a parser.");

    const rejected = await (
      await createEngine({ store, functions }).signal("real", {
        approve: false,
        feedback: "smaller",
      })
    ).result();
    expect(rejected.status).toBe("waiting");
    expect(calls.map((c) => [c.prompt, c.idempotencyKey])).toEqual([
      ["Plan a parser.", "real:PLAN:1:1"],
      ["Plan a parser. Feedback: smaller", "real:PLAN:2:1"],
    ]);

    // A later process: the agents override was kept with the run.
    const done = await (
      await createEngine({ store, functions }).signal("real", { approve: true })
    ).result();
    expect(done.status).toBe("succeeded");
    expect(done.results.BUILD?.output).toBe("built it");
    expect(done.results.CHECK).toMatchObject({
      status: "succeeded",
      exit_code: 0,
      stdout: "checked\n",
    });
    expect(done.agentCalls).toBe(3);
  });

  it("re-executes the agent call in flight with the same idempotency key after a stop", async () => {
    const workflow = compileSource(source);
    const store = new FileStore(join(tempDir(), "runs"));
    const keys: string[] = [];
    let hang = true;
    const functions = {
      planner: (call: AgentInvocation) => {
        keys.push(call.idempotencyKey);
        if (!hang) return "plan";
        return new Promise((_, reject) =>
          call.signal.addEventListener("abort", () => reject(new Error("stopped"))),
        );
      },
    };
    const first = createEngine({ store, functions });
    const handle = await first.start(workflow, { task: "x" }, { id: "stop" });
    while (keys.length === 0) await new Promise((r) => setTimeout(r, 5));
    await first.close();
    expect((await handle.result()).status).toBe("running");
    hang = false;
    const resumed = await (await createEngine({ store, functions }).resume("stop")).result();
    expect(resumed.status).toBe("waiting");
    expect(keys).toEqual(["stop:PLAN:1:1", "stop:PLAN:1:1"]);
    expect(resumed.results.PLAN?.output).toBe("plan");
  });
});
