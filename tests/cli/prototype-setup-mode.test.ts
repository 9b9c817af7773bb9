// scripts/prototype-setup-mode.ts: the bundles put graphology's Graph.prototype and
// chevrotain's Parser.prototype in V8's prototype setup mode before their methods are added
// one by one. The same methods must come out, in the same order, doing the same things; and
// the build must refuse a dependency whose source no longer reads as the patch expects.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { inSetupMode, patches, prototypeSetupMode } from "../../scripts/prototype-setup-mode.ts";
import { bundled } from "../helpers/bundle.ts";

const dir = mkdtempSync(join(tmpdir(), "aegis-setup-mode-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const require = createRequire(import.meta.url);
const graphologyDist = dirname(require.resolve("graphology"));
const chevrotainParserJs = join(
  require.resolve("chevrotain").replace(/[\\/]lib[\\/].*$/, ""),
  "lib/src/parse/parser/parser.js",
);

/** Own property names up the chain from `proto` to Object.prototype, level by level. */
const chain = (proto: object | null): string[][] => {
  const levels: string[][] = [];
  for (let p = proto; p && p !== Object.prototype; p = Object.getPrototypeOf(p))
    levels.push(Reflect.ownKeys(p).map(String));
  return levels;
};

/** graphology and chevrotain bundled with or without the plugin, and what they do. */
const bundledDependencies = (patched: boolean) =>
  bundled<{
    DirectedGraph: new () => GraphLike;
    MultiGraph: new () => GraphLike;
    CstParser: { prototype: object };
    parseAs: (n: number) => { count: number; errors: number };
  }>(
    dir,
    patched ? "patched" : "original",
    [
      'import { DirectedGraph, MultiGraph } from "graphology";',
      'import { CstParser, createToken } from "chevrotain";',
      "export { DirectedGraph, MultiGraph, CstParser };",
      'const A = createToken({ name: "A", pattern: /a/ });',
      "class Tiny extends CstParser {",
      "  constructor() { super([A]); this.RULE('as', () => this.MANY(() => this.CONSUME(A))); this.performSelfAnalysis(); }",
      "}",
      "export const parseAs = (n) => { const p = new Tiny(); p.input = Array.from({ length: n }, (_, i) =>",
      "  ({ image: 'a', startOffset: i, endOffset: i, tokenTypeIdx: A.tokenTypeIdx, tokenType: A }));",
      "  const cst = p.as(); return { count: cst.children.A?.length ?? 0, errors: p.errors.length }; };",
    ].join("\n"),
    patched ? [prototypeSetupMode] : [],
  );

interface GraphLike {
  addNode(node: string, attributes?: object): void;
  addEdge(source: string, target: string): string;
  mergeEdge(source: string, target: string): unknown;
  outNeighbors(node: string): string[];
  inDegree(node: string): number;
  forEachNeighbor(node: string, callback: (neighbor: string) => void): void;
  setNodeAttribute(node: string, name: string, value: unknown): void;
  getNodeAttributes(node: string): object;
  edges(): string[];
  order: number;
  size: number;
}

/** The same operations on a graph of each bundle: what they return. */
function exercise(Graph: new () => GraphLike): unknown {
  const g = new Graph();
  for (const node of ["a", "b", "c", "d"]) g.addNode(node, { name: node });
  g.addEdge("a", "b");
  g.addEdge("a", "c");
  g.mergeEdge("c", "d");
  g.mergeEdge("c", "d");
  g.setNodeAttribute("d", "final", true);
  const neighbors: string[] = [];
  g.forEachNeighbor("c", (n) => neighbors.push(n));
  return {
    order: g.order,
    size: g.size,
    out: g.outNeighbors("a"),
    inDegree: g.inDegree("d"),
    neighbors,
    attributes: g.getNodeAttributes("d"),
  };
}

describe("prototypes in setup mode, in the bundles", () => {
  it("inserts the setup before the methods are added, in each dependency's own source", () => {
    const sources = [
      join(graphologyDist, "graphology.mjs"),
      join(graphologyDist, "graphology.cjs.js"),
      chevrotainParserJs,
    ];
    for (const path of sources) {
      const patch = patches.find((p) => p.file.test(path));
      expect(patch, path).toBeDefined();
      const patched = inSetupMode(path, readFileSync(path, "utf8"));
      expect(patched).toContain(
        `Object.setPrototypeOf({}, ${patch!.prototype});\n${patch!.before}`,
      );
    }
    // Any other file is left as it is.
    expect(inSetupMode("/x/node_modules/other/index.js", "EDGE_ADD_METHODS.forEach(")).toBe(
      "EDGE_ADD_METHODS.forEach(",
    );
  });

  it("refuses a dependency whose source no longer has the statement, once", () => {
    const path = join(graphologyDist, "graphology.mjs");
    expect(() => inSetupMode(path, "export default class Graph {}")).toThrow(/no longer finds/);
    expect(() =>
      inSetupMode(path, "EDGE_ADD_METHODS.forEach(a);\nEDGE_ADD_METHODS.forEach(b);"),
    ).toThrow(/no longer finds/);
  });

  it("gives the same prototypes, method for method and in order, that behave the same", async () => {
    const [original, patched] = [await bundledDependencies(false), await bundledDependencies(true)];
    expect(original.source).not.toContain("Object.setPrototypeOf({}, Graph.prototype)");
    expect(patched.source).toContain("Object.setPrototypeOf({}, Graph.prototype)");
    expect(patched.source).toContain("Object.setPrototypeOf({}, Parser.prototype)");
    for (const name of ["DirectedGraph", "MultiGraph"] as const) {
      const levels = chain(patched.module[name].prototype);
      expect(levels).toEqual(chain(original.module[name].prototype));
      // Graph.prototype's hundreds of generated methods are all there.
      expect(levels.some((names) => names.length > 250)).toBe(true);
    }
    expect(chain(patched.module.CstParser.prototype)).toEqual(
      chain(original.module.CstParser.prototype),
    );
    expect(exercise(patched.module.DirectedGraph)).toEqual(exercise(original.module.DirectedGraph));
    expect(exercise(patched.module.DirectedGraph)).toMatchObject({ order: 4, size: 3 });
    expect(patched.module.parseAs(5)).toEqual(original.module.parseAs(5));
    expect(patched.module.parseAs(5)).toEqual({ count: 5, errors: 0 });
  });
});
