// The builder through the library, as a program that embeds aegis uses it: inputs from a
// Standard Schema validator (zod) give the JSON Schema a plain declaration gives; a built
// workflow runs on the engine with its function agents (a coordinator's router a plain
// function, as Ajolopy's route()); bad parts are findings, never a throw.

import { toStandardJsonSchema } from "@valibot/to-json-schema";
import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  agent,
  input,
  judge,
  on,
  otherwise,
  type StandardSchemaLike,
  state,
  workflow,
} from "../../src/builder/index.ts";
import { createEngine } from "../../src/runtime/engine.ts";
import { MemoryStore } from "../../src/runtime/store/memory.ts";

const states = {
  GREET: state.agent("bot", { timeout: "1m", prompt: "{{input.who}}", on: [otherwise("DONE")] }),
  DONE: state.final(),
};

describe("inputs from Standard Schema validators", () => {
  it("zod and valibot give the JSON Schema the plain declarations give", () => {
    const plain = workflow("inputs", {
      inputs: {
        who: input.string("Who to greet").default("world"),
        plan: input.oneOf(["free", "pro"]),
        tags: input.list(input.number()).optional(),
        who_else: input.string(),
      },
      agents: { bot: agent.command("cat") },
      start: "GREET",
      states,
    });
    const fromZod = workflow("inputs", {
      inputs: {
        who: z.string().default("world").describe("Who to greet"),
        plan: z.enum(["free", "pro"]),
        tags: z.array(z.number()).optional(),
        who_else: z.string(),
      },
      agents: { bot: agent.command("cat") },
      start: "GREET",
      states,
    });
    const fromValibot = workflow("inputs", {
      inputs: {
        who: toStandardJsonSchema(
          v.pipe(v.optional(v.string(), "world"), v.description("Who to greet")),
        ),
        plan: toStandardJsonSchema(v.picklist(["free", "pro"])),
        tags: toStandardJsonSchema(v.optional(v.array(v.number()))),
        who_else: toStandardJsonSchema(v.string()),
      },
      agents: { bot: agent.command("cat") },
      start: "GREET",
      states,
    });
    const schema = (wf: typeof plain) => wf.compile().graph.getAttribute("inputSchema");
    for (const [vendor, wf] of [
      ["zod", fromZod],
      ["valibot", fromValibot],
    ] as const) {
      expect(wf.compile().diagnostics, vendor).toEqual([]);
      expect(schema(wf), vendor).toEqual(schema(plain));
      expect(wf.compile().document.hash, vendor).toBe(plain.compile().document.hash);
    }
  });

  it("a validator with no JSON Schema, or a type an input cannot have, is a finding", () => {
    const opaque: StandardSchemaLike = {
      "~standard": { version: 1, vendor: "acme", validate: (value) => ({ value }) },
    };
    const wf = workflow("opaque", {
      inputs: { who: opaque, when: z.date() },
      agents: { bot: agent.command("cat") },
      start: "GREET",
      states,
    });
    const found = wf.compile().diagnostics.map((d) => [d.code, d.message]);
    expect(found).toContainEqual([
      "AEG108",
      "the acme schema of input 'who' does not describe itself as JSON Schema",
    ]);
    expect(found.some(([code, m]) => code === "AEG108" && m!.includes("input 'when'"))).toBe(true);
  });
});

