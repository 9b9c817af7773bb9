// The YAML front ends: AEGIS manifests and AgentOS workflows, recognised by their content,
// become the same AST as the aegis language (so the same lowering, checks and outputs).
import type { IToken } from "chevrotain";
import { Parser, parseAllDocuments } from "yaml";
import type { SourceFileAst } from "../ast.ts";
import type { Finding } from "../diagnostics.ts";
import type { ParseResult } from "../parse.ts";
import { lowerAegisManifest } from "./aegis-manifest.ts";
import { lowerAgentOs } from "./agentos.ts";
import { Context, isMap, MAX_DEPTH, YamlReader, YamlTooComplex } from "./reader.ts";

export type YamlDialect = "aegis-manifest" | "agentos";

export { isYamlFile } from "./files.ts";

export function parseYamlWorkflow(
  text: string,
  file: string,
): ParseResult & { dialect?: YamlDialect } {
  const reader = new YamlReader(file, text);
  const empty: SourceFileAst = { imports: [], span: { start: 0, end: text.length } };
  const fail = (): ParseResult => ({ ast: empty, findings: reader.findings, comments: [] });
  const depth = nestingDepth(text);
  if (depth.depth > MAX_DEPTH) {
    reader.report("AEG706", `nesting deeper than ${MAX_DEPTH} levels`, {
      start: depth.at,
      end: depth.at + 1,
    });
    return fail();
  }
  const documents = parseDocuments(text);
  // The parser recurses: nesting that the estimate above missed (it guesses where quoted
  // text is) can still exhaust the stack, which the library reports as a YAML error at
  // wherever it happened to stop: refuse the file, at a place that does not vary.
  if (
    documents === undefined ||
    (Array.isArray(documents) &&
      documents.some((d) => d.errors.some((e) => /call stack/i.test(e.message))))
  ) {
    const at = deepestBracket(text);
    reader.report("AEG706", `nesting deeper than ${MAX_DEPTH} levels`, {
      start: at,
      end: Math.min(at + 1, text.length),
    });
    return fail();
  }
  const list = Array.isArray(documents) ? documents : [];
  if (!Array.isArray(documents)) {
    reader.report("AEG701", "the file holds no YAML document", { start: 0, end: 0 });
    return fail();
  }
  for (const doc of list) {
    for (const error of doc.errors) {
      // At the end of the file the library points one past the last character.
      const [start, end] = error.pos.map((n) => Math.min(n, text.length)) as [number, number];
      const message = error.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
      reader.report(
        error.code === "DUPLICATE_KEY" ? "AEG702" : "AEG701",
        message.charAt(0).toLowerCase() + message.slice(1),
        { start, end: Math.min(Math.max(end, start + 1), text.length) },
      );
    }
  }
  if (reader.findings.length > 0) return fail();
  if (list.length !== 1) {
    const second = list[1];
    reader.report(
      "AEG701",
      "a workflow file holds exactly one YAML document",
      second
        ? { start: second.range[0], end: Math.min(second.range[0] + 3, text.length) }
        : { start: 0, end: 0 },
    );
    return fail();
  }
  const doc = list[0]!;
  try {
    checkDepth(doc.contents, 0);
    const ctx = new Context(reader, doc);
    const root = ctx.resolve(doc.contents);
    if (!root || !isMap(root)) {
      reader.report(
        "AEG703",
        "this YAML is not a workflow: expected a mapping at the top",
        reader.span(root),
      );
      return fail();
    }
    const keys = new Set(root.items.map((p) => String((p.key as { value?: unknown })?.value)));
    if (keys.has("apiVersion") || (keys.has("kind") && keys.has("spec"))) {
      return {
        ast: lowerAegisManifest(ctx, root),
        findings: reader.findings,
        comments: suppressionComments(text),
        dialect: "aegis-manifest",
      };
    }
    if (keys.has("steps")) {
      return {
        ast: lowerAgentOs(ctx, root),
        findings: reader.findings,
        comments: suppressionComments(text),
        dialect: "agentos",
      };
    }
    reader.report(
      "AEG703",
      "this YAML is neither an AEGIS manifest (apiVersion: 100monkeys.ai/v1, kind: Workflow) nor an AgentOS workflow (steps: …)",
      // The first line, without its line break (\n, \r\n or \r).
      { start: 0, end: Math.min(text.search(/\r|\n/) >>> 0, text.length) },
    );
    return fail();
  } catch (error) {
    if (!(error instanceof YamlTooComplex)) throw error;
    reader.report("AEG706", error.message, error.span);
    return fail();
  }
}

