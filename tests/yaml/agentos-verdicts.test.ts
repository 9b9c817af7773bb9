// AgentOS's own workflows get AgentOS's verdict. Each workflow of its test suites
// (tests/yaml/fixtures/agentos/, see the README there) and its example template
// (tests/yaml/fixtures/agentos-crew-blog-writer.yaml) is compiled from disk through the
// AgentOS front end, and aegis must accept what AgentOS's tests accept and refuse what they
// refuse, for the same reason (the aegis codes listed, at the line and column given), or
// differ on purpose, as docs/diagnostics.md says ("Where aegis differs from AgentOS").
// Also the tests of sanitize_id, AgentOS's rule for the ids a workflow is read with.
// The three templates of its workflows/ folder are the shared corpus
// (../shared/corpus/agentos/), which tests/yaml/seeds.test.ts compiles; not copied here.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { type CompileResult, compileFile } from "../../src/compiler/compile.ts";
import { compileYaml } from "../helpers/yaml.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const fixtures = join(root, "tests/yaml/fixtures/agentos");
const docs = readFileSync(join(root, "docs/diagnostics.md"), "utf8");
const readme = readFileSync(join(fixtures, "README.md"), "utf8");
const differences = docs.slice(docs.indexOf("## Where aegis differs from AgentOS"));

interface Verdict {
  /** What AgentOS's tests expect: accepted, or the error they expect. */
  agentos: "accepted" | { refused: string };
  /** The errors aegis reports, as "CODE line:column" in the compiler's order (none: accepted). */
  aegis: string[];
  /** Its warnings and notes, the same way. */
  notes?: string[];
  /** Why aegis decides otherwise, or reads the workflow otherwise; documented. */
  difference?: string;
}

const accepted: Verdict = { agentos: "accepted", aegis: [] };

/** The workflows of AgentOS's test suites, by fixture (relative to fixtures/agentos). */
const suites: Record<string, Verdict> = {
  // workers/workflow/src/types.rs at caca2b43 (the Rust worker's tests).
  "types-workflow-round-trip.yaml": accepted,
  "types-unsafe-function-id.yaml": {
    agentos: { refused: "Invalid ID format: echo/../../../bad" },
    aegis: ["AEG104 9:17"],
  },
  "types-unsafe-id.yaml": {
    agentos: { refused: "Invalid ID format: with space" },
    // Refused for its id, as in AgentOS; and for having no step, where AgentOS is silent.
    aegis: ["AEG104 4:5", "AEG707 7:1"],
    difference: "a workflow without steps is refused (AEG707)",
  },
  // src/__tests__/workflow.test.ts at 611f82ae (the TypeScript engine's tests).
  "ts-create.yaml": {
    agentos: "accepted",
    aegis: ["AEG707 7:1"],
    difference: "a workflow without steps is refused (AEG707)",
  },
  "ts-create-auto-id.yaml": {
    agentos: "accepted",
    aegis: ["AEG707 6:1"],
    difference: "a workflow without steps is refused (AEG707)",
  },
  "ts-sequential.yaml": accepted,
  "ts-chain.yaml": accepted,
  "ts-interpolation.yaml": accepted,
  "ts-unresolved-var.yaml": {
    ...accepted,
    difference: "{{undefined_var}} is an input the run gives, not text left as it is",
  },
  "ts-fanout.yaml": {
    ...accepted,
    difference: "consecutive fan-out steps run one after the other, each over input.items",
  },
  "ts-collect.yaml": accepted,
  "ts-conditional-skip.yaml": {
    ...accepted,
    notes: ["AEG709 12:16"],
    difference: "a first step's condition cannot be matched against the run's input",
  },
  "ts-conditional-match.yaml": {
    ...accepted,
    notes: ["AEG709 12:16"],
    difference: "a first step's condition cannot be matched against the run's input",
  },
  "ts-loop-until.yaml": accepted,
  "ts-loop-max-iterations.yaml": accepted,
  // Accepted: it is the run that fails, when fail::fn throws.
  "ts-error-fail.yaml": accepted,
  "ts-error-skip.yaml": accepted,
  "ts-error-retry.yaml": accepted,
};

