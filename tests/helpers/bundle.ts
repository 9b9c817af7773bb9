// A snippet bundled as the CLI and Action bundles are (esbuild, ESM for Node), with or
// without the build's plugins, and imported: for the tests of scripts/*-plugin rewrites.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build, type Plugin } from "esbuild";

/** Bundles `contents` (JavaScript importing packages) to `dir/name.mjs`; its text and module. */
export async function bundled<T>(
  dir: string,
  name: string,
  contents: string,
  plugins: Plugin[],
): Promise<{ source: string; module: T }> {
  const out = join(dir, `${name}.mjs`);
  await build({
    stdin: { contents, resolveDir: process.cwd(), loader: "js" },
    bundle: true,
    format: "esm",
    platform: "node",
    outfile: out,
    logLevel: "silent",
    plugins,
  });
  return {
    source: readFileSync(out, "utf8"),
    module: (await import(pathToFileURL(out).href)) as T,
  };
}