/**
 * How deeply the text nests, estimated without parsing (the YAML parser itself recurses):
 * open flow brackets outside quotes, and block indentation levels.
 */
function nestingDepth(text: string): { depth: number; at: number } {
  let flow = 0;
  let worst = { depth: 0, at: 0 };
  let quote: string | undefined;
  const indents: number[] = [];
  let lineStart = true;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (lineStart) {
      let j = i;
      while (text[j] === " ") j++;
      if (text[j] !== "\n" && text[j] !== "#" && text[j] !== undefined && !quote && flow === 0) {
        const indent = j - i;
        while (indents.length && indents[indents.length - 1]! >= indent) indents.pop();
        indents.push(indent);
        if (indents.length > worst.depth) worst = { depth: indents.length, at: j };
        if (worst.depth > MAX_DEPTH) return worst;
      }
      lineStart = false;
    }
    if (ch === "\n") {
      lineStart = true;
      continue;
    }
    if (quote) {
      if (ch === "\\" && quote === '"') i++;
      else if (ch === quote) quote = undefined;
      continue;
    }
    // A quote opens a quoted scalar only where a scalar can start ("don't" is plain text).
    if (
      (ch === '"' || ch === "'") &&
      /(^|[:[{,-])\s*$/.test(
        text
          .slice(Math.max(0, i - 40), i)
          .split("\n")
          .pop() ?? "",
      )
    )
      quote = ch;
    else if (ch === "#" && (i === 0 || /\s/.test(text[i - 1]!))) {
      while (i + 1 < text.length && text[i + 1] !== "\n") i++;
    } else if (ch === "[" || ch === "{") {
      flow++;
      if (flow + indents.length > worst.depth) worst = { depth: flow + indents.length, at: i };
      if (worst.depth > MAX_DEPTH) return worst;
    } else if ((ch === "]" || ch === "}") && flow > 0) flow--;
  }
  return worst;
}

/**
 * The comments that may be suppressions (`# aegis-ignore AEG502 -- why`, as in the aegis
 * language; see suppressions.ts), as tokens with their offsets. Read only when the text
 * has one: the other comments are of no use to the compiler.
 */
function suppressionComments(text: string): IToken[] {
  if (!text.includes("aegis-ignore")) return [];
  const out: IToken[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) for (const n of node) walk(n);
    else if (node && typeof node === "object") {
      const token = node as { type?: unknown; offset?: unknown; source?: unknown };
      if (token.type === "comment" && typeof token.offset === "number")
        out.push({ image: String(token.source), startOffset: token.offset } as IToken);
      for (const value of Object.values(node)) if (typeof value === "object") walk(value);
    }
  };
  for (const token of new Parser().parse(text)) walk(token);
  return out.sort((a, b) => a.startOffset - b.startOffset);
}

/** All the documents of `text`; undefined when parsing them overflowed the stack. */
function parseDocuments(text: string) {
  try {
    return parseAllDocuments(text, { uniqueKeys: true, prettyErrors: false });
  } catch (error) {
    if (error instanceof RangeError) return undefined;
    throw error;
  }
}

/** Where flow brackets, quotes ignored, first nest too deep (or nest deepest). */
function deepestBracket(text: string): number {
  let depth = 0;
  let worst = 0;
  let at = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "[" || ch === "{") {
      if (++depth > MAX_DEPTH) return i;
      if (depth > worst) [worst, at] = [depth, i];
    } else if ((ch === "]" || ch === "}") && depth > 0) depth--;
  }
  return at;
}

/** Refuses very deep documents before anything walks them recursively. */
function checkDepth(node: unknown, depth: number): void {
  if (depth > MAX_DEPTH) throw new YamlTooComplex(`nesting deeper than ${MAX_DEPTH} levels`);
  const items = (node as { items?: unknown[] } | null)?.items;
  if (!Array.isArray(items)) return;
  for (const item of items) {
    const pair = item as { key?: unknown; value?: unknown };
    if (pair && typeof pair === "object" && "value" in pair && "key" in pair) {
      checkDepth(pair.value, depth + 1);
    } else checkDepth(item, depth + 1);
  }
}

export type { Finding };
