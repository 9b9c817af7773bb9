// Start-up (issue 13, item 1), through the real command line: each command loads only what
// it uses (`compile` never the runtime engine or execa, `status` not the compiler, `--help`
// nothing but the help text), in a checkout (the TypeScript sources) and as the package
// ships it (lib/bundle/, by scripts/build-cli.ts: one script per command module, run with a
// code cache kept after it ran, bin/bundle-loader.js). How
// fast that is, is the benchmark's to say (npm run bench), not a test's.
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BundleInputs, buildCli } from "../../scripts/build-cli.ts";
import { aliases, commandUsage } from "../../src/cli/usage.ts";
import { compile } from "../../src/compiler/compile.ts";
import { createEngine } from "../../src/runtime/engine.ts";
import { FileStore } from "../../src/runtime/store/file.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const projectNode = join(root, "node_modules", ".bin", "node");
const node = existsSync(projectNode) ? projectNode : process.execPath;
const recorder = pathToFileURL(join(root, "tests", "helpers", "record-modules.ts")).href;
const hello = join(root, "examples", "hello", "hello.aegis");
const dir = mkdtempSync(join(tmpdir(), "aegis-startup-"));
const store = join(dir, "store");
/** The package's layout, as installed: bin/ beside lib/bundle/, no src/. */
const installed = join(dir, "installed");
/** Each of lib/bundle/'s scripts: its source files and packages (from the build). */
let inputs: BundleInputs = {};
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  // A run in a file store, for `status`.
  const compiled = compile(`workflow startup {
  agent noop = function("noop")
  start A
  state A = agent noop { prompt "x" on success -> DONE otherwise -> FAILED }
  final DONE
  final FAILED failure
}`);
  expect(compiled.ok).toBe(true);
  const engine = createEngine({ store: new FileStore(store), functions: { noop: async () => "" } });
  const record = await (await engine.start(compiled, {}, { id: "startup-run" })).result();
  expect(record.status).toBe("succeeded");
  // The bundle, built as `npm run build` builds it, in a copy of the package's layout.
  mkdirSync(join(installed, "bin"), { recursive: true });
  for (const file of ["aegis.js", "bundle-loader.js"])
    copyFileSync(join(root, "bin", file), join(installed, "bin", file));
  // bin/ is ESM as in the package (its package.json says "type": "module").
  writeFileSync(join(installed, "package.json"), '{ "type": "module" }\n');
  inputs = await buildCli(join(installed, "lib"));
}, 300_000); // a deadline for a hang only: esbuild on a loaded machine is slow

/** Runs bin/aegis.js (the checkout's, or the installed layout's) and records what it loads. */
function aegis(bin: string, ...args: string[]) {
  const modules = join(dir, `modules-${Math.random().toString(36).slice(2)}.txt`);
  const r = spawnSync(node, ["--import", recorder, bin, ...args], {
    cwd: dir,
    encoding: "utf8",
    timeout: 170_000, // catches a hang only, as in tests/runtime/cli/helpers.ts
    env: { ...process.env, AEGIS_TEST_MODULES: modules, NO_COLOR: "1" },
  });
  if (r.error) throw r.error;
  const loaded = readFileSync(modules, "utf8").trim().split("\n");
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, loaded };
}

const inCheckout = (url: string) => url.replace(pathToFileURL(root).href, "");
const checkout = join(root, "bin", "aegis.js");

