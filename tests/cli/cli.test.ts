// The real command line, run as a child process (bin/aegis.js under the project's Node) in
// a temporary directory: exit codes, output formats, --out, globs, --strict, `graph`.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../src/compiler/compile.ts";
import { loadGraph } from "../../src/compiler/graph.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const bin = join(root, "bin", "aegis.js");
const projectNode = join(root, "node_modules", ".bin", "node");
const node = existsSync(projectNode) ? projectNode : process.execPath;
const packageVersion = (
  JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }
).version;

const hello = readFileSync(join(root, "examples", "hello", "hello.aegis"), "utf8");
const devPipeline = readFileSync(
  join(root, "examples", "dev_pipeline", "dev_pipeline.aegis"),
  "utf8",
);
const withError = hello.replace(
  "otherwise -> FAILED",
  "on failure -> FAILED\n    otherwise -> FAILD",
);
const withWarning = hello.replace("agent default\n", "agent default\n  agent spare\n");

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

/** A user's mistake is explained in a line or two, never with a stack trace. */
function expectNoStackTrace(r: Run): void {
  expect(r.stderr).not.toContain("    at ");
  expect(r.stderr).not.toContain("internal error");
  expect(r.stdout).not.toContain("    at ");
}

function write(path: string, text: string): void {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), text);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "aegis-cli-"));
  write("clean.aegis", hello);
  write("errors.aegis", withError);
  write("warning.aegis", withWarning);
  write("dev_pipeline.aegis", devPipeline);
  write("flows/a/one.aegis", hello);
  write("flows/b/c/two.aegis", devPipeline.replace("workflow dev_pipeline", "workflow two"));
  write("flows/b/notes.txt", "not a workflow");
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("aegis compile: exit codes", () => {
  it("exits 0 on a clean file, with a summary", () => {
    const r = aegis("compile", "clean.aegis");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("clean.aegis: 3 states; worst case 1 agent call, 1m wall time");
    expect(r.stdout).toContain("1 file checked: 0 errors, 0 warnings");
    expect(r.stderr).toBe("");
  });

  it("exits 1 when there are errors, printing them with a snippet", () => {
    const r = aegis("compile", "errors.aegis");
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(
      /^errors\.aegis:\d+:\d+: error\[AEG201\]: transition to unknown state 'FAILD'/m,
    );
    expect(r.stdout).toContain("otherwise -> FAILD");
    expect(r.stdout).toContain("did you mean 'FAILED'?");
    expect(r.stdout).toContain("1 file checked: 1 error");
    expectNoStackTrace(r);
  });

  it("exits 0 on warnings, and 1 with --strict", () => {
    const r = aegis("compile", "warning.aegis");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("warning[AEG502]");
    const strict = aegis("compile", "--strict", "warning.aegis");
    expect(strict.status).toBe(1);
    expect(strict.stdout).toContain("warning[AEG502]");
    expect(aegis("compile", "--strict", "clean.aegis").status).toBe(0);
  });

  it.each([
    ["an unknown command", ["frobnicate", "clean.aegis"], /unknown command 'frobnicate'/],
    ["an unknown flag", ["compile", "--frobnicate", "clean.aegis"], /--frobnicate/],
    ["a flag missing its value", ["compile", "clean.aegis", "--format"], /--format/],
    ["a value given to a boolean flag", ["compile", "--strict=yes", "clean.aegis"], /--strict/],
    ["an unknown format", ["compile", "--format", "xml", "clean.aegis"], /unknown format 'xml'/],
    ["no files", ["compile"], /no files given/],
    ["a glob matching nothing", ["compile", "nowhere/**/*.aegis"], /no files match/],
    [
      "--out with several inputs",
      ["compile", "--out", "g.json", "clean.aegis", "warning.aegis"],
      /exactly one input/,
    ],
    [
      "an unknown graph format",
      ["graph", "clean.aegis", "--format", "svg"],
      /unknown graph format 'svg'/,
    ],
    ["graph without a file", ["graph"], /exactly one file/],
  ])("exits 2 on %s, with one line and a pointer to the help", (_what, args, message) => {
    const r = aegis(...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    const [line, pointer, ...more] = r.stderr.split("\n");
    expect(line).toMatch(/^aegis: /);
    const command = args[0] === "frobnicate" ? "" : ` ${args[0]}`;
    expect(pointer).toBe(`Run 'aegis${command} --help' for usage.`);
    expect(more).toEqual([""]);
    expect(r.stdout).toBe("");
    expectNoStackTrace(r);
  });

  it("exits 2 on a missing file, reporting it as an I/O error in one line", () => {
    const r = aegis("compile", "missing.aegis");
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("aegis: error[AEG002]: cannot read missing.aegis: no such file\n");
    expect(r.stdout).toBe("");
    const json = aegis("compile", "--format", "json", "missing.aegis", "clean.aegis");
    expect(json.status).toBe(2);
    expect(JSON.parse(json.stdout)[0]).toMatchObject({ code: "AEG002", file: "missing.aegis" });
  });

  it("exits 2 on a directory without workflows, and on an --out it cannot write", () => {
    mkdirSync(join(dir, "adir"), { recursive: true });
    const r = aegis("compile", "adir");
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^aegis: no workflows \(.aegis, workflow YAML\) in 'adir'\n/);
    expectNoStackTrace(r);
    const out = aegis("compile", "--out", "adir", "clean.aegis");
    expect(out.status).toBe(2);
    expect(out.stderr).toMatch(/^aegis: cannot write adir/);
    expectNoStackTrace(out);
  });
});

