// Bundles the GitHub Action: dist/index.js (node24, ESM), and in dist/chunks/ what it loads
// only when needed (Octokit and its HTTP stack, execa): the runner reads and compiles less
// before the first state runs.
//   node scripts/build-action.ts [outdir]
import { rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";
import { requireBanner } from "./builtins-plugin.ts";
import { startupPlugins } from "./bundle-plugins.ts";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * @actions/core imports its OIDC client (and with it @actions/http-client and undici, a
 * quarter of the bundle) for getIDToken, which the action never calls: marked free of side
 * effects, the import goes with the unused function, and undici stays in the chunk of
 * Octokit, which is loaded only when the action first calls GitHub.
 */
const withoutOidc: Plugin = {
  name: "without-oidc",
  setup(b) {
    b.onResolve({ filter: /oidc-utils\.js$/ }, async (args) => {
      if (args.pluginData === "without-oidc") return undefined;
      const resolved = await b.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: "without-oidc",
      });
      if (!resolved.path.includes("@actions/core")) return resolved;
      return { ...resolved, sideEffects: false };
    });
  },
};

export async function buildAction(outdir = join(root, "dist")): Promise<void> {
  rmSync(join(outdir, "chunks"), { recursive: true, force: true });
  await build({
    absWorkingDir: root,
    // builder.js: aegis-workflows/builder for a workflow built in TypeScript, where the
    // checkout does not install aegis (src/builder/module.ts); it shares the compiler's
    // chunks with index.js, so the workflow it builds is compiled by the same code.
    entryPoints: {
      index: join(root, "src/action/index.ts"),
      builder: join(root, "src/builder/index.ts"),
    },
    outdir,
    chunkNames: "chunks/[name]-[hash]",
    splitting: true,
    bundle: true,
    platform: "node",
    target: "node24",
    format: "esm",
    minify: true,
    legalComments: "none",
    logLevel: "warning",
    plugins: [withoutOidc, ...startupPlugins],
    // CommonJS dependencies bundled into ESM still call require() for Node's modules.
    banner: { js: requireBanner },
  });
  // dist/ is its own package: ESM wherever the action is checked out.
  writeFileSync(join(outdir, "package.json"), `${JSON.stringify({ type: "module" }, null, 2)}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildAction(process.argv[2] ? resolve(process.argv[2]) : undefined);
}
