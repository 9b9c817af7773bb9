// Handlebars' compiler requires the source-map package (27 kB minified) only to write source
// maps of compiled templates, which aegis never asks for; without it, Handlebars uses its own
// small stand-in (compiler/code-gen.js). Left out of the bundles: less to read and compile at
// every start of the Action and the command line.
import type { Plugin } from "esbuild";

export const withoutSourceMap: Plugin = {
  name: "without-source-map",
  setup(b) {
    b.onResolve({ filter: /^source-map$/ }, (args) =>
      /[\\/]handlebars[\\/]/.test(args.importer)
        ? { path: "source-map", namespace: "without-source-map" }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "without-source-map" }, () => ({
      contents: "module.exports = {};",
      loader: "js",
    }));
  },
};
