// Values render as what they are: text as it is, lists and objects as JSON — in `{{X}}`,
// `{{{X}}}`, blocks, helpers and `{{quote X}}` — rendered against runScope() of a record
// (as the executors do) and against plain data.
import { afterEach, describe, expect, it, vi } from "vitest";
import type { CommandSpec, TemplateRef } from "../../../src/compiler/graph.ts";
import { render, shellCommand, valueText } from "../../../src/runtime/render.ts";
import { runScope } from "../../../src/runtime/scope.ts";
import { type Driven, drive, wf } from "./drive.ts";

const plan = { title: "Parser", steps: [{ name: "lex", hours: 2 }, { name: "parse" }] };

/** Renders the template of `state` (as `pick` finds it) where the run stands. */
function renderAt(driven: Driven, state: string, pick: (n: Node) => TemplateRef | undefined) {
  expect(driven.record.current).toBe(state);
  const node = driven.graph.getNodeAttributes(state);
  return render(pick(node)!.text, runScope(driven.graph, driven.record, state));
}
type Node = ReturnType<Driven["graph"]["getNodeAttributes"]>;

describe("valueText", () => {
  it("text as it is, nothing for null and undefined, numbers and flags as written", () => {
    expect(valueText("it's")).toBe("it's");
    expect(valueText("")).toBe("");
    expect(valueText(undefined)).toBe("");
    expect(valueText(null)).toBe("");
    expect(valueText(0)).toBe("0");
    expect(valueText(false)).toBe("false");
  });

  it("lists and objects as JSON, nested ones too", () => {
    expect(valueText(plan)).toBe(JSON.stringify(plan));
    expect(valueText(["a", { b: [1, null] }])).toBe('["a",{"b":[1,null]}]');
    expect(valueText({})).toBe("{}");
    expect(valueText(Object.create(null))).toBe("{}");
  });

  it("an object with its own text (a process's output) is that text", () => {
    const output = Object.assign(Object.create({ toString: () => "5 passed" }), { exit_code: 0 });
    expect(valueText(output)).toBe("5 passed");
  });
});

describe("plain data", () => {
  const data = { plan, tags: ["x", "y"], nothing: null, n: 3 };

  it("{{X}}, {{{X}}} and {{json X}} write an object or a list as the same JSON", () => {
    const json = JSON.stringify(plan);
    expect(render("{{plan}}|{{{plan}}}|{{json plan}}", data)).toBe(`${json}|${json}|${json}`);
    expect(render("{{tags}} {{plan.steps}}", data)).toBe(`["x","y"] ${JSON.stringify(plan.steps)}`);
  });

  it("fields of an object stay what they are; null and missing values are empty", () => {
    expect(render("{{plan.title}}/{{plan.steps.0.name}}/{{plan.steps.0.hours}}", data)).toBe(
      "Parser/lex/2",
    );
    expect(render("[{{nothing}}][{{missing}}][{{plan.missing}}]", data)).toBe("[][][]");
  });

  it("each: every item as itself; with: fields of the object", () => {
    expect(render("{{#each plan.steps}}<{{this}}>{{/each}}", data)).toBe(
      '<{"name":"lex","hours":2}><{"name":"parse"}>',
    );
    expect(render("{{#each tags}}<{{this}}>{{/each}}", data)).toBe("<x><y>");
    expect(render("{{#with plan}}{{title}}: {{steps}}{{/with}}", data)).toBe(
      `Parser: ${JSON.stringify(plan.steps)}`,
    );
  });

  it("helpers read an object as its JSON", () => {
    const json = JSON.stringify(plan);
    expect(render('{{default plan "none"}}', data)).toBe(json);
    expect(render('{{join plan.steps " + "}}', data)).toBe(
      '{"name":"lex","hours":2} + {"name":"parse"}',
    );
    expect(render("{{truncate plan 9}}", data)).toBe('{"title":…');
    expect(render("{{upper plan.steps.[1]}}", data)).toBe('{"NAME":"PARSE"}');
    expect(render("{{indent tags 2}}", data)).toBe('  ["x","y"]');
    expect(render('{{#if (contains plan "Parser")}}yes{{else}}no{{/if}}', data)).toBe("yes");
    expect(render("{{#if (eq plan.steps.[1] plan.steps.[1])}}same{{/if}}", data)).toBe("same");
    expect(
      render("{{#if (eq plan.steps.[0] plan.steps.[1])}}same{{else}}differ{{/if}}", data),
    ).toBe("differ");
  });

  it("in a shell command, {{quote X}} quotes the JSON text for where it stands", () => {
    const command = (text: string) => shellCommand({ text } as TemplateRef).text;
    expect(render(command("echo {{quote plan.steps.[1]}}"), data)).toBe(`echo '{"name":"parse"}'`);
    expect(render(command('echo "{{quote tags}}"'), data)).toBe('echo "[\\"x\\",\\"y\\"]"');
    expect(render(command("echo 'it is {{quote plan.steps.[1]}}'"), data)).toBe(
      `echo 'it is {"name":"parse"}'`,
    );
  });
});

