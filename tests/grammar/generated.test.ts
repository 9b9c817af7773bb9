// The generated documentation (npm run grammar) must match the committed files, cover the
// whole grammar and catalogue, and work offline; the language reference's examples must
// compile.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import vm from "node:vm";
import { describe, expect, it } from "vitest";
import { explanations, generateDocs } from "../../scripts/generate-grammar-docs.ts";
import { compile } from "../../src/compiler/compile.ts";
import { type Code, catalogue } from "../../src/compiler/diagnostics.ts";
import { keywords } from "../../src/compiler/lexer.ts";
import { getParser } from "../../src/compiler/parser.ts";
import { providers } from "../../src/compiler/providers.ts";
import { functions, helpers } from "../../src/compiler/vocabulary.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const read = (path: string) => readFileSync(join(root, path), "utf8");
const generated = generateDocs();
const railroad = generated["grammar/railroad.html"]!;
const diagnostics = generated["docs/diagnostics.md"]!;
const ruleNames = Object.keys(getParser().getGAstProductions());

describe("generated documentation", () => {
  it("is deterministic", () => {
    expect(generateDocs()).toEqual(generated);
  });

  for (const path of Object.keys(generated)) {
    it(`${path} is up to date`, () => {
      const stale = `${path} is out of date: run \`npm run grammar\` and commit the result`;
      expect(existsSync(join(root, path)), stale).toBe(true);
      expect(read(path) === generated[path], stale).toBe(true);
    });
  }
});

describe("grammar/railroad.html", () => {
  it("has a diagram for every parser rule", () => {
    expect(ruleNames.length).toBeGreaterThan(10);
    for (const rule of ruleNames) expect(railroad, `rule ${rule}`).toContain(`"name": "${rule}"`);
  });

  it("loads only files that exist under grammar/", () => {
    const refs = [
      ...railroad.matchAll(/<(?:script[^>]*\ssrc|link[^>]*\shref)=['"]([^'"]+)['"]/g),
    ].map((m) => m[1]!);
    expect(refs.length).toBe(5);
    for (const ref of refs) {
      expect(ref, "no remote resources: the page must work offline").not.toMatch(/^[a-z]+:|^\/\//i);
      expect(existsSync(join(root, "grammar", ref)), `grammar/${ref}`).toBe(true);
    }
  });

  it("renders one diagram per rule with the vendored scripts", () => {
    const grammar = /window\.serializedGrammar = ([\s\S]*?);\n<\/script>/.exec(railroad)?.[1];
    expect(grammar).toBeDefined();
    const context = vm.createContext({});
    for (const file of ["vendor/railroad-diagrams.js", "src/diagrams_builder.js"]) {
      vm.runInContext(read(`grammar/diagrams/${file}`), context, { filename: file });
    }
    const builder = context.diagrams_builder as { buildSyntaxDiagramsText(g: unknown): string };
    const html = builder.buildSyntaxDiagramsText(JSON.parse(grammar!));
    expect(html.match(/<svg/g)?.length).toBe(ruleNames.length);
    expect(html).not.toContain("NOT_APPLICABLE");
  });
});

describe("docs/diagnostics.md", () => {
  const codes = Object.keys(catalogue) as Code[];

  it("lists every code with an anchor, its rule and its summary", () => {
    for (const code of codes) {
      expect(diagnostics).toContain(`<a id="${code.toLowerCase()}"></a>`);
      expect(diagnostics).toContain(`### ${code} \`${catalogue[code].rule}\``);
      expect(diagnostics).toContain(catalogue[code].summary);
    }
  });

  for (const [code, explanation] of Object.entries(explanations)) {
    it(`the example of ${code} reports it, and its fix compiles cleanly`, () => {
      const bad = compile(explanation!.bad, { filename: "bad.aegis" });
      expect(bad.diagnostics.map((d) => d.code)).toContain(code);
      const good = compile(explanation!.good, { filename: "good.aegis" });
      expect(good.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([]);
    });
  }
});

describe("grammar/README.md", () => {
  const readme = read("grammar/README.md");

  /** Fenced aegis blocks that are whole files: they start with `workflow` or `import`. */
  const examples = [...readme.matchAll(/^```aegis\n([\s\S]*?)^```$/gm)]
    .map((m) => ({ text: m[1]!, line: readme.slice(0, m.index).split("\n").length + 1 }))
    .filter((e) =>
      /^(?:import|workflow)\b/.test(e.text.replace(/^(?:\s*(?:\/\/|#).*\n)*/, "").trimStart()),
    );

  it("has complete examples", () => {
    expect(examples.length).toBeGreaterThan(10);
  });

  for (const example of examples) {
    it(`the example at line ${example.line} compiles without findings`, () => {
      // Imported files are stand-ins: the example is about the importing workflow.
      const stub = (
        path: string,
      ) => `workflow ${path.replace(/^.*\/|\.aegis$/g, "").replace(/\W/g, "_")} {
        input repo?: string
        start OK
        final OK
      }`;
      const result = compile(example.text, {
        filename: join(root, "grammar/example.aegis"),
        readFile: stub,
      });
      expect(result.diagnostics.map((d) => `${d.line}:${d.column} ${d.code} ${d.message}`)).toEqual(
        [],
      );
    });
  }

  it("links to the diagrams, the diagnostics and the editor grammar", () => {
    for (const link of ["railroad.html", "../docs/diagnostics.md", "aegis.tmLanguage.json"]) {
      expect(readme).toContain(`](${link}`);
      expect(existsSync(join(root, "grammar", link.replace(/#.*$/, "")))).toBe(true);
    }
  });

  it("links only to sections that exist", () => {
    // GitHub's heading anchors: lower case, punctuation dropped, spaces become hyphens.
    const withoutCode = readme.replace(/^```[\s\S]*?^```$/gm, "");
    const anchors = new Set(
      [...withoutCode.matchAll(/^#{1,6} (.+)$/gm)].map((m) =>
        m[1]!
          .toLowerCase()
          .replace(/[^\p{L}\p{N} _-]/gu, "")
          .replace(/ /g, "-"),
      ),
    );
    const links = [...withoutCode.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]!);
    expect(links.length).toBeGreaterThan(20);
    for (const link of links) expect(anchors, `#${link}`).toContain(link);
    const codes = [...readme.matchAll(/diagnostics\.md#(aeg\d{3})/g)].map((m) =>
      m[1]!.toUpperCase(),
    );
    for (const code of codes) expect(Object.keys(catalogue)).toContain(code);
  });

  it("documents every keyword, provider option, helper and function", () => {
    // What the README shows as code: fenced blocks and `inline code`.
    const code = [...readme.matchAll(/^```[a-z]*\n([\s\S]*?)^```$|`([^`\n]+)`/gm)]
      .map((m) => m[1] ?? m[2])
      .join("\n");
    for (const word of keywords)
      expect(code, `keyword ${word}`).toMatch(new RegExp(`(?<![\\w-])${word}(?![\\w-])`));
    for (const [name, info] of Object.entries(providers)) {
      expect(readme, `provider ${name}`).toContain(`\`${name}(`);
      for (const option of Object.keys(info.options))
        expect(readme, `${name} option ${option}`).toContain(`\`${option}`);
    }
    for (const helper of Object.keys(helpers))
      expect(readme, `helper ${helper}`).toContain(`\`${helper}\``);
    for (const fn of Object.keys(functions)) expect(readme, `function ${fn}`).toContain(`\`${fn}(`);
  });
});
