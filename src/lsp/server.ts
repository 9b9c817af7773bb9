// `aegis lsp`: the language server (the Language Server Protocol, over stdio or any
// streams) for .aegis files and the two YAML workflow dialects, on the maintained
// vscode-languageserver libraries. Every edit compiles the document with the compiler the
// command line uses: the findings are `aegis compile --check`'s, with their codes, related
// places and fixes. Only open documents are kept (bounded memory over a long session).
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  CodeActionKind,
  CompletionItemKind,
  type Connection,
  createConnection,
  DiagnosticSeverity,
  type InitializeResult,
  type Location,
  type Diagnostic as LspDiagnostic,
  type Range,
  SymbolKind,
  TextDocumentSyncKind,
  TextDocuments,
  type TextEdit,
} from "vscode-languageserver/node";
import { TextDocument } from "vscode-languageserver-textdocument";
import { expandFiles } from "../cli/files.ts";
import type { Span } from "../compiler/ast.ts";
import type { Diagnostic } from "../compiler/diagnostics.ts";
import { formatSource } from "../compiler/emit/aegis.ts";
import { IncrementalParser } from "../compiler/incremental-parse.ts";
import { isName } from "../compiler/lexer.ts";
import { looksLikeWorkflowYaml } from "../compiler/yaml/files.ts";
import { Analysis, type NameKind } from "./analysis.ts";
import { type CompletionKind, completions } from "./completion.ts";
import { hoverText } from "./hover.ts";
import { foldingSpans, type OutlineItem, outline } from "./outline.ts";
import { semanticTokens, tokenModifiers, tokenTypes } from "./tokens.ts";

const yamlFile = /\.ya?ml$/i;

/** The file a document is, for the compiler (its imports are read beside it). */
function fileOf(uri: string): string {
  return uri.startsWith("file:") ? fileURLToPath(uri) : uri;
}

function rangeOf(doc: TextDocument, span: Span): Range {
  return { start: doc.positionAt(span.start), end: doc.positionAt(span.end) };
}

const severities = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
} as const;

function lspDiagnostic(d: Diagnostic, doc: TextDocument): LspDiagnostic {
  return {
    range: rangeOf(doc, { start: d.offset, end: d.endOffset }),
    severity: severities[d.severity],
    code: d.code,
    source: "aegis",
    message: d.hint ? `${d.message}\n${d.hint}` : d.message,
    data: { rule: d.rule, ...(d.hint && { hint: d.hint }) },
    relatedInformation: d.related.map((r) => ({
      location: {
        uri: pathToFileURL(resolve(r.file)).href,
        range: {
          start: { line: r.line - 1, character: r.column - 1 },
          end: { line: r.endLine - 1, character: r.endColumn - 1 },
        },
      },
      message: r.message,
    })),
  };
}

const completionKinds: Record<CompletionKind, CompletionItemKind> = {
  keyword: CompletionItemKind.Keyword,
  state: CompletionItemKind.Class,
  agent: CompletionItemKind.Interface,
  input: CompletionItemKind.Variable,
  field: CompletionItemKind.Field,
  provider: CompletionItemKind.Module,
  helper: CompletionItemKind.Function,
};

const symbolKinds: Record<OutlineItem["kind"], SymbolKind> = {
  workflow: SymbolKind.Module,
  input: SymbolKind.Variable,
  agent: SymbolKind.Interface,
  state: SymbolKind.Class,
  context: SymbolKind.Field,
};

export interface LanguageServer {
  connection: Connection;
  /** The analysis of an open document (tests, benchmarks). */
  analysis(uri: string): Analysis | undefined;
}

