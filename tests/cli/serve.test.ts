// The CLI against a real `aegis serve` (both child processes, over real HTTP): deploy,
// workflows, redeploying, refusing a workflow with errors, problems and an unreachable
// server said in one line, and what is deployed surviving a restart.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_PORT } from "../../src/api/openapi.ts";
import type { WorkflowDetail, WorkflowSummary } from "../../src/api/workflows.ts";
import { commandUsage } from "../../src/cli/usage.ts";
import { aegis, root, type Served, serve } from "../server/serve.ts";

const dir = mkdtempSync(join(tmpdir(), "aegis-cli-serve-"));
const hello = join(root, "examples", "hello", "hello.aegis");
let server: Served;
let env: Record<string, string>;

beforeAll(async () => {
  server = await serve(dir);
  env = { AEGIS_SERVER: server.url };
});
afterAll(async () => {
  if (server.process.exitCode === null) await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

function noStackTrace(r: { stdout: string; stderr: string }): void {
  expect(r.stderr).not.toContain("    at ");
  expect(r.stderr).not.toContain("internal error");
  expect(r.stdout).not.toContain("    at ");
}

describe("aegis serve", () => {
  it("prints the URL it listens on (127.0.0.1 by default) and the web viewer's", () => {
    expect(server.stdout()).toMatch(
      /^aegis serve: listening on (http:\/\/127\.0\.0\.1:\d+) \(data in \.aegis\/server\)\naegis serve: the web viewer is at \1\/ui\/\n$/,
    );
  });
});

describe("aegis deploy and aegis workflows", () => {
  let version: string;

  it("deploys a workflow: its name, version (content hash) and declared version", () => {
    const r = aegis(dir, ["deploy", hello], env);
    noStackTrace(r);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const m = /^deployed hello ([0-9a-f]{12}) \(version 1\.0\.0\) from (.+)\n$/.exec(r.stdout);
    expect(m?.[2]).toBe(hello);
    version = m![1]!;
  });

  it("lists it, as a table and as JSON", () => {
    const table = aegis(dir, ["workflows"], env);
    expect(table.status).toBe(0);
    const [header, row, ...rest] = table.stdout.trimEnd().split("\n");
    expect(header).toMatch(/^NAME +VERSION +DECLARED +VERSIONS +DEPLOYED$/);
    expect(row).toMatch(new RegExp(`^hello +${version} +1\\.0\\.0 +1 +\\d{4}-\\d\\d-\\d\\dT`));
    expect(rest).toEqual([]);
    const json = aegis(dir, ["workflows", "--format", "json"], env);
    expect(json.status).toBe(0);
    const list = JSON.parse(json.stdout) as WorkflowSummary[];
    expect(list.map((w) => [w.name, w.version.slice(0, 12), w.declaredVersion])).toEqual([
      ["hello", version, "1.0.0"],
    ]);
    expect(list[0]!.inputSchema).toMatchObject({ type: "object" });
  });

  it("deploying the same workflow again changes nothing", () => {
    const r = aegis(dir, ["deploy", hello], env);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`unchanged hello ${version} (version 1.0.0) from ${hello}\n`);
    const detail = JSON.parse(
      aegis(dir, ["workflows", "hello", "--format", "json"], env).stdout,
    ) as WorkflowDetail;
    expect(detail.versions).toHaveLength(1);
  });

  it("a changed workflow is a new version, and becomes the current one", () => {
    const changed = join(dir, "hello.aegis");
    writeFileSync(changed, readFileSync(hello, "utf8").replace('"1.0.0"', '"1.1.0"'));
    const r = aegis(dir, ["deploy", "hello.aegis"], env);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      /^deployed hello [0-9a-f]{12} \(version 1\.1\.0\) from hello\.aegis\n$/,
    );
    const versions = aegis(dir, ["workflows", "hello"], env);
    expect(versions.status).toBe(0);
    const lines = versions.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ {2}VERSION +DECLARED +RUNS +DEPLOYED$/);
    expect(lines[1]).toMatch(/^\* [0-9a-f]{12} +1\.1\.0 +0 /);
    expect(lines[2]).toMatch(new RegExp(`^  ${version} +1\\.0\\.0 +0 `));
  });

  it("refuses a file with errors, printing its findings as aegis compile does; deploys the rest", () => {
    const broken = readFileSync(hello, "utf8")
      .replace("workflow hello", "workflow broken")
      .replace("otherwise -> FAILED", "on failure -> FAILED\n    otherwise -> FAILD");
    writeFileSync(join(dir, "broken.aegis"), broken);
    const compiled = aegis(dir, ["compile", "broken.aegis"], env);
    expect(compiled.status).toBe(1);
    const r = aegis(dir, ["deploy", "broken.aegis", "hello.aegis"], env);
    noStackTrace(r);
    expect(r.status).toBe(1);
    const [findings, deployed] = [
      r.stdout.slice(0, r.stdout.lastIndexOf("\n\n") + 2),
      r.stdout.slice(r.stdout.lastIndexOf("\n\n") + 2),
    ];
    expect(findings).toContain("AEG");
    expect(compiled.stdout.startsWith(findings)).toBe(true);
    expect(deployed).toMatch(/^unchanged hello [0-9a-f]{12} \(version 1\.1\.0\)/);
    expect(r.stderr).toMatch(/^aegis: not deploying broken\.aegis: it has \d+ errors?\n$/);
    const list = JSON.parse(aegis(dir, ["workflows", "--format", "json"], env).stdout);
    expect(list.map((w: WorkflowSummary) => w.name)).toEqual(["hello"]);
  });

  it("deploying an older version again makes it current again", () => {
    const r = aegis(dir, ["deploy", hello], env);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`restored hello ${version} (version 1.0.0) from ${hello}\n`);
    const lines = aegis(dir, ["workflows", "hello"], env).stdout.trimEnd().split("\n");
    expect(lines[1]).toMatch(/^ {2}[0-9a-f]{12} +1\.1\.0 /);
    expect(lines[2]).toMatch(new RegExp(`^\\* ${version} +1\\.0\\.0 `));
  });

  it("an unknown workflow is the server's problem, said in one line with its code (exit 2)", () => {
    const r = aegis(dir, ["workflows", "nothing-here"], env);
    noStackTrace(r);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      "aegis: error[unknown-workflow]: No workflow of that name is deployed: no workflow 'nothing-here' is deployed\n",
    );
    expect(r.status).toBe(2);
  });

  it("a server that cannot be reached is one line naming its URL (exit 2)", () => {
    // A port nothing listens on: the stopped server's, after this test's own server stops,
    // is not known yet; port 1 on loopback refuses.
    const r = aegis(dir, ["workflows", "--server", "http://127.0.0.1:1"]);
    noStackTrace(r);
    expect(r.stderr).toMatch(
      /^aegis: error\[server-unreachable\]: cannot reach the aegis server at http:\/\/127\.0\.0\.1:1 \(/,
    );
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(r.status).toBe(2);
  });

  it("--server that is not a URL is a usage error", () => {
    const r = aegis(dir, ["deploy", hello, "--server", "nowhere"]);
    expect(r.stderr).toBe(
      "aegis: the server 'nowhere' is not a URL (e.g. http://127.0.0.1:4680)\nRun 'aegis deploy --help' for usage.\n",
    );
    expect(r.status).toBe(2);
  });

  it("what is deployed survives a restart of the server", async () => {
    const stopped = await server.stop("SIGTERM");
    expect(stopped).toEqual({ code: 0, signal: null });
    expect(server.stderr()).toContain("aegis serve: SIGTERM: stopping");
    server = await serve(dir);
    const r = aegis(dir, ["workflows", "--format", "json"], { AEGIS_SERVER: server.url });
    expect(r.status).toBe(0);
    const list = JSON.parse(r.stdout) as WorkflowSummary[];
    expect(list.map((w) => [w.name, w.declaredVersion, w.versions])).toEqual([
      ["hello", "1.0.0", 2],
    ]);
  });
});

describe("help", () => {
  it("the default port in the help text is the server's", () => {
    expect(commandUsage.serve).toContain(`default ${DEFAULT_PORT};`);
    expect(commandUsage.deploy).toContain(`http://127.0.0.1:${DEFAULT_PORT}`);
  });

  for (const command of ["serve", "deploy", "workflows"]) {
    it(`aegis help ${command} and aegis ${command} --help print its usage`, () => {
      const help = aegis(dir, ["help", command]);
      expect(help.status).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^Usage: aegis ${command} `));
      const flag = aegis(dir, [command, "--help"]);
      expect(flag.stdout).toBe(help.stdout);
    });
  }

  it("the overview lists the server's commands", () => {
    const r = aegis(dir, ["--help"]);
    expect(r.stdout).toMatch(/\n {2}serve {10,}run the aegis server/);
    expect(r.stdout).toMatch(/\n {2}deploy {9,}compile workflows and deploy/);
    expect(r.stdout).toMatch(/\n {2}workflows {6,}the workflows deployed/);
  });
});
