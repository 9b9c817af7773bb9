// `aegis convert` keeps meaning (issue 13, item 6), through the real command line: the
// converted source has the YAML's findings at the same severity, the YAML's suppressions as
// aegis-ignore comments, what is said of the YAML only as a comment, and one line says so;
// a file that is aegis source already is refused in one line.
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));
const bin = join(root, "bin", "aegis.js");
const projectNode = join(root, "node_modules", ".bin", "node");
const node = existsSync(projectNode) ? projectNode : process.execPath;
const fixtures = join(root, "tests", "yaml", "fixtures");

let dir: string;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function aegis(...args: string[]): Run {
  const r = spawnSync(node, [bin, ...args], {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined },
    timeout: 60_000,
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The findings of a file as `aegis compile --format json` gives them: code and severity. */
function findings(file: string): string[] {
  const r = aegis("compile", "--check", "--format", "json", file);
  const list = JSON.parse(r.stdout) as { code: string; severity: string; message: string }[];
  return list.map((d) => `${d.severity} ${d.code}: ${d.message}`).sort();
}

/** The last line of stderr: what convert says of the findings. */
const lastLine = (text: string) => text.trimEnd().split("\n").at(-1);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "aegis-convert-cli-"));
  copyFileSync(join(fixtures, "agentos-crew-blog-writer.yaml"), join(dir, "blog.yaml"));
  copyFileSync(join(fixtures, "agentos", "ts-conditional-match.yaml"), join(dir, "cond.yaml"));
  copyFileSync(join(fixtures, "orchestrator", "tool-cycle-update.yaml"), join(dir, "cycle.yaml"));
  copyFileSync(join(fixtures, "aegis-orchestrator-ci-build.yaml"), join(dir, "ci.yaml"));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("aegis convert keeps the findings", () => {
  it("a YAML file with warnings: the .aegis has the same, and one line says so", () => {
    const r = aegis("convert", "blog.yaml", "--out", "blog.aegis");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe("");
    // The YAML's findings as compile prints them, then the line.
    expect(r.stderr).toContain("blog.yaml:10:5: warning[AEG502]");
    expect(lastLine(r.stderr)).toBe(
      "aegis: converted with 4 warnings: the same 3 in the .aegis (AEG502 ×3); 1 about the YAML only, written as a comment at the top (AEG711)",
    );
    const yaml = findings("blog.yaml");
    const converted = findings("blog.aegis");
    expect(converted).toEqual(yaml.filter((f) => !f.includes("AEG711")));
    expect(converted).toHaveLength(3);
    // What the YAML's checks said of the YAML itself is not lost: a comment at the top.
    const source = readFileSync(join(dir, "blog.aegis"), "utf8");
    expect(source.split("\n").slice(0, 3)).toEqual([
      "// Converted from blog.yaml by aegis convert. What its checks said of the YAML itself,",
      "// which has no counterpart here:",
      "//   blog.yaml:16:17: warning[AEG711]: steps 'Research', 'Draft', 'Edit' and 'Final Polish' name no agent, and the workflow lists 3: they run an agent called 'chat' (step-without-agent)",
    ]);
    // And the file is as fmt lays it out.
    expect(aegis("fmt", "--check", "blog.aegis").status).toBe(0);
  });

  it("on stdout, the same source and the same line", () => {
    const r = aegis("convert", "blog.yaml");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(readFileSync(join(dir, "blog.aegis"), "utf8"));
    expect(lastLine(r.stderr)).toMatch(/^aegis: converted with 4 warnings: /);
  });

  it("the YAML's suppressions become aegis-ignore comments on the same findings", () => {
    const text = readFileSync(join(dir, "blog.yaml"), "utf8")
      .replace("  - researcher\n", "  - researcher # aegis-ignore AEG502 -- researched later\n")
      .replace("  - writer\n", "  # aegis-ignore unused-agent\n  - writer\n")
      .replace("steps:\n", "# aegis-ignore-file step-without-agent: chat is meant\nsteps:\n");
    writeFileSync(join(dir, "quiet.yaml"), text);
    const yaml = findings("quiet.yaml");
    expect(yaml).toEqual([
      "warning AEG502: agent 'code-reviewer' is declared but no state uses it",
    ]);
    const r = aegis("convert", "quiet.yaml", "--out", "quiet.aegis");
    expect(r.status).toBe(0);
    expect(lastLine(r.stderr)).toBe(
      "aegis: converted with 1 warning: the same in the .aegis (AEG502)",
    );
    const source = readFileSync(join(dir, "quiet.aegis"), "utf8");
    expect(source).toContain(
      "  // aegis-ignore AEG502 -- researched later\n  agent researcher\n  // aegis-ignore AEG502\n  agent writer\n  agent code-reviewer\n",
    );
    expect(source).not.toContain("AEG711");
    expect(findings("quiet.aegis")).toEqual(yaml);
  });

  it("a suppression for the whole YAML file is one for the whole .aegis file", () => {
    const text = readFileSync(join(dir, "blog.yaml"), "utf8").replace(
      "agents:\n",
      "# aegis-ignore-file AEG502 -- spare agents\nagents:\n",
    );
    writeFileSync(join(dir, "spare.yaml"), text);
    const r = aegis("convert", "spare.yaml", "--out", "spare.aegis");
    expect(r.status).toBe(0);
    const source = readFileSync(join(dir, "spare.aegis"), "utf8");
    expect(source).toMatch(/^\/\/ aegis-ignore-file AEG502 -- spare agents$/m);
    expect(findings("spare.aegis")).toEqual([]);
    expect(findings("spare.yaml").map((f) => f.split(":")[0])).toEqual(["warning AEG711"]);
  });

  it("a field with no counterpart (AEG709) is written as a comment", () => {
    const r = aegis("convert", "cond.yaml");
    expect(r.status).toBe(0);
    expect(lastLine(r.stderr)).toBe(
      "aegis: converted with 1 warning: 1 about the YAML only, written as a comment at the top (AEG709)",
    );
    expect(r.stdout).toMatch(
      /^\/\/ {3}cond\.yaml:12:16: warning\[AEG709\]: 'condition' has no effect/m,
    );
  });

  it("a YAML file whose workflow has errors: converted with them, exit 1", () => {
    const r = aegis("convert", "cycle.yaml", "--out", "cycle.aegis");
    expect(r.status).toBe(1);
    expect(lastLine(r.stderr)).toBe(
      "aegis: converted with 4 errors: the same in the .aegis (AEG210, AEG206 ×2, AEG302)",
    );
    const codes = (f: string[]) => f.map((x) => x.split(":")[0]);
    expect(codes(findings("cycle.aegis"))).toEqual(codes(findings("cycle.yaml")));
  });

  it("a YAML file without findings converts silently", () => {
    const r = aegis("convert", "ci.yaml");
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^workflow /m);
  });
});

describe("aegis convert of aegis source", () => {
  it("says in one line that there is nothing to convert, exit 2", () => {
    writeFileSync(join(dir, "hello.aegis"), readFileSync(join(root, "examples/hello/hello.aegis")));
    const r = aegis("convert", "hello.aegis");
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe("aegis: hello.aegis is aegis source already: nothing to convert\n");
  });
});
