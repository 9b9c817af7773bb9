// Two dependencies add their methods to a class's prototype one at a time, at load: graphology
// ~270 to Graph.prototype, chevrotain ~200 mixin methods to Parser.prototype. V8 keeps such
// an object in its fast layout (a map and a descriptor array) until it first serves as a
// prototype, and each property added to it then copies the whole descriptor array: quadratic,
// ~1.4 MB allocated and ~2.3 ms for graphology, ~0.8 MB and ~1.5 ms for chevrotain, at every
// start of `aegis compile` (half of the module initialisation it does). An object that is
// already some object's prototype is in V8's "setup mode" instead (a dictionary: each
// property added is one insert), made fast once when first used. So the bundles make each
// prototype a prototype first (of a throwaway object) just before its methods are added:
// the same methods, in the same order, on the same prototype chain. The build fails if a
// dependency's source no longer reads as expected.
import { readFileSync } from "node:fs";
import type { Plugin } from "esbuild";

interface Patch {
  /** The dependency's file. */
  file: RegExp;
  /** The statement before which the prototype gets its methods. */
  before: string;
  /** The prototype. */
  prototype: string;
}

export const patches: readonly Patch[] = [
  {
    file: /[\\/]graphology[\\/]dist[\\/]graphology\.(mjs|cjs\.js)$/,
    before: "EDGE_ADD_METHODS.forEach(",
    prototype: "Graph.prototype",
  },
  {
    file: /[\\/]chevrotain[\\/]lib[\\/]src[\\/]parse[\\/]parser[\\/]parser\.js$/,
    before: "applyMixins(Parser, [",
    prototype: "Parser.prototype",
  },
];

/** `source` (of `path`) with its prototype put in setup mode where a patch says; else as is. */
export function inSetupMode(path: string, source: string): string {
  const patch = patches.find((p) => p.file.test(path));
  if (!patch) return source;
  const at = source.indexOf(patch.before);
  if (at < 0 || source.indexOf(patch.before, at + 1) >= 0)
    throw new Error(
      `${path} changed: scripts/prototype-setup-mode.ts no longer finds '${patch.before}' once`,
    );
  const setup = `Object.setPrototypeOf({}, ${patch.prototype});\n`;
  return source.slice(0, at) + setup + source.slice(at);
}

export const prototypeSetupMode: Plugin = {
  name: "prototype-setup-mode",
  setup(b) {
    for (const patch of patches)
      b.onLoad({ filter: patch.file }, (args) => ({
        contents: inSetupMode(args.path, readFileSync(args.path, "utf8")),
        loader: "js",
      }));
  },
};
