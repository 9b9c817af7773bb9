// `aegis lsp` as an editor drives it: a real protocol client over stdio opens a document
// with mistakes, edits it, and asks what editors ask: diagnostics (the compiler's, with
// codes and related places), hover, definition, references, rename, completion, outline,
// folding, formatting and quick fixes.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tokenTypes } from "../../src/lsp/tokens.ts";
import { type Editor, startEditor } from "./helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "aegis-lsp-"));
const file = join(dir, "review.aegis");
const uri = pathToFileURL(file).href;
const source = `workflow review {
  input branch: string "The branch to review"
  agent bot = command("cat")

  start CHECKOUT

  state CHECKOUT = run "git checkout {{input.branch}}" timeout 1m {
    on exit 0 -> REVIEW
    otherwise -> FAILD
  }

  state REVIEW = agent bot timeout 1m {
    prompt "Review {{input.branch}}: {{CHECKOUT.stdout}}"
    on success -> DONE
    otherwise -> FAILED
  }

  final DONE
  final FAILED failure
}
`;
writeFileSync(file, source);

let editor: Editor;
beforeAll(async () => {
  editor = await startEditor(dir, dir);
});
afterAll(async () => {
  await editor.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The position of the `nth` occurrence of `text` (0-based line and character). */
function positionOf(text: string, nth = 0, within = source) {
  let at = -1;
  for (let i = 0; i <= nth; i++) at = within.indexOf(text, at + 1);
  const before = within.slice(0, at);
  const line = before.split("\n").length - 1;
  return { line, character: at - before.lastIndexOf("\n") - 1 };
}

describe("aegis lsp", () => {
  it("publishes the compiler's findings as the document opens, with codes", async () => {
    await editor.connection.sendNotification("textDocument/didOpen", {
      textDocument: { uri, languageId: "aegis", version: 1, text: source },
    });
    const { diagnostics } = await editor.diagnostics(uri, 1);
    const found = diagnostics.map((d) => [d.code, d.range.start.line + 1, d.source]);
    expect(found).toContainEqual(["AEG201", 9, "aegis"]);
    expect(found).toContainEqual(["AEG606", 7, "aegis"]);
    const unknown = diagnostics.find((d) => d.code === "AEG201")!;
    expect(unknown.range.start).toEqual(positionOf("FAILD"));
    expect(unknown.message).toContain("did you mean 'FAILED'?");
  });

  it("offers the fixes: the misspelt name, the missing quote, a suppression", async () => {
    const { diagnostics } = await (async () => {
      await editor.connection.sendNotification("textDocument/didChange", {
        textDocument: { uri, version: 2 },
        contentChanges: [{ text: source }],
      });
      return editor.diagnostics(uri, 2);
    })();
    const actions = (await editor.connection.sendRequest("textDocument/codeAction", {
      textDocument: { uri },
      range: diagnostics[0]!.range,
      context: { diagnostics },
    })) as { title: string; edit: { changes: Record<string, { newText: string }[]> } }[];
    const titles = actions.map((a) => a.title);
    expect(titles).toContain("Change to 'FAILED'");
    expect(titles).toContain("Quote it for the shell ({{quote …}})");
    expect(titles).toContain("Ignore AEG201 here");
    const fix = actions.find((a) => a.title === "Change to 'FAILED'")!;
    expect(fix.edit.changes[uri]).toEqual([expect.objectContaining({ newText: "FAILED" })]);
  });

  it("an edit that fixes the mistake clears its finding", async () => {
    const at = positionOf("FAILD");
    await editor.connection.sendNotification("textDocument/didChange", {
      textDocument: { uri, version: 3 },
      contentChanges: [
        {
          range: { start: at, end: { line: at.line, character: at.character + 5 } },
          text: "FAILED",
        },
      ],
    });
    const { diagnostics } = await editor.diagnostics(uri, 3);
    expect(diagnostics.map((d) => d.code)).toEqual(["AEG606"]);
  });

  const fixed = source.replace("FAILD", "FAILED");

  it("hover: a state, an input, an agent, and whether a state has run where it is read", async () => {
    const hover = async (text: string, nth = 0) =>
      (
        (await editor.connection.sendRequest("textDocument/hover", {
          textDocument: { uri },
          position: positionOf(text, nth, fixed),
        })) as { contents: { value: string } } | null
      )?.contents.value;
    expect(await hover("REVIEW = agent")).toContain("**state REVIEW**: agent");
    expect(await hover("REVIEW = agent")).toContain("timeout 1m");
    expect(await hover("REVIEW = agent")).toContain("worst case: 1 visit a run, 1m");
    expect(await hover("branch: string")).toContain("**input branch**: `string` (required)");
    expect(await hover("bot = command")).toContain("**agent bot**: command");
    expect(await hover("CHECKOUT.stdout")).toContain("has run on every path to REVIEW");
  });

  it("definition and references of a state, across transitions, start and templates", async () => {
    const definition = (await editor.connection.sendRequest("textDocument/definition", {
      textDocument: { uri },
      position: positionOf("REVIEW", 0, fixed),
    })) as { range: { start: unknown } }[];
    expect(definition[0]!.range.start).toEqual(positionOf("REVIEW = agent", 0, fixed));
    const references = (await editor.connection.sendRequest("textDocument/references", {
      textDocument: { uri },
      position: positionOf("CHECKOUT = run", 0, fixed),
      context: { includeDeclaration: true },
    })) as { range: { start: { line: number } } }[];
    expect(references.map((r) => r.range.start.line + 1).sort((a, b) => a - b)).toEqual([5, 7, 13]);
  });

  it("rename of an input changes its declaration and every template that reads it", async () => {
    const edit = (await editor.connection.sendRequest("textDocument/rename", {
      textDocument: { uri },
      position: positionOf("branch: string", 0, fixed),
      newName: "ref",
    })) as { changes: Record<string, { range: { start: { line: number } }; newText: string }[]> };
    const edits = edit.changes[uri]!;
    expect(edits.map((e) => [e.range.start.line + 1, e.newText])).toEqual([
      [2, "ref"],
      [7, "ref"],
      [13, "ref"],
    ]);
  });

  it("completion: states after ->, inputs after input., a state's fields, providers", async () => {
    const complete = async (text: string) => {
      const doc = `${fixed}\n${text}`;
      const lines = doc.split("\n");
      await editor.connection.sendNotification("textDocument/didChange", {
        textDocument: { uri, version: 10 + text.length },
        contentChanges: [{ text: doc }],
      });
      const items = (await editor.connection.sendRequest("textDocument/completion", {
        textDocument: { uri },
        position: { line: lines.length - 1, character: lines.at(-1)!.length },
      })) as { label: string }[];
      return items.map((i) => i.label);
    };
    expect(await complete("    on success -> ")).toEqual(
      expect.arrayContaining(["CHECKOUT", "REVIEW", "DONE", "FAILED"]),
    );
    expect(await complete('    prompt "{{input.')).toEqual(["branch"]);
    expect(await complete('    prompt "{{CHECKOUT.')).toContain("stdout");
    expect(await complete("  agent other = ")).toContain("claude");
    expect(await complete('  agent other = claude(model: "m", ')).toEqual(
      expect.arrayContaining(["permission", "effort"]),
    );
    expect(await complete('  agent other = claude(model: "m", ')).not.toContain("model");
    expect(await complete("  agent other = claude(permission: ")).toEqual([
      '"read"',
      '"write"',
      '"full"',
      '"auto"',
    ]);
    await editor.connection.sendNotification("textDocument/didChange", {
      textDocument: { uri, version: 100 },
      contentChanges: [{ text: fixed }],
    });
  });

  it("outline, folding and formatting", async () => {
    const symbols = (await editor.connection.sendRequest("textDocument/documentSymbol", {
      textDocument: { uri },
    })) as { name: string; children: { name: string; detail: string }[] }[];
    expect(symbols[0]!.name).toBe("review");
    expect(symbols[0]!.children.map((c) => `${c.name} ${c.detail}`)).toEqual([
      "branch input",
      "bot agent = command",
      "CHECKOUT run",
      "REVIEW agent",
      "DONE final success",
      "FAILED final failure",
    ]);
    const folds = (await editor.connection.sendRequest("textDocument/foldingRange", {
      textDocument: { uri },
    })) as { startLine: number; endLine: number }[];
    expect(folds).toContainEqual({ startLine: 6, endLine: 9 });
    const messy = fixed.replace("  start CHECKOUT", "      start    CHECKOUT");
    await editor.connection.sendNotification("textDocument/didChange", {
      textDocument: { uri, version: 101 },
      contentChanges: [{ text: messy }],
    });
    const edits = (await editor.connection.sendRequest("textDocument/formatting", {
      textDocument: { uri },
      options: { tabSize: 2, insertSpaces: true },
    })) as { newText: string }[];
    expect(edits).toHaveLength(1);
    expect(edits[0]!.newText).toContain("\n  start CHECKOUT\n");
  });

  it("semantic tokens: keywords, strings, and each name as what it is declared", async () => {
    const legend = tokenTypes;
    const { data } = (await editor.connection.sendRequest("textDocument/semanticTokens/full", {
      textDocument: { uri },
    })) as { data: number[] };
    // Decode the relative encoding back to (line, character, length, type, declaration).
    const tokens: { text: string; type: string; declaration: boolean }[] = [];
    const lines = fixed.split("\n");
    let line = 0;
    let char = 0;
    for (let i = 0; i < data.length; i += 5) {
      line += data[i]!;
      char = data[i]! === 0 ? char + data[i + 1]! : data[i + 1]!;
      tokens.push({
        text: lines[line]!.slice(char, char + data[i + 2]!),
        type: legend[data[i + 3]!]!,
        declaration: data[i + 4] === 1,
      });
    }
    expect(tokens).toContainEqual({ text: "workflow", type: "keyword", declaration: false });
    expect(tokens).toContainEqual({ text: "CHECKOUT", type: "class", declaration: true });
    expect(tokens).toContainEqual({ text: "REVIEW", type: "class", declaration: false });
    expect(tokens).toContainEqual({ text: "bot", type: "interface", declaration: true });
    expect(tokens).toContainEqual({ text: "branch", type: "parameter", declaration: true });
    expect(tokens).toContainEqual({
      text: '"The branch to review"',
      type: "string",
      declaration: false,
    });
    expect(tokens).toContainEqual({ text: "1m", type: "number", declaration: false });
  });

  it("a YAML workflow gets the compiler's findings; other YAML gets none", async () => {
    const yamlUri = pathToFileURL(join(dir, "flow.yaml")).href;
    const workflow = [
      "id: flow",
      "name: Flow",
      "steps:",
      "  - id: first",
      "    agent: writer",
      "    prompt: Write {{nope}}",
      "",
    ].join("\n");
    await editor.connection.sendNotification("textDocument/didOpen", {
      textDocument: { uri: yamlUri, languageId: "yaml", version: 1, text: workflow },
    });
    const { diagnostics } = await editor.diagnostics(yamlUri, 1);
    expect(diagnostics.length).toBeGreaterThan(0);
    expect(
      diagnostics.every((d) => d.source === "aegis" && /^AEG\d{3}$/.test(String(d.code))),
    ).toBe(true);
    const ciUri = pathToFileURL(join(dir, "ci.yml")).href;
    await editor.connection.sendNotification("textDocument/didOpen", {
      textDocument: { uri: ciUri, languageId: "yaml", version: 1, text: "on: push\njobs: {}\n" },
    });
    expect((await editor.diagnostics(ciUri, 1)).diagnostics).toEqual([]);
  });
});

describe("aegis lsp across files", () => {
  it("a subworkflow's input goes to its declaration in the imported file; the import path to the file", async () => {
    const child = join(dir, "child.aegis");
    writeFileSync(
      child,
      'workflow child {\n  input topic: string "What to summarise"\n  start DONE\n  final DONE\n}\n',
    );
    const parentUri = pathToFileURL(join(dir, "parent.aegis")).href;
    const parent = [
      'import "child.aegis" as kid',
      "",
      "workflow parent {",
      "  start CALL",
      "  state CALL = subworkflow kid timeout 1m {",
      '    input { topic: "the news" }',
      "    on success -> DONE",
      "    otherwise -> DONE",
      "  }",
      "  final DONE",
      "}",
      "",
    ].join("\n");
    await editor.connection.sendNotification("textDocument/didOpen", {
      textDocument: { uri: parentUri, languageId: "aegis", version: 1, text: parent },
    });
    await editor.diagnostics(parentUri, 1);
    const toInput = (await editor.connection.sendRequest("textDocument/definition", {
      textDocument: { uri: parentUri },
      position: positionOf("topic", 0, parent),
    })) as { uri: string; range: { start: { line: number; character: number } } }[];
    expect(toInput).toEqual([
      expect.objectContaining({
        uri: pathToFileURL(child).href,
        range: expect.objectContaining({ start: { line: 1, character: 8 } }),
      }),
    ]);
    const hover = (await editor.connection.sendRequest("textDocument/hover", {
      textDocument: { uri: parentUri },
      position: positionOf("topic", 0, parent),
    })) as { contents: { value: string } };
    expect(hover.contents.value).toContain("**input topic** of subworkflow `kid`: `string`");
    const toFile = (await editor.connection.sendRequest("textDocument/definition", {
      textDocument: { uri: parentUri },
      position: positionOf("child.aegis", 0, parent),
    })) as { uri: string }[];
    expect(toFile.map((l) => l.uri)).toEqual([pathToFileURL(child).href]);
    const toImport = (await editor.connection.sendRequest("textDocument/definition", {
      textDocument: { uri: parentUri },
      position: positionOf("kid timeout", 0, parent),
    })) as { range: { start: unknown } }[];
    expect(toImport[0]!.range.start).toEqual(positionOf("kid", 0, parent));

    // References of the child's input: the open parent, and a workflow of the workspace
    // that is not open; a rename changes them all.
    writeFileSync(join(dir, "other.aegis"), parent.replace("workflow parent", "workflow other"));
    const childUri = pathToFileURL(child).href;
    const childText = readFileSync(child, "utf8");
    await editor.connection.sendNotification("textDocument/didOpen", {
      textDocument: { uri: childUri, languageId: "aegis", version: 1, text: childText },
    });
    await editor.diagnostics(childUri, 1);
    const references = (await editor.connection.sendRequest("textDocument/references", {
      textDocument: { uri: childUri },
      position: positionOf("topic", 0, childText),
      context: { includeDeclaration: true },
    })) as { uri: string; range: { start: { line: number } } }[];
    expect(references.map((r) => [r.uri.split("/").pop(), r.range.start.line + 1]).sort()).toEqual([
      ["child.aegis", 2],
      ["other.aegis", 6],
      ["parent.aegis", 6],
    ]);
    const renamed = (await editor.connection.sendRequest("textDocument/rename", {
      textDocument: { uri: childUri },
      position: positionOf("topic", 0, childText),
      newName: "subject",
    })) as { changes: Record<string, { newText: string }[]> };
    expect(
      Object.keys(renamed.changes)
        .map((u) => u.split("/").pop())
        .sort(),
    ).toEqual(["child.aegis", "other.aegis", "parent.aegis"]);
  });
});

describe("aegis lsp on a broken document", () => {
  it("answers every request on text that does not parse, and never fails one", async () => {
    const brokenUri = pathToFileURL(join(dir, "broken.aegis")).href;
    const text =
      'workflow broken {\n  start A\n  state A = agent {\n    prompt "{{input.\n    on -> \n  }\n  state = \n';
    await editor.connection.sendNotification("textDocument/didOpen", {
      textDocument: { uri: brokenUri, languageId: "aegis", version: 1, text },
    });
    const { diagnostics } = await editor.diagnostics(brokenUri, 1);
    expect(diagnostics.some((d) => d.code === "AEG101" || d.code === "AEG100")).toBe(true);
    const lines = text.split("\n");
    for (let line = 0; line < lines.length; line++) {
      for (const character of [0, 3, lines[line]!.length]) {
        const at = { textDocument: { uri: brokenUri }, position: { line, character } };
        await editor.connection.sendRequest("textDocument/hover", at);
        await editor.connection.sendRequest("textDocument/definition", at);
        await editor.connection.sendRequest("textDocument/completion", at);
        await editor.connection.sendRequest("textDocument/references", {
          ...at,
          context: { includeDeclaration: true },
        });
      }
    }
    for (const method of [
      "textDocument/documentSymbol",
      "textDocument/foldingRange",
      "textDocument/semanticTokens/full",
    ])
      await editor.connection.sendRequest(method, { textDocument: { uri: brokenUri } });
    const formatted = await editor.connection.sendRequest("textDocument/formatting", {
      textDocument: { uri: brokenUri },
      options: { tabSize: 2, insertSpaces: true },
    });
    // A file that does not parse is not formatted (its text would lose what did not parse).
    expect(formatted).toEqual([]);
  });
});
