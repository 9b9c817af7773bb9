// Node's own modules, in the bundles, through process.getBuiltinModule (Node >= 22.3)
// rather than an ESM import. Importing a built-in module from ESM makes Node read every
// export of it once, which loads the lazy parts: `import { readFileSync } from "node:fs"`
// also loads fs/promises and the stream classes, `node:crypto` all of WebCrypto. A third
// of the modules Node loads for `aegis compile --check` came in that way. The bundle asks
// for the module object instead and reads only what it uses, when it uses it.
import { isBuiltin } from "node:module";
import type { Plugin } from "esbuild";

export const builtinsByGetter: Plugin = {
  name: "builtins-by-getter",
  setup(b) {
    b.onResolve({ filter: /^[a-z_:/]+$/ }, (args) => {
      if (!isBuiltin(args.path)) return undefined;
      const name = args.path.startsWith("node:") ? args.path : `node:${args.path}`;
      return { path: name, namespace: "node-builtin" };
    });
    b.onLoad({ filter: /.*/, namespace: "node-builtin" }, (args) => ({
      contents: `module.exports = process.getBuiltinModule(${JSON.stringify(args.path)});`,
      loader: "js",
    }));
  },
};

/** The banner of each chunk: CommonJS dependencies bundled into ESM call require(). */
export const requireBanner =
  'const require=process.getBuiltinModule("node:module").createRequire(import.meta.url);';
