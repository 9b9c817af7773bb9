// Subworkflows through the engine's services: an embedded one runs as a child run in the
// same store (blocking: awaited; detached: started, its id returned); an external one (not
// embedded in the compiled graph) fails with "subworkflow-unavailable".
import { describe, expect, it } from "vitest";
import { compile } from "../../../src/compiler/compile.ts";
import { createEngine } from "../../../src/runtime/engine.ts";
import { MemoryStore } from "../../../src/runtime/store/memory.ts";
import { compileSource, scripted } from "./helpers.ts";

const child = `
workflow child {
  input name: string
  agent helper
  start GREET
  state GREET = agent helper timeout 1m {
    prompt "Hi {{input.name}}"
    on success -> DONE
    on failure -> FAILED
  }
  final DONE
  final FAILED failure
}
`;

function parent(mode: "blocking" | "detached", path = "./child.aegis") {
  return compileSource(
    `
import "${path}" as child
workflow parent {
  start CALL
  state CALL = subworkflow child ${mode} timeout 5m {
    input { name: "ana" }
    on success -> DONE
    on failure -> FAILED
  }
  final DONE
  final FAILED failure
}
`,
    { "/virtual/child.aegis": child },
  );
}

const calling = (detached: boolean) =>
  scripted({
    CALL: async (ctx, services) => {
      const child = await services.subworkflow("child", { name: "ana" }, detached, ctx.signal);
      return {
        status:
          child.status === "succeeded" || (detached && child.status === "running")
            ? "succeeded"
            : "failed",
        output: child.output,
        child_execution_id: child.id,
        ...(child.error && { error: child.error }),
      };
    },
    GREET: (ctx) => ({ output: ctx.render(ctx.state.prompt!) }),
  });

describe("subworkflows", () => {
  it("runs an embedded blocking subworkflow as a child run and waits for it", async () => {
    const store = new MemoryStore();
    const engine = createEngine({ store, executor: calling(false).executor });
    const record = await (await engine.start(parent("blocking"), {}, { id: "p" })).result();
    expect(record.status).toBe("succeeded");
    expect(record.results.CALL).toMatchObject({
      output: "Hi ana",
      child_execution_id: "p.CALL.1.1",
    });
    const runs = await store.list();
    expect(runs.map((r) => [r.id, r.status, r.parent])).toEqual([
      ["p", "succeeded", undefined],
      ["p.CALL.1.1", "succeeded", { run: "p", state: "CALL" }],
    ]);
  });

  it("starts a detached one and goes on; the child finishes in the same process", async () => {
    const store = new MemoryStore();
    const engine = createEngine({ store, executor: calling(true).executor });
    const record = await (await engine.start(parent("detached"), {}, { id: "d" })).result();
    expect(record.status).toBe("succeeded");
    expect(record.results.CALL?.child_execution_id).toBe("d.CALL.1.1");
    await engine.idle();
    expect((await engine.get("d.CALL.1.1")).status).toBe("succeeded");
  });

  it("fails an external subworkflow (not embedded) with subworkflow-unavailable", async () => {
    const workflow = external();
    const engine = createEngine({ executor: calling(false).executor });
    const record = await (await engine.start(workflow, {}, { id: "x" })).result();
    expect(record.results.CALL?.error?.code).toBe("subworkflow-unavailable");
    expect(record.status).toBe("failed");
  });

  it("reports inputs the child refuses as subworkflow-inputs; the run ends there", async () => {
    const store = new MemoryStore();
    const { executor } = scripted({
      CALL: async (ctx, services) => {
        const result = await services.subworkflow("child", { nom: 1 }, false, ctx.signal);
        expect(result.id).toBe(""); // no child run was made
        return { status: "failed", ...(result.error && { error: result.error }) };
      },
    });
    const engine = createEngine({ store, executor });
    const record = await (await engine.start(parent("blocking"), {}, { id: "i" })).result();
    expect(record.results.CALL?.error).toEqual({
      code: "subworkflow-inputs",
      message:
        "subworkflow 'child' refuses the inputs 'CALL' gives it: name: is required; nom: is not an input of this workflow (its inputs: name)",
    });
    // Not through `on failure -> FAILED`: the workflow's mistake ends the run as such.
    expect(record.status).toBe("failed");
    expect(record.error).toMatchObject({ code: "subworkflow-inputs", state: "CALL" });
    expect(record.history.map((h) => h.state)).not.toContain("FAILED");
    expect((await store.list()).map((r) => r.id)).toEqual(["i"]);
  });

  it("reads text given to an input of the child that is not text as JSON", async () => {
    const typed = compileSource(
      `
import "./child.aegis" as child
workflow parent {
  start CALL
  state CALL = subworkflow child timeout 5m {
    input { name: "ana", count: "3", tags: "[\\"a\\"]", note: "[not json" }
    on success -> DONE
    on failure -> FAILED
  }
  final DONE
  final FAILED failure
}
`,
      {
        "/virtual/child.aegis": `
workflow child {
  input name: string
  input count: integer
  input tags: list<string>
  input note: string
  start DONE
  final DONE
}
`,
      },
    );
    const store = new MemoryStore();
    const engine = createEngine({ store });
    const record = await (await engine.start(typed, {}, { id: "t" })).result();
    expect(record.status).toBe("succeeded");
    expect((await engine.get("t.CALL.1.1")).inputs).toEqual({
      name: "ana",
      count: 3,
      tags: ["a"],
      note: "[not json",
    });
  });
});

/** A bare import name that is no file: left to be looked up at run time (a warning). */
function external() {
  return compile(
    `
import "billing" as child
workflow parent {
  start CALL
  state CALL = subworkflow child timeout 5m {
    on success -> DONE
    on failure -> FAILED
  }
  final DONE
  final FAILED failure
}
`,
    { filename: "/virtual/main.aegis", readFile: () => undefined },
  );
}
