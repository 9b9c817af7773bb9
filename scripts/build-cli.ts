// Bundles the command line into lib/bundle/ (CommonJS scripts, minified, no source maps),
// which the installed package's bin/aegis.js runs: one script per command module
// (src/cli/command-modules.ts), and main.cjs for the rest (help, version, an unknown word).
// Each script is main.ts with that one command: the others' imports stay outside it, never
// reached in its process (main.ts runs only the command its word names), so `aegis compile`
// carries neither the runtime engine nor execa, and `aegis --help` none of the commands.
// Scripts, not ES modules, because a script's V8 code cache can be made after it ran
// (bin/bundle-loader.js): it then holds every function the command compiled, where Node's
// module compile cache holds only what was compiled before the module ran.
// lib/bundle/commands.json maps each command word (aliases too) to its script.
//   node scripts/build-cli.ts [outdir]     (default lib/; part of `npm run build`)
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";
import { commandModules } from "../src/cli/command-modules.ts";
import { aliases } from "../src/cli/usage.ts";
import { startupPlugins } from "./bundle-plugins.ts";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** main.ts with only `keep`'s command module: the others' imports left outside. */
const onlyCommand = (keep: string | undefined): Plugin => ({
  name: "only-command",
  setup(b) {
    b.onResolve({ filter: /^\.\/commands\/[a-z-]+\.ts$/ }, (args) => {
      if (!args.importer.endsWith(join("src", "cli", "main.ts"))) return undefined;
      const module = args.path.slice("./commands/".length, -".ts".length);
      return module === keep ? undefined : { path: `./${module}.cjs`, external: true };
    });
  },
});

/** Each script's own source files and packages (for the tests: what a command carries). */
export type BundleInputs = Record<string, string[]>;

export async function buildCli(outdir = join(root, "lib")): Promise<BundleInputs> {
  const dir = join(outdir, "bundle");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const modules = [...new Set(Object.values(commandModules))];
  const inputs: BundleInputs = {};
  for (const module of [undefined, ...modules]) {
    const name = module ?? "main";
    const result = await build({
      absWorkingDir: root,
      entryPoints: [join(root, "src/cli/main.ts")],
      outfile: join(dir, `${name}.cjs`),
      bundle: true,
      platform: "node",
      target: "node22",
      format: "cjs",
      minify: true,
      legalComments: "none",
      logLevel: "warning",
      metafile: true,
      plugins: [onlyCommand(module), ...startupPlugins],
      // Loaded with import() when a server first opens a database (src/server/db.ts).
      external: ["node:sqlite"],
      // The one import.meta.url the command line has (src/server/web.ts: the web viewer's
      // files, ../web/ from the script, as from lib/chunks/ or lib/server/).
      define: { "import.meta.url": "__aegisScriptUrl" },
      banner: { js: 'var __aegisScriptUrl=require("node:url").pathToFileURL(__filename).href;' },
    });
    inputs[name] = Object.values(result.metafile.outputs).flatMap((o) => Object.keys(o.inputs));
  }
  const words: Record<string, string> = { ...commandModules };
  for (const [alias, command] of Object.entries(aliases))
    words[alias] = commandModules[command as keyof typeof commandModules];
  writeFileSync(join(dir, "commands.json"), `${JSON.stringify(words, null, 2)}\n`);
  return inputs;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildCli(process.argv[2] ? resolve(process.argv[2]) : undefined);
}
