// The catalogue is covered: every code (but AEG000, an internal error) has a trigger case
// with an exact position and a clean twin in one of the area tables, so a new code cannot
// go untested.
import { describe, expect, it } from "vitest";
import { type Code, catalogue } from "../../src/compiler/diagnostics.ts";
import type { TriggerCase } from "../helpers/triggers.ts";
import { agentCases } from "./cases/agents.ts";
import { boundsCases } from "./cases/bounds.ts";
import { scopeCases } from "./cases/scopes.ts";
import { securityCases } from "./cases/security.ts";
import { structureCases } from "./cases/structure.ts";
import { suppressionCases } from "./cases/suppression.ts";
import { syntaxCases } from "./cases/syntax.ts";
import { yamlCases } from "./cases/yaml.ts";

const tables: Record<string, readonly TriggerCase[]> = {
  suppression: suppressionCases,
  syntax: syntaxCases,
  structure: structureCases,
  bounds: boundsCases,
  scopes: scopeCases,
  agents: agentCases,
  security: securityCases,
  yaml: yamlCases,
};

const all = Object.values(tables).flat();
/** Codes that need no trigger case: a bug in the compiler itself. */
const exempt: readonly Code[] = ["AEG000"];

describe("catalogue coverage", () => {
  it.each((Object.keys(catalogue) as Code[]).filter((c) => !exempt.includes(c)).map((c) => [c]))(
    "%s has a trigger case",
    (code) => {
      expect(all.map((c) => c.code)).toContain(code);
    },
  );

  it("lists only catalogue codes, and each case triggers what it says", () => {
    for (const c of all) {
      expect(Object.hasOwn(catalogue, c.code)).toBe(true);
      expect(c.at).toMatch(/^\d+:\d+$/);
      expect(c.trigger).not.toBe(c.clean);
    }
  });

  it("keeps each area's codes in its own table", () => {
    const prefix: Record<string, RegExp> = {
      suppression: /^AEG00/,
      syntax: /^AEG1/,
      structure: /^AEG2/,
      bounds: /^AEG3/,
      scopes: /^AEG4/,
      agents: /^AEG5/,
      security: /^AEG6/,
      yaml: /^AEG7/,
    };
    for (const [area, cases] of Object.entries(tables))
      for (const c of cases) expect(c.code, `${c.code} in ${area}`).toMatch(prefix[area]!);
  });
});
