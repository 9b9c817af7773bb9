// Baselines: realistic broken workflows (tests/fixtures/diagnostics/*.aegis), each mixing
// several problems, compiled from disk and rendered as text (one line per diagnostic:
// `line:column severity CODE message`, then indented `hint:` and `related:` lines), then
// compared with tests/baselines/<name>.txt.
//
//   UPDATE_BASELINES=1 vitest run tests/checks/baselines.test.ts   rewrites the baselines
//
// After rewriting, read the diff: every line is a claim about the compiler's output.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { compileFile } from "../../src/compiler/compile.ts";
import { render } from "../helpers/compile.ts";

const fixtures = fileURLToPath(new URL("../fixtures/diagnostics/", import.meta.url));
const baselines = fileURLToPath(new URL("../baselines/", import.meta.url));
const update = process.env.UPDATE_BASELINES === "1";

const files = readdirSync(fixtures)
  .filter((f) => f.endsWith(".aegis"))
  .sort();

describe("diagnostic baselines", () => {
  it("has between 8 and 12 fixtures", () => {
    expect(files.length).toBeGreaterThanOrEqual(8);
    expect(files.length).toBeLessThanOrEqual(12);
  });

  it.each(files)("%s", (file) => {
    const result = compileFile(join(fixtures, file));
    const text = render(result);
    const target = join(baselines, `${basename(file, ".aegis")}.txt`);
    if (update) {
      mkdirSync(baselines, { recursive: true });
      writeFileSync(target, text);
      return;
    }
    expect(existsSync(target), `missing baseline ${target}; run with UPDATE_BASELINES=1`).toBe(
      true,
    );
    expect(text).toBe(readFileSync(target, "utf8"));
    // Every fixture is broken on purpose, and no finding is an internal compiler error.
    expect(result.ok).toBe(false);
    expect(result.diagnostics.map((d) => d.code)).not.toContain("AEG000");
  });
});
