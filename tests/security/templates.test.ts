// Templates cannot reach prototypes: hostile template text ({{__proto__}},
// {{constructor.constructor}}, lookup, #with, helpers given odd arguments) and hostile data
// (agent JSON and inputs with __proto__ / constructor keys) neither read nor pollute
// Object.prototype.
//   npx vitest run tests/security/templates.test.ts
import { afterEach, describe, expect, it } from "vitest";
import { render } from "../../src/runtime/render.ts";
import { hostile, runWorkflow } from "./helpers.ts";

function expectUnpolluted() {
  const probe = {} as Record<string, unknown>;
  expect(probe.polluted).toBeUndefined();
  expect(Object.prototype).not.toHaveProperty("polluted");
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(
    Object.getOwnPropertyNames(Object.getPrototypeOf({})).sort(),
  );
  expect(Function.prototype).not.toHaveProperty("polluted");
}

afterEach(expectUnpolluted);

const scope = () => ({
  input: { name: "n", list: ["a"], obj: { k: "v" } },
  text: "abc",
});

describe("template text that reaches for prototypes", () => {
  const hostileTemplates: [string, string][] = [
    ["{{__proto__}}", ""],
    ["{{input.__proto__}}", ""],
    ["{{input.__proto__.polluted}}", ""],
    ["{{constructor}}", ""],
    ["{{input.constructor}}", ""],
    ["{{constructor.constructor}}", ""],
    ["{{text.constructor}}", ""],
    ["{{input.list.constructor}}", ""],
    ["{{input.toString}}", ""],
    ["{{input.hasOwnProperty}}", ""],
    ["{{input.__defineGetter__}}", ""],
    ["{{input.valueOf}}", ""],
    ['{{lookup this "__proto__"}}', ""],
    ['{{lookup input "constructor"}}', ""],
    ['{{lookup (lookup input "constructor") "prototype"}}', ""],
    ["{{#with __proto__}}in{{else}}out{{/with}}", "out"],
    ["{{#with input.constructor}}{{name}}{{else}}none{{/with}}", "none"],
    ["{{#each input.__proto__}}{{@key}}{{/each}}", ""],
    ["{{#each input.obj}}{{@key}}={{this}}{{/each}}", "k=v"],
    ["{{keys input.__proto__}}", ""],
    ["{{len input.constructor}}", "0"],
    ["{{default input.constructor 'safe'}}", "safe"],
    ["{{join input.__proto__ ','}}", ""],
    ["{{truncate input.constructor 3}}", ""],
    ["{{json input.__proto__}}", "null"],
    ["{{quote input.constructor}}", "''"],
  ];
  for (const [template, expected] of hostileTemplates) {
    it(`${template} → ${JSON.stringify(expected)}`, () => {
      expect(render(template, scope())).toBe(expected);
    });
  }

  it("{{input.constructor.constructor 'return process'}} is no function to call", () => {
    expect(() => render("{{input.constructor.constructor 'return process'}}", scope())).toThrow(
      /Missing helper/,
    );
  });

  it("prototype access stays off in the renderer's options (and own data stays readable)", () => {
    expect(render("{{input.name}} {{input.list.length}} {{text.length}}", scope())).toBe("n 1 3");
  });
});

describe("hostile data", () => {
  it("agent JSON with __proto__ and constructor keys is data, not a prototype", async () => {
    const run = await runWorkflow(`
workflow proto "Agent JSON with prototype keys" {
  agent a = command(${hostile("proto")})
  start ASK
  state ASK = agent a timeout 30s { prompt "answer" on success -> SHOW on failure -> FAILED }
  state SHOW = run "printf '%s|%s|%s' {{quote ASK.output.answer}} {{quote ASK.output.polluted}} {{quote ASK.output.nested.polluted}}" timeout 30s {
    on exit 0 -> DONE otherwise -> FAILED
  }
  final DONE
  final FAILED failure
}`);
    expect(run.record.status, JSON.stringify(run.record.error)).toBe("succeeded");
    expect(run.record.results.SHOW?.stdout).toBe("fine||");
    const output = run.record.results.ASK?.output as Record<string, unknown>;
    expect(Object.getPrototypeOf(output)).toBe(Object.prototype);
    expect(run.record.results.ASK?.score).toBe(0.9);
  });

  it("inputs with a __proto__ key do not change any prototype", async () => {
    const inputs = JSON.parse('{"task": "t", "__proto__": {"polluted": "yes"}}');
    const run = await runWorkflow(
      `
workflow inputs "Inputs with prototype keys" {
  input task: string
  start SHOW
  state SHOW = run "printf '%s' {{quote input.task}}" timeout 30s {
    on exit 0 -> DONE otherwise -> FAILED
  }
  final DONE
  final FAILED failure
}`,
      inputs,
    ).catch((error: Error) => error);
    // Refused as an unknown input, or run with it as a plain key: never a prototype.
    if (run instanceof Error) expect(run.message).toMatch(/__proto__/);
    else {
      expect(run.record.results.SHOW?.stdout).toBe("t");
      expect(Object.getPrototypeOf(run.record.inputs)).toBe(Object.prototype);
    }
  });
});
