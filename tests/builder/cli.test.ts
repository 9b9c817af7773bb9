// Workflow modules through the real command line: `compile --check` in every output format
// (findings at the module's lines), `graph`, modules that cannot be loaded (one line, no
// stack), and `run` then `signal` in another process, which loads the module again to
// find its function agents by name.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { RunRecord } from "../../src/runtime/types.ts";
import { aegis, json, ROOT, tempDir } from "../runtime/cli/helpers.ts";

const FIXTURES = join(ROOT, "tests/builder/fixtures");
const GREETING = join(FIXTURES, "greeting.ts");
const lines = readFileSync(GREETING, "utf8").split("\n");
const lineOf = (text: string) => lines.findIndex((l) => l.includes(text)) + 1;
const columnOf = (text: string, part: string) => lines[lineOf(text) - 1]!.indexOf(part) + 1;

describe("aegis compile of a workflow module", () => {
  const cwd = ROOT;
  const file = "tests/builder/fixtures/greeting.ts";
  const unquoted = {
    line: lineOf('state.run("echo'),
    column: columnOf('state.run("echo', "input.who"),
  };
  const whom = { line: lineOf("Say hello to"), column: columnOf("Say hello to", "input.whom") };

  it("text: findings at the module's lines, with the module's code under them", () => {
    const r = aegis(cwd, ["compile", "--check", file]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`${file}:${whom.line}:${whom.column}: error[AEG402]`);
    expect(r.stdout).toContain(`${file}:${unquoted.line}:${unquoted.column}: warning[AEG606]`);
    expect(r.stdout).toContain('prompt: "Say hello to {{input.whom}}."');
    expect(r.stdout).toContain("1 file checked: 1 error, 1 warning");
  });

  it("json, sarif, github and oneline point at the same places", () => {
    const findings = json<{ file: string; line: number; column: number; code: string }[]>(
      aegis(cwd, ["compile", "--check", "--format", "json", file]).stdout,
    );
    expect(findings.map((f) => [f.file, f.line, f.column, f.code])).toEqual([
      [file, unquoted.line, unquoted.column, "AEG606"],
      [file, whom.line, whom.column, "AEG402"],
    ]);
    const sarif = json<{
      runs: {
        results: {
          ruleId: string;
          locations: {
            physicalLocation: {
              artifactLocation: { uri: string };
              region: { startLine: number; startColumn: number };
            };
          }[];
        }[];
      }[];
    }>(aegis(cwd, ["compile", "--check", "--format", "sarif", file]).stdout);
    const located = sarif.runs[0]!.results.map((r) => {
      const p = r.locations[0]!.physicalLocation;
      return [r.ruleId, p.artifactLocation.uri, p.region.startLine, p.region.startColumn];
    });
    expect(located).toContainEqual(["AEG402", file, whom.line, whom.column]);
    const github = aegis(cwd, ["compile", "--check", "--format", "github", file]).stdout;
    expect(github).toContain(`::error file=${file},line=${whom.line},col=${whom.column}`);
    const oneline = aegis(cwd, ["compile", "--check", "--format", "oneline", file]).stdout;
    expect(oneline).toContain(`${file}:${whom.line}:${whom.column}: error[AEG402]`);
  });

  it("a directory is searched for workflows, never for modules (importing one runs it)", () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, "program.ts"),
      'import { writeFileSync } from "node:fs";\nwriteFileSync("IMPORTED", "yes");\n',
    );
    writeFileSync(join(dir, "flow.aegis"), "workflow flow {\n  start DONE\n  final DONE\n}\n");
    const r = aegis(dir, ["compile", "--check", "."]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("1 file checked");
    expect(existsSync(join(dir, "IMPORTED"))).toBe(false);
  });

  it("graph draws it", () => {
    const r = aegis(cwd, ["graph", "examples/hello/hello.ts"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('s_GREET["GREET<br/>agent default"]');
  });

  it("a module that cannot be loaded, or exports no workflow, is one line (exit 2)", () => {
    const dir = tempDir();
    const write = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return name;
    };
    const cases: [string, string][] = [
      ["missing.ts", "cannot read missing.ts: no such file"],
      [write("syntax.ts", "export const x = ;\n"), "cannot load syntax.ts: SyntaxError"],
      [write("throws.ts", 'throw new Error("boom");\n'), "cannot load throws.ts: Error: boom ("],
      [write("none.ts", "export const x = 1;\n"), "none.ts exports no workflow"],
    ];
    for (const [name, message] of cases) {
      const r = aegis(dir, ["compile", "--check", name]);
      expect(r.status, name).toBe(2);
      expect(r.stderr, name).toContain(message);
      expect(r.stderr, name).not.toMatch(/^\s+at /m);
      const run = aegis(dir, ["run", name]);
      expect(run.status, name).toBe(2);
      expect(run.stderr, name).toContain(message.replace("cannot read", "cannot read"));
    }
  });
});

describe("aegis run of a workflow module", () => {
  it("runs its function agents; signal in another process finds them by name", () => {
    const dir = tempDir();
    const module = join(FIXTURES, "gated.ts");
    const started = aegis(dir, ["run", module, "--param", "who=Ann", "--id", "g"]);
    expect(started.stderr).toBe("");
    expect(started.status).toBe(0);
    expect(started.stdout).toContain("waiting for a human at ASK");
    const meta = json<{ module: string }>(
      readFileSync(join(dir, ".aegis/runs/g/run.json"), "utf8"),
    );
    expect(meta.module).toBe(module);

    const signalled = aegis(dir, ["signal", "g", "--approve"]);
    expect(signalled.stderr).toBe("");
    expect(signalled.status).toBe(0);
    const record = json<RunRecord>(aegis(dir, ["status", "g", "--json"]).stdout);
    expect(record.status).toBe("succeeded");
    // The second function ran in the signalling process, not the one that started the run.
    const output = String(record.results.AGAIN!.output);
    const [, first, second] = /^AGAIN, HELLO ANN FROM (\d+) \/ (\d+)$/.exec(output) ?? [];
    expect(first).toBeDefined();
    expect(second).not.toBe(first);
  });

  it("without its module, signal says the functions are not loaded and the run still waits", () => {
    const dir = tempDir();
    const module = join(dir, "gated.ts");
    writeFileSync(
      module,
      readFileSync(join(FIXTURES, "gated.ts"), "utf8").replaceAll("../../../src/", `${ROOT}/src/`),
    );
    expect(aegis(dir, ["run", module, "--id", "g"]).status).toBe(0);
    writeFileSync(module, "export const nothing = 1;\n");
    const signalled = aegis(dir, ["signal", "g", "--approve"]);
    expect(signalled.stderr).toContain("the run's functions are not loaded");
    expect(signalled.stderr).toContain("no function 'shout' was supplied (state AGAIN)");
    expect(signalled.status).toBe(2);
    // Nothing is lost: the gate still waits for its answer.
    const record = json<RunRecord>(aegis(dir, ["status", "g", "--json"]).stdout);
    expect(record.status).toBe("waiting");
  });
});
