// Numbers in YAML that the language could not say back: counts that are not whole, and
// durations past the longest a workflow may give. Both are refused where they stand, so
// that `aegis convert` never prints text that does not parse or means something else.
import { describe, expect, it } from "vitest";
import { compile } from "../../src/compiler/compile.ts";
import { convertProblems } from "../fuzz/invariants.ts";
import { agentos, compileYaml, node, shortYaml } from "../helpers/yaml.ts";

describe("AgentOS numbers", () => {
  const step = (fields: string) =>
    agentos(`- name: S\n  agent: bot\n  promptTemplate: "x"\n${fields}`);

  it.each([
    ["maxIterations: 0.7", '  mode: loop\n  until: "x"\n  maxIterations: 0.7'],
    ["maxRetries: 2.5", "  errorMode: retry\n  maxRetries: 2.5"],
    ["concurrency: -1", "  mode: fanout\n  concurrency: -1"],
    ["timeoutMs: 1.28e28", "  timeoutMs: 1.28e28"],
  ])("%s is refused (AEG705) and converts to nothing that misreads", (field, fields) => {
    const text = step(fields);
    const findings = shortYaml(text).filter((d) => d.startsWith("AEG705"));
    expect(findings, field).toHaveLength(1);
    expect(convertProblems(text)).toEqual([]);
  });

  // AgentOS's default (its worker's test workflow_rejects_unsafe_function_id writes it).
  it("timeoutMs: 0 is no timeout, as in AgentOS, and converts to none", () => {
    const text = step("  timeoutMs: 0");
    const result = compileYaml(text);
    expect(result.diagnostics).toEqual([]);
    expect(node(result, "S").timeoutMs).toBeUndefined();
    expect(convertProblems(text)).toEqual([]);
  });

  it("a whole number of milliseconds within range is kept", () => {
    const result = compileYaml(step("  timeoutMs: 90000"));
    expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(node(result, "S").timeoutMs).toBe(90_000);
  });
});

describe("durations in the language", () => {
  const workflow = (timeout: string) => `workflow w {
  agent a = function("a")
  start S
  state S = agent a timeout ${timeout} { prompt "x" on success -> DONE otherwise -> DONE }
  final DONE
}`;

  it("past 3650 days is an error at the duration", () => {
    const result = compile(workflow("148891212628339330000d"), { filename: "w.aegis" });
    const findings = result.diagnostics.filter((d) => d.code === "AEG104");
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ line: 4, column: 29 });
    expect(findings[0]!.message).toContain("3650d");
  });

  it("3650 days is accepted", () => {
    const result = compile(workflow("3650d"), { filename: "w.aegis" });
    expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(result.graph.getNodeAttribute("S", "timeoutMs")).toBe(3650 * 86_400_000);
  });
});
