// Bundles the command line into lib/cli.js (ESM, minified, no source maps), which the
// installed package's bin/aegis.js runs: one file to read and compile instead of ~240
// modules to resolve. Each command stays its own chunk (lib/chunks/): main.ts loads
// commands with import(), and esbuild splits there, so `aegis compile` still never loads
// the runtime or execa, and `aegis --help` loads only lib/cli.js.
//   node scripts/build-cli.ts [outdir]     (default lib/; part of `npm run build`)
import { rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { builtinsByGetter, requireBanner } from "./builtins-plugin.ts";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export async function buildCli(outdir = join(root, "lib")): Promise<void> {
  rmSync(join(outdir, "chunks"), { recursive: true, force: true });
  await build({
    absWorkingDir: root,
    entryPoints: { cli: join(root, "src/cli/main.ts") },
    outdir,
    chunkNames: "chunks/[name]-[hash]",
    bundle: true,
    splitting: true,
    platform: "node",
    target: "node22",
    format: "esm",
    minify: true,
    legalComments: "none",
    logLevel: "warning",
    plugins: [builtinsByGetter],
    // CommonJS dependencies (Handlebars…) bundled into ESM still call require() for Node's
    // own modules: each chunk gets a require of its own.
    banner: { js: requireBanner },
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildCli(process.argv[2] ? resolve(process.argv[2]) : undefined);
}
