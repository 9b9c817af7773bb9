// The builder's examples (examples/*/*.ts): each compiles with no findings; those ported
// from a .aegis example compile to the same graph (content hash) as it; each prints as
// source that compiles back to its hash; and each runs through the command line with
// local agents (no network).
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import hello from "../../examples/hello/hello.ts";
import supportTeam from "../../examples/support_team/support_team.ts";
import routed, { route_support } from "../../examples/support_team/support_team_routed.ts";
import tddStep from "../../examples/tdd_step/tdd_step.ts";
import type { Workflow } from "../../src/builder/index.ts";
import { compile, compileFile } from "../../src/compiler/compile.ts";
import type { RunRecord } from "../../src/runtime/types.ts";
import { aegis, json, ROOT, tddRun, tddWorkerAgents, tempDir } from "../runtime/cli/helpers.ts";

const example = (path: string) => join(ROOT, "examples", path);
const built: [string, Workflow][] = [
  ["hello/hello.ts", hello],
  ["tdd_step/tdd_step.ts", tddStep],
  ["support_team/support_team.ts", supportTeam],
  ["support_team/support_team_routed.ts", routed],
];

describe("the builder's examples", () => {
  it("compile with no findings", () => {
    for (const [name, wf] of built) expect(wf.compile().diagnostics, name).toEqual([]);
  });

  it("ported ones compile to the same graph as their .aegis", () => {
    for (const [ts, aegisFile] of [
      [hello, "hello/hello.aegis"],
      [tddStep, "tdd_step/tdd_step.aegis"],
      [supportTeam, "support_team/support_team.aegis"],
    ] as const) {
      expect(ts.compile().document.hash, aegisFile).toBe(
        compileFile(example(aegisFile)).document.hash,
      );
    }
  });

  it("print as source that compiles to the same hash", () => {
    for (const [name, wf] of built) {
      const source = wf.toSource();
      const again = compile(source, { filename: example(name.replace(/\.ts$/, ".aegis")) });
      expect(again.diagnostics, name).toEqual([]);
      expect(again.document.hash, name).toBe(wf.compile().document.hash);
    }
  });

  it("the routed team's router is the module's function, registered by its name", () => {
    expect(routed.functions).toEqual({ route_support });
    expect(routed.toSource()).toContain('agent route_support = function("route_support")');
    expect(routed.toSource()).toContain("by route_support steps 1 then finish");
  });
});

describe("the builder's examples run", () => {
  it("hello, with its agent bound on the command line", () => {
    const dir = tempDir();
    const r = aegis(dir, [
      "run",
      example("hello/hello.ts"),
      "--param",
      "who=Alex",
      "--agent",
      "default=command:cat",
    ]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Say hello to Alex in one short sentence.");
  });

  it("support_team, the router a model (a local script)", () => {
    const dir = tempDir();
    const message = "I was charged twice for order #4392, and the app crashes on login";
    const r = aegis(dir, [
      "run",
      example("support_team/support_team.ts"),
      "--agents",
      example("support_team/agents.local.json"),
      "--param",
      `message=${message}`,
      "--id",
      "team",
    ]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const record = json<RunRecord>(aegis(dir, ["status", "team", "--json"]).stdout);
    expect(record.results.SUPPORT).toMatchObject({
      status: "succeeded",
      route: ["billing", "technical"],
    });
  });

  it("support_team_routed, the router a function of the module", () => {
    const dir = tempDir();
    const run = (id: string, message: string, plan: string) => {
      const r = aegis(dir, [
        "run",
        example("support_team/support_team_routed.ts"),
        "--agents",
        example("support_team/agents.routed.local.json"),
        "--param",
        `message=${message}`,
        "--param",
        `plan=${plan}`,
        "--id",
        id,
      ]);
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      return json<RunRecord>(aegis(dir, ["status", id, "--json"]).stdout).results.SUPPORT;
    };
    expect(run("vat", "My invoice shows the wrong VAT number", "pro")).toMatchObject({
      route: ["billing"],
      steps: 1,
    });
    // Enterprise customers' technical questions go first, whatever else they mention.
    expect(run("ent", "A refund, and the app crashes", "enterprise")).toMatchObject({
      route: ["technical"],
    });
  });

  it("tdd_step, one session red to green", () => {
    const dir = tempDir();
    const agentsFile = tddWorkerAgents(dir);
    const r = aegis(dir, tddRun(example("tdd_step/tdd_step.ts"), agentsFile, dir));
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const record = json<RunRecord>(aegis(dir, ["status", "t", "--json"]).stdout);
    expect(record.output).toBe("green: tdd-project/slugify.test.js");
    // Red, implemented, still red, fixed, green: three turns of one conversation.
    expect(record.visits).toMatchObject({ CHECK_GREEN: 2, FIX: 1 });
    expect(record.sessions?.worker?.turns).toBe(3);
  });
});