describe("in a checkout, each command loads only what it uses", () => {
  it("--help loads the command line's entry and its help text, nothing else of aegis", () => {
    const r = aegis(checkout, "--help");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Usage: aegis COMMAND");
    const ours = r.loaded.filter((u) => u.startsWith("file:")).map(inCheckout);
    expect(ours).toContain("src/cli/usage.ts");
    expect(ours.filter((u) => u.includes("node_modules/"))).toEqual([]);
    expect(ours.filter((u) => u.startsWith("src/compiler/") && !u.endsWith("/suggest.ts"))).toEqual(
      [],
    );
    expect(ours.filter((u) => u.startsWith("src/cli/commands/"))).toEqual([]);
  });

  it("compile --check loads the compiler, never the runtime engine, execa, or YAML for an aegis file", () => {
    const r = aegis(checkout, "compile", "--check", hello);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const ours = r.loaded.map(inCheckout);
    expect(ours).toContain("src/compiler/compile-core.ts");
    // hello imports nothing: the YAML front end and its parser stay out.
    expect(
      ours.filter((u) => u.startsWith("src/compiler/yaml/") && !u.endsWith("/files.ts")),
    ).toEqual([]);
    expect(ours.filter((u) => u.includes("node_modules/yaml/"))).toEqual([]);
    expect(ours.some((u) => u.includes("node_modules/chevrotain/"))).toBe(true);
    expect(ours.filter((u) => u.startsWith("src/runtime/") && !u.endsWith("/types.ts"))).toEqual(
      [],
    );
    expect(ours.filter((u) => u.includes("node_modules/execa/"))).toEqual([]);
    // A file named is no glob: the globbing library (and its matcher) stays out.
    expect(ours.filter((u) => /node_modules\/(tinyglobby|fdir|picomatch)\//.test(u))).toEqual([]);
  });

  it("compile --check loads the YAML front end for a YAML file, and for an aegis file that imports one", () => {
    // An AgentOS workflow (tests/yaml/fixtures/agentos/ts-chain.yaml, shortened).
    const yamlFile = join(dir, "chain.yaml");
    writeFileSync(
      yamlFile,
      [
        "id: chain-wf",
        "name: Chain",
        "steps:",
        "  - name: step1",
        "    functionId: echo::fn",
        "    mode: sequential",
        "    timeoutMs: 5000",
        "    errorMode: fail",
        "",
      ].join("\n"),
    );
    const importer = join(dir, "importer.aegis");
    writeFileSync(
      importer,
      `// imports a YAML workflow\nimport "chain.yaml" as child\n\nworkflow importer {\n  start CALL\n  state CALL = subworkflow child timeout 1m {\n    on success -> DONE\n    otherwise -> FAILED\n  }\n  final DONE\n  final FAILED failure\n}\n`,
    );
    for (const file of [yamlFile, importer]) {
      const r = aegis(checkout, "compile", "--check", file);
      const ours = r.loaded.map(inCheckout);
      expect(ours, r.stdout + r.stderr).toContain("src/compiler/yaml/index.ts");
      expect(r.stdout, r.stderr).toContain("1 file checked: 0 errors");
    }
  });

  it("status reads the store, never the engine, the core, execa or the compiler's parser", () => {
    const r = aegis(checkout, "status", "startup-run", "--store", store);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("succeeded");
    const ours = r.loaded.map(inCheckout);
    expect(ours).toContain("src/runtime/store/file.ts");
    expect(ours).not.toContain("src/runtime/engine.ts");
    // A run whose record is up to date is not replayed: the core (and Handlebars) stay out.
    expect(ours).not.toContain("src/runtime/step.ts");
    expect(ours).not.toContain("src/compiler/parser.ts");
    expect(ours.filter((u) => /node_modules\/(execa|chevrotain|handlebars)\//.test(u))).toEqual([]);
  });
});

describe("as the package ships it: lib/bundle/, one script per command module", () => {
  const bin = join(installed, "bin", "aegis.js");
  const cache = join(dir, "cache");
  /** bin/aegis.js of the installed layout, its code caches in `cache`. */
  const shipped = (args: string[], env: Record<string, string> = {}) => {
    const r = spawnSync(node, [bin, ...args], {
      cwd: dir,
      encoding: "utf8",
      timeout: 170_000, // catches a hang only
      env: { ...process.env, NO_COLOR: "1", AEGIS_CACHE_DIR: cache, ...env },
    });
    if (r.error) throw r.error;
    return r;
  };
  const script = (name: string) => `lib/bundle/${name}.cjs`;

  it("is built: each command's word names the script of its module, aliases too", () => {
    const words = JSON.parse(
      readFileSync(join(installed, "lib", "bundle", "commands.json"), "utf8"),
    );
    expect(words).toMatchObject({ compile: "compile", check: "compile", run: "drive", ls: "list" });
    // Every command the help lists, and every alias: none falls through to the help script.
    expect(Object.keys(words).sort()).toEqual(
      [...Object.keys(commandUsage), ...Object.keys(aliases)].sort(),
    );
    for (const name of new Set(Object.values(words) as string[]))
      expect(existsSync(join(installed, script(name)))).toBe(true);
    expect(existsSync(join(installed, script("main")))).toBe(true);
  });

  it("each script carries its own command only: help carries none and no dependency, compile neither the engine nor execa", () => {
    const main = inputs.main!;
    expect(main.filter((f) => f.startsWith("src/cli/commands/"))).toEqual([]);
    expect(main.filter((f) => f.includes("node_modules/"))).toEqual([]);
    const compile = inputs.compile!;
    expect(compile).toContain("src/cli/commands/compile.ts");
    expect(
      compile.filter((f) => f.startsWith("src/cli/commands/") && !f.endsWith("/compile.ts")),
    ).toEqual([]);
    expect(compile).not.toContain("src/runtime/engine.ts");
    expect(compile.filter((f) => f.includes("node_modules/execa/"))).toEqual([]);
    const status = inputs.status!;
    expect(status).not.toContain("src/runtime/engine.ts");
    expect(status.filter((f) => /node_modules\/(execa|chevrotain)\//.test(f))).toEqual([]);
    // Only the commands that drive runs carry execa (run, signal, resume; serve; cancel,
    // which stops a run through the engine; worker, which runs Restate's runs' states); it
    // runs only when a state starts a process.
    const withExeca = Object.entries(inputs)
      .filter(([, files]) => files.some((f) => f.includes("node_modules/execa/")))
      .map(([name]) => name)
      .sort();
    expect(withExeca).toEqual(["cancel", "drive", "serve", "worker"]);
  });

  it("every command answers --help through its script as from the sources", () => {
    const words = JSON.parse(
      readFileSync(join(installed, "lib", "bundle", "commands.json"), "utf8"),
    );
    for (const word of Object.keys(words)) {
      const r = shipped([word, "--help"]);
      expect([r.status, r.stderr], word).toEqual([0, ""]);
      expect(r.stdout, word).toBe(aegis(checkout, word, "--help").stdout);
    }
    const unknown = shipped(["compil"]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("did you mean 'compile'?");
  });

  it("compile --check works through it, and a workflow with errors is reported as from the sources", () => {
    const r = shipped(["compile", "--check", hello]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("1 file checked: 0 errors");
    const broken = join(dir, "broken.aegis");
    writeFileSync(broken, `workflow broken {\n  start NOWHERE\n  final DONE\n}\n`);
    const fromScript = shipped(["compile", "--check", broken]);
    const fromSources = aegis(checkout, "compile", "--check", broken);
    expect(fromScript.status).toBe(1);
    expect(fromScript.stdout).toBe(fromSources.stdout);
  });

  it("lexes text beyond Latin-1 as the sources do (its lexer computes the char-code index chevrotain tabulates)", () => {
    // Strings and comments in Greek, CJK and an emoji (a surrogate pair), then a character
    // no token starts with: the same findings, at the same columns, in every format.
    const file = join(dir, "unicode.aegis");
    writeFileSync(
      file,
      [
        "// Grüße — 你好 — 🚀",
        "workflow unicode {",
        '  agent a = claude(model: "ψ-模型")',
        "  start A",
        '  state A = agent a { prompt "résumé 日本語 🚀 Ωmega" on success -> DONE otherwise -> FAILED }',
        "  final DONE",
        "  final FAILED failure",
        "}",
        "",
      ].join("\n"),
    );
    const broken = join(dir, "unicode-broken.aegis");
    writeFileSync(broken, readFileSync(file, "utf8").replace("start A", "start A → ※ λ"));
    for (const target of [file, broken])
      for (const format of ["text", "json", "sarif"]) {
        const args = ["compile", "--check", "--format", format, target];
        const fromScript = shipped(args);
        const fromSources = aegis(checkout, ...args);
        expect([fromScript.status, fromScript.stdout, fromScript.stderr], format).toEqual([
          fromSources.status,
          fromSources.stdout,
          fromSources.stderr,
        ]);
      }
    expect(aegis(checkout, "compile", "--check", file).status).toBe(0);
    const findings = aegis(checkout, "compile", "--check", "--format", "json", broken);
    expect(findings.status).toBe(1);
    expect(findings.stdout).toContain('"line": 4');
  });

  it("keeps a command's code cache once it has run, uses it, and makes it again when V8 refuses it", () => {
    rmSync(cache, { recursive: true, force: true });
    // Another installation's caches: one unused for 40 days, one used today.
    mkdirSync(cache, { recursive: true });
    const old = join(cache, "compile-gone-1-2-v0-x64.v8");
    const recent = join(cache, "compile-other-1-2-v0-x64.v8");
    writeFileSync(old, "x");
    writeFileSync(recent, "x");
    const days40 = (Date.now() - 40 * 24 * 3600 * 1000) / 1000;
    utimesSync(old, days40, days40);
    const caches = () =>
      existsSync(cache) ? readdirSync(cache).filter((f) => f.startsWith("status-")) : [];
    expect(shipped(["status", "startup-run", "--store", store]).status).toBe(0);
    expect(caches()).toHaveLength(1);
    const file = join(cache, caches()[0]!);
    expect(caches()[0]).toMatch(
      new RegExp(`-${process.version.replace(/\./g, "\\.")}-${process.arch}\\.v8$`),
    );
    const made = statSync(file);
    expect(made.size).toBeGreaterThan(10_000);
    // Writing it removed the cache unused for 40 days, not the other.
    expect([existsSync(old), existsSync(recent)]).toEqual([false, true]);
    // Used as it is: not written again.
    expect(shipped(["status", "startup-run", "--store", store]).stdout).toContain("succeeded");
    expect(statSync(file).mtimeMs).toBe(made.mtimeMs);
    // Garbage (another V8's cache, a torn write): refused by V8, the command runs, made again.
    writeFileSync(file, "not a code cache");
    const again = shipped(["status", "startup-run", "--store", store]);
    expect([again.status, again.stderr]).toEqual([0, ""]);
    expect(statSync(file).size).toBeGreaterThan(10_000);
    // Turned off, or nowhere to write: the command runs all the same, and nothing is kept.
    rmSync(cache, { recursive: true, force: true });
    const off = shipped(["status", "startup-run", "--store", store], {
      NODE_DISABLE_COMPILE_CACHE: "1",
    });
    expect([off.status, off.stderr]).toEqual([0, ""]);
    expect(existsSync(cache)).toBe(false);
    writeFileSync(cache, "a file where the directory would be");
    const nowhere = shipped(["status", "startup-run", "--store", store]);
    expect([nowhere.status, nowhere.stderr]).toEqual([0, ""]);
    rmSync(cache, { force: true });
  });
});
