// Templates as the executors will render them: a state's templates against runScope() of
// the record when the run enters it. Helpers, process outputs, states that did not run.
import { describe, expect, it } from "vitest";
import type { CommandSpec, TemplateRef } from "../../../src/compiler/graph.ts";
import { render, shellQuote } from "../../../src/runtime/render.ts";
import { runScope } from "../../../src/runtime/scope.ts";
import { type Driven, drive, type ResultSpec, wf } from "./drive.ts";

/** Drives until `state` is entered (and left unanswered), then renders `template` there. */
function renderAt(
  driven: Driven,
  state: string,
  template: (node: ReturnType<Driven["graph"]["getNodeAttributes"]>) => TemplateRef | undefined,
): string {
  const node = driven.graph.getNodeAttributes(state);
  expect(driven.record.current).toBe(state);
  return render(template(node)!.text, runScope(driven.graph, driven.record, state));
}

const shell = (command: CommandSpec | undefined) =>
  command && "shell" in command ? command.shell : undefined;

describe("template helpers", () => {
  const source = wf(
    `  input name?: string
  input tags: list<string> = ["a", "b", "c"]
  context { greeting: "hi" }
  state WRITE = agent bot timeout 5m {
    prompt "Write."
    on success -> COMMIT
    otherwise -> FAILED
  }
  state COMMIT = run "git commit -m {{quote WRITE.output}} && echo {{quote input.name}}" timeout 1m {
    on success -> REPORT
    otherwise -> FAILED
  }
  state REPORT = agent bot timeout 5m {
    prompt """
      json={{json WRITE.output}}
      name={{default input.name "anonymous"}}
      tags={{join input.tags " | "}};{{join input.tags}}
      short={{truncate WRITE.output 5}};{{truncate "abc" 5}}
      {{#if (eq COMMIT.exit_code 0)}}committed{{else}}not committed{{/if}}
      {{#if (gt WRITE.score 0.5)}}good{{else}}weak{{/if}} {{#if (lte WRITE.score 0.5)}}low{{/if}}
      {{upper context.greeting}} {{len input.tags}} {{#if (contains WRITE.output "'")}}has a quote{{/if}}
      <raw & unescaped>: {{WRITE.output}}
    """
    on always -> DONE
  }`,
    { start: "WRITE" },
  );

  it("quote: one POSIX shell word, whatever the text", () => {
    const driven = drive(source, {
      inputs: { name: "$(rm -rf /)" },
      results: { WRITE: { output: "it's done" } },
    });
    expect(renderAt(driven, "COMMIT", (n) => shell(n.command))).toBe(
      `git commit -m 'it'\\''s done' && echo '$(rm -rf /)'`,
    );
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote(undefined)).toBe("''");
    expect(shellQuote("")).toBe("''");
  });

  it("json, default, join, truncate, comparisons in #if; no HTML escaping", () => {
    const driven = drive(source, {
      inputs: { tags: ["x", "y"] },
      results: { WRITE: { output: "it's a longer text", score: 0.7 }, COMMIT: { exit_code: 0 } },
    });
    expect(renderAt(driven, "REPORT", (n) => n.prompt).split("\n")).toEqual([
      `json="it's a longer text"`,
      "name=anonymous",
      "tags=x | y;x, y",
      "short=it's …;abc",
      "committed",
      "good ",
      "HI 2 has a quote",
      "<raw & unescaped>: it's a longer text",
    ]);
  });

  it("json of a JSON answer; default keeps a given value; gt/lte the other way", () => {
    const driven = drive(source, {
      inputs: { name: "Ada", tags: [] },
      results: {
        WRITE: { output: { title: "T", n: [1] }, score: 0.5 },
        COMMIT: { exit_code: 3, status: "succeeded" },
      },
    });
    const lines = renderAt(driven, "REPORT", (n) => n.prompt).split("\n");
    expect(lines.slice(0, 3)).toEqual([`json={"title":"T","n":[1]}`, "name=Ada", "tags=;"]);
    expect(lines[4]).toBe("not committed");
    expect(lines[5]).toBe("weak low");
  });
});

