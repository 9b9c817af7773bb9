// Start-up (issue 13, item 1), through the real command line: each command loads only what
// it uses (`compile` never the runtime engine or execa, `status` not the compiler, `--help`
// nothing but the help text), in a checkout (the TypeScript sources) and as the package
// ships it (lib/cli.js, bundled by scripts/build-cli.ts, each command its own chunk). How
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
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCli } from "../../scripts/build-cli.ts";
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
/** The package's layout, as installed: bin/aegis.js beside lib/cli.js, no src/. */
const installed = join(dir, "installed");
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
  copyFileSync(join(root, "bin", "aegis.js"), join(installed, "bin", "aegis.js"));
  await buildCli(join(installed, "lib"));
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

describe("as the package ships it: lib/cli.js, one chunk per command", () => {
  const bin = join(installed, "bin", "aegis.js");
  const chunks = () => readdirSync(join(installed, "lib", "chunks"));
  const loadedFiles = (loaded: string[]) =>
    loaded
      .filter((u) => u.startsWith("file:"))
      .map((u) => fileURLToPath(u).slice(installed.length + 1));

  it("is built, and --help loads no command's chunk and no dependency", () => {
    expect(existsSync(join(installed, "lib", "cli.js"))).toBe(true);
    expect(chunks().some((f) => f.startsWith("execa-"))).toBe(true);
    const r = aegis(bin, "--help");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Usage: aegis COMMAND");
    const files = loadedFiles(r.loaded);
    expect(files.slice(0, 2)).toEqual(["bin/aegis.js", "lib/cli.js"]);
    // Only the small modules shared with the commands (the help text, errors, io): no
    // command's chunk, no dependency (Chevrotain's chunk alone is over 100 kB).
    const commands =
      /^lib\/chunks\/(compile|graph|fmt|convert|drive|cancel|status|logs|list|execa)-/;
    expect(files.filter((f) => commands.test(f))).toEqual([]);
    const bytes = files.reduce((sum, f) => sum + statSync(join(installed, f)).size, 0);
    expect(bytes).toBeLessThan(64_000);
  });

  it("compile --check works through it, without loading execa's chunk", () => {
    const r = aegis(bin, "compile", "--check", hello);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("1 file checked: 0 errors");
    const files = loadedFiles(r.loaded);
    expect(files.some((f) => f.startsWith("lib/chunks/compile-"))).toBe(true);
    expect(files.filter((f) => !f.startsWith("lib/") && f !== "bin/aegis.js")).toEqual([]);
    expect(files.filter((f) => /chunks\/(execa|drive)-/.test(f))).toEqual([]);
  });

  it("a workflow with errors is reported through it as from the sources", () => {
    const broken = join(dir, "broken.aegis");
    const source = `workflow broken {\n  start NOWHERE\n  final DONE\n}\n`;
    writeFileSync(broken, source);
    const shipped = aegis(bin, "compile", "--check", broken);
    const sources = aegis(checkout, "compile", "--check", broken);
    expect(shipped.status).toBe(1);
    expect(shipped.stdout).toBe(sources.stdout);
    expect(shipped.status).toBe(sources.status);
  });
});