/** Its example template (examples/crew-blog-writer.yaml), kept one folder up. */
const example: Verdict = {
  ...accepted,
  notes: ["AEG502 10:5", "AEG502 11:5", "AEG502 12:5", "AEG711 16:17"],
};

const short = (result: CompileResult, errors: boolean) =>
  result.diagnostics
    .filter((d) => (d.severity === "error") === errors)
    .map((d) => `${d.code} ${d.line}:${d.column}`);

function check(file: string, verdict: Verdict): void {
  const result = compileFile(file);
  expect(result.ast.dialect).toBe("agentos");
  expect(short(result, true)).toEqual(verdict.aegis);
  expect(short(result, false)).toEqual(verdict.notes ?? []);
  expect(result.ok).toBe(verdict.aegis.length === 0);
  // Where the verdicts differ, a difference is declared (and documented).
  const agrees = (verdict.agentos === "accepted") === (verdict.aegis.length === 0);
  if (!agrees) expect(verdict.difference, "a difference is declared").toBeDefined();
  if (verdict.difference) {
    const name = file.split("/").pop()!;
    expect(differences, `docs/diagnostics.md names ${name}`).toContain(`\`${name}\``);
  }
}

describe("AgentOS's test-suite workflows get its verdict", () => {
  it("has a verdict for every fixture, and a fixture for every verdict", () => {
    const onDisk = readdirSync(fixtures)
      .filter((f) => f.endsWith(".yaml"))
      .sort();
    expect(onDisk).toEqual(Object.keys(suites).sort());
  });

  it("names the source of every fixture in the README", () => {
    for (const name of Object.keys(suites)) expect(readme).toContain(`\`${name}\``);
    expect(readme).toContain("`agentos-crew-blog-writer.yaml`");
  });

  for (const [name, verdict] of Object.entries(suites)) {
    const what = verdict.agentos === "accepted" ? "accepted" : "refused";
    const differs = (verdict.agentos === "accepted") !== (verdict.aegis.length === 0);
    it(`${name}: ${what}${differs ? " by AgentOS (aegis differs)" : ""}`, () => {
      check(join(fixtures, name), verdict);
    });
  }

  it("agentos-crew-blog-writer.yaml (examples/): accepted", () => {
    check(join(fixtures, "../agentos-crew-blog-writer.yaml"), example);
  });
});

// sanitize_id_accepts_valid and sanitize_id_rejects_invalid (types.rs): the rule AgentOS
// reads a workflow's id, a step's functionId and outputVar with.
describe("AgentOS's sanitize_id tests, on the ids of a workflow (AEG104)", () => {
  const workflow = (id: string, field: "id" | "functionId" | "outputVar") =>
    compileYaml(
      [
        `id: ${JSON.stringify(field === "id" ? id : "w")}`,
        "steps:",
        "  - name: s",
        `    functionId: ${JSON.stringify(field === "functionId" ? id : "echo::fn")}`,
        `    outputVar: ${JSON.stringify(field === "outputVar" ? id : "out")}`,
      ].join("\n"),
    );
  const at = { id: "AEG104 1:5", functionId: "AEG104 4:17", outputVar: "AEG104 5:16" };
  for (const field of ["id", "functionId", "outputVar"] as const) {
    it.each(["run-123", "a:b.c_d-e"])(`%s is a ${field}`, (id) => {
      expect(workflow(id, field).diagnostics).toEqual([]);
    });
    it.each(["with space", "bad/id"])(`%j is not a ${field}`, (id) => {
      expect(short(workflow(id, field), true)).toEqual([at[field]]);
    });
  }
  // An empty id is none: workflow::create gives the workflow a UUID (main.rs).
  it('"" is no id (AgentOS gives one), and no functionId or outputVar', () => {
    expect(workflow("", "id").diagnostics).toEqual([]);
    expect(short(workflow("", "functionId"), true)).toEqual([at.functionId]);
    expect(short(workflow("", "outputVar"), true)).toEqual([at.outputVar]);
  });
});