describe("process outputs", () => {
  const source = wf(
    `  state TEST = run "npm test" timeout 5m {
    on exit 0 -> SUMMARY
    otherwise -> SUMMARY feedback "exit {{TEST.output.exit_code}}: {{TEST.output.stderr}}"
  }
  state SUMMARY = agent bot timeout 5m {
    prompt "out=[{{TEST.output}}] stdout=[{{TEST.stdout}}] err=[{{TEST.stderr}}] code={{TEST.exit_code}}/{{TEST.output.exit_code}} len={{len TEST.output}} json={{json TEST.output}} def={{default TEST.output 'none'}} fb=[{{state.feedback}}] {{#if TEST.success}}ok{{else}}ko{{/if}}"
    on always -> DONE
  }`,
    { start: "TEST" },
  );

  const at = (result: ResultSpec) =>
    renderAt(drive(source, { results: { TEST: result } }), "SUMMARY", (n) => n.prompt);

  it("render as stdout, with .exit_code and .stderr as fields", () => {
    expect(at({ exit_code: 0, stdout: "5 passed", stderr: "" })).toBe(
      `out=[5 passed] stdout=[5 passed] err=[] code=0/0 len=8 json="5 passed" def=5 passed fb=[] ok`,
    );
    expect(at({ exit_code: 1, stdout: "1 failed", stderr: "AssertionError" })).toBe(
      `out=[1 failed] stdout=[1 failed] err=[AssertionError] code=1/1 len=8 json="1 failed" def=1 failed fb=[exit 1: AssertionError] ko`,
    );
  });

  it("an empty stdout renders empty", () => {
    expect(at({ exit_code: 0, stdout: "" })).toBe(
      `out=[] stdout=[] err=[] code=0/0 len=0 json="" def=none fb=[] ok`,
    );
  });
});

describe("states that did not run", () => {
  const source = wf(
    `  input deep: boolean = false
  state ROUTE = branch {
    on input.deep -> SECURITY
    otherwise -> REPORT
  }
  state SECURITY = agent bot timeout 5m {
    prompt "Audit."
    on always -> REPORT
  }
  state REPORT = agent bot timeout 5m {
    prompt "{{#if SECURITY.output}}Security: {{SECURITY.output}}{{else}}No audit.{{/if}} [{{blackboard.SECURITY.output}}] visit {{state.visits}} of {{state.name}}"
    on always -> DONE
  }`,
    { start: "ROUTE" },
  );

  it("{{#if X.output}} renders the else branch; blackboard paths are empty", () => {
    const driven = drive(source, { inputs: { deep: false }, results: { ROUTE: {} } });
    expect(driven.path).toEqual(["ROUTE", "REPORT"]);
    expect(renderAt(driven, "REPORT", (n) => n.prompt)).toBe("No audit. [] visit 1 of REPORT");
  });

  it("…and the if branch when it ran", () => {
    const driven = drive(source, {
      inputs: { deep: true },
      results: { ROUTE: {}, SECURITY: { output: "no issues" } },
    });
    expect(driven.path).toEqual(["ROUTE", "SECURITY", "REPORT"]);
    expect(renderAt(driven, "REPORT", (n) => n.prompt)).toBe(
      "Security: no issues [no issues] visit 1 of REPORT",
    );
  });
});

describe("run and workflow variables", () => {
  it("workflow.*, context.*, run.*, input.*", () => {
    const source = `workflow vars "Variables" {
  version "1.2.3"
  input task: string
  context { team: "core", max: 3 }
  agent bot = claude()
  start A
  state A = agent bot timeout 5m {
    prompt "{{workflow.name}} {{workflow.version}} {{context.team}}/{{workflow.context.max}} {{run.id}} {{run.started_at}} {{run.attempt}} {{input.task}} {{intent}}"
    on always -> DONE
  }
  final DONE
}
`;
    const driven = drive(source, { inputs: { task: "t", intent: "why" }, results: {} });
    expect(renderAt(driven, "A", (n) => n.prompt)).toBe(
      "vars 1.2.3 core/3 run-1 2025-01-01T00:00:00.000Z 1 t why",
    );
  });

  it("a score of 0 renders as 0", () => {
    const source = wf(
      `  state A = agent bot timeout 5m {
    prompt "A"
    on always -> B
  }
  state B = agent bot timeout 5m {
    prompt "score={{A.score}} visits={{A.visits}} status={{A.status}} failure={{A.failure}}"
    on always -> DONE
  }`,
    );
    const driven = drive(source, { results: { A: { score: 0 } } });
    expect(renderAt(driven, "B", (n) => n.prompt)).toBe(
      "score=0 visits=1 status=succeeded failure=false",
    );
  });
});
