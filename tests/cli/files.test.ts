// Files and formats through the real command line (issue 13, item 4): directories walked
// for workflows (nested folders; node_modules, dot-directories and YAML that is no workflow
// skipped), `-` for stdin with --stdin-filename, a missing file and a directory given for a
// file in one plain line, --format oneline, and --ignore on the command line.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));
const bin = join(root, "bin", "aegis.js");
const projectNode = join(root, "node_modules", ".bin", "node");
const node = existsSync(projectNode) ? projectNode : process.execPath;

const hello = readFileSync(join(root, "examples", "hello", "hello.aegis"), "utf8");
/** hello with an agent no state uses: one warning (AEG502) on line 13. */
const withWarning = hello.replace("agent default\n", "agent default\n  agent spare\n");
const warningLine = withWarning.split("\n").findIndex((l) => l.includes("agent spare")) + 1;
const blogWriter = readFileSync(
  join(root, "tests", "yaml", "fixtures", "agentos-crew-blog-writer.yaml"),
  "utf8",
);
const manifest = readFileSync(
  join(root, "tests", "yaml", "fixtures", "aegis-orchestrator-ci-build.yaml"),
  "utf8",
);

let dir: string;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function aegis(args: string[], input?: string): Run {
  const r = spawnSync(node, [bin, ...args], {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined },
    timeout: 60_000,
    ...(input !== undefined && { input }),
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function write(path: string, text: string): void {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), text);
}