describe("in a run", () => {
  const source = wf(
    `  input task: object
  input tags: list<string>
  secret AEGIS_VALUES_TEST_TOKEN
  state A = agent bot timeout 5m {
    prompt "Plan {{input}} tagged {{input.tags}}."
    on success -> TEST
    otherwise -> FAILED
  }
  state TEST = run "npm test" timeout 5m {
    on exit 0 -> SAVE
    otherwise -> FAILED
  }
  state SAVE = run "echo {{quote A.output}} {{quote A.output.steps}}" timeout 1m {
    env { PLAN: "{{A.output}}", TITLE: "{{A.output.title}}" }
    on exit 0 -> B
    otherwise -> FAILED
  }
  state B = agent bot timeout 5m {
    prompt "{{A.output}}|{{A.output.steps}}|{{A.output.title}}|{{blackboard.TEST.output}}"
    on success -> C
    otherwise -> FAILED feedback "{{A.output.steps}}"
  }
  state C = agent bot timeout 5m {
    prompt "{{this}}"
    on success -> DONE
    otherwise -> FAILED
  }`,
  );
  const inputs = { task: { what: "a parser", lang: "ts" }, tags: ["a", "b"] };
  const results = {
    A: { output: plan },
    TEST: { exit_code: 0, stdout: "5 passed", stderr: "" },
    SAVE: { exit_code: 0 },
  };

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("{{input}} is the whole input as JSON; a list input as JSON", () => {
    const driven = drive(source, { inputs });
    expect(renderAt(driven, "A", (n) => n.prompt)).toBe(
      `Plan ${JSON.stringify(inputs)} tagged ["a","b"].`,
    );
  });

  it("an agent's JSON answer, its lists and its fields, next to a command's text", () => {
    const driven = drive(source, { inputs, results });
    const json = JSON.stringify(plan);
    expect(renderAt(driven, "B", (n) => n.prompt)).toBe(
      `${json}|${JSON.stringify(plan.steps)}|Parser|5 passed`,
    );
  });

  it("a shell command quotes the JSON text; env values are the JSON text", () => {
    const driven = drive(source, { inputs, results: { A: results.A, TEST: results.TEST } });
    const command = driven.graph.getNodeAttributes("SAVE").command as CommandSpec;
    expect(renderAt(driven, "SAVE", () => ("shell" in command ? command.shell : undefined))).toBe(
      `echo '${JSON.stringify(plan)}' '${JSON.stringify(plan.steps)}'`,
    );
    const env = driven.graph.getNodeAttributes("SAVE").env!;
    const scope = runScope(driven.graph, driven.record, "SAVE");
    expect(render(env.PLAN!.text, scope)).toBe(JSON.stringify(plan));
    expect(render(env.TITLE!.text, scope)).toBe("Parser");
  });

  it("feedback renders a list as JSON", () => {
    const driven = drive(source, {
      inputs,
      results: { ...results, B: { status: "failed" } },
    });
    expect(driven.record.feedback.FAILED).toBe(JSON.stringify(plan.steps));
  });

  it("{{this}} at the top is the scope as JSON, without the secrets' values", () => {
    vi.stubEnv("AEGIS_VALUES_TEST_TOKEN", "s3cr3t-value");
    const driven = drive(source, { inputs, results: { ...results, B: { output: "ok" } } });
    const scope = runScope(driven.graph, driven.record, "C");
    expect(render("{{secrets.AEGIS_VALUES_TEST_TOKEN}}", scope)).toBe("s3cr3t-value");
    const written = JSON.parse(renderAt(driven, "C", (n) => n.prompt));
    expect(written.input).toEqual(inputs);
    expect(written.A.output).toEqual(plan);
    // A process's output is its text inside JSON too.
    expect(written.TEST.output).toBe("5 passed");
    expect(written).not.toHaveProperty("secrets");
    expect(JSON.stringify(written)).not.toContain("s3cr3t-value");
  });
});
