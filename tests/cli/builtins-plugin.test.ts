// scripts/builtins-plugin.ts: in the bundles, Node's own modules are objects whose getters
// (on the prototype, so that the bundler's import helper copies nothing) read the module
// through process.getBuiltinModule when a name is first used. What the importers get must be
// Node's own functions and values, however they import them.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { builtinsByGetter } from "../../scripts/builtins-plugin.ts";
import { bundled } from "../helpers/bundle.ts";

const dir = mkdtempSync(join(tmpdir(), "aegis-builtins-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("Node's modules through getters, in the bundles", () => {
  it("gives importers Node's own exports, and copies none of them per importer", async () => {
    const { source, module } = await bundled<{
      named: Record<string, unknown>;
      namespace: Record<string, unknown>;
      byDefault: Record<string, unknown>;
      required: Record<string, unknown>;
      own: string[];
    }>(
      dir,
      "builtins",
      [
        'import { readFileSync, constants } from "node:fs";',
        'import * as fsNamespace from "fs";',
        'import path, { join, sep } from "node:path";',
        'import { createRequire } from "node:module";',
        "export const named = { readFileSync, constants, join, sep };",
        "export const namespace = { readFileSync: fsNamespace.readFileSync, existsSync: fsNamespace.existsSync };",
        "export const byDefault = { join: path.join, dirname: path.dirname };",
        'export const required = { createRequire, require: typeof createRequire(import.meta.url)("node:fs").statSync };',
        "export const own = Object.keys(fsNamespace).filter((key) => key !== 'default');",
      ].join("\n"),
      [builtinsByGetter],
    );
    expect(source).toContain('process.getBuiltinModule("node:fs")');
    const fs = process.getBuiltinModule("node:fs");
    const nodePath = process.getBuiltinModule("node:path");
    expect(module.named).toEqual({
      readFileSync: fs.readFileSync,
      constants: fs.constants,
      join: nodePath.join,
      sep: nodePath.sep,
    });
    expect(module.named.readFileSync).toBe(fs.readFileSync);
    expect(module.namespace.readFileSync).toBe(fs.readFileSync);
    expect(module.namespace.existsSync).toBe(fs.existsSync);
    expect(module.byDefault.dirname).toBe(nodePath.dirname);
    expect(module.required.createRequire).toBe(
      process.getBuiltinModule("node:module").createRequire,
    );
    expect(module.required.require).toBe("function");
    // The import helper's object holds no copies: the getters are inherited.
    expect(module.own).toEqual([]);
  });
});
