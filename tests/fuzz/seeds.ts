// The real files the fuzzer mutates: the examples, the test fixtures, the seed documents
// beside the checkout and the shared corpus of others' workflows (read where they are,
// never copied into the repository; absent on a clean clone elsewhere).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { corpusDir } from "../helpers/corpus.ts";

export interface SeedFile {
  /** Where it came from, relative to the repository when inside it. */
  name: string;
  text: string;
}

export interface Seeds {
  aegis: SeedFile[];
  yaml: SeedFile[];
  /** Prose with YAML in it (the seed documents): mutated as either kind. */
  prose: SeedFile[];
}

const root = resolve(import.meta.dirname, "../..");

/** Files under `dir` (recursively) whose name matches `pattern`, sorted for determinism. */
function filesUnder(dir: string, pattern: RegExp): SeedFile[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => pattern.test(f) && !f.split(/[\\/]/).includes("node_modules"))
    .sort()
    .map((f) => {
      const path = join(dir, f);
      const name = path.startsWith(root) ? path.slice(root.length + 1) : path;
      return { name, text: readFileSync(path, "utf8") };
    });
}

const aegisFile = /\.aegis$/;
const yamlFile = /\.ya?ml$/;

let loaded: Seeds | undefined;

/** Every seed file, read once. */
export function loadSeeds(): Seeds {
  if (loaded) return loaded;
  const under = (dir: string, pattern: RegExp) => filesUnder(resolve(root, dir), pattern);
  const seedDocs = [resolve(root, "../shared/seeds"), "/work/shared/seeds"].find(existsSync);
  loaded = {
    aegis: [
      ...under("examples", aegisFile),
      ...under("tests/fixtures", aegisFile),
      ...under("tests/action/fixtures", aegisFile),
    ],
    yaml: [
      ...under("examples", yamlFile),
      ...under("tests/fixtures/yaml", yamlFile),
      ...under("tests/schemas/fixtures", yamlFile),
      ...(corpusDir ? filesUnder(corpusDir, yamlFile) : []),
    ],
    prose: seedDocs ? filesUnder(seedDocs, /\.(txt|md)$/) : [],
  };
  return loaded;
}
