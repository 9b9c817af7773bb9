// On a Node older than the package supports (package.json "engines"), `aegis` says so in
// one line and exits 2, instead of failing on its first import with ERR_REQUIRE_ESM or
// ERR_UNKNOWN_FILE_EXTENSION and a stack trace (issue 13, item 2). Run under a real Node 20.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { nodeOf, root } from "./nodes.ts";

const old = nodeOf("20");
const dir = mkdtempSync(join(tmpdir(), "aegis-node-version-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function aegis(node: string, bin: string, ...args: string[]) {
  const r = spawnSync(node, [bin, ...args], { cwd: dir, encoding: "utf8", timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("aegis on Node 20", () => {
  it("declares the Node versions it supports", () => {
    const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
    expect(manifest.engines).toEqual({ node: ">=22.13" });
  });

  it("as installed (no sources beside it): says it needs Node 22.13, in one line, exit 2", () => {
    // The package's layout without its sources: its bin/ (aegis.js imports bundle-loader.js
    // before it checks the version) and no lib/ that an older Node could fail to load.
    mkdirSync(join(dir, "package", "bin"), { recursive: true });
    const bin = join(dir, "package", "bin", "aegis.js");
    for (const file of ["aegis.js", "bundle-loader.js"])
      copyFileSync(join(root, "bin", file), join(dir, "package", "bin", file));
    for (const args of [["--help"], ["compile", "--check", "x.aegis"], []]) {
      const r = aegis(old.node, bin, ...args);
      expect(r.stderr).toBe(`aegis needs Node 22.13 or later; this is Node ${old.version}\n`);
      expect(r.stdout).toBe("");
      expect(r.status).toBe(2);
    }
  });

  it("in a checkout (TypeScript sources): says it needs Node 22.18, which strips types", () => {
    const r = aegis(old.node, join(root, "bin", "aegis.js"), "compile", "--check", "x.aegis");
    expect(r.stderr).toBe(
      `aegis needs Node 22.18 or later to run from its sources; this is Node ${old.version}\n`,
    );
    expect(r.stdout).toBe("");
    expect(r.status).toBe(2);
  });
});
