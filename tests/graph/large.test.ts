// Scale: a generated workflow of 2,000 states (scripts/generate-large-workflow.ts) compiles
// without errors into a graph of the expected size. No timing assertions: the time and
// memory of larger runs are measured by hand, as the script's header shows.
import { describe, expect, it } from "vitest";
import { generateWorkflow } from "../../scripts/generate-large-workflow.ts";
import { compile } from "../../src/compiler/compile.ts";
import { loadGraph, transitionsOf } from "../../src/compiler/graph.ts";

const N = 2_000;

describe("a generated workflow of 2,000 states", () => {
  const generated = generateWorkflow(N);
  const r = compile(generated.source, { filename: "large.aegis" });

  it("compiles with no errors and no warnings", () => {
    expect(r.diagnostics).toEqual([]);
    expect(r.ok).toBe(true);
  });

  it("has one node per state and one edge per transition", () => {
    expect(r.graph.order).toBe(N);
    expect(generated.states).toBe(N);
    // Counted independently of the generator's own count: declarations and arrows.
    const declared = generated.source.match(/^ {2}(state|final) /gm) ?? [];
    const arrows = generated.source.match(/ -> /g) ?? [];
    expect(declared).toHaveLength(N);
    expect(r.graph.size).toBe(arrows.length);
    expect(r.graph.size).toBe(generated.transitions);
    let edges = 0;
    r.graph.forEachNode((s) => {
      edges += transitionsOf(r.graph, s).length;
    });
    expect(edges).toBe(r.graph.size);
  });

  it("contains every kind of block: agents, gates, runs, branches, judges, finals", () => {
    const kinds: Record<string, number> = {};
    r.graph.forEachNode((_s, node) => {
      kinds[node.kind] = (kinds[node.kind] ?? 0) + 1;
    });
    expect(kinds).toEqual(generated.kinds);
    for (const kind of ["agent", "human", "run", "branch", "parallel", "final"])
      expect(kinds[kind], kind).toBeGreaterThan(0);
    // Bounded back-edges exist (feedback loops), and the finals are DONE and FAILED.
    let feedback = 0;
    r.graph.forEachEdge((_k, e) => {
      if (e.feedback) feedback++;
    });
    expect(feedback).toBeGreaterThan(100);
    expect(r.graph.getNodeAttribute("DONE", "final")).toBe("success");
    expect(r.graph.getNodeAttribute("FAILED", "final")).toBe("failure");
    expect(r.graph.inDegree("FAILED")).toBeGreaterThan(N / 2);
  });

  it("has a bounded worst case, and its document round-trips", () => {
    expect(r.worstCase.agentCalls).toBeGreaterThan(0);
    expect(r.worstCase.wallTimeMs).toBeGreaterThan(0);
    const loaded = loadGraph(JSON.parse(JSON.stringify(r.document)));
    expect(loaded.hash).toBe(r.document.hash);
    expect(loaded.graph.order).toBe(N);
  });

  it("is not vacuously clean: a template naming a state that may not have run is an error", () => {
    // In a chain block S(i+1) may skip straight to S(i+3), so S(i+2) does not dominate S(i+3).
    const first = generated.source.match(/on score >= 0\.9 -> S(\d+)/)!;
    const join = Number(first[1]);
    const skipped = `S${join - 1}`;
    const broken = generated.source.replace(
      new RegExp(`(state S${join} = agent \\S+ [^\\n]*\\n {4}prompt ")`),
      `$1{{${skipped}.output}} `,
    );
    expect(broken).not.toBe(generated.source);
    const codes = compile(broken, { filename: "large.aegis" }).diagnostics.map((d) => d.code);
    expect(codes).toEqual(["AEG406"]);
  });

  it("generates exactly N states for small N too", () => {
    for (const n of [3, 4, 9, 10, 17, 40, 101]) {
      const g = generateWorkflow(n);
      const small = compile(g.source, { filename: `small-${n}.aegis` });
      expect(small.diagnostics, `N=${n}`).toEqual([]);
      expect(small.graph.order, `N=${n}`).toBe(n);
    }
    expect(() => generateWorkflow(2)).toThrow();
  });
});
