// The library's entry (src/index.ts, built as lib/index.js) loads the compiler and the
// runtime on first use. Measured in a fresh Node process, as a program importing aegis:
// importing loads no dependency; compiling loads the compiler's, never the runtime's; and
// what the entry hands out behaves as the modules it stands for.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { checks as realChecks, compile as realCompile } from "../../src/compiler/compile.ts";

const entry = new URL("../../src/index.ts", import.meta.url).href;
const source = `workflow w {
  agent a = function("f")
  start A
  state A = agent a { prompt "x" on success -> DONE otherwise -> FAILED }
  final DONE
  final FAILED failure
}`;

/** Runs `body` (an ES module body, with `lib` imported and `loaded()` listing dependencies). */
function inFreshProcess(body: string): Record<string, unknown> {
  const script = `
    import { registerHooks } from "node:module";
    const urls = [];
    registerHooks({ load(url, context, next) { urls.push(url); return next(url, context); } });
    const loaded = () => [...new Set(urls.filter((u) => u.includes("/node_modules/"))
      .map((u) => u.split("/node_modules/").pop().split("/").slice(0, 1).join("/")))];
    const lib = await import(${JSON.stringify(entry)});
    const out = {};
    ${body}
    console.log(JSON.stringify(out));`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    encoding: "utf8",
    timeout: 60_000,
  });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

describe("the library entry", () => {
  it("loads no dependency when imported, the compiler's on the first compile, never the runtime's", () => {
    const out = inFreshProcess(`
      out.onImport = loaded();
      const result = lib.compile(${JSON.stringify(source)});
      out.ok = result.ok;
      out.hash = result.document.hash;
      out.afterCompile = loaded();
    `);
    expect(out.onImport).toEqual([]);
    expect(out.afterCompile).toEqual(expect.arrayContaining(["chevrotain", "graphology"]));
    expect(out.afterCompile).not.toContain("execa");
    expect(out.afterCompile).not.toContain("ajv");
    expect(out.ok).toBe(true);
    expect(out.hash).toBe(realCompile(source).document.hash);
  });

  it("hands out classes that construct, extend and match instanceof as the real ones", () => {
    const out = inFreshProcess(`
      const store = new lib.MemoryStore();
      out.instance = store instanceof lib.MemoryStore;
      out.sameProto = Object.getPrototypeOf(store) === lib.MemoryStore.prototype;
      class Mine extends lib.MemoryStore { mine = true; }
      const mine = new Mine();
      out.subclass = mine instanceof lib.MemoryStore && mine instanceof Mine && mine.mine;
      out.name = lib.MemoryStore.name;
      try { lib.loadGraph({}); } catch (e) { out.loadError = e instanceof lib.GraphLoadError && e.code; }
      try { lib.validateInputs({}, 5); } catch (e) {
        out.inputError = e instanceof lib.InputError && e instanceof lib.RuntimeError;
      }
      out.checks = Array.isArray(lib.checks) && lib.checks.map((c) => c.name);
      out.clock = typeof lib.systemClock.now();
    `);
    expect(out).toEqual({
      instance: true,
      sameProto: true,
      subclass: true,
      name: "MemoryStore",
      loadError: "AEG-LOAD",
      inputError: true,
      checks: realChecks.map((c) => c.name),
      clock: "number",
    });
  });
});
