// Bundles the GitHub Action into one file: dist/index.js (node24, ESM).
//   node scripts/build-action.ts [outdir]
import { writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export async function buildAction(outdir = join(root, "dist")): Promise<void> {
  await build({
    absWorkingDir: root,
    entryPoints: [join(root, "src/action/index.ts")],
    outfile: join(outdir, "index.js"),
    bundle: true,
    platform: "node",
    target: "node24",
    format: "esm",
    minify: true,
    legalComments: "none",
    logLevel: "warning",
    // CommonJS dependencies bundled into ESM still call require() for Node's modules.
    banner: {
      js: 'import{createRequire as __aegisCreateRequire}from"node:module";const require=__aegisCreateRequire(import.meta.url);',
    },
  });
  // dist/ is its own package: ESM wherever the action is checked out.
  writeFileSync(join(outdir, "package.json"), `${JSON.stringify({ type: "module" }, null, 2)}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildAction(process.argv[2] ? resolve(process.argv[2]) : undefined);
}