describe("aegis compile: formats", () => {
  it("--format json prints parseable JSON (an empty array when clean)", () => {
    const r = aegis("compile", "--format", "json", "errors.aegis");
    expect(r.status).toBe(1);
    const findings = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      file: "errors.aegis",
      severity: "error",
      code: "AEG201",
      rule: "unknown-state",
    });
    for (const key of ["line", "column", "endLine", "endColumn", "message"])
      expect(findings[0]).toHaveProperty(key);
    const clean = aegis("compile", "--format=json", "clean.aegis");
    expect(clean.status).toBe(0);
    expect(JSON.parse(clean.stdout)).toEqual([]);
  });

  it("--format sarif prints a SARIF log with relative URIs", () => {
    const r = aegis("compile", "--format", "sarif", "errors.aegis", "warning.aegis");
    expect(r.status).toBe(1);
    const log = JSON.parse(r.stdout);
    expect(log.version).toBe("2.1.0");
    expect(log.runs[0].tool.driver.name).toBe("aegis");
    expect(log.runs[0].tool.driver.version).toBe(packageVersion);
    const results = log.runs[0].results as {
      ruleId: string;
      level: string;
      locations: { physicalLocation: { artifactLocation: { uri: string } } }[];
    }[];
    expect(results.map((x) => `${x.ruleId}:${x.level}`).sort()).toEqual([
      "AEG201:error",
      "AEG502:warning",
    ]);
    const uris = results.map((x) => x.locations[0]!.physicalLocation.artifactLocation.uri).sort();
    expect(uris).toEqual(["errors.aegis", "warning.aegis"]);
  });

  it("--format github prints workflow commands", () => {
    const r = aegis("compile", "--format", "github", "errors.aegis", "warning.aegis");
    expect(r.status).toBe(1);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^::error file=errors\.aegis,line=\d+,col=\d+,endLine=\d+,endColumn=\d+,title=AEG201 unknown-state::transition to unknown state 'FAILD'/,
    );
    expect(lines[1]).toMatch(/^::warning file=warning\.aegis,line=\d+,col=\d+,/);
    expect(aegis("compile", "--format", "github", "clean.aegis").stdout).toBe("");
  });

  it("colours text only when asked (stdout is not a terminal here)", () => {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes
    const ansi = /\u001b\[[0-9;]*m/;
    expect(aegis("compile", "errors.aegis").stdout).not.toMatch(ansi);
    expect(aegis("compile", "--color", "errors.aegis").stdout).toMatch(ansi);
    expect(aegis("compile", "--color", "--no-color", "errors.aegis").stdout).not.toMatch(ansi);
  });
});

