// The package as users get it (issue 13, items 2 and 8): `npm pack` of a copy of this
// working tree (built by its prepack script, in the copy, so the checkout's lib/ is left
// alone), installed with npm into an empty directory, then used there — `npx aegis compile
// --check` of an example, and each entry point imported — on Node 24 and on the oldest Node
// its "engines" allow (22.13); on Node 20 the installed `aegis` says in one line that it
// needs a newer Node.
// Installing takes the package's dependencies from npm's cache or the npm registry.
import { spawn, spawnSync } from "node:child_process";
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, posix } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../src/compiler/compile.ts";
import { nodeOf, root } from "./nodes.ts";

const work = mkdtempSync(join(tmpdir(), "aegis-pack-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const minutes = (n: number) => n * 60_000;

/** The PATH with `node` (a binary) first, so that npm, npx and `aegis` itself run on it. */
function pathWith(node: string): string {
  const dir = join(work, "bin", node.replace(/[^\w]+/g, "_"));
  mkdirSync(dir, { recursive: true });
  try {
    symlinkSync(node, join(dir, "node"));
  } catch {}
  return [dir, process.env.PATH ?? ""].join(delimiter);
}

function run(command: string, args: string[], cwd: string, node: string, timeout = minutes(5)) {
  const r = spawnSync(command, args, {
    cwd,
    encoding: "utf8",
    timeout,
    env: {
      ...process.env,
      PATH: pathWith(node),
      npm_config_update_notifier: "false",
      // The installed command line's code caches (bin/bundle-loader.js), kept with the rest.
      AEGIS_CACHE_DIR: join(work, "cache"),
    },
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// Node 24, and the oldest Node 22 that "engines" allows (">=22.13": 22.13.x).
const node24 = nodeOf("24");
const oldest = /^>=(\d+\.\d+)$/.exec(manifest.engines.node)?.[1];
if (!oldest?.startsWith("22.")) throw new Error(`engines: ${manifest.engines.node}`);
const node22 = nodeOf(oldest);
const node20 = nodeOf("20");

interface Packed {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: { path: string }[];
}
let packed: Packed;
let tarball: string;
let files: Set<string>;

beforeAll(() => {
  // A copy of the working tree, without what the package is not built from.
  const source = join(work, "source");
  const skip = new Set(["node_modules", ".git", "tests", "bench", "dist", "lib", "coverage"]);
  cpSync(root, source, {
    recursive: true,
    filter: (path) => {
      const relative = path.slice(root.length).split(/[\\/]/).filter(Boolean);
      return (
        !(relative.length === 1 && (skip.has(relative[0]!) || relative[0]!.startsWith("."))) ||
        relative[0] === ".gitignore"
      );
    },
  });
  symlinkSync(join(root, "node_modules"), join(source, "node_modules"), "dir");
  const build = run("npm", ["run", "prepack"], source, node24.node, minutes(10));
  expect(build.status, `npm run prepack:\n${build.stdout}${build.stderr}`).toBe(0);
  const pack = run(
    "npm",
    ["pack", "--ignore-scripts", "--json", "--pack-destination", work],
    source,
    node24.node,
  );
  expect(pack.status).toBe(0);
  packed = (JSON.parse(pack.stdout) as Packed[])[0]!;
  tarball = join(work, packed.filename);
  files = new Set(packed.files.map((f) => f.path));
}, minutes(15));

describe("the tarball", () => {
  it("has every entry point the package exports, with its types", () => {
    for (const [path, target] of Object.entries(manifest.exports as Record<string, unknown>)) {
      if (typeof target === "string") continue; // ./lib/* and ./package.json
      const { types, default: js } = target as { types: string; default: string };
      expect(files, `${path} types`).toContain(posix.normalize(types));
      expect(files, `${path} code`).toContain(posix.normalize(js));
    }
    expect(files).toContain(manifest.bin.aegis);
  });

  it("has the docs the README links to, the grammar and the schemas", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    const links = [...readme.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)]
      .map((m) => m[1]!)
      .filter((link) => !/^[a-z]+:/.test(link));
    expect(links.length).toBeGreaterThan(3);
    for (const link of links)
      expect(files, `README links to ${link}`).toContain(posix.normalize(link));
    for (const file of [
      "grammar/README.md",
      "grammar/schemas.md",
      "grammar/aegis-manifest.schema.json",
      "grammar/agentos-workflow.schema.json",
      "grammar/aegis.tmLanguage.json",
      "docs/diagnostics.md",
      "SECURITY.md",
    ])
      expect(files).toContain(file);
    // The licence package.json declares, as the file at the root (npm adds LICENSE itself).
    expect([...files].filter((f) => /^licen[cs]e/i.test(f))).toEqual(["LICENSE"]);
    expect(readFileSync(join(root, "LICENSE"), "utf8")).toMatch(/^MIT License\n/);
  });

  it("has no source map that points at a file it does not ship, no sources, tests or Action code", () => {
    const maps = [...files].filter((f) => f.endsWith(".map"));
    for (const map of maps) {
      const { sources } = JSON.parse(readFileSync(join(work, "source", map), "utf8"));
      for (const s of sources as string[])
        expect(files, `${map} → ${s}`).toContain(posix.join(posix.dirname(map), s));
    }
    const stray = [...files].filter(
      (f) => /^(src|tests|bench|dist|lib\/action)\//.test(f) || /sourceMappingURL/.test(f),
    );
    expect(stray).toEqual([]);
    for (const f of files)
      if (f.endsWith(".js"))
        expect(readFileSync(join(work, "source", f), "utf8"), f).not.toMatch(
          /^\/\/# sourceMappingURL=(?!data:)/m,
        );
  });
});

const hello = "node_modules/aegis-workflows/examples/hello/hello.aegis";
const source = `workflow w {
  agent a = function("f")
  start A
  state A = agent a { prompt "x" on success -> DONE otherwise -> FAILED }
  final DONE
  final FAILED failure
}`;

let probes = 0;
/**
 * Imports `specifier` in a fresh process of `node`, in the install directory, runs `body`
 * and returns `out`, with `out.packages` (the dependencies loaded, from node_modules) and
 * `out.files` (the package's own modules loaded) recorded by a module-load hook.
 */
function probe(dir: string, node: string, specifier: string, body: string) {
  // Node >= 22.15 has synchronous hooks (registerHooks); before, hooks run on a thread of
  // their own (register), which writes each URL to a file before the module is loaded.
  const log = join(dir, `loads-${++probes}.txt`);
  const hook = `import { appendFileSync } from "node:fs";
    export async function load(url, context, next) {
      appendFileSync(${JSON.stringify(log)}, url + "\\n");
      return next(url, context);
    }`;
  const script = `
    import * as module from "node:module";
    import { readFileSync } from "node:fs";
    const recorded = [];
    if (module.registerHooks)
      module.registerHooks({ load(url, context, next) { recorded.push(url); return next(url, context); } });
    else module.register("data:text/javascript," + encodeURIComponent(${JSON.stringify(hook)}));
    const loaded = () => module.registerHooks ? recorded
      : readFileSync(${JSON.stringify(log)}, "utf8").split("\\n").filter(Boolean);
    const lib = await import(${JSON.stringify(specifier)});
    const out = {};
    ${body}
    const own = "/node_modules/aegis-workflows/";
    const urls = loaded();
    out.packages = [...new Set(urls.filter((u) => u.includes("/node_modules/") && !u.includes(own))
      .map((u) => {
        const [scope, name] = u.split("/node_modules/").pop().split("/");
        return scope.startsWith("@") ? scope + "/" + name : scope;
      }))].sort();
    out.files = urls.filter((u) => u.includes(own)).map((u) => u.split(own).pop());
    console.log(JSON.stringify(out));`;
  const r = run(node, ["--input-type=module", "-e", script], dir, node, minutes(2));
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as Record<string, unknown> & {
    packages: string[];
    files: string[];
  };
}

for (const { node, version } of [node24, node22]) {
  describe(`installed in an empty directory, on Node ${version}`, () => {
    const dir = join(work, `install-${version}`);

    beforeAll(() => {
      mkdirSync(dir, { recursive: true });
      // An empty project; npm itself runs on this Node (it is first on PATH).
      writeFileSync(join(dir, "package.json"), '{ "private": true }\n');
      const r = run(
        "npm",
        ["install", tarball, "--prefer-offline", "--no-audit", "--no-fund", "--no-package-lock"],
        dir,
        node,
        minutes(10),
      );
      expect(r.stderr).not.toMatch(/EBADENGINE|ERR!/);
      expect(r.status).toBe(0);
    }, minutes(12));

    it("npx aegis compile --check checks an example", () => {
      const r = run("npx", ["--no", "aegis", "compile", "--check", hello], dir, node);
      expect(r.stderr).toBe("");
      expect(r.stdout).toContain("1 file checked: 0 errors, 0 warnings");
      expect(r.status).toBe(0);
      const broken = run(
        "npx",
        ["--no", "aegis", "compile", "--check", "missing.aegis"],
        dir,
        node,
      );
      expect(broken.status).not.toBe(0);
      expect(broken.stderr).not.toMatch(/\n\s+at /); // no stack trace
    });

    it("a module built with aegis-workflows/builder compiles and runs with the installed aegis", () => {
      // JavaScript on every Node; TypeScript where Node strips types (22.18 and later).
      const program = (
        ts: boolean,
      ) => `import { agent, on, otherwise, state, workflow } from "aegis-workflows/builder";
export default workflow("built", {
  agents: { echo: agent.fn((call) => "echo: " + call.prompt) },
  start: "ASK",
  output: "{{ASK.output}}",
  states: {
    ASK: state.agent("echo", { timeout: "1m", prompt: "hi", on: [on("success", "DONE"), otherwise("UNKNOWN")] }),
    DONE: state.final(),
  },
})${ts ? " satisfies Workflow" : ""};
${ts ? 'import type { Workflow } from "aegis-workflows/builder";\n' : ""}`;
      writeFileSync(join(dir, "built.mjs"), program(false));
      const checked = run("npx", ["--no", "aegis", "compile", "--check", "built.mjs"], dir, node);
      expect(checked.status).toBe(1);
      expect(checked.stdout).toContain("built.mjs:7:");
      expect(checked.stdout).toContain("error[AEG201]: transition to unknown state 'UNKNOWN'");
      expect(checked.stderr).not.toMatch(/\n\s+at /);
      writeFileSync(join(dir, "built.mjs"), program(false).replace('"UNKNOWN"', '"DONE"'));
      const ran = run("npx", ["--no", "aegis", "run", "built.mjs"], dir, node);
      expect(ran.stderr).toBe("");
      expect(ran.stdout).toContain("echo: hi");
      expect(ran.status).toBe(0);
      if (!/^v?22\.(1[3-7])\./.test(version)) {
        writeFileSync(join(dir, "built.ts"), program(true).replace('"UNKNOWN"', '"DONE"'));
        const ts = run("npx", ["--no", "aegis", "compile", "--check", "built.ts"], dir, node);
        expect(ts.stdout + ts.stderr).toContain("1 file checked: 0 errors, 0 warnings");
      }
    });

    it("aegis serve starts without a warning (node:sqlite), deploy and workflows talk to it, it serves the web viewer, SIGTERM stops it", async () => {
      const server = spawn(
        join(dir, "node_modules", ".bin", "aegis"),
        ["serve", "--port", "0", "--data", "server-data"],
        {
          cwd: dir,
          env: {
            ...process.env,
            PATH: pathWith(node),
            AEGIS_SERVER: "",
            AEGIS_CACHE_DIR: join(work, "cache"),
          },
        },
      );
      let out = "";
      let err = "";
      server.stdout.setEncoding("utf8").on("data", (c: string) => (out += c));
      server.stderr.setEncoding("utf8").on("data", (c: string) => (err += c));
      const exited = new Promise<number | null>((done) => server.once("exit", done));
      try {
        const url = await new Promise<string>((resolve, reject) => {
          server.stdout.on("data", () => {
            const found = /listening on (http:\/\/\S+)/.exec(out)?.[1];
            if (found) resolve(found);
          });
          void exited.then((code) => reject(new Error(`aegis serve exited ${code}: ${err}`)));
        });
        const deploy = run("npx", ["--no", "aegis", "deploy", hello, "--server", url], dir, node);
        expect(deploy.stderr).toBe("");
        expect(deploy.stdout).toMatch(/^deployed hello [0-9a-f]{12} \(version 1\.0\.0\)/);
        const list = run("npx", ["--no", "aegis", "workflows", "--server", url], dir, node);
        expect(list.stdout).toMatch(/\nhello +[0-9a-f]{12} +1\.0\.0 /);
        expect(list.status).toBe(0);
        // The web viewer, as `npm run build` put it in lib/web/.
        const page = await fetch(`${url}/ui/`);
        expect(page.status).toBe(200);
        const html = await page.text();
        expect(html).toContain('src="./app.js"');
        const script = await fetch(`${url}/ui/app.js`);
        expect([script.status, script.headers.get("content-type")]).toEqual([
          200,
          "text/javascript; charset=utf-8",
        ]);
      } finally {
        server.kill("SIGTERM");
      }
      expect(await exited).toBe(0);
      expect(err).toBe("aegis serve: SIGTERM: stopping\n");
    });

    it("aegis-workflows/compiler compiles, loading neither the runtime nor execa", () => {
      const out = probe(
        dir,
        node,
        "aegis-workflows/compiler",
        `const result = lib.compileFile(${JSON.stringify(hello)});
         out.ok = result.ok;
         out.hash = result.document.hash;`,
      );
      expect(out.ok).toBe(true);
      expect(out.packages).toEqual(expect.arrayContaining(["chevrotain", "graphology", "yaml"]));
      expect(out.packages).not.toContain("execa");
      expect(out.packages).not.toContain("ajv");
      expect(out.files.filter((f) => !f.startsWith("lib/compiler/"))).toEqual([]);
    });

    it("aegis-workflows/runtime runs a graph document, loading neither the parser, Chevrotain nor (with no command to run) execa", () => {
      const document = compile(source).document;
      const out = probe(
        dir,
        node,
        "aegis-workflows/runtime",
        `const engine = lib.createEngine({
           store: new lib.MemoryStore(),
           functions: { f: async () => "done" },
         });
         const run = await engine.start(${JSON.stringify(document)});
         out.status = (await run.result()).status;`,
      );
      expect(out.status).toBe("succeeded");
      expect(out.packages).toEqual(expect.arrayContaining(["ajv", "graphology", "handlebars"]));
      expect(out.packages).not.toContain("execa");
      expect(out.packages).not.toContain("chevrotain");
      expect(out.files).not.toContain("lib/compiler/parse.js");
      expect(out.files).not.toContain("lib/compiler/compile.js");
    });

    it("aegis-workflows/restate serves and starts runs on Restate, apart from the root", () => {
      const out = probe(
        dir,
        node,
        "aegis-workflows/restate",
        `out.names = Object.keys(lib).sort();
         const worker = await lib.startWorker({ port: 0, log: () => {} });
         out.url = worker.url;
         await worker.close();
         const root = await import("aegis-workflows");
         out.inRoot = Object.keys(lib).filter((k) => k in root);`,
      );
      expect(out.names).toEqual([
        "GRAPH_SERVICE",
        "RUN_SERVICE",
        "RestateRuns",
        "graphRegistry",
        "registerWorker",
        "runWorkflow",
        "startWorker",
      ]);
      expect(out.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(out.inRoot).toEqual([]);
      expect(out.packages).toContain("@restatedev/restate-sdk");
    });

    it("aegis-workflows re-exports both entries", () => {
      const out = probe(
        dir,
        node,
        "aegis-workflows",
        `const compiler = await import("aegis-workflows/compiler");
         const runtime = await import("aegis-workflows/runtime");
         out.names = Object.keys(lib);
         out.both = [...new Set([...Object.keys(compiler), ...Object.keys(runtime)])].sort();
         out.different = out.names.filter((k) => lib[k] !== (k in compiler ? compiler[k] : runtime[k]));
         out.ok = lib.compile(${JSON.stringify(source)}).ok;`,
      );
      expect(out.names).toEqual(out.both);
      expect(out.different).toEqual([]);
      expect(out.ok).toBe(true);
    });
  });
}

describe("installed, on Node 20", () => {
  it("aegis says in one line that it needs Node 22.13 or later, exit 2", () => {
    const dir = join(work, `install-${node24.version}`);
    const r = run("npx", ["--no", "aegis", "compile", "--check", hello], dir, node20.node);
    expect(r.stderr).toBe(`aegis needs Node 22.13 or later; this is Node ${node20.version}\n`);
    expect(r.stdout).toBe("");
    expect(r.status).toBe(2);
  });
});

// A program that uses the package's types; each `@ts-expect-error` fails to compile when
// the types it checks are missing (an `any` accepts everything).
const consumer = `import * as aegis from "aegis-workflows";
import { type CompileResult, compile, type Diagnostic } from "aegis-workflows/compiler";
import { createEngine, MemoryStore, type RunRecord } from "aegis-workflows/runtime";
import { otherwise, state, workflow } from "aegis-workflows/builder";

const result: CompileResult = compile("workflow w {}", { filename: "w.aegis" });
const diagnostics: Diagnostic[] = result.diagnostics;
const engine = createEngine({ store: new MemoryStore() });
export async function go(): Promise<RunRecord> {
  const run = await engine.start(result.document);
  return run.result();
}
export const same: typeof compile = aegis.compile;
export const count: number = diagnostics.length;
// @ts-expect-error: compile takes the source text
compile(42);
// @ts-expect-error: a store is a RunStore
createEngine({ store: "runs" });
export const built = workflow("w", {
  start: "A",
  states: {
    // @ts-expect-error: a transition to a state that does not exist
    A: state.branch({ on: [otherwise("B")] }),
    DONE: state.final(),
  },
});
`;

describe("the types", () => {
  it("type-check a program that imports each entry point from the installed package", () => {
    const dir = join(work, `install-${node24.version}`);
    const program = join(dir, "program.mts");
    writeFileSync(program, consumer);
    const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
    const r = run(
      node24.node,
      [
        tsc,
        "--noEmit",
        "--strict",
        "--module",
        "nodenext",
        "--moduleResolution",
        "nodenext",
        "--target",
        "es2023",
        "--types",
        "node",
        "--typeRoots",
        join(root, "node_modules", "@types"),
        program,
      ],
      dir,
      node24.node,
    );
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });
});
