// Agents and subworkflows (AEG501–AEG508): agents are declared, used and well-configured;
// subworkflow states name imported workflows; imports resolve, compile, are not recursive
// and are used. Imports are read from an in-memory file system through compile's
// `readFile` option.
import { describe, expect, it } from "vitest";
import { compile } from "../../src/compiler/compile.ts";
import {
  brief,
  compileMemory,
  diagnose,
  findings,
  memoryFiles,
  source,
  workflow,
} from "../helpers/compile.ts";
import { checkTriggers } from "../helpers/triggers.ts";
import { agentCases, reviewFile } from "./cases/agents.ts";

describe("catalogue: agents, subworkflows and sessions (AEG501–AEG512)", () => {
  checkTriggers(agentCases);
});

describe("AEG501 undeclared agent", () => {
  it("checks judges, coordinator specialists and routers", () => {
    const text = workflow(
      `
      agent coder = claude()
      state A = parallel {
        judge coder
        judge critic weight 2
        on consensus -> B
        otherwise -> FAILED
      }
      state B = coordinate [coder, tester] by router steps 3 {
        on success -> DONE
        otherwise -> FAILED
      }
    `,
      { agent: false },
    );
    expect(diagnose(text)).toEqual([
      { code: "AEG501", line: 7, column: 11 }, // judge critic
      { code: "AEG501", line: 11, column: 32 }, // specialist tester
      { code: "AEG501", line: 11, column: 43 }, // router
    ]);
  });

  it("suggests a declared agent, or how to declare one", () => {
    const misspelled = workflow(`
      state A = agent bott {
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(findings(misspelled, "AEG501")[0]!.hint).toBe("did you mean 'bot'?");
    const unknown = workflow(`
      state A = agent summariser {
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(findings(unknown, "AEG501")[0]!.hint).toContain("agent summariser = claude(");
  });

  it("accepts an agent without a provider (supplied at run time)", () => {
    const text = workflow(
      `
      state A = agent worker {
        on success -> DONE
        otherwise -> FAILED
      }
    `,
      { agent: "agent worker" },
    );
    expect(diagnose(text)).toEqual([]);
  });
});

describe("AEG502 unused agent", () => {
  it("reports each unused agent at its name", () => {
    const text = workflow(`
      agent spare = gemini()
      agent security-reviewer = claude(model: "sonnet")
      state A = agent bot {
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([
      { code: "AEG502", line: 4, column: 9 },
      { code: "AEG502", line: 5, column: 9 },
    ]);
    expect(findings(text, "AEG502")[1]!.message).toBe(
      "agent 'security-reviewer' is declared but no state uses it",
    );
  });
});

describe("AEG503 unknown provider", () => {
  it("suggests the closest provider", () => {
    const text = workflow(
      `
      state A = agent bot {
        on success -> DONE
        otherwise -> FAILED
      }
    `,
      { agent: "agent bot = claud()" },
    );
    expect(findings(text, "AEG503")[0]!.hint).toBe("did you mean 'claude'?");
  });
});

describe("AEG504 invalid provider option", () => {
  const withAgent = (agent: string) =>
    workflow(
      `
      state A = agent bot {
        on success -> DONE
        otherwise -> FAILED
      }
    `,
      { agent },
    );

  it.each([
    ['agent bot = claude(effort: "extreme")', 30, "must be one of low, medium, high, max"],
    ['agent bot = claude("opus")', 22, "takes only named options"],
    ['agent bot = openai("http://localhost:11434/v1")', 15, "needs the option 'model'"],
    ['agent bot = openai(model: "llama3")', 15, "needs the option 'url'"],
    ['agent bot = openai("http://x/v1", model: "m", temperature: "hot")', 62, "must be a number"],
    ['agent bot = command("make", "extra")', 31, "at most one positional argument"],
    ['agent bot = claude(permission: "root")', 34, "must be one of read, write, full, auto"],
    ["agent bot = claude(env: [1])", 27, "option 'env' must be"],
    ['agent bot = codex(effort: "extreme")', 29, "must be one of low, medium, high, max"],
    // The Gemini CLI has no flag for reasoning effort.
    ['agent bot = gemini(effort: "high")', 22, "effort"],
  ])("`%s`", (agent, column, message) => {
    const text = withAgent(agent);
    expect(diagnose(text)).toEqual([{ code: "AEG504", line: 2, column }]);
    expect(findings(text, "AEG504")[0]!.message).toContain(message);
  });

  it.each([
    'agent bot = claude(model: "opus", effort: high, permission: "read")',
    'agent bot = openai("http://localhost:11434/v1", model: "llama3", api_key: env("KEY"))',
    'agent bot = command("opencode run", input: "stdin", output: "json")',
    'agent bot = function("route")',
    'agent bot = codex(model: "gpt-5", args: ["--full-auto"], env: { HOME: "/tmp" })',
    'agent bot = codex(model: "gpt-5.5", effort: "max", permission: "write")',
    // opencode's variants are named by its providers.
    'agent bot = opencode(model: "openai/gpt-5", effort: "minimal", permission: "full")',
  ])("accepts `%s`", (agent) => {
    expect(diagnose(withAgent(agent))).toEqual([]);
  });
});

describe("imports (AEG505–AEG508), through an in-memory readFile", () => {
  const main = (imports: string, state: string) =>
    source(`
      ${imports}
      workflow main {
        start A
        state A = ${state} {
          on success -> DONE
          otherwise -> FAILED
        }
        final DONE
        final FAILED failure
      }
    `);

  it("compiles a workflow that calls an imported one, without diagnostics", () => {
    const result = compileMemory(
      {
        "/virtual/main.aegis": main('import "./review.aegis" as review', "subworkflow review"),
        "/virtual/review.aegis": reviewFile,
      },
      "/virtual/main.aegis",
    );
    expect(result.diagnostics).toEqual([]);
    expect(result.imports.has("review")).toBe(true);
  });

  it("AEG507: a missing import, at its path", () => {
    const result = compileMemory(
      { "/virtual/main.aegis": main('import "./missing.aegis" as review', "subworkflow review") },
      "/virtual/main.aegis",
    );
    expect(result.diagnostics.map(brief)).toEqual([{ code: "AEG507", line: 1, column: 8 }]);
    expect(result.diagnostics[0]!.message).toBe("cannot read imported file './missing.aegis'");
  });

  it("AEG507: an import that does not compile, with its errors as related locations", () => {
    const result = compileMemory(
      {
        "/virtual/main.aegis": main('import "./broken.aegis" as review', "subworkflow review"),
        "/virtual/broken.aegis": `
          workflow broken {
            start X
            final DONE
          }
        `,
      },
      "/virtual/main.aegis",
    );
    expect(result.diagnostics.map(brief)).toEqual([{ code: "AEG507", line: 1, column: 8 }]);
    const [d] = result.diagnostics;
    expect(d!.message).toContain("imported workflow 'review' has 1 error");
    expect(d!.related).toMatchObject([
      {
        file: "/virtual/broken.aegis",
        line: 2,
        column: 9,
        message: "start state 'X' does not exist",
      },
    ]);
  });

  it("AEG506: recursive imports a → b → a, reported where a imports b", () => {
    const files = {
      "/virtual/a.aegis": main('import "./b.aegis" as b', "subworkflow b"),
      "/virtual/b.aegis": main('import "./a.aegis" as a', "subworkflow a").replace(
        "workflow main",
        "workflow b",
      ),
    };
    const result = compileMemory(files, "/virtual/a.aegis");
    expect(result.diagnostics.map(brief)).toEqual([{ code: "AEG506", line: 1, column: 8 }]);
    const [d] = result.diagnostics;
    expect(d!.message).toContain("a.aegis → b.aegis → a.aegis");
    expect(d!.related).toMatchObject([{ file: "/virtual/b.aegis", line: 1, column: 8 }]);
  });

  it("AEG506: a workflow importing itself", () => {
    const result = compileMemory(
      { "/virtual/self.aegis": main('import "./self.aegis" as me', "subworkflow me") },
      "/virtual/self.aegis",
    );
    expect(result.diagnostics.map(brief)).toEqual([{ code: "AEG506", line: 1, column: 8 }]);
    expect(result.diagnostics[0]!.message).toBe("recursive subworkflow: self.aegis → self.aegis");
  });

  it("AEG508: an unused import, at its alias", () => {
    const result = compileMemory(
      {
        "/virtual/main.aegis": main('import "./review.aegis" as review', 'run "true"'),
        "/virtual/review.aegis": reviewFile,
      },
      "/virtual/main.aegis",
    );
    expect(result.diagnostics.map(brief)).toEqual([{ code: "AEG508", line: 1, column: 28 }]);
  });

  it("AEG505: a subworkflow that is not imported, with a hint to import it", () => {
    const result = compileMemory(
      { "/virtual/main.aegis": main("// no imports", "subworkflow review") },
      "/virtual/main.aegis",
    );
    expect(result.diagnostics.map(brief)).toEqual([{ code: "AEG505", line: 4, column: 25 }]);
    expect(result.diagnostics[0]!.hint).toBe(
      'add `import "./review.aegis" as review` before the workflow',
    );
  });

  it("AEG106: an import alias used twice", () => {
    const result = compileMemory(
      {
        "/virtual/main.aegis": main(
          'import "./review.aegis" as review\n      import "./other.aegis" as review',
          "subworkflow review",
        ),
        "/virtual/review.aegis": reviewFile,
        "/virtual/other.aegis": reviewFile,
      },
      "/virtual/main.aegis",
    );
    expect(result.diagnostics.map(brief)).toEqual([{ code: "AEG106", line: 2, column: 27 }]);
  });

  // Regression (fixed): when the first of two imports with the same alias cannot be read, the duplicate
  // alias is not reported and the alias silently resolves to the second file.
  it("AEG106: an import alias used twice, even when the first import is missing", () => {
    const result = compileMemory(
      {
        "/virtual/main.aegis": main(
          'import "./missing.aegis" as review\n      import "./other.aegis" as review',
          "subworkflow review",
        ),
        "/virtual/other.aegis": reviewFile,
      },
      "/virtual/main.aegis",
    );
    expect(result.diagnostics.map(brief)).toEqual([
      { code: "AEG507", line: 1, column: 8 },
      { code: "AEG106", line: 2, column: 27 },
    ]);
  });

  it("resolves imports relative to the importing file and reads a shared import once", () => {
    const child = (name: string) =>
      main('import "./common.aegis" as common', "subworkflow common").replace(
        "workflow main",
        `workflow ${name}`,
      );
    const fs = memoryFiles({
      "/virtual/main.aegis": main(
        'import "./lib/x.aegis" as x\n      import "./lib/y.aegis" as y',
        "subworkflow x",
      ).replace(
        "otherwise -> FAILED",
        "otherwise -> B\n        }\n        state B = subworkflow y {\n          otherwise -> FAILED",
      ),
      "/virtual/lib/x.aegis": child("x"),
      "/virtual/lib/y.aegis": child("y"),
      "/virtual/lib/common.aegis": reviewFile,
    });
    const result = compile(fs.readFile("/virtual/main.aegis")!, {
      filename: "/virtual/main.aegis",
      readFile: fs.readFile,
    });
    expect(result.diagnostics).toEqual([]);
    expect(fs.reads.filter((p) => p.endsWith("common.aegis"))).toEqual([
      "/virtual/lib/common.aegis",
    ]);
  });

  it("counts the agent calls of the workflows a state calls in the worst case", () => {
    const result = compileMemory(
      {
        "/virtual/main.aegis": main('import "./review.aegis" as review', "subworkflow review"),
        "/virtual/review.aegis": reviewFile.replace(
          "state REVIEW = agent critic {",
          "state REVIEW = agent critic timeout 2m retry 1 backoff 1s {",
        ),
      },
      "/virtual/main.aegis",
    );
    expect(result.diagnostics).toEqual([]);
    // review: 2 attempts of at most 2m, 1s apart.
    expect(result.worstCase).toEqual({ agentCalls: 2, wallTimeMs: 241_000, reasons: [] });
  });

  // Regression (fixed): a subworkflow input map with a key named `text` crashes the compiler (AEG000
  // "template.text.includes is not a function"): templateUses() takes any object with a
  // `text` property for a single template.
  it("accepts a subworkflow input map with a key named `text`", () => {
    const result = compileMemory(
      {
        "/virtual/main.aegis": main(
          'import "./review.aegis" as review',
          "subworkflow review",
        ).replace("on success -> DONE", 'input { text: "hello" }\n          on success -> DONE'),
        // It takes that input (else AEG510).
        "/virtual/review.aegis": reviewFile.replace(
          "workflow review {",
          "workflow review {\n    input text: string",
        ),
      },
      "/virtual/main.aegis",
    );
    expect(result.diagnostics).toEqual([]);
  });

  it("accepts a subworkflow input map with other keys", () => {
    const result = compileMemory(
      {
        "/virtual/main.aegis": main(
          'import "./review.aegis" as review',
          "subworkflow review",
        ).replace(
          "on success -> DONE",
          'input { body: "hello", title: "{{workflow.name}}" }\n          on success -> DONE',
        ),
        "/virtual/review.aegis": reviewFile.replace(
          "workflow review {",
          "workflow review {\n    input body: string\n    input title?: string",
        ),
      },
      "/virtual/main.aegis",
    );
    expect(result.diagnostics).toEqual([]);
  });
});
