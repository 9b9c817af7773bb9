// Baselines of the YAML front ends: realistic broken files of both dialects
// (tests/fixtures/yaml/broken/*.yaml), each mixing several problems, compiled from disk and
// rendered as text as tests/checks/baselines.test.ts does (one line per diagnostic:
// `line:column severity CODE message`, then indented `hint:` and `related:` lines), then
// compared with tests/baselines/yaml/<name>.txt.
//
//   UPDATE_BASELINES=1 vitest run tests/yaml/baselines.test.ts   rewrites the baselines
//
// After rewriting, read the diff: every line is a claim about the compiler's output.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { compileFile } from "../../src/compiler/compile.ts";
import { render } from "../helpers/compile.ts";

const fixtures = fileURLToPath(new URL("../fixtures/yaml/broken/", import.meta.url));
const baselines = fileURLToPath(new URL("../baselines/yaml/", import.meta.url));
const update = process.env.UPDATE_BASELINES === "1";

const files = readdirSync(fixtures)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();

describe("YAML diagnostic baselines", () => {
  it("has between 6 and 10 fixtures, of both dialects", () => {
    expect(files.length).toBeGreaterThanOrEqual(6);
    expect(files.length).toBeLessThanOrEqual(10);
    const dialects = new Set(files.map((f) => compileFile(join(fixtures, f)).ast.dialect));
    expect(dialects).toContain("aegis-manifest");
    expect(dialects).toContain("agentos");
  });

  it("has no baseline without its fixture", () => {
    if (!existsSync(baselines)) return;
    const names = new Set(files.map((f) => basename(f).replace(/\.ya?ml$/, "")));
    for (const txt of readdirSync(baselines).filter((f) => f.endsWith(".txt")))
      expect(names.has(basename(txt, ".txt")), `${txt} has no fixture`).toBe(true);
  });

  it.each(files)("%s", (file) => {
    const result = compileFile(join(fixtures, file));
    const text = render(result);
    const target = join(baselines, `${basename(file).replace(/\.ya?ml$/, "")}.txt`);
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