/** Starts the server on `connection` (default: this process's stdio). */
export function startLanguageServer(connection: Connection = createConnection()): LanguageServer {
  const documents = new TextDocuments(TextDocument);
  const analyses = new Map<string, Analysis>();
  const parsers = new Map<string, IncrementalParser>();
  const pending = new Map<string, NodeJS.Immediate>();

  /** The document's analysis, compiled now if the text changed since. */
  const analysisOf = (doc: TextDocument): Analysis | undefined => {
    const file = fileOf(doc.uri);
    if (yamlFile.test(file) && !looksLikeWorkflowYaml(doc.getText())) return undefined;
    const known = analyses.get(doc.uri);
    if (known && known.text === doc.getText()) return known;
    let parser = parsers.get(doc.uri);
    if (!parser && !yamlFile.test(file)) {
      parser = new IncrementalParser(file);
      parsers.set(doc.uri, parser);
    }
    const fresh = new Analysis(doc.uri, file, doc.getText(), parser);
    analyses.set(doc.uri, fresh);
    return fresh;
  };

  /** A file of the workspace that is not open, read from disk. */
  const analysisOfFile = (path: string): Analysis | undefined => {
    try {
      return new Analysis(pathToFileURL(path).href, path, readFileSync(path, "utf8"));
    } catch {
      return undefined;
    }
  };

  const publish = (doc: TextDocument) => {
    const a = analysisOf(doc);
    const diagnostics = a
      ? a.result.diagnostics.filter((d) => d.file === a.file).map((d) => lspDiagnostic(d, doc))
      : [];
    void connection.sendDiagnostics({ uri: doc.uri, version: doc.version, diagnostics });
  };

  // Edits come faster than compiles: each document is compiled once for its latest text.
  const schedule = (doc: TextDocument) => {
    clearImmediate(pending.get(doc.uri));
    pending.set(
      doc.uri,
      setImmediate(() => {
        pending.delete(doc.uri);
        const latest = documents.get(doc.uri);
        if (latest) publish(latest);
      }),
    );
  };

  documents.onDidOpen((e) => schedule(e.document));
  documents.onDidChangeContent((e) => schedule(e.document));
  documents.onDidClose((e) => {
    clearImmediate(pending.get(e.document.uri));
    pending.delete(e.document.uri);
    analyses.delete(e.document.uri);
    parsers.delete(e.document.uri);
    void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  });

  let roots: string[] = [];
  connection.onInitialize((params): InitializeResult => {
    roots = (params.workspaceFolders ?? [])
      .map((f) => f.uri)
      .concat(params.rootUri ? [params.rootUri] : [])
      .filter((u) => u.startsWith("file:"))
      .map((u) => fileURLToPath(u));
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        hoverProvider: true,
        definitionProvider: true,
        referencesProvider: true,
        renameProvider: { prepareProvider: true },
        completionProvider: { triggerCharacters: [".", ">", "{", " ", "["] },
        documentSymbolProvider: true,
        documentFormattingProvider: true,
        foldingRangeProvider: true,
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
        semanticTokensProvider: {
          legend: { tokenTypes: [...tokenTypes], tokenModifiers: [...tokenModifiers] },
          full: true,
        },
      },
      serverInfo: { name: "aegis" },
    };
  });

  /**
   * The workflows that import `file` and the uses they make of its input `name`
   * (`input { NAME: … }` of their subworkflow states): among the open documents and the
   * .aegis files of the workspace's folders.
   */
  const importersUses = async (
    file: string,
    name: string,
  ): Promise<{ uri: string; range: Range }[]> => {
    const open = new Map<string, Analysis>();
    for (const doc of documents.all()) {
      const a = analysisOf(doc);
      if (a) open.set(a.file, a);
    }
    const onDisk = roots.length > 0 ? await expandFiles(roots, "aegis").catch(() => []) : [];
    const out: { uri: string; range: Range }[] = [];
    for (const path of new Set([...open.keys(), ...onDisk.map((p) => resolve(p))])) {
      if (path === file) continue;
      const a = open.get(path) ?? analysisOfFile(path);
      if (!a) continue;
      for (const [alias, child] of a.result.imports) {
        if (resolve(child.file) !== file) continue;
        const text = a.result.sources.get(a.file);
        if (!text) continue;
        for (const u of a.uses("childInput", name).filter((u) => u.alias === alias)) {
          const start = text.position(u.span.start);
          const end = text.position(u.span.end);
          out.push({
            uri: pathToFileURL(a.file).href,
            range: {
              start: { line: start.line - 1, character: start.column - 1 },
              end: { line: end.line - 1, character: end.column - 1 },
            },
          });
        }
      }
    }
    return out;
  };

  const at = (uri: string, position: { line: number; character: number }) => {
    const doc = documents.get(uri);
    const a = doc && analysisOf(doc);
    if (!doc || !a) return undefined;
    return { doc, a, offset: doc.offsetAt(position) };
  };

  connection.onHover(({ textDocument, position }) => {
    const here = at(textDocument.uri, position);
    const name = here?.a.nameAt(here.offset);
    if (!here || !name) return null;
    const text = hoverText(here.a, name);
    return text
      ? { contents: { kind: "markdown", value: text }, range: rangeOf(here.doc, name.span) }
      : null;
  });

  const declarationOf = (uri: string, position: { line: number; character: number }) => {
    const here = at(uri, position);
    const name = here?.a.nameAt(here.offset);
    if (!here || !name) return undefined;
    return { ...here, name, declared: here.a.declaration(name.kind, name.name) };
  };

  connection.onDefinition(({ textDocument, position }): Location[] => {
    const found = declarationOf(textDocument.uri, position);
    if (!found) {
      // `import "child.aegis" as child`: the file.
      const here = at(textDocument.uri, position);
      const imp = here?.a.ast.imports.find(
        (i) => i.pathSpan.start <= here.offset && here.offset <= i.pathSpan.end,
      );
      if (!here || !imp) return [];
      const target = resolve(dirname(here.a.file), imp.path);
      return [
        {
          uri: pathToFileURL(target).href,
          range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
        },
      ];
    }
    // A subworkflow's input: declared in the imported file.
    if (found.name.kind === "childInput" && found.name.alias) {
      const there = found.a.childInput(found.name.alias, found.name.name);
      if (!there) return [];
      return [
        {
          uri: pathToFileURL(resolve(there.file)).href,
          range: {
            start: { line: there.line - 1, character: there.column - 1 },
            end: { line: there.endLine - 1, character: there.endColumn - 1 },
          },
        },
      ];
    }
    if (!found.declared) return [];
    return [{ uri: textDocument.uri, range: rangeOf(found.doc, found.declared.span) }];
  });

  connection.onReferences(async ({ textDocument, position, context }): Promise<Location[]> => {
    const found = declarationOf(textDocument.uri, position);
    if (!found) return [];
    const spans = found.a.uses(found.name.kind, found.name.name).map((u) => u.span);
    if (context.includeDeclaration && found.declared) spans.unshift(found.declared.span);
    const here = spans.map((s) => ({ uri: textDocument.uri, range: rangeOf(found.doc, s) }));
    // An input is also given by the workflows that import this one.
    if (found.name.kind !== "input") return here;
    return [...here, ...(await importersUses(found.a.file, found.name.name))];
  });

  const renamable = new Set<NameKind>(["state", "agent", "input", "context"]);
  connection.onPrepareRename(({ textDocument, position }) => {
    const found = declarationOf(textDocument.uri, position);
    if (!found?.declared || !renamable.has(found.name.kind)) return null;
    return { range: rangeOf(found.doc, found.name.span), placeholder: found.name.name };
  });

  connection.onRenameRequest(async ({ textDocument, position, newName }) => {
    const found = declarationOf(textDocument.uri, position);
    if (!found?.declared || !renamable.has(found.name.kind)) return null;
    if (!isName(newName)) throw new Error(`'${newName}' is not a name of the language`);
    const spans = [
      found.declared.span,
      ...found.a.uses(found.name.kind, found.name.name).map((u) => u.span),
    ];
    const edits: TextEdit[] = spans.map((s) => ({
      range: rangeOf(found.doc, s),
      newText: newName,
    }));
    const changes: Record<string, TextEdit[]> = { [textDocument.uri]: edits };
    // An input's new name in the workflows that give it, too.
    if (found.name.kind === "input")
      for (const use of await importersUses(found.a.file, found.name.name)) {
        const list = changes[use.uri] ?? [];
        list.push({ range: use.range, newText: newName });
        changes[use.uri] = list;
      }
    return { changes };
  });

  connection.onCompletion(({ textDocument, position }) => {
    const doc = documents.get(textDocument.uri);
    const a = doc && analysisOf(doc);
    if (!doc || !a) return [];
    const offset = doc.offsetAt(position);
    const text = doc.getText();
    const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
    const inside = text.lastIndexOf("{{", offset) > text.lastIndexOf("}}", offset - 1);
    return completions(a, text.slice(lineStart, offset), inside).map((c) => ({
      label: c.label,
      kind: completionKinds[c.kind],
      ...(c.detail && { detail: c.detail }),
    }));
  });

  connection.onDocumentSymbol(({ textDocument }) => {
    const doc = documents.get(textDocument.uri);
    const a = doc && analysisOf(doc);
    if (!doc || !a) return [];
    const symbol = (o: OutlineItem): import("vscode-languageserver/node").DocumentSymbol => ({
      name: o.name,
      detail: o.detail,
      kind: symbolKinds[o.kind],
      range: rangeOf(doc, o.span),
      selectionRange: rangeOf(doc, o.nameSpan),
      children: o.children.map(symbol),
    });
    return outline(a).map(symbol);
  });

  connection.onFoldingRanges(({ textDocument }) => {
    const doc = documents.get(textDocument.uri);
    const a = doc && analysisOf(doc);
    if (!doc || !a) return [];
    return foldingSpans(a)
      .map((s) => ({
        startLine: doc.positionAt(s.start).line,
        endLine: doc.positionAt(s.end).line,
      }))
      .filter((r) => r.endLine > r.startLine);
  });

  connection.onDocumentFormatting(({ textDocument }) => {
    const doc = documents.get(textDocument.uri);
    if (!doc || yamlFile.test(fileOf(doc.uri))) return [];
    const formatted = formatSource(doc.getText(), fileOf(doc.uri));
    if (!formatted.ok || !formatted.changed) return [];
    return [
      {
        range: { start: doc.positionAt(0), end: doc.positionAt(doc.getText().length) },
        newText: formatted.text,
      },
    ];
  });

  connection.onCodeAction(({ textDocument, context }) => {
    const doc = documents.get(textDocument.uri);
    if (!doc) return [];
    const yaml = yamlFile.test(fileOf(doc.uri));
    const actions = [];
    for (const d of context.diagnostics) {
      if (d.source !== "aegis") continue;
      const hint = (d.data as { hint?: string } | undefined)?.hint ?? "";
      const edit = (edits: TextEdit[]) => ({ changes: { [textDocument.uri]: edits } });
      // The misspelt name: "did you mean 'X'?".
      const meant = /did you mean '([^']+)'\?/.exec(hint)?.[1];
      if (meant)
        actions.push({
          title: `Change to '${meant}'`,
          kind: CodeActionKind.QuickFix,
          diagnostics: [d],
          isPreferred: true,
          edit: edit([{ range: d.range, newText: meant }]),
        });
      // The missing quote: `{{X}}` in a shell command becomes `{{quote X}}`.
      if ((d.code === "AEG601" || d.code === "AEG606") && !yaml)
        actions.push({
          title: "Quote it for the shell ({{quote …}})",
          kind: CodeActionKind.QuickFix,
          diagnostics: [d],
          edit: edit([{ range: { start: d.range.start, end: d.range.start }, newText: "quote " }]),
        });
      // The suppression comment, on the line above.
      const line = doc.getText({
        start: { line: d.range.start.line, character: 0 },
        end: { line: d.range.start.line + 1, character: 0 },
      });
      const indent = /^[ \t]*/.exec(line)?.[0] ?? "";
      actions.push({
        title: `Ignore ${d.code} here`,
        kind: CodeActionKind.QuickFix,
        diagnostics: [d],
        edit: edit([
          {
            range: {
              start: { line: d.range.start.line, character: 0 },
              end: { line: d.range.start.line, character: 0 },
            },
            newText: `${indent}${yaml ? "#" : "//"} aegis-ignore ${d.code}\n`,
          },
        ]),
      });
    }
    return actions;
  });

  connection.languages.semanticTokens.on(({ textDocument }) => {
    const doc = documents.get(textDocument.uri);
    const a = doc && !yamlFile.test(fileOf(doc.uri)) ? analysisOf(doc) : undefined;
    return { data: a ? semanticTokens(a) : [] };
  });

  documents.listen(connection);
  connection.listen();
  return { connection, analysis: (uri) => analyses.get(uri) };
}
