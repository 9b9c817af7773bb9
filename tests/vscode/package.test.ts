// The VS Code extension as it ships: scripts/package-vscode.ts run into a temporary
// directory, its .vsix opened, the manifest's contributions and every file they name found
// in it, the client bundle loadable, and the bundled aegis, unpacked, answering --version
// and an editor's first messages over stdio.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createProtocolConnection,
  type InitializeResult,
  type PublishDiagnosticsParams,
  StreamMessageReader,
  StreamMessageWriter,
} from "vscode-languageserver-protocol/node";
import { VERSION } from "../../src/cli/usage.ts";
import { readZip } from "./zip.ts";

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, "../..");

const dir = mkdtempSync(join(tmpdir(), "aegis-vscode-"));
const vsix = join(dir, "aegis-workflows.vsix");
const unpacked = join(dir, "unpacked");
const children: ChildProcess[] = [];
let entries: Map<string, Buffer>;
let manifest: {
  name: string;
  publisher: string;
  main: string;
  engines: { vscode: string };
  activationEvents: string[];
  contributes: {
    languages: { id: string; extensions: string[]; configuration: string }[];
    grammars: { language: string; scopeName: string; path: string }[];
    yamlValidation: { fileMatch: string[]; url: string }[];
    configuration: { properties: Record<string, unknown> };
  };
};

/** The path of a file of the extension inside the .vsix. */
const inVsix = (path: string) => `extension/${path.replace(/^\.\//, "")}`;

beforeAll(async () => {
  await run(
    process.execPath,
    [join(ROOT, "scripts/package-vscode.ts"), vsix, "--build-dir", join(dir, "build")],
    { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 },
  );
  entries = readZip(vsix);
  for (const [name, data] of entries) {
    if (name.endsWith("/")) continue;
    mkdirSync(dirname(join(unpacked, name)), { recursive: true });
    writeFileSync(join(unpacked, name), data);
  }
  manifest = JSON.parse(entries.get("extension/package.json")!.toString("utf8"));
});

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill();
  rmSync(dir, { recursive: true, force: true });
});

describe("the .vsix", () => {
  it("has the manifest, with the aegis language, its grammar and the YAML schemas", () => {
    expect(manifest).toMatchObject({
      name: "aegis-workflows",
      publisher: "aegis",
      main: "./out/extension.js",
    });
    expect(manifest.engines.vscode).toMatch(/^\^1\.\d+\.\d+$/);
    expect(manifest.activationEvents).toContain("onLanguage:aegis");
    const { languages, grammars, yamlValidation, configuration } = manifest.contributes;
    expect(languages).toContainEqual(
      expect.objectContaining({ id: "aegis", extensions: [".aegis"] }),
    );
    expect(grammars).toContainEqual(
      expect.objectContaining({ language: "aegis", scopeName: "source.aegis" }),
    );
    expect(yamlValidation.map((v) => v.url).sort()).toEqual([
      "./grammar/aegis-manifest.schema.json",
      "./grammar/agentos-workflow.schema.json",
    ]);
    expect(Object.keys(configuration.properties).sort()).toEqual([
      "aegis.server.path",
      "aegis.trace.server",
    ]);
  });

  it("holds every file the manifest names: main, language configuration, grammar, schemas", () => {
    const named = [
      manifest.main,
      ...manifest.contributes.languages.map((l) => l.configuration),
      ...manifest.contributes.grammars.map((g) => g.path),
      ...manifest.contributes.yamlValidation.map((v) => v.url),
    ];
    for (const path of named) expect(entries.has(inVsix(path)), path).toBe(true);
    // The grammar and schemas are grammar/'s own, copied at build time.
    for (const file of [
      "aegis.tmLanguage.json",
      "aegis-manifest.schema.json",
      "agentos-workflow.schema.json",
    ])
      expect(JSON.parse(entries.get(`extension/grammar/${file}`)!.toString("utf8"))).toEqual(
        createRequire(import.meta.url)(join(ROOT, "grammar", file)),
      );
    const configuration = JSON.parse(
      entries.get("extension/language-configuration.json")!.toString("utf8"),
    );
    expect(configuration.comments).toEqual({ lineComment: "//", blockComment: ["/*", "*/"] });
  });

  it("holds the bundled aegis, laid out as the npm package (bin/ beside lib/bundle/)", () => {
    for (const path of [
      "server/bin/aegis.js",
      "server/bin/bundle-loader.js",
      "server/lib/bundle/commands.json",
      "server/lib/bundle/main.cjs",
    ])
      expect(entries.has(inVsix(path)), path).toBe(true);
    const commands = JSON.parse(entries.get(inVsix("server/lib/bundle/commands.json"))!.toString());
    for (const script of new Set(Object.values(commands) as string[]))
      expect(entries.has(inVsix(`server/lib/bundle/${script}.cjs`)), script).toBe(true);
  });

  it("leaves out the client's sources, its development files and any node_modules", () => {
    const names = [...entries.keys()];
    expect(names.filter((n) => n.includes("node_modules/"))).toEqual([]);
    expect(names.filter((n) => n.startsWith("extension/src/"))).toEqual([]);
    for (const file of ["tsconfig.json", "biome.json", ".vscode/launch.json", ".gitignore"])
      expect(entries.has(inVsix(file)), file).toBe(false);
  });
});

