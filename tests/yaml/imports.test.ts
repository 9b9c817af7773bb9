// An aegis workflow that imports a YAML file which does not read as a workflow: the import
// is refused with AEG507 (what the YAML's own error is), never an internal error.
import { expect, it } from "vitest";
import { compile } from "../../src/compiler/compile.ts";

const notAWorkflow = "name: manifest\nstates:\n  - name: DONE\n    kind: Final\n";

for (const input of ["", '    input { task: "x" }\n']) {
  it(`refuses an import of YAML that is no workflow${input ? ", given inputs" : ""}`, () => {
    const source = `import "other.yaml" as child

workflow importer {
  start CALL
  state CALL = subworkflow child timeout 1m {
${input}    on success -> DONE
    otherwise -> FAILED
  }
  final DONE
  final FAILED failure
}
`;
    const result = compile(source, {
      filename: "/virtual/importer.aegis",
      readFile: (path) => (path === "/virtual/other.yaml" ? notAWorkflow : undefined),
    });
    const codes = result.diagnostics.map((d) => d.code);
    expect(codes).toContain("AEG507");
    expect(codes).not.toContain("AEG000");
  });
}
