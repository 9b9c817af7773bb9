// The library's entry points (issue 13, item 2): `aegis-workflows/compiler`,
// `aegis-workflows/runtime` and the root, which re-exports both. They are plain ES modules
// (no stand-ins, no lazy require), and each loads only what it needs: measured in a fresh
// Node process by a module-load hook that records every URL Node loads.
// tests/package/pack.test.ts does the same through the packed and installed package.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { checks as realChecks, compile as realCompile } from "../../src/compiler/compile.ts";

const url = (path: string) => new URL(`../../src/${path}`, import.meta.url).href;
const entries = {
  root: url("index.ts"),
  compiler: url("compiler/index.ts"),
  runtime: url("runtime/index.ts"),
};
const source = `workflow w {
  agent a = function("f")
  start A
  state A = agent a { prompt "x" on success -> DONE otherwise -> FAILED }
  final DONE
  final FAILED failure
}`;

/**
 * Runs `body` (an ES module body, with `lib` the imported entry) in a fresh process; `out`
 * is printed as JSON, with `out.packages` (the packages of node_modules loaded) and
 * `out.files` (the library's own files loaded, relative to src/) recorded after `body`.
 */
function inFreshProcess(entry: string, body: string): Record<string, unknown> {
  const script = `
    import { registerHooks } from "node:module";
    const urls = [];
    registerHooks({ load(url, context, next) { urls.push(url); return next(url, context); } });
    const lib = await import(${JSON.stringify(entry)});
    const out = {};
    ${body}
    out.packages = [...new Set(urls.filter((u) => u.includes("/node_modules/")).map((u) => {
      const [scope, name] = u.split("/node_modules/").pop().split("/");
      return scope.startsWith("@") ? scope + "/" + name : scope;
    }))].sort();
    out.files = urls.filter((u) => u.startsWith(${JSON.stringify(url(""))}))
      .map((u) => u.slice(${url("").length}));
    console.log(JSON.stringify(out));`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    encoding: "utf8",
    timeout: 60_000,
  });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

// Every value the root has exported since the library's first release (with its entry point).
const compilerValues = [
  "catalogue",
  "checks",
  "compile",
  "compileFile",
  "compileFiles",
  "exportGraph",
  "figuresOf",
  "formatGithub",
  "formatJson",
  "formatSarif",
  "formatText",
  "GraphLoadError",
  "graphHash",
  "loadGraph",
  "parse",
  "providers",
  "toDot",
  "toMermaid",
  "transitionsOf",
];
const runtimeValues = [
  "attemptKey",
  "createAgentResolver",
  "createEngine",
  "createProvider",
  "createRun",
  "executeState",
  "FileStore",
  "followLog",
  "InputError",
  "MemoryStore",
  "mergeAgent",
  "normalizeAgentOverrides",
  "ObservationStream",
  "parseJournal",
  "parseParam",
  "RUN_ID",
  "RunLog",
  "replay",
  "RuntimeError",
  "step",
  "systemClock",
  "validateInputs",
  "wakeAt",
];
const sorted = (names: string[]) => [...names].sort();

describe("the compiler entry", () => {
  it("compiles, loading the compiler's dependencies and never the runtime, execa or Ajv", () => {
    const out = inFreshProcess(
      entries.compiler,
      `const result = lib.compile(${JSON.stringify(source)});
       out.ok = result.ok;
       out.hash = result.document.hash;
       out.names = Object.keys(lib);`,
    );
    expect(out.ok).toBe(true);
    expect(out.hash).toBe(realCompile(source).document.hash);
    expect(out.names).toEqual(sorted(compilerValues));
    expect(out.packages).toEqual(expect.arrayContaining(["chevrotain", "graphology", "yaml"]));
    expect(out.packages).not.toContain("execa");
    expect(out.packages).not.toContain("ajv");
    expect((out.files as string[]).filter((f) => f.startsWith("runtime/"))).toEqual([]);
  });
});

describe("the runtime entry", () => {
  it("runs a stored graph document without the compiler's parser or Chevrotain; execa only once a command runs", async () => {
    const document = realCompile(source).document;
    const command = realCompile(`workflow c {
  start CHECK
  state CHECK = run "echo checked" timeout 1m { on success -> DONE otherwise -> FAILED }
  final DONE
  final FAILED failure
}`).document;
    const out = inFreshProcess(
      entries.runtime,
      `const engine = lib.createEngine({
         store: new lib.MemoryStore(),
         functions: { f: async () => "done" },
       });
       const run = await engine.start(${JSON.stringify(document)});
       out.status = (await run.result()).status;
       out.execaBeforeCommand = urls.some((u) => u.includes("/node_modules/execa/"));
       const second = await engine.start(${JSON.stringify(command)});
       out.commandStatus = (await second.result()).status;
       out.names = Object.keys(lib);`,
    );
    expect(out.status).toBe("succeeded");
    expect(out.execaBeforeCommand).toBe(false);
    expect(out.commandStatus).toBe("succeeded");
    expect(out.names).toEqual(sorted(runtimeValues));
    expect(out.packages).toContain("execa");
    expect(out.packages).not.toContain("chevrotain");
    expect(out.packages).not.toContain("yaml");
    const files = out.files as string[];
    expect(files).not.toContain("compiler/parse.ts");
    expect(files).not.toContain("compiler/compile.ts");
    expect(files.filter((f) => f.startsWith("compiler/checks/"))).toEqual([]);
  });
});

describe("the root entry", () => {
  it("re-exports both entries: every name it has ever exported, the same values", () => {
    const out = inFreshProcess(
      entries.root,
      `const compiler = await import(${JSON.stringify(entries.compiler)});
       const runtime = await import(${JSON.stringify(entries.runtime)});
       out.names = Object.keys(lib);
       out.same = Object.keys(lib).filter((k) => lib[k] !== (k in compiler ? compiler[k] : runtime[k]));`,
    );
    expect(out.names).toEqual(sorted([...compilerValues, ...runtimeValues]));
    expect(out.same).toEqual([]);
  });

  it("hands out the real classes, arrays and objects: they construct, extend and match instanceof", () => {
    const out = inFreshProcess(
      entries.root,
      `const store = new lib.MemoryStore();
      out.instance = store instanceof lib.MemoryStore;
      out.sameProto = Object.getPrototypeOf(store) === lib.MemoryStore.prototype;
      class Mine extends lib.MemoryStore { mine = true; }
      const mine = new Mine();
      out.subclass = mine instanceof lib.MemoryStore && mine instanceof Mine && mine.mine;
      out.name = lib.MemoryStore.name;
      const { types } = await import("node:util");
      out.proxies = [];
      for (const [name, value] of Object.entries(lib))
        if ((typeof value === "function" || typeof value === "object") && types.isProxy(value))
          out.proxies.push(name);
      try { lib.loadGraph({}); } catch (e) { out.loadError = e instanceof lib.GraphLoadError && e.code; }
      try { lib.validateInputs({}, 5); } catch (e) {
        out.inputError = e instanceof lib.InputError && e instanceof lib.RuntimeError;
      }
      out.checks = Array.isArray(lib.checks) && lib.checks.map((c) => c.name);
      out.clock = typeof lib.systemClock.now();`,
    );
    expect(out).toMatchObject({
      instance: true,
      sameProto: true,
      subclass: true,
      name: "MemoryStore",
      proxies: [],
      loadError: "AEG-LOAD",
      inputError: true,
      checks: realChecks.map((c) => c.name),
      clock: "number",
    });
  });
});