describe("a built workflow on the engine", () => {
  it("runs, its router a plain function of the program", async () => {
    const routed: string[] = [];
    const wf = workflow("team", {
      inputs: { message: input.string("The customer's message") },
      agents: {
        billing: agent.fn((call) => `billing answers: ${call.prompt.split("\n")[0]}`),
        general: agent.fn(() => "general answers"),
      },
      start: "SUPPORT",
      output: "{{SUPPORT.output}}",
      states: {
        SUPPORT: state.coordinate(
          ["billing", "general"],
          function route(call) {
            routed.push(String(call.context?.inputs.message));
            return {
              next: /refund/.test(String(call.context?.inputs.message)) ? "billing" : "general",
            };
          },
          {
            steps: { max: 1, exhausted: "finish" },
            timeout: "1m",
            prompt: "{{input.message}}",
            on: [on("success", "DONE"), otherwise("FAILED")],
          },
        ),
        DONE: state.final(),
        FAILED: state.final("failure"),
      },
    });
    const compiled = wf.compile();
    expect(compiled.diagnostics).toEqual([]);
    expect(Object.keys(wf.functions).sort()).toEqual(["billing", "general", "route"]);
    const engine = createEngine({ store: new MemoryStore(), functions: { ...wf.functions } });
    const handle = await engine.start(compiled, { message: "where is my refund?" });
    const record = await handle.result();
    expect(record.status).toBe("succeeded");
    expect(record.output).toBe("billing answers: where is my refund?");
    expect(routed).toEqual(["where is my refund?"]);
    await engine.close();
  });

  it("bad parts are findings at their calls, not throws", () => {
    const wf = workflow("bad", {
      agents: { bot: agent.command("cat") },
      start: "A",
      states: {
        // Plain JavaScript callers get no type errors: the builder says it instead.
        A: { kind: "agent" } as never,
        B: state.run("true", { on: [on("exit ==", "A")], nonsense: 1 } as never),
      },
    });
    const found = wf.compile().diagnostics.map((d) => `${d.code} ${d.message}`);
    expect(found).toContainEqual(
      "AEG104 state 'A' must be made with state.agent(…), state.run(…), state.final() …",
    );
    expect(found).toContainEqual("AEG105 a run state has no option 'nonsense'");
    expect(found.some((f) => f.startsWith('AEG101 the condition "exit =="'))).toBe(true);
  });
});

