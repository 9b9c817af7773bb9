// The YAML codes' trigger cases (tests/checks/cases/yaml.ts): each reports its code at the
// exact position, and its near-identical clean twin reports nothing. Also checks that every
// YAML code (AEG701–AEG724) has a case, as tests/checks/catalogue.test.ts does for the table
// it is given.
import { describe, expect, it } from "vitest";
import { type Code, catalogue } from "../../src/compiler/diagnostics.ts";
import { yamlCases } from "../checks/cases/yaml.ts";
import { checkTriggers } from "../helpers/triggers.ts";

describe("catalogue: YAML front ends (AEG701–AEG724)", () => {
  checkTriggers(yamlCases);

  it("has a case for every AEG7xx code of the catalogue, and only those", () => {
    const codes = (Object.keys(catalogue) as Code[]).filter((c) => c.startsWith("AEG7"));
    expect(codes).toEqual([
      "AEG701",
      "AEG702",
      "AEG703",
      "AEG704",
      "AEG705",
      "AEG706",
      "AEG707",
      "AEG708",
      "AEG709",
      "AEG710",
      "AEG711",
      "AEG712",
      "AEG713",
      "AEG714",
      "AEG715",
      "AEG716",
      "AEG717",
      "AEG718",
      "AEG719",
      "AEG720",
      "AEG721",
      "AEG722",
      "AEG723",
      "AEG724",
    ]);
    expect([...new Set(yamlCases.map((c) => c.code))].sort()).toEqual(codes);
    for (const c of yamlCases) {
      expect(c.at).toMatch(/^\d+:\d+$/);
      expect(c.trigger).not.toBe(c.clean);
    }
  });
});
