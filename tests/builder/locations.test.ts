// Findings about a built workflow point at the TypeScript that built the offending part:
// one workflow per check of the compiler (fixtures/checks.ts), each finding at the line
// marked `// ← CODE`, and nothing else reported; a template's finding at its column.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Workflow } from "../../src/builder/index.ts";
import * as fixtures from "./fixtures/checks.ts";

const FILE = join(import.meta.dirname, "fixtures", "checks.ts");
const lines = readFileSync(FILE, "utf8").split("\n");

/** `line:CODE` for each marker `// ← CODE CODE …` of the fixture. */
function marked(): string[] {
  return lines.flatMap((text, i) => {
    const m = /← ((?:AEG\d{3}\s*)+)/.exec(text);
    return m
      ? m[1]!
          .trim()
          .split(/\s+/)
          .map((code) => `${i + 1}:${code}`)
      : [];
  });
}

const workflows = Object.entries(fixtures) as [string, Workflow][];

describe("findings of built workflows", () => {
  it("one fixture for each check of the compiler", () => {
    expect(workflows.map(([name]) => name).sort()).toEqual(
      [
        "agents",
        "bounds",
        "conditions",
        "grammar",
        "placed",
        "scopes",
        "security",
        "sessions",
        "structure",
        "subworkflows",
        "suppressed",
      ].sort(),
    );
  });

  it("each at the line of the TypeScript that made the part, and only those", () => {
    const found = workflows.flatMap(([, wf]) =>
      wf.compile().diagnostics.map((d) => {
        expect(d.file).toBe(FILE);
        return `${d.line}:${d.code}`;
      }),
    );
    expect(found.sort()).toEqual(marked().sort());
  });

  it("a finding in a template or a command at its column", () => {
    const at = (name: string, code: string) => {
      const wf = workflows.find(([n]) => n === name)![1];
      const d = wf.compile().diagnostics.find((x) => x.code === code)!;
      return lines[d.line - 1]!.slice(d.column - 1, d.endColumn - 1);
    };
    expect(at("scopes", "AEG402")).toBe("input.whom");
    expect(at("security", "AEG606")).toBe("input.branch");
    expect(at("structure", "AEG201")).toBe("DONNE");
    expect(at("grammar", "AEG101")).toBe("exit ==");
    expect(at("agents", "AEG502")).toBe("idle");
  });

  it("the checks' order and codes are the compiler's: a built workflow and its source agree", async () => {
    const { compile } = await import("../../src/compiler/compile.ts");
    // (The grammar's findings are the builder's own: what they refuse is left out of the tree.)
    for (const [name, wf] of workflows.filter(([n]) => n !== "grammar")) {
      const fromSource = compile(wf.toSource(), {
        filename: join(import.meta.dirname, "fixtures", `${name}.aegis`),
      });
      expect(fromSource.diagnostics.map((d) => d.code).sort(), name).toEqual(
        wf
          .compile()
          .diagnostics.map((d) => d.code)
          // A suppression comment of the program is not printed with the source.
          .filter((c) => c !== "AEG001")
          .sort()
          .concat(name === "suppressed" ? ["AEG502"] : name === "placed" ? ["AEG205"] : [])
          .sort(),
      );
    }
  });
});