describe("aegis compile: several files and globs", () => {
  it("compiles several files given one by one", () => {
    const r = aegis("compile", "clean.aegis", "dev_pipeline.aegis", "warning.aegis");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("3 files checked: 0 errors, 1 warning");
  });

  it("expands a quoted glob itself, recursively, matching only .aegis files", () => {
    const r = aegis("compile", "--format", "json", "flows/**/*.aegis");
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
    const text = aegis("compile", "flows/**/*.aegis");
    expect(text.status).toBe(0);
    expect(text.stdout).toContain("flows/a/one.aegis: 3 states");
    expect(text.stdout).toContain("flows/b/c/two.aegis: 8 states");
    expect(text.stdout).toContain("2 files checked");
  });

  it("reports errors from every file, and exits 1 if any has one", () => {
    const r = aegis("compile", "--format", "json", "*.aegis");
    expect(r.status).toBe(1);
    const files = new Set((JSON.parse(r.stdout) as { file: string }[]).map((f) => f.file));
    expect(files).toEqual(new Set(["errors.aegis", "warning.aegis"]));
  });

  it("`check` is compile --check", () => {
    const r = aegis("check", "clean.aegis", "errors.aegis");
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("2 files checked: 1 error, 0 warnings");
  });
});

describe("aegis compile --check: agent sessions", () => {
  const sessions = `workflow tdd {
  agent worker = claude(model: "sonnet")
  agent reviewer = claude(model: "opus")
  start WRITE_TESTS
  state WRITE_TESTS = agent worker session tdd {
    on success -> REVIEW
    otherwise -> FAILED
  }
  state REVIEW = agent reviewer session tdd {
    on success -> DONE
    otherwise -> FAILED
  }
  final DONE
  final FAILED failure
}
`;

  it("reports a session continued by two agents (AEG511) at the state's `session`, exit 1", () => {
    write("sessions.aegis", sessions);
    const r = aegis("compile", "--check", "sessions.aegis");
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(
      /^sessions\.aegis:9:33: error\[AEG511\]: session 'tdd' continues agent 'worker''s conversation \(state WRITE_TESTS\); state REVIEW calls 'reviewer' \(session-agents\)$/m,
    );
    expect(r.stdout).toContain("9 |   state REVIEW = agent reviewer session tdd {");
    expect(r.stdout).toContain(
      "note: sessions.aegis:5:36: state WRITE_TESTS continues session 'tdd' with agent 'worker' here",
    );
    expect(r.stdout).toContain(
      "hint: a session is one agent's conversation; give REVIEW a session of its own",
    );
    expect(r.stdout).toContain("1 file checked: 1 error, 0 warnings");
    expectNoStackTrace(r);

    const json = aegis("compile", "--check", "--format", "json", "sessions.aegis");
    expect(json.status).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject([
      {
        file: "sessions.aegis",
        line: 9,
        column: 33,
        endColumn: 44,
        code: "AEG511",
        rule: "session-agents",
        severity: "error",
      },
    ]);
  });

  it("accepts the same workflow with a session per agent", () => {
    write("sessions-ok.aegis", sessions.replace("reviewer session tdd", "reviewer session review"));
    const r = aegis("compile", "--check", "sessions-ok.aegis");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("1 file checked: 0 errors, 0 warnings");
  });
});

describe("aegis compile --out", () => {
  it("writes a graph document that loadGraph accepts, with the compiler's hash", () => {
    const r = aegis("compile", "--out", "graph.json", "dev_pipeline.aegis");
    expect(r.status).toBe(0);
    const document = JSON.parse(readFileSync(join(dir, "graph.json"), "utf8"));
    const loaded = loadGraph(document);
    expect(loaded.graph.order).toBe(8);
    expect(loaded.hash).toBe(compile(devPipeline, { filename: "x.aegis" }).document.hash);
  });

  it("writes nothing with --check, nor when the workflow has errors", () => {
    const checked = aegis("compile", "--check", "--out", "checked.json", "clean.aegis");
    expect(checked.status).toBe(0);
    expect(existsSync(join(dir, "checked.json"))).toBe(false);
    const viaCheck = aegis("check", "--out", "checked2.json", "clean.aegis");
    expect(viaCheck.status).toBe(0);
    expect(existsSync(join(dir, "checked2.json"))).toBe(false);
    const failed = aegis("compile", "--out", "failed.json", "errors.aegis");
    expect(failed.status).toBe(1);
    expect(failed.stderr).toContain("not writing failed.json");
    expect(existsSync(join(dir, "failed.json"))).toBe(false);
  });

  it("the written graph can be drawn by `aegis graph`; a tampered one is refused", () => {
    expect(aegis("compile", "--out", "hello.json", "clean.aegis").status).toBe(0);
    const drawn = aegis("graph", "hello.json", "--format", "mermaid");
    expect(drawn.status).toBe(0);
    expect(drawn.stdout).toBe(aegis("graph", "clean.aegis").stdout);
    const document = JSON.parse(readFileSync(join(dir, "hello.json"), "utf8"));
    document.graph.nodes[0].attributes.timeoutMs = 1;
    writeFileSync(join(dir, "tampered.json"), JSON.stringify(document));
    const refused = aegis("graph", "tampered.json");
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/hash mismatch/);
    expect(refused.stdout).toBe("");
    expectNoStackTrace(refused);
  });
});

