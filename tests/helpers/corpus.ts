// Where the shared corpus of others' workflow files is: beside the checkout on the
// machines this project is developed on (../shared/corpus), or where AEGIS_CORPUS says.
// A clean clone elsewhere has none; the corpus tests are then not registered (a note says
// so), while the seed fixtures, which live in the repository, always run.
import { existsSync } from "node:fs";
import { resolve } from "node:path";

const root = resolve(import.meta.dirname, "../..");

export const corpusDir: string | undefined = [
  process.env.AEGIS_CORPUS,
  resolve(root, "../shared/corpus"),
  "/work/shared/corpus",
].find((dir): dir is string => !!dir && existsSync(dir));

if (!corpusDir)
  console.warn(
    "note: no shared corpus found (../shared/corpus, AEGIS_CORPUS); corpus tests not registered",
  );
