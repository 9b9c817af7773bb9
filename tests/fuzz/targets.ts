// The fuzz targets: each pairs a generator of inputs with the invariants checked on every
// input. The test suite runs each briefly with a fixed seed; `npm run fuzz` for as long as
// it is given.
import fc from "fast-check";
import {
  aegisTokens,
  expressionText,
  inWorkflow,
  mutatedFile,
  mutatedYamlTree,
  randomText,
  tokenSoup,
  tokensOf,
  yamlKeysOf,
  yamlTokens,
} from "./generators.ts";
import {
  compileProblems,
  convertProblems,
  expressionProblems,
  formatProblems,
  YAML_FILE,
} from "./invariants.ts";
import { loadSeeds } from "./seeds.ts";
import { wellFormedWorkflow } from "./workflows.ts";

export type TargetGroup = "aegis" | "yaml";

export interface FuzzTarget {
  name: string;
  group: TargetGroup;
  /** The extension a failing input is saved with. */
  extension: string;
  inputs: fc.Arbitrary<string>;
  /** The invariants violated by one input (empty when all hold). */
  check: (text: string) => string[];
}

const aegisChecks = (text: string) => [...compileProblems(text), ...formatProblems(text)];
const yamlChecks = (text: string) => [
  ...compileProblems(text, YAML_FILE),
  ...convertProblems(text, YAML_FILE),
];

export function fuzzTargets(): FuzzTarget[] {
  const seeds = loadSeeds();
  const aegisFiles = [...seeds.aegis, ...seeds.prose];
  const yamlFiles = [...seeds.yaml, ...seeds.prose];
  const aegisVocabulary = [...aegisTokens, ...tokensOf(seeds.aegis, "aegis")];
  const yamlVocabulary = [...yamlTokens, ...tokensOf(seeds.yaml, "yaml")];
  const aegis = (name: string, inputs: fc.Arbitrary<string>): FuzzTarget => ({
    name: `aegis/${name}`,
    group: "aegis",
    extension: "aegis",
    inputs,
    check: aegisChecks,
  });
  const yaml = (name: string, inputs: fc.Arbitrary<string>): FuzzTarget => ({
    name: `yaml/${name}`,
    group: "yaml",
    extension: "yaml",
    inputs,
    check: yamlChecks,
  });
  return [
    aegis("random-text", randomText),
    aegis("tokens", tokenSoup(aegisVocabulary)),
    aegis("mutated-files", mutatedFile(aegisFiles, aegisVocabulary)),
    aegis(
      "mutated-generated",
      wellFormedWorkflow.chain((text) =>
        mutatedFile([{ name: "generated", text }], aegisVocabulary),
      ),
    ),
    aegis("generated", wellFormedWorkflow),
    {
      name: "aegis/expressions",
      group: "aegis",
      extension: "txt",
      inputs: expressionText,
      check: (text) => [...expressionProblems(text), ...aegisChecks(inWorkflow(text))],
    },
    yaml("random-text", fc.oneof(randomText, tokenSoup(yamlTokens))),
    yaml("tokens", tokenSoup(yamlVocabulary)),
    yaml("mutated-files", mutatedFile(yamlFiles, yamlVocabulary)),
    yaml("mutated-trees", mutatedYamlTree(seeds.yaml, yamlKeysOf(seeds.yaml))),
  ];
}
