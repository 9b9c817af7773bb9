#!/usr/bin/env node
// Runs the TypeScript sources directly (Node >= 22.18 strips types) in a checkout, and the
// bundled command line (lib/bundle/, `npm run build`) when installed as a package (Node won't
// strip types there). AEGIS_CLI=bundle runs the bundle in a checkout too (tests, benchmarks).
// On a Node older than the package supports (package.json "engines"), say so in one line,
// exit 2, and load nothing: its first import would fail with an error that does not say
// why (ERR_REQUIRE_ESM, ERR_UNKNOWN_FILE_EXTENSION). Written in syntax Node 18 parses.
// A static import (cheaper to start than import(), by ~2 ms): bundle-loader.js does nothing
// when it is loaded, so this check still runs before anything an older Node lacks.
import { loadBundle } from "./bundle-loader.js";

{
  const [major, minor] = process.versions.node.split(".").map(Number);
  // A checkout runs the TypeScript sources, whose types Node strips from 22.18 on.
  const sources =
    process.env.AEGIS_CLI !== "bundle" &&
    process
      .getBuiltinModule?.("node:fs")
      .existsSync(new URL("../src/cli/main.ts", import.meta.url));
  const [needed, where] = sources ? ["22.18", " to run from its sources"] : ["22.13", ""];
  const old =
    major < 22 || (major === 22 && minor < 13) || (sources && !process.features.typescript);
  if (old) {
    process.stderr.write(
      `aegis needs Node ${needed} or later${where}; this is Node ${process.versions.node}\n`,
    );
    process.exit(2);
  }
}

// Node's own modules through getBuiltinModule, not an ESM import: an import would read every
// export of node:fs, loading fs/promises and the stream classes (scripts/builtins-plugin.ts).
const { existsSync, readFileSync } = process.getBuiltinModule("node:fs");
const { fileURLToPath } = process.getBuiltinModule("node:url");
const at = (path) => new URL(path, import.meta.url);
const source = at("../src/cli/main.ts");
const bundles = at("../lib/bundle/");
const argv = process.argv.slice(2);
if (process.env.AEGIS_CLI !== "bundle" && existsSync(source)) {
  // A checkout: the TypeScript sources, through Node's module compile cache.
  process.getBuiltinModule("node:module").enableCompileCache();
  const { main } = await import(source.href);
  process.exitCode = await main(argv);
} else if (existsSync(new URL("commands.json", bundles))) {
  // The package: the script of the command's module (scripts/build-cli.ts), its code cache
  // kept once the command has run (bin/bundle-loader.js).
  const words = JSON.parse(readFileSync(new URL("commands.json", bundles), "utf8"));
  const name = Object.hasOwn(words, argv[0]) ? words[argv[0]] : "main";
  const bundle = loadBundle(fileURLToPath(new URL(`${name}.cjs`, bundles)));
  process.exitCode = await bundle.exports.main(argv);
  bundle.done();
} else {
  // Built by tsc only (lib/cli/main.js).
  process.getBuiltinModule("node:module").enableCompileCache();
  const { main } = await import(at("../lib/cli/main.js").href);
  process.exitCode = await main(argv);
}
