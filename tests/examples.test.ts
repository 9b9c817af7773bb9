// Every example compiles with no finding at all, through the library and through the CLI
// exactly as the README runs it.
import { spawnSync } from "node:child_process";
import { globSync } from "tinyglobby";
import { describe, expect, it } from "vitest";
import { compileFile } from "../src/compiler/compile.ts";

const examples = globSync("examples/**/*.aegis").sort();

describe("examples", () => {
  it("exist for every seed workflow", () => {
    expect(examples.length).toBeGreaterThanOrEqual(10);
  });

  it.each(examples)("%s compiles with no findings", (file) => {
    const result = compileFile(file);
    expect(result.diagnostics.map((d) => `${d.line}:${d.column} ${d.code} ${d.message}`)).toEqual(
      [],
    );
    expect(result.graph.order).toBeGreaterThan(0);
  });

  it("aegis compile --check 'examples/**/*.aegis' exits 0", () => {
    const run = spawnSync(
      process.execPath,
      ["bin/aegis.js", "compile", "--check", "examples/**/*.aegis"],
      {
        encoding: "utf8",
      },
    );
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`${examples.length} files checked: 0 errors, 0 warnings`);
  });
});
