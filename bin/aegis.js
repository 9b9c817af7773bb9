#!/usr/bin/env node
// Runs the TypeScript sources directly (Node >= 22.18 strips types) in a checkout, and the
// bundled command line (lib/cli.js, `npm run build`) when installed as a package (Node won't
// strip types there). AEGIS_CLI=bundle runs the bundle in a checkout too (tests, benchmarks).
// On a Node older than the package supports (package.json "engines"), say so in one line,
// exit 2, and load nothing: its first import would fail with an error that does not say
// why (ERR_REQUIRE_ESM, ERR_UNKNOWN_FILE_EXTENSION). Written in syntax Node 18 parses.
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
const { existsSync } = process.getBuiltinModule("node:fs");
// Node's compile cache: later starts reuse the compiled code of every module.
process.getBuiltinModule("node:module").enableCompileCache();
const at = (path) => new URL(path, import.meta.url);
const source = at("../src/cli/main.ts");
const bundle = at("../lib/cli.js");
const entry =
  process.env.AEGIS_CLI !== "bundle" && existsSync(source)
    ? source
    : existsSync(bundle)
      ? bundle
      : at("../lib/cli/main.js");
const { main } = await import(entry.href);
// `aegis … | head` closes the pipe early: stop quietly, as other command-line tools do.
process.stdout.on("error", (error) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});
process.exitCode = await main(process.argv.slice(2));
