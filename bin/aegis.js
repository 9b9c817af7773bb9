#!/usr/bin/env node
// Runs the TypeScript sources directly (Node >= 22.18 strips types) in a checkout,
// and the compiled library when installed as a package (Node won't strip types there).
import { existsSync } from "node:fs";

const source = new URL("../src/cli/main.ts", import.meta.url);
const entry = existsSync(source) ? source : new URL("../lib/cli/main.js", import.meta.url);
const { main } = await import(entry.href);
// `aegis … | head` closes the pipe early: stop quietly, as other command-line tools do.
process.stdout.on("error", (error) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});
process.exitCode = await main(process.argv.slice(2));