describe("the client bundle", () => {
  it("is a CommonJS module that takes vscode from the editor and exports activate", () => {
    const requireFromTest = createRequire(import.meta.url);
    const Module = requireFromTest("node:module") as {
      _load: (request: string, ...rest: unknown[]) => unknown;
    };
    // A stand-in for the editor's `vscode` module: the names @types/vscode declares, each a
    // value that can be called, constructed, extended and read from (the bundle calls nothing
    // before activate, but its classes extend vscode's).
    const anything: unknown = new Proxy(class {}, {
      get: (target, key) => (key === "prototype" ? target.prototype : anything),
      apply: () => anything,
    });
    const declarations = readFileSync(join(ROOT, "node_modules/@types/vscode/index.d.ts"), "utf8");
    const vscode = Object.fromEntries(
      [
        ...declarations.matchAll(/^\s*export (?:class|enum|namespace|const|let|function) (\w+)/gm),
      ].map((m) => [m[1], anything]),
    );
    const load = Module._load;
    const requested: string[] = [];
    Module._load = (request, ...rest) => {
      if (request === "vscode") {
        requested.push(request);
        return vscode;
      }
      return load(request, ...rest);
    };
    try {
      const client = requireFromTest(join(unpacked, "extension/out/extension.js"));
      expect(typeof client.activate).toBe("function");
      expect(typeof client.deactivate).toBe("function");
    } finally {
      Module._load = load;
    }
    expect(requested).toContain("vscode");
  });
});

describe("the bundled aegis, unpacked", () => {
  const aegis = () => join(unpacked, "extension/server/bin/aegis.js");
  // The bundle's code cache goes to the temporary directory, not the user's.
  const env = () => ({ ...process.env, AEGIS_CACHE_DIR: join(dir, "cache") });

  it("answers --version", async () => {
    const { stdout } = await run(process.execPath, [aegis(), "--version"], {
      cwd: unpacked,
      env: env(),
    });
    expect(stdout.trim()).toBe(VERSION);
  });

  it("serves `lsp --stdio`: initializes and reports a mistake in an opened file", async () => {
    const child = spawn(process.execPath, [aegis(), "lsp", "--stdio"], {
      cwd: unpacked,
      env: env(),
      stdio: ["pipe", "pipe", "pipe"],
    });
    children.push(child);
    let stderr = "";
    child.stderr!.on("data", (d) => (stderr += d));
    const exited = new Promise<number | null>((done) => child.once("exit", done));
    const connection = createProtocolConnection(
      new StreamMessageReader(child.stdout!),
      new StreamMessageWriter(child.stdin!),
    );
    const uri = pathToFileURL(join(dir, "broken.aegis")).href;
    const diagnostics = new Promise<PublishDiagnosticsParams>((done) =>
      connection.onNotification(
        "textDocument/publishDiagnostics",
        (p: PublishDiagnosticsParams) => {
          if (p.uri === uri) done(p);
        },
      ),
    );
    connection.listen();
    try {
      const result: InitializeResult = await connection.sendRequest("initialize", {
        processId: process.pid,
        rootUri: null,
        capabilities: {},
      });
      expect(result.serverInfo?.name, stderr).toBe("aegis");
      await connection.sendNotification("initialized", {});
      await connection.sendNotification("textDocument/didOpen", {
        textDocument: {
          uri,
          languageId: "aegis",
          version: 1,
          text: 'workflow w {\n  start A\n  state A = run "true" {\n    on success -> NOWHERE\n  }\n}\n',
        },
      });
      const published = await Promise.race([
        diagnostics,
        exited.then((code) => {
          throw new Error(`aegis lsp exited (${code}): ${stderr}`);
        }),
      ]);
      expect(published.diagnostics.length).toBeGreaterThan(0);
      expect(published.diagnostics.map((d) => d.message).join("\n")).toContain("NOWHERE");
      await connection.sendRequest("shutdown");
      await connection.sendNotification("exit");
      expect(await exited).toBe(0);
    } finally {
      connection.dispose();
    }
  });
});
