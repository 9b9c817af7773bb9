// AEG406 for states with `errors skip` (AgentOS `errorMode: skip`): a failure is recorded
// as `skipped`, which counts as a success, and the run goes on without the state's output.
// Reading its output (or score, stdout …) where it may have been skipped is reported, with
// the path through the skip; where the skipped case was taken elsewhere, or a condition or
// {{#if}} rules it out, it is not.
import { describe, expect, it } from "vitest";
import { diagnose, findings, workflow } from "../helpers/compile.ts";
import { agentos, diagnoseYaml, manifest, yamlFindings } from "../helpers/yaml.ts";
import { skipThen } from "./cases/scopes.ts";

describe("AEG406 for a state with errors skip", () => {
  it("reports a read after `on success`, with the path through the skip, as an error", () => {
    const text = skipThen("on success -> B");
    const [d] = findings(text, "AEG406");
    expect(d).toMatchObject({ line: 10, column: 19, endColumn: 27, severity: "error" });
    expect(d!.message).toBe(
      "'A' may have been skipped when 'B' uses it: on the path A → B, 'A' fails and `errors skip` goes on without its result",
    );
    expect(d!.hint).toContain("{{#if A.output}}");
    expect(d!.hint).toContain("on skipped -> …");
  });

  it("reports output fields, stdout and score alike, but not the fields a skipped result has", () => {
    expect(diagnose(skipThen("on success -> B", "{{A.output.x}} {{A.score}}"))).toEqual([
      { code: "AEG406", line: 10, column: 15 },
      { code: "AEG406", line: 10, column: 30 },
    ]);
    expect(
      diagnose(
        skipThen(
          "on success -> B",
          "{{A.status}} {{A.skipped}} {{A.success}} {{A.error}} {{A.attempts}} {{A.duration}}",
        ),
      ),
    ).toEqual([]);
  });

  it("reports a state after the skipped one, further down the path", () => {
    const text = workflow(`
      state A = run "fetch" errors skip {
        on success -> B
        otherwise -> FAILED
      }
      state B = agent bot {
        on success -> C
        otherwise -> FAILED
      }
      state C = agent bot {
        prompt "{{A.stdout}}"
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([{ code: "AEG406", line: 13, column: 15 }]);
    expect(findings(text, "AEG406")[0]!.message).toContain("on the path A → B → C");
  });

  it.each([
    ["`on skipped` first", "on skipped -> FAILED\n      on success -> B"],
    ["`not skipped`", "on not skipped -> B"],
    ['`status == "succeeded"`', 'on status == "succeeded" -> B'],
    ["a test of what it produced", 'on output contains "ok" -> B'],
  ])("accepts a read past %s", (_what, transitions) => {
    expect(diagnose(skipThen(transitions))).toEqual([]);
  });

  it.each([
    ["{{#if A.output}}", "{{#if A.output}}use {{A.output}}{{/if}}"],
    ["{{#unless A.skipped}}", "{{#unless A.skipped}}use {{A.output}}{{/unless}}"],
    ["the {{else}} of {{#if A.skipped}}", "{{#if A.skipped}}none{{else}}{{A.output}}{{/if}}"],
    ["{{#each A.output}}", "{{#each A.output}}{{this}}{{/each}}"],
  ])("accepts a read under %s", (_what, read) => {
    expect(diagnose(skipThen("on success -> B", read))).toEqual([]);
  });

  it("is not fooled by {{#if A.success}}: a skipped state is a success", () => {
    expect(diagnose(skipThen("on success -> B", "{{#if A.success}}{{A.output}}{{/if}}"))).toEqual([
      { code: "AEG406", line: 10, column: 32 },
    ]);
  });

  it("applies to conditions of other states, unless the condition tests the skip first", () => {
    const text = workflow(`
      state A = agent bot errors skip {
        on success -> B
        otherwise -> FAILED
      }
      state B = agent bot {
        on A.output contains "x" -> DONE
        on not A.skipped and A.score > 0.5 -> DONE
        on A.skipped or A.confidence > 0.5 -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([{ code: "AEG406", line: 9, column: 8 }]);
  });

  it("reports the feedback of the state's own transition that a skip takes", () => {
    const text = workflow(`
      state A = agent bot errors skip {
        on success -> B feedback "{{A.output}}"
        otherwise -> FAILED
      }
      state B = agent bot {
        prompt "{{state.feedback}}"
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    const [d] = findings(text, "AEG406");
    expect(d).toMatchObject({ line: 5, column: 33 });
    expect(d!.message).toBe(
      "'A' may have been skipped when its transition 'success' is taken: a failure is skipped (`errors skip`) and counts as a success, and the result is then empty",
    );
    // Taken only when it was not skipped: fine. Its own conditions read it as they test it.
    const guarded = workflow(`
      state A = agent bot errors skip {
        on skipped -> B
        on output contains "ok" -> B feedback "{{A.output}}"
        otherwise -> B feedback "{{A.output}}"
      }
      state B = agent bot {
        prompt "{{state.feedback}}"
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(guarded)).toEqual([]);
  });

  it("reports the workflow's output when a successful run may pass the skip", () => {
    const text = workflow(`
      output "{{A.output}}"
      state A = agent bot errors skip {
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([{ code: "AEG406", line: 4, column: 13 }]);
    expect(findings(text, "AEG406")[0]!.message).toContain("on the path A → DONE");
  });

  it("does not report states with another error mode, nor a skip that leads elsewhere", () => {
    expect(diagnose(skipThen("on success -> B").replace("errors skip", "errors fail"))).toEqual([]);
    const text = workflow(`
      state A = agent bot errors skip {
        on skipped -> FAILED
        on success -> B
        otherwise -> FAILED
      }
      state B = agent bot {
        prompt "{{A.output}}"
        on success -> C
        otherwise -> FAILED
      }
      state C = agent bot {
        prompt "{{A.output}}"
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([]);
  });
});

describe("AEG406 for a skipped step in YAML", () => {
  it("AgentOS: a step reading the output variable of a step whose errors are skipped", () => {
    const steps = (errorMode: string) =>
      agentos(`
        - name: Fetch
          promptTemplate: "Fetch the changelog."
          errorMode: ${errorMode}
          outputVar: changelog
        - name: Summarize
          promptTemplate: "Summarize: {{changelog}}"
      `);
    expect(diagnoseYaml(steps("skip"))).toEqual([{ code: "AEG406", line: 10, column: 35 }]);
    const [d] = yamlFindings(steps("skip"), "AEG406");
    expect(d!.severity).toBe("error");
    expect(d!.message).toBe(
      "'FETCH' may have been skipped when 'SUMMARIZE' uses it: on the path FETCH → SUMMARIZE, 'FETCH' fails and `errors skip` goes on without its result",
    );
    expect(diagnoseYaml(steps("fail"))).toEqual([]);
  });

  it("AgentOS: {{#if}} around it is fine, and the run's result holds it only if it succeeded", () => {
    const text = agentos(`
      - name: Fetch
        promptTemplate: "Fetch the changelog."
        errorMode: skip
        outputVar: changelog
      - name: Summarize
        promptTemplate: "{{#if changelog}}Summarize: {{changelog}}{{/if}}"
    `);
    expect(diagnoseYaml(text)).toEqual([]);
  });

  it("AEGIS manifests have no error mode that skips: nothing to report there", () => {
    const text = manifest(`
      A:
        kind: System
        command: "echo one"
        transitions:
          - condition: always
            target: B
      B:
        kind: System
        command: "echo two"
        env:
          PREVIOUS: "{{A.output}}"
        transitions: []
    `);
    expect(diagnoseYaml(text)).toEqual([]);
  });
});
