// No run starts with an agent it cannot call: `engine.start` refuses overrides that name
// an agent the workflow does not have (agent-unknown, with "did you mean") and workflows
// whose agents — on any path, in any subworkflow — have no provider once overrides and
// functions are applied (agent-no-provider), before anything is stored. resume and signal
// refuse the same way, and leave the run as it was.
import { describe, expect, it } from "vitest";
import { createEngine } from "../../../src/runtime/engine.ts";
import { MemoryStore } from "../../../src/runtime/store/memory.ts";
import { RuntimeError } from "../../../src/runtime/types.ts";
import { compileSource } from "./helpers.ts";

// A security judge that weighs three times the style judge, and a panel that passes with
// one judge: the panel the issue lost its security judge from.
const review = compileSource(`
workflow review {
  input deep: boolean = false
  agent author
  agent security_judge
  agent style_judge
  agent auditor
  start WRITE
  state WRITE = agent author timeout 1m {
    prompt "write"
    on success -> ROUTE
  }
  state ROUTE = branch {
    on input.deep -> DEEP
    otherwise -> PANEL
  }
  // Reached only when input.deep: its agent must be callable all the same.
  state DEEP = agent auditor timeout 1m {
    prompt "audit"
    on success -> PANEL
  }
  state PANEL = parallel timeout 1m {
    judge security_judge weight 3 prompt "security"
    judge style_judge weight 1 prompt "style"
    consensus { strategy: weighted_average, threshold: 0.5, min_judges: 1 }
    on consensus -> DONE
    otherwise -> FAILED
  }
  final DONE
  final FAILED failure
}
`);

const answers = {
  author: () => "the change",
  security_judge: () => ({ score: 0.9 }),
  style_judge: () => ({ score: 0.9 }),
  auditor: () => "audited",
};

async function refusal(promise: Promise<unknown>): Promise<RuntimeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RuntimeError);
  return error as RuntimeError;
}