describe("a built workflow importing another", () => {
  it("compiles with the child checked, runs it with the child's functions, and prints both sources", async () => {
    const { mkdtempSync, rmSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { compileFile } = await import("../../src/compiler/compile.ts");
    const child = workflow("child", {
      inputs: { topic: input.string("What to summarise") },
      agents: { summariser: agent.fn((call) => `summary of ${call.prompt}`) },
      start: "SUM",
      output: "{{SUM.output}}",
      states: {
        SUM: state.agent("summariser", {
          timeout: "1m",
          prompt: "{{input.topic}}",
          on: [otherwise("DONE")],
        }),
        DONE: state.final(),
      },
    });
    const parent = workflow("parent", {
      imports: { child },
      start: "CALL",
      output: "{{CALL.output}}",
      states: {
        CALL: state.subworkflow("child", {
          timeout: "1m",
          input: { topic: "the news" },
          on: [on("success", "DONE"), otherwise("FAILED")],
        }),
        DONE: state.final(),
        FAILED: state.final("failure"),
      },
    });
    const compiled = parent.compile();
    expect(compiled.diagnostics).toEqual([]);
    expect(Object.keys(parent.functions)).toEqual(["summariser"]);

    const dir = mkdtempSync(join(tmpdir(), "aegis-built-imports-"));
    try {
      for (const [name, text] of Object.entries(parent.toSources()))
        writeFileSync(join(dir, name), text);
      expect(compileFile(join(dir, "parent.aegis")).document.hash).toBe(compiled.document.hash);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    const engine = createEngine({ store: new MemoryStore(), functions: { ...parent.functions } });
    const record = await (await engine.start(compiled, {})).result();
    expect(record.status).toBe("succeeded");
    expect(record.output).toBe("summary of the news");
    await engine.close();
  });
});

describe("what the grammar would refuse, the builder refuses (never a throw)", () => {
  const base = (extra: Record<string, unknown>) =>
    workflow("w", {
      agents: { bot: agent.command("cat") },
      start: "A",
      states: {
        A: state.agent("bot", { timeout: "1m", on: [otherwise("DONE")], ...extra } as never),
        DONE: state.final(),
      },
    });
  const findings = (wf: { compile(): { diagnostics: { code: string; message: string }[] } }) =>
    wf.compile().diagnostics.map((d) => `${d.code} ${d.message}`);

  it("counts are whole numbers of 0 or more; weights are numbers", () => {
    expect(findings(base({ retry: 1.5 }))).toContain("AEG104 expected a whole number, got 1.5");
    expect(findings(base({ visits: 2 ** 60 }))).toContain(
      `AEG104 ${2 ** 60} is too large (at most ${Number.MAX_SAFE_INTEGER})`,
    );
    expect(findings(base({ retry: { times: -1 } }))).toContain(
      "AEG104 retry times must be 0 or more, not -1",
    );
    const weighted = workflow("w", {
      agents: { bot: agent.command("cat") },
      start: "P",
      states: {
        P: state.parallel({
          judges: [judge("bot", { weight: Number.NaN })],
          on: [otherwise("DONE")],
        }),
        DONE: state.final(),
      },
    });
    expect(findings(weighted)).toContain(
      "AEG104 a judge's weight must be a number of 0 or more, not NaN",
    );
  });

  it("malformed parts are findings", () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const cases: [() => ReturnType<typeof workflow>, string][] = [
      [
        () => workflow(undefined as never, { start: "A", states: {} as never }),
        "AEG104 workflow name undefined is not a valid name",
      ],
      [
        () => base({ on: otherwise("DONE") }),
        "AEG104 on must be a list of transitions: [on(…), otherwise(…)]",
      ],
      [
        () =>
          workflow("w", {
            context: circular as never,
            start: "DONE",
            states: { DONE: state.final() },
          }),
        "AEG112 a value nests deeper than 64 levels (or holds itself)",
      ],
      [
        () =>
          workflow("w", {
            agents: { bot: agent.command("cat") },
            start: "A",
            states: {
              A: state.agent(null as never, { on: [otherwise("DONE")] }),
              DONE: state.final(),
            },
          }),
        "AEG104 the agent must be an agent's name, a template naming one, or a function",
      ],
      [
        () =>
          workflow("w", {
            inputs: { x: { "~standard": null } as never },
            start: "DONE",
            states: { DONE: state.final() },
          }),
        "AEG104 input 'x' must be declared with input.string(…), input.number(…) …, input.jsonSchema(…) or a Standard Schema validator (zod, valibot …)",
      ],
    ];
    for (const [make, expected] of cases) expect(findings(make())).toContain(expected);
  });

  it("two functions under one name, two built imports under one name, are refused", () => {
    const first = () => "first";
    const route = () => "second";
    const clash = workflow("w", {
      agents: { r: agent.fn(first, { name: "route" }), s: agent.fn(route, { name: "route" }) },
      start: "A",
      states: {
        A: state.agent("r", { on: [otherwise("B")] }),
        B: state.agent("s", { on: [otherwise("DONE")] }),
        DONE: state.final(),
      },
    });
    expect(findings(clash)).toContain("AEG106 two different functions are registered as 'route'");
    // A function given in place of an agent takes a name no other function has.
    const inline = workflow("w", {
      agents: { r: agent.fn(first, { name: "route" }) },
      start: "A",
      states: {
        A: state.agent("r", { on: [otherwise("B")] }),
        B: state.agent(route, { on: [otherwise("DONE")] }),
        DONE: state.final(),
      },
    });
    expect(findings(inline)).toEqual([]);
    expect(inline.functions.route).toBe(first);
    expect(Object.values(inline.functions)).toContain(route);

    const child = (prompt: string) =>
      workflow("child", {
        agents: { bot: agent.command("cat") },
        start: "A",
        states: { A: state.agent("bot", { prompt, on: [otherwise("DONE")] }), DONE: state.final() },
      });
    const twins = workflow("parent", {
      imports: { x: child("one"), y: child("two") },
      start: "DONE",
      states: { DONE: state.final() },
    });
    expect(findings(twins)).toContain(
      "AEG106 imports 'x' and 'y' are two different workflows named 'child'",
    );
  });
});
