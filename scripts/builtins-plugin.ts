// Node's own modules, in the bundles, through process.getBuiltinModule (Node >= 22.3)
// rather than an ESM import. Importing a built-in module from ESM makes Node read every
// export of it once, which loads the lazy parts: `import { readFileSync } from "node:fs"`
// also loads fs/promises and the stream classes, `node:crypto` all of WebCrypto. A third
// of the modules Node loads for `aegis compile --check` came in that way. The bundle asks
// for the module object instead and reads only what it uses, when it uses it: the module
// it imports is an object of getters, one per export (by the names the building Node
// gives), since the bundle's import helper reads every property's descriptor, and a
// descriptor is enough to load a lazy part (node:util's TextDecoder loads worker_threads).
// The getters are on the object's prototype: the import helper (esbuild's __toESM) copies
// a CommonJS module's own properties, as getters, for every module that imports it (node:fs's
// hundred, seven times over in `compile`: half a millisecond of every start), and the
// object it makes inherits from the module's prototype, where the getters are found.
import { isBuiltin } from "node:module";
import type { Plugin } from "esbuild";

/**
 * The modules read through getters: namespaces of functions with lazy parts. Not a module
 * that is a function (node:events is EventEmitter) or whose methods need it as `this`
 * (node:process), nor one that a dependency may patch.
 */
const namespaces = new Set(["node:fs", "node:util", "node:crypto", "node:os", "node:path"]);

export const builtinsByGetter: Plugin = {
  name: "builtins-by-getter",
  setup(b) {
    b.onResolve({ filter: /^[a-z_:/]+$/ }, (args) => {
      if (!isBuiltin(args.path)) return undefined;
      // import() of a built-in stays Node's own: it is loaded late anyway, and its names
      // would not survive the bundler's CommonJS interop (only `default` would).
      if (args.kind === "dynamic-import") return { path: args.path, external: true };
      const name = args.path.startsWith("node:") ? args.path : `node:${args.path}`;
      return { path: name, namespace: "node-builtin" };
    });
    b.onLoad({ filter: /.*/, namespace: "node-builtin" }, (args) => {
      const name = JSON.stringify(args.path);
      if (!namespaces.has(args.path))
        return { contents: `module.exports = process.getBuiltinModule(${name});`, loader: "js" };
      const getters = Object.keys(process.getBuiltinModule(args.path) as object).map(
        (key) => `get ${JSON.stringify(key)}() { return m()[${JSON.stringify(key)}]; }`,
      );
      return {
        contents: [
          "let module_;",
          `const m = () => (module_ ??= process.getBuiltinModule(${name}));`,
          `module.exports = Object.create({ ${getters.join(", ")} });`,
        ].join("\n"),
        loader: "js",
      };
    });
  },
};

/** The banner of each chunk: CommonJS dependencies bundled into ESM call require(). */
export const requireBanner =
  'const require=process.getBuiltinModule("node:module").createRequire(import.meta.url);';
