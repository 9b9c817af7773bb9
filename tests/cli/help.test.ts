// Help and usage through the real command line (issue 13, item 3): `aegis help COMMAND`
// and `aegis COMMAND --help` print that command's own usage; a usage error is one line
// and a pointer to the command's help; unknown commands and options get a "did you mean".
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { commandUsage } from "../../src/cli/usage.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const bin = join(root, "bin", "aegis.js");
const projectNode = join(root, "node_modules", ".bin", "node");
const node = existsSync(projectNode) ? projectNode : process.execPath;
const dir = mkdtempSync(join(tmpdir(), "aegis-help-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function aegis(...args: string[]) {
  const r = spawnSync(node, [bin, ...args], { cwd: dir, encoding: "utf8", timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const commands = [
  "compile",
  "graph",
  "fmt",
  "convert",
  "run",
  "signal",
  "resume",
  "cancel",
  "status",
  "logs",
  "list",
  "serve",
  "deploy",
  "workflows",
  "mcp",
  "worker",
  "lsp",
];

describe("a command's own help", () => {
  it("every command has a usage that starts with its synopsis and says its exit status", () => {
    expect(Object.keys(commandUsage).sort()).toEqual([...commands].sort());
    for (const name of commands) {
      expect(commandUsage[name]).toMatch(new RegExp(`^Usage: aegis ${name}\\b`));
      expect(commandUsage[name]).toContain("Exit status:");
    }
  });

  it.each(commands)(
    "aegis help %s, and the command with --help or -h, print the same usage, exit 0",
    (name) => {
      const viaHelp = aegis("help", name);
      const viaFlag = aegis(name, "--help");
      const viaShort = aegis(name, "-h");
      for (const r of [viaHelp, viaFlag, viaShort]) {
        expect(r.status).toBe(0);
        expect(r.stderr).toBe("");
        expect(r.stdout).toBe(`${commandUsage[name]}\n`);
      }
    },
  );

  it("--help wins over other arguments, even wrong ones; after -- it is an argument", () => {
    const r = aegis("run", "missing.aegis", "--frobnicate", "--help");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${commandUsage.run}\n`);
    const after = aegis("compile", "--", "--help");
    expect(after.status).toBe(2);
    expect(after.stderr).toContain("cannot read --help: no such file");
  });

  it("aliases show their command's help: check is compile, ls is list", () => {
    expect(aegis("help", "check").stdout).toBe(`${commandUsage.compile}\n`);
    expect(aegis("ls", "--help").stdout).toBe(`${commandUsage.list}\n`);
  });

  it("help for a command that does not exist: one line, a suggestion, exit 2", () => {
    const r = aegis("help", "stauts");
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      "aegis: no command 'stauts'; did you mean 'status'?\nRun 'aegis --help' for the list of commands.\n",
    );
  });
});

describe("usage errors", () => {
  it.each([
    [
      ["comple", "x.aegis"],
      "aegis: unknown command 'comple'; did you mean 'compile'?",
      "aegis --help",
    ],
    [
      ["compile", "--chek", "x.aegis"],
      "aegis: unknown option '--chek'; did you mean '--check'?",
      "aegis compile --help",
    ],
    [
      ["run", "x.aegis", "--agnets", "a.json"],
      "aegis: unknown option '--agnets'; did you mean '--agents'?",
      "aegis run --help",
    ],
    [["compile", "--xyzzy", "x.aegis"], "aegis: unknown option '--xyzzy'", "aegis compile --help"],
    [["compile", "x.aegis", "--format"], "aegis: --format needs a value", "aegis compile --help"],
    [
      ["compile", "--strict=yes", "x.aegis"],
      "aegis: --strict takes no value",
      "aegis compile --help",
    ],
    [["status"], "aegis: status takes exactly one run id", "aegis status --help"],
    [
      ["signal", "r1", "--approve", "--reject"],
      "aegis: signal takes --approve or --reject, not both",
      "aegis signal --help",
    ],
  ])("%j: one line, then where the usage is; exit 2", (args, line, pointer) => {
    const r = aegis(...args);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(`${line}\nRun '${pointer}' for usage.\n`);
  });

  it("run --help is not Node's raw parseArgs error", () => {
    const r = aegis("run", "--help");
    expect(r.stderr).not.toContain("ERR_PARSE_ARGS");
    expect(r.stdout).not.toContain("To specify a positional argument");
  });
});
