// `node --import ./tests/helpers/record-modules.ts …`: writes the URL of every module the
// process loaded (one a line) to the file AEGIS_TEST_MODULES names, when the process exits.
// The start-up tests read it to check what each command loads.
import { writeFileSync } from "node:fs";
import { registerHooks } from "node:module";

const loaded: string[] = [];
registerHooks({
  load(url, context, nextLoad) {
    loaded.push(url);
    return nextLoad(url, context);
  },
});
process.on("exit", () => {
  const file = process.env.AEGIS_TEST_MODULES;
  if (file) writeFileSync(file, `${loaded.join("\n")}\n`);
});