/** The files named in oneline findings and the "N states" lines of the text format. */
function filesIn(stdout: string): string[] {
  return [...stdout.matchAll(/^([^\s:]+): \d+ states;/gm)].map((m) => m[1]!).sort();
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "aegis-files-"));
  write("flows/hello.aegis", hello);
  write("flows/nested/deeper/spare.aegis", withWarning);
  write("flows/nested/blog.yaml", blogWriter);
  write("flows/nested/ci-build.yml", manifest);
  // Not workflows: skipped when a directory is walked.
  write("flows/node_modules/pkg/dep.aegis", "this is not aegis at all {");
  write("flows/.cache/old.aegis", "neither is this {");
  write("flows/nested/.github/workflows/ci.yml", "on: push\njobs: {}\n");
  write("flows/docker-compose.yml", "services:\n  web:\n    image: nginx\n");
  write(
    "flows/agent.yaml",
    "apiVersion: 100monkeys.ai/v1\nkind: Agent\nmetadata:\n  name: coder\nspec: {}\n",
  );
  write("flows/notes.txt", "steps: not yaml by its name\n");
  mkdirSync(join(dir, "empty/sub"), { recursive: true });
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("directories", () => {
  it("compile walks nested folders for .aegis and workflow YAML, and nothing else", () => {
    const r = aegis(["compile", "--check", "flows"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(filesIn(r.stdout)).toEqual([
      "flows/hello.aegis",
      "flows/nested/blog.yaml",
      "flows/nested/ci-build.yml",
      "flows/nested/deeper/spare.aegis",
    ]);
    expect(r.stdout).toMatch(/^4 files checked: 0 errors, 5 warnings$/m);
    expect(r.stdout).not.toMatch(/node_modules|\.cache|\.github|docker-compose|agent\.yaml/);
  });

  it("a file named on the command line is compiled whatever it holds", () => {
    const r = aegis(["compile", "--format", "oneline", "flows/docker-compose.yml"]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^flows\/docker-compose\.yml:1:1: error\[AEG703\]: /);
  });

  it("a folder and a file in it are one file, checked once", () => {
    const r = aegis(["compile", "--format", "oneline", "flows/nested", "flows/nested/blog.yaml"]);
    expect(r.stdout.match(/blog\.yaml:16:17: warning\[AEG711\]/g)).toHaveLength(1);
  });

  it("a directory without workflows is a usage error", () => {
    const r = aegis(["compile", "empty"]);
    expect(r.status).toBe(2);
    expect(r.stderr.split("\n")[0]).toBe("aegis: no workflows (.aegis, workflow YAML) in 'empty'");
  });

  it("fmt walks folders for .aegis files only, skipping node_modules and dot-directories", () => {
    write("fmt/a.aegis", hello);
    write("fmt/deep/er/b.aegis", hello.replace("  start GREET", "start   GREET"));
    write("fmt/node_modules/c.aegis", "not formattable {");
    write("fmt/.hidden/d.aegis", "not formattable {");
    write("fmt/wf.yaml", blogWriter);
    const r = aegis(["fmt", "--check", "fmt"]);
    expect(r.stdout).toBe("fmt/deep/er/b.aegis\n");
    expect(r.stderr).toBe("aegis: 1 file is not formatted; run aegis fmt --write\n");
    expect(r.status).toBe(1);
    const written = aegis(["fmt", "--write", "fmt"]);
    expect(written.status).toBe(0);
    expect(aegis(["fmt", "--check", "fmt"]).status).toBe(0);
    expect(aegis(["fmt", "--check", "empty"]).stderr).toMatch(
      /^aegis: no \.aegis files in 'empty'/,
    );
  });
});

describe("stdin", () => {
  it("compile - reads stdin; --stdin-filename names it and is where its imports are found", () => {
    write("lib/review.aegis", hello.replace("workflow hello", "workflow review"));
    const main = [
      'import "./review.aegis" as review',
      "",
      "workflow main {",
      "  start A",
      "  state A = subworkflow review {",
      "    on success -> DONE",
      "    otherwise -> FAILED",
      "  }",
      "  final DONE",
      "  final FAILED failure",
      "}",
      "",
    ].join("\n");
    const named = aegis(["compile", "-", "--stdin-filename", "lib/main.aegis"], main);
    expect(named.stderr).toBe("");
    expect(named.status).toBe(0);
    expect(named.stdout).toMatch(/^lib\/main\.aegis: 3 states;/m);
    // Elsewhere, the import is not found: the name decides where imports are looked for.
    const elsewhere = aegis(
      ["compile", "--format", "oneline", "-", "--stdin-filename", "main.aegis"],
      main,
    );
    expect(elsewhere.stdout).toMatch(/^main\.aegis:1:8: error\[AEG507\]/);
    expect(elsewhere.status).toBe(1);
  });

  it("without --stdin-filename stdin is <stdin>, read as .aegis; a .yaml name reads YAML", () => {
    const plain = aegis(["check", "-"], hello);
    expect(plain.status).toBe(0);
    expect(plain.stdout).toContain("<stdin>: 3 states;");
    const yaml = aegis(
      ["check", "--format", "oneline", "-", "--stdin-filename", "blog.yaml"],
      blogWriter,
    );
    expect(yaml.stdout).toContain("blog.yaml:16:17: warning[AEG711]");
    expect(yaml.status).toBe(0);
  });

  it("--stdin-filename without -, and - twice, are usage errors", () => {
    const r = aegis(["compile", "flows/hello.aegis", "--stdin-filename", "x.aegis"]);
    expect(r.status).toBe(2);
    expect(r.stderr.split("\n")[0]).toBe(
      "aegis: --stdin-filename names what '-' (stdin) reads; no '-' given",
    );
    expect(aegis(["compile", "-", "-"], hello).stderr).toMatch(/^aegis: '-' \(stdin\) given twice/);
  });

  it("fmt - prints stdin formatted; --check - says whether it is; --write - is refused", () => {
    const messy = hello.replace("  start GREET", "start   GREET");
    const r = aegis(["fmt", "-"], messy);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(hello);
    const check = aegis(["fmt", "--check", "-", "--stdin-filename", "messy.aegis"], messy);
    expect(check.status).toBe(1);
    expect(check.stdout).toBe("messy.aegis\n");
    expect(aegis(["fmt", "--check", "-"], hello).status).toBe(0);
    const write = aegis(["fmt", "--write", "-"], messy);
    expect(write.status).toBe(2);
    expect(write.stderr).toMatch(/^aegis: --write cannot rewrite stdin/);
  });
});

describe("files that cannot be read", () => {
  it("a missing file is one plain line with its code, for every command", () => {
    for (const command of ["compile", "fmt", "graph", "convert"]) {
      const r = aegis([command, "missing.aegis"]);
      expect(r.status, command).toBe(2);
      if (command !== "convert")
        expect(r.stderr, command).toBe(
          "aegis: error[AEG002]: cannot read missing.aegis: no such file\n",
        );
      expect(r.stdout, command).toBe("");
    }
    const convert = aegis(["convert", "missing.yaml"]);
    expect(convert.status).toBe(2);
    expect(convert.stderr).toBe("aegis: error[AEG002]: cannot read missing.yaml: no such file\n");
  });

  it("beside files that can be read, it is still found, and the machine formats keep AEG002", () => {
    const r = aegis(["compile", "missing.aegis", "flows/hello.aegis"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("aegis: error[AEG002]: cannot read missing.aegis: no such file\n");
    expect(r.stdout).toContain("1 file checked: 0 errors, 0 warnings");
    const oneline = aegis(["compile", "--format", "oneline", "missing.aegis"]);
    expect(oneline.stdout).toBe(
      "missing.aegis:1:1: error[AEG002]: cannot read missing.aegis: no such file (io-error)\n",
    );
    const json = aegis(["compile", "--format", "json", "missing.aegis"]);
    expect(JSON.parse(json.stdout)[0]).toMatchObject({
      code: "AEG002",
      file: "missing.aegis",
      message: "cannot read missing.aegis: no such file",
    });
  });

  it("a directory given to a command that wants a file says so, without EISDIR", () => {
    for (const args of [
      ["graph", "flows"],
      ["convert", "flows"],
      ["graph", "flows.json"],
    ]) {
      if (args[1] === "flows.json") mkdirSync(join(dir, "flows.json"), { recursive: true });
      const r = aegis(args);
      expect(r.status, args.join(" ")).toBe(2);
      expect(r.stderr, args.join(" ")).toBe(
        `aegis: error[AEG002]: cannot read ${args[1]}: is a directory\n`,
      );
      expect(r.stdout).toBe("");
    }
  });
});

describe("--format oneline", () => {
  it("prints file:line:col: severity[CODE]: message (rule), one a line, and nothing else", () => {
    write("one/warn.aegis", withWarning);
    write("one/clean.aegis", hello);
    const r = aegis(["compile", "--format", "oneline", "one"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      `one/warn.aegis:${warningLine}:9: warning[AEG502]: agent 'spare' is declared but no state uses it (unused-agent)\n`,
    );
    expect(aegis(["compile", "--format", "oneline", "one/clean.aegis"]).stdout).toBe("");
    expect(aegis(["compile", "--strict", "--format", "oneline", "one"]).status).toBe(1);
  });

  it("an unknown format names oneline among the others", () => {
    const r = aegis(["compile", "--format", "online", "one"]);
    expect(r.status).toBe(2);
    expect(r.stderr.split("\n")[0]).toBe(
      "aegis: unknown format 'online' (text, oneline, json, sarif, github)",
    );
  });
});

describe("--ignore", () => {
  it("drops a code's findings, by code or rule name, repeatable or as a comma list", () => {
    write("ign/warn.aegis", withWarning);
    write("ign/blog.yaml", blogWriter);
    const all = aegis(["compile", "--format", "oneline", "ign"]);
    expect(all.stdout.trim().split("\n")).toHaveLength(5);
    const byCode = aegis(["compile", "--format", "oneline", "--ignore", "AEG502", "ign"]);
    expect(byCode.stdout).toMatch(/^ign\/blog\.yaml:16:17: warning\[AEG711\].*\n$/);
    const byRule = aegis(["compile", "--format", "oneline", "--ignore", "unused-agent", "ign"]);
    expect(byRule.stdout).toBe(byCode.stdout);
    const list = aegis(["compile", "--format", "oneline", "--ignore", "aeg502,AEG711", "ign"]);
    expect(list.stdout).toBe("");
    const repeated = aegis([
      "compile",
      "--strict",
      "--ignore",
      "AEG502",
      "--ignore",
      "step-without-agent",
      "ign",
    ]);
    expect(repeated.status).toBe(0);
    expect(repeated.stdout).toContain("2 files checked: 0 errors, 0 warnings");
  });

  it("works beside inline suppressions, in .aegis and in YAML", () => {
    write(
      "inline/warn.aegis",
      withWarning.replace("  agent spare\n", "  agent spare // aegis-ignore AEG502 -- kept\n"),
    );
    write(
      "inline/blog.yaml",
      blogWriter.replace("agents:\n", "# aegis-ignore-file unused-agent\nagents:\n"),
    );
    const r = aegis(["compile", "--format", "oneline", "inline"]);
    expect(r.stdout).toBe(
      "inline/blog.yaml:17:17: warning[AEG711]: steps 'Research', 'Draft', 'Edit' and 'Final Polish' name no agent, and the workflow lists 3: they run an agent called 'chat' (step-without-agent)\n",
    );
    expect(aegis(["compile", "--format", "oneline", "--ignore", "AEG711", "inline"]).stdout).toBe(
      "",
    );
  });

  it("an unknown code is a usage error with a did-you-mean; a broken file cannot be ignored", () => {
    const r = aegis(["compile", "--ignore", "AEG52", "one"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      "aegis: unknown code 'AEG52' for --ignore; did you mean 'AEG502'?\nRun 'aegis compile --help' for usage.\n",
    );
    const rule = aegis(["compile", "--ignore", "unused-agnet", "one"]);
    expect(rule.stderr.split("\n")[0]).toBe(
      "aegis: unknown code 'unused-agnet' for --ignore; did you mean 'unused-agent'?",
    );
    const syntax = aegis(["compile", "--ignore", "AEG100", "one"]);
    expect(syntax.status).toBe(2);
    expect(syntax.stderr.split("\n")[0]).toBe(
      "aegis: AEG100 (unexpected-character) cannot be ignored",
    );
  });
});