describe("aegis graph", () => {
  it("prints Mermaid by default", () => {
    const r = aegis("graph", "dev_pipeline.aegis");
    expect(r.status).toBe(0);
    expect(r.stdout.startsWith("flowchart TD\n")).toBe(true);
    expect(r.stdout.match(/-->\|/g)).toHaveLength(12);
    expect(aegis("graph", "dev_pipeline.aegis", "--format", "mermaid").stdout).toBe(r.stdout);
  });

  it("prints DOT", () => {
    const r = aegis("graph", "dev_pipeline.aegis", "--format", "dot");
    expect(r.status).toBe(0);
    expect(r.stdout.startsWith('digraph "dev_pipeline" {')).toBe(true);
    expect(r.stdout).toContain('"TEST" -> "AUDIT" [label="1. exit_code == 0"];');
  });

  it("prints the JSON document", () => {
    const r = aegis("graph", "dev_pipeline.aegis", "--format", "json");
    expect(r.status).toBe(0);
    const loaded = loadGraph(JSON.parse(r.stdout));
    expect(loaded.graph.hasNode("AUDIT")).toBe(true);
  });

  it("exits 1 with the errors on stderr for a workflow with errors, 2 for a missing file", () => {
    const r = aegis("graph", "errors.aegis");
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("error[AEG201]");
    expectNoStackTrace(r);
    const missing = aegis("graph", "missing.aegis");
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("AEG002");
    expectNoStackTrace(missing);
  });
});

describe("aegis output into a closed pipe", () => {
  it("stops quietly when the reader goes away (`aegis graph … | head -c 1`)", () => {
    // A graph far larger than a pipe's buffer: head reads a byte and exits, and aegis's
    // next write finds the pipe closed.
    const states = Array.from(
      { length: 1500 },
      (_, i) => `  state S${i} = run "true" { on success -> S${i + 1} otherwise -> FAILED }`,
    );
    write(
      "long.aegis",
      `workflow long {\n  start S0\n${states.join("\n")}\n  final S1500\n  final FAILED failure\n}\n`,
    );
    const r = spawnSync(
      "bash",
      ["-c", `"$NODE" "$BIN" graph long.aegis --format dot | head -c 1; echo " \${PIPESTATUS[0]}"`],
      {
        cwd: dir,
        encoding: "utf8",
        env: { ...process.env, NODE: node, BIN: bin },
        timeout: 60_000,
      },
    );
    expect(r.stdout).toBe("d 0\n");
    expect(r.stderr).toBe("");
  });
});

describe("aegis --help / --version", () => {
  it("--help and -h print the usage and exit 0", () => {
    for (const flag of ["--help", "-h", "help"]) {
      const r = aegis(flag);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain("Usage: aegis COMMAND");
      expect(r.stdout).toMatch(/^ {2}compile, check {5}compile and check workflows/m);
      expect(r.stdout).toMatch(/^ {2}graph {14}/m);
      expect(r.stdout).toContain("aegis help COMMAND");
      expect(r.stderr).toBe("");
    }
  });

  it("no arguments prints the usage and exits 2", () => {
    const r = aegis();
    expect(r.status).toBe(2);
    expect(r.stdout + r.stderr).toContain("Usage:");
  });

  it("--version and -v print the package's version", () => {
    for (const flag of ["--version", "-v"]) {
      const r = aegis(flag);
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(`${packageVersion}\n`);
    }
  });
});
