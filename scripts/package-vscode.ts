// Builds and packages the VS Code extension (editors/vscode/) as a .vsix:
//   - the client, editors/vscode/src/extension.ts, bundled by esbuild into out/extension.js
//     (CommonJS, as VS Code loads it; `vscode` is the editor's own module);
//   - the TextMate grammar and the two YAML schemas, copied from grammar/ (kept in one place);
//   - a copy of aegis's command line in server/ (bin/aegis.js and its bundle-loader.js beside
//     lib/bundle/, the layout of the npm package), started when a workspace has no aegis;
//   - the .vsix, made by @vscode/vsce.
// The outputs are built in editors/vscode/ itself (gitignored), so that VS Code's "Run
// Extension" finds them; --build-dir DIR builds in DIR instead (a copy of the extension's
// files), which the tests use so that two runs never share a directory.
//   node scripts/package-vscode.ts [out.vsix] [--build-dir DIR]
//   (default out.vsix: editors/vscode/aegis-workflows.vsix)
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createVSIX } from "@vscode/vsce";
import { build } from "esbuild";
import { buildCli } from "./build-cli.ts";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const extension = join(root, "editors", "vscode");

/** The extension's own files (in git), copied when building outside editors/vscode/. */
const manifestFiles = ["package.json", "language-configuration.json", "README.md", ".vscodeignore"];
/** Copied from grammar/ into the extension's grammar/ (contributes.grammars, yamlValidation). */
const grammarFiles = [
  "aegis.tmLanguage.json",
  "aegis-manifest.schema.json",
  "agentos-workflow.schema.json",
];

export interface PackageOptions {
  /** Where the .vsix goes. */
  vsix?: string;
  /** Where the extension is assembled (default: editors/vscode/ itself). */
  buildDir?: string;
}

export async function packageVscode(options: PackageOptions = {}): Promise<string> {
  const vsix = resolve(options.vsix ?? join(extension, "aegis-workflows.vsix"));
  const dir = resolve(options.buildDir ?? extension);
  for (const output of ["out", "server", "grammar", "LICENSE"])
    rmSync(join(dir, output), { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  if (dir !== extension)
    for (const file of manifestFiles) copyFileSync(join(extension, file), join(dir, file));
  copyFileSync(join(root, "LICENSE"), join(dir, "LICENSE"));

  await build({
    absWorkingDir: root,
    entryPoints: [join(extension, "src", "extension.ts")],
    outfile: join(dir, "out", "extension.js"),
    bundle: true,
    platform: "node",
    // VS Code 1.100's extension host runs Node 20.
    target: "node20",
    format: "cjs",
    external: ["vscode"],
    minify: true,
    logLevel: "warning",
  });

  mkdirSync(join(dir, "grammar"), { recursive: true });
  for (const file of grammarFiles)
    copyFileSync(join(root, "grammar", file), join(dir, "grammar", file));

  const server = join(dir, "server");
  await buildCli(join(server, "lib"));
  mkdirSync(join(server, "bin"), { recursive: true });
  for (const file of ["aegis.js", "bundle-loader.js"])
    copyFileSync(join(root, "bin", file), join(server, "bin", file));
  // bin/aegis.js is an ES module; without this, the extension's package.json (no "type")
  // would make Node guess, and warn.
  writeFileSync(
    join(server, "package.json"),
    `${JSON.stringify({ name: "aegis-workflows-server", private: true, type: "module" }, null, 2)}\n`,
  );

  mkdirSync(dirname(vsix), { recursive: true });
  await createVSIX({
    cwd: dir,
    packagePath: vsix,
    // Everything the extension runs is bundled: no node_modules in the .vsix.
    dependencies: false,
    allowMissingRepository: true,
  });
  return vsix;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({
    options: { "build-dir": { type: "string" } },
    allowPositionals: true,
  });
  const vsix = await packageVscode({
    ...(positionals[0] && { vsix: positionals[0] }),
    ...(values["build-dir"] && { buildDir: values["build-dir"] }),
  });
  console.log(`Packaged ${vsix}`);
}