describe("agents checked before a run starts", () => {
  it("runs when every agent has a provider (functions and agents together)", async () => {
    const { auditor: _, ...functions } = answers;
    const engine = createEngine({
      functions,
      agents: { auditor: { provider: "command", command: "echo audited" } },
    });
    const record = await (await engine.start(review, {})).result();
    expect(record.status).toBe("succeeded");
    expect(record.results.PANEL?.judges?.map((j) => j.agent)).toEqual([
      "security_judge",
      "style_judge",
    ]);
  });

  it("an override naming an agent the workflow lacks is agent-unknown, with did you mean, and nothing is stored", async () => {
    const store = new MemoryStore();
    const engine = createEngine({
      store,
      functions: answers,
      agents: { securty_judge: { provider: "command", command: "echo 1" } },
    });
    const error = await refusal(engine.start(review, {}, { id: "typo" }));
    expect(error.code).toBe("agent-unknown");
    expect(error.message).toBe(
      "agent 'securty_judge' (did you mean 'security_judge'?) is given a provider but is not an agent of workflow 'review'; its agents are 'auditor', 'author', 'security_judge', 'style_judge'",
    );
    expect(await store.list()).toEqual([]);
    // The same through the start option.
    const plain = createEngine({ store, functions: answers });
    const again = await refusal(
      plain.start(review, {}, { agents: { stlye_judge: { provider: "command", command: "x" } } }),
    );
    expect(again.code).toBe("agent-unknown");
    expect(again.message).toContain("did you mean 'style_judge'?");
    const command = { provider: "command", command: "x" };
    const two = await refusal(
      plain.start(review, {}, { agents: { securty_judge: command, nobody: command } }),
    );
    expect(two.message).toMatch(
      /^agents 'securty_judge' \(did you mean 'security_judge'\?\), 'nobody' are given providers but are not agents of workflow 'review';/,
    );
    expect(await store.list()).toEqual([]);
  });

  it("an agent without a provider is agent-no-provider, whichever path reaches it, and nothing is stored", async () => {
    const store = new MemoryStore();
    const { security_judge: _, auditor: __, ...functions } = answers;
    const engine = createEngine({ store, functions });
    const error = await refusal(engine.start(review, { deep: false }, { id: "r" }));
    expect(error.code).toBe("agent-no-provider");
    expect(error.message).toContain("workflow 'review' cannot start: 2 of its agents");
    expect(error.message).toContain("agent 'security_judge' has no provider (state PANEL)");
    // DEEP is not on this run's path (deep: false), but another run's.
    expect(error.message).toContain("agent 'auditor' has no provider (state DEEP)");
    expect(error.message).toContain("--agents FILE");
    expect(await store.list()).toEqual([]);
  });

  it("a function agent needs its function; an override needs its provider's options", async () => {
    const wf = compileSource(`
workflow fn {
  agent helper = function("help")
  agent tool
  start A
  state A = agent helper timeout 1m { prompt "x" on success -> B }
  state B = agent tool timeout 1m { prompt "x" on success -> DONE }
  final DONE
}
`);
    const tool = { provider: "command", command: "echo hi" };
    const missingFunction = await refusal(createEngine({ agents: { tool } }).start(wf));
    expect(missingFunction.code).toBe("agent-no-provider");
    expect(missingFunction.message).toContain(
      "agent 'helper' is a function agent, and no function 'help' was supplied (state A)",
    );
    // A misspelt option leaves a command agent without its command.
    const misspelt = await refusal(
      createEngine({
        functions: { help: () => "ok" },
        agents: { tool: { provider: "command", comand: "echo hi" } },
      }).start(wf),
    );
    expect(misspelt.code).toBe("agent-no-provider");
    expect(misspelt.message).toContain("agent 'tool' (command) has no 'command' option (state B)");
    const ok = createEngine({ functions: { help: () => "ok" }, agents: { tool } });
    expect((await (await ok.start(wf)).result()).status).toBe("succeeded");
  });

  it("a subworkflow's agents are checked with the run's, and may be given providers", async () => {
    const wf = compileSource(
      `
import "./child.aegis" as child
workflow parent {
  agent lead = function("lead")
  start LEAD
  state LEAD = agent lead timeout 1m { prompt "x" on success -> CALL }
  state CALL = subworkflow child timeout 5m {
    input { name: "ana" }
    on success -> DONE
  }
  final DONE
}
`,
      {
        "/virtual/child.aegis": `
workflow child {
  input name: string
  agent helper
  start GREET
  state GREET = agent helper timeout 1m {
    prompt "Hi {{input.name}}"
    on success -> DONE
  }
  final DONE
}
`,
      },
    );
    const store = new MemoryStore();
    const lead = () => "led";
    const error = await refusal(createEngine({ store, functions: { lead } }).start(wf));
    expect(error.code).toBe("agent-no-provider");
    expect(error.message).toContain(
      "agent 'helper' has no provider (state GREET of subworkflow 'child')",
    );
    const typo = await refusal(
      createEngine({
        store,
        functions: { lead },
        agents: { helpr: { provider: "command" } },
      }).start(wf),
    );
    expect(typo.code).toBe("agent-unknown");
    expect(typo.message).toContain("did you mean 'helper'?");
    expect(await store.list()).toEqual([]);
    // An override for the child's agent is known, and passed to the child's run.
    const engine = createEngine({
      store,
      functions: { lead },
      agents: { helper: { provider: "command", command: "cat" } },
    });
    const record = await (await engine.start(wf, {}, { id: "p" })).result();
    expect(record.status).toBe("succeeded");
    expect((await engine.get("p.CALL.1.1")).output).toBe("Hi ana");
  });

  it("a name rendered at run time may be given a provider under a name the template makes", async () => {
    const wf = compileSource(`
workflow dynamic {
  input lang: string
  start A
  state A = agent "review-{{input.lang}}" timeout 1m { prompt "x" on success -> DONE }
  final DONE
}
`);
    const engine = createEngine({
      agents: { "review-python": { provider: "command", command: "echo reviewed" } },
    });
    const record = await (await engine.start(wf, { lang: "python" })).result();
    expect(record.status).toBe("succeeded");
    const error = await refusal(
      createEngine({ agents: { reviewer: { provider: "command", command: "x" } } }).start(wf, {
        lang: "python",
      }),
    );
    expect(error.code).toBe("agent-unknown");
  });

  it("resume and signal refuse the same, and the run stays where it was", async () => {
    const gated = compileSource(`
workflow gated {
  agent worker
  start ASK
  state ASK = human timeout 1h { prompt "go?" on approved -> WORK on rejected -> DONE }
  state WORK = agent worker timeout 1m { prompt "x" on success -> DONE }
  final DONE
}
`);
    const store = new MemoryStore();
    const worker = () => "worked";
    const first = createEngine({ store, functions: { worker } });
    const waiting = await (await first.start(gated, {}, { id: "g" })).result();
    expect(waiting.status).toBe("waiting");
    // Another process, without the function: it cannot call WORK's agent.
    const without = createEngine({ store });
    const noProvider = await refusal(without.signal("g", { approve: true }));
    expect(noProvider.code).toBe("agent-no-provider");
    expect(noProvider.message).toContain("workflow 'gated' cannot go on");
    const typo = createEngine({ store, functions: { worker }, agents: { wroker: {} } });
    expect((await refusal(typo.signal("g", { approve: true }))).code).toBe("agent-unknown");
    expect((await refusal(typo.resume("g"))).code).toBe("agent-unknown");
    expect((await store.load("g")).record.status).toBe("waiting");
    const done = await (await first.signal("g", { approve: true })).result();
    expect(done.status).toBe("succeeded");
  });
});
