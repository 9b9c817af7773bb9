// The esbuild plugins both shipped bundles are built with (the command line's scripts,
// scripts/build-cli.ts, and the Action, scripts/build-action.ts): what each leaves out or
// rewrites so that a bundle starts with less work. One list, so that both get each one.
import type { Plugin } from "esbuild";
import { builtinsByGetter } from "./builtins-plugin.ts";
import { chevrotainCharCodes } from "./chevrotain-char-codes.ts";
import { prototypeSetupMode } from "./prototype-setup-mode.ts";
import { withoutSourceMap } from "./without-source-map.ts";

export const startupPlugins: readonly Plugin[] = [
  withoutSourceMap,
  builtinsByGetter,
  chevrotainCharCodes,
  prototypeSetupMode,
];
