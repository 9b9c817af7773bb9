// Reads a Handlebars template once and lists what it refers to, with file positions: the
// scope, type and security checks all work from this list.

import type { Span } from "./ast.ts";
import type { Code } from "./diagnostics.ts";
import type { TemplateRef } from "./graph.ts";
import { parseTemplate } from "./handlebars-parser.ts";
import { templateOffset } from "./strings.ts";

type HbsNode = hbs.AST.Node;

export interface TemplateReference {
  /** Path parts, e.g. ["REVIEW", "output", "reasoning"]; data paths keep "@root" etc. */
  parts: string[];
  original: string;
  span: Span;
  /** Inside an #each / #with block whose context is not the root. */
  relative: boolean;
  /** For relative references: the path the enclosing #each / #with iterates over. */
  scopeSource?: string[];
  /** The helper this is an argument of, if any (`quote` in `{{quote X.output}}`). */
  helper?: string;
  /** Output directly, without a helper. */
  direct: boolean;
  /** Roots tested by the enclosing {{#if …}} blocks: `{{#if X.output}}{{X.output}}{{/if}}`. */
  guards: string[];
  /**
   * What the enclosing blocks test, and whether it holds inside: `{{#if X.output}}` →
   * { parts: ["X", "output"], truthy: true }; its {{else}} and `{{#unless …}}` → false.
   */
  tests: Test[];
}

export interface Test {
  parts: string[];
  truthy: boolean;
}

export interface TemplateHelperUse {
  name: string;
  span: Span;
}

export interface TemplateAnalysis {
  references: TemplateReference[];
  helpers: TemplateHelperUse[];
  /** Why the template cannot be read; the code defaults to AEG103 (template syntax). */
  error?: { message: string; span: Span; code?: Code };
}

const cache = new WeakMap<TemplateRef, TemplateAnalysis>();

export function analyzeTemplate(template: TemplateRef): TemplateAnalysis {
  const cached = cache.get(template);
  if (cached) return cached;
  const analysis = analyze(template);
  cache.set(template, analysis);
  return analysis;
}

function analyze(template: TemplateRef): TemplateAnalysis {
  const result: TemplateAnalysis = { references: [], helpers: [] };
  if (!template.text.includes("{{")) return result;
  const lineStarts = [0];
  // Handlebars counts \r\n, \r and \n as line breaks; so must the positions here.
  for (let i = 0; i < template.text.length; i++) {
    const ch = template.text[i];
    if (ch === "\n" || (ch === "\r" && template.text[i + 1] !== "\n")) lineStarts.push(i + 1);
  }
  const toSpan = (loc: hbs.AST.SourceLocation | undefined): Span => {
    if (!loc) return { start: template.span.start, end: template.span.end };
    const index = (p: hbs.AST.Position) => (lineStarts[p.line - 1] ?? 0) + p.column;
    return {
      start: templateOffset(template, index(loc.start)),
      end: templateOffset(template, Math.max(index(loc.end) - 1, index(loc.start))) + 1,
    };
  };
  const tooDeep = deepestNesting(template.text);
  if (tooDeep !== undefined) {
    const offset = templateOffset(template, tooDeep);
    result.error = {
      message: `blocks or sub-expressions nested deeper than ${MAX_TEMPLATE_NESTING} levels`,
      span: { start: offset, end: offset + 1 },
      code: "AEG112",
    };
    return result;
  }
  let program: hbs.AST.Program;
  try {
    program = parseTemplate(template.text);
  } catch (error) {
    const message = (error as Error).message;
    const index = handlebarsErrorIndex(
      error as Error & { lineNumber?: number; column?: number },
      template.text,
      lineStarts,
    );
    // An error at the end of the text is reported on its last character: one past it may
    // be past the end of the file (a YAML plain scalar that ends it).
    const offset = Math.min(
      templateOffset(template, Math.min(index, template.text.length)),
      Math.max(template.span.start, template.span.end - 1),
    );
    const firstLine =
      message.split("\n").find((l) => l.startsWith("Expecting")) ??
      message.split("\n")[0] ??
      message;
    result.error = {
      message: firstLine.replace(/^Expecting/, "expecting"),
      span: { start: offset, end: offset + 1 },
    };
    return result;
  }

  let scopeSource: string[] | undefined;
  let guards: string[] = [];
  let blockTests: Test[] = [];
  const visitExpression = (
    e: HbsNode,
    relative: boolean,
    helper: string | undefined,
    direct: boolean,
  ): void => {
    if (e.type === "PathExpression") {
      const p = e as hbs.AST.PathExpression;
      const parts = p.data ? [`@${p.parts[0] ?? ""}`, ...p.parts.slice(1)] : [...p.parts];
      result.references.push({
        parts,
        original: p.original,
        span: toSpan(p.loc),
        relative: relative && p.depth === 0 && !(p.data && p.parts[0] === "root"),
        ...(relative && scopeSource && { scopeSource }),
        ...(helper && { helper }),
        direct,
        guards,
        tests: blockTests,
      });
    } else if (e.type === "SubExpression") {
      const s = e as hbs.AST.SubExpression;
      visitCall(s.path, s.params, s.hash, relative, s.loc);
    }
  };

  const visitCall = (
    path: HbsNode,
    params: hbs.AST.Expression[],
    hash: hbs.AST.Hash | undefined,
    relative: boolean,
    loc: hbs.AST.SourceLocation | undefined,
  ): void => {
    const name = path.type === "PathExpression" ? (path as hbs.AST.PathExpression).original : "";
    result.helpers.push({ name, span: toSpan(path.loc ?? loc) });
    // What `if`/`unless` test is itself guarded: testing a state that did not run is fine.
    const tests = name === "if" || name === "unless";
    // What `each` and `with` take is tested too: they render nothing for an empty value.
    const presence = tests || name === "each" || name === "with";
    for (const param of params) {
      if (presence && param.type === "PathExpression") {
        const outer = guards;
        const outerTests = blockTests;
        const parts = [...(param as hbs.AST.PathExpression).parts];
        if (tests) guards = [...guards, parts[0] ?? ""];
        // Testing a value reads it only to see whether it is there.
        blockTests = [...blockTests, { parts, truthy: true }];
        visitExpression(param, relative, name, false);
        guards = outer;
        blockTests = outerTests;
      } else visitExpression(param, relative, name, false);
    }
    for (const pair of hash?.pairs ?? []) visitExpression(pair.value, relative, name, false);
  };

  const visitProgram = (p: hbs.AST.Program | undefined, relative: boolean): void => {
    for (const statement of p?.body ?? []) {
      if (statement.type === "MustacheStatement") {
        const m = statement as hbs.AST.MustacheStatement;
        if (m.params.length > 0 || (m.hash?.pairs.length ?? 0) > 0)
          visitCall(m.path, m.params, m.hash, relative, m.loc);
        else visitExpression(m.path, relative, undefined, true);
      } else if (statement.type === "BlockStatement") {
        const b = statement as hbs.AST.BlockStatement;
        visitCall(b.path, b.params, b.hash, relative, b.loc);
        const name = b.path.original;
        const changesContext = name === "each" || name === "with";
        const outer = scopeSource;
        const param = b.params[0];
        if (changesContext && param?.type === "PathExpression")
          scopeSource = [...(param as hbs.AST.PathExpression).parts];
        const outerGuards = guards;
        const outerTests = blockTests;
        const tested = b.params.flatMap((p) =>
          p.type === "PathExpression" ? [(p as hbs.AST.PathExpression).parts[0] ?? ""] : [],
        );
        const first = b.params[0];
        const path =
          first?.type === "PathExpression"
            ? [...(first as hbs.AST.PathExpression).parts]
            : undefined;
        const testing = path && (name === "if" || name === "unless" || changesContext);
        if (name === "if") guards = [...guards, ...tested];
        if (testing) blockTests = [...outerTests, { parts: path, truthy: name !== "unless" }];
        visitProgram(b.program, relative || changesContext);
        scopeSource = outer;
        guards = name === "unless" ? [...outerGuards, ...tested] : outerGuards;
        if (testing && !changesContext)
          blockTests = [...outerTests, { parts: path, truthy: name === "unless" }];
        else blockTests = outerTests;
        visitProgram(b.inverse, relative);
        guards = outerGuards;
        blockTests = outerTests;
      } else if (
        statement.type === "PartialStatement" ||
        statement.type === "PartialBlockStatement"
      ) {
        result.error = {
          message: "partials are not supported in aegis templates",
          span: toSpan(statement.loc),
        };
      }
    }
  };
  visitProgram(program, false);
  return result;
}

/**
 * Where in the template a Handlebars error is. Structural errors carry a line and column;
 * parse errors only show an excerpt with a caret (Jison's showPosition: up to 20 characters
 * before, newlines removed), which is found again in the text.
 */
function handlebarsErrorIndex(
  error: Error & { lineNumber?: number; column?: number },
  text: string,
  lineStarts: number[],
): number {
  if (typeof error.lineNumber === "number")
    return (lineStarts[error.lineNumber - 1] ?? 0) + (error.column ?? 0);
  const lines = error.message.split("\n");
  const line = Number(/Parse error on line (\d+)/.exec(error.message)?.[1] ?? 1);
  const excerpt = lines[1] ?? "";
  const caret = (lines[2] ?? "").indexOf("^");
  if (caret < 0) return lineStarts[line - 1] ?? 0;
  const before = excerpt.slice(0, caret).replace(/^\.\.\./, "");
  const after = excerpt.slice(caret, caret + 10).replace(/\.\.\.$/, "");
  // Search the text with newlines removed, as Jison printed it.
  const flat: number[] = [];
  let flatText = "";
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "\n") continue;
    flat.push(i);
    flatText += text[i];
  }
  let best = -1;
  for (
    let at = flatText.indexOf(before + after);
    at >= 0;
    at = flatText.indexOf(before + after, at + 1)
  ) {
    const index = flat[at + before.length] ?? text.length;
    best = index;
    if (index >= (lineStarts[line - 1] ?? 0)) break;
  }
  return best >= 0 ? best : (lineStarts[line - 1] ?? 0);
}

/** Blocks, chained `else`s and sub-expressions nested deeper than this are refused. */
export const MAX_TEMPLATE_NESTING = 64;

/**
 * Where a template first nests deeper than MAX_TEMPLATE_NESTING, found without parsing:
 * Handlebars takes quadratic time in the nesting depth, and walking its tree recurses.
 * Each `{{#…}}` / `{{^…}}` block is a level, each chained `{{else …}}` one more until the
 * block closes, each `(` of a sub-expression one more inside its mustache.
 */
function deepestNesting(text: string): number | undefined {
  const chained: number[] = [];
  let depth = 0;
  for (let i = text.indexOf("{{"); i >= 0; i = text.indexOf("{{", i)) {
    let j = i + 2;
    while (text[j] === "{" || text[j] === "~") j++;
    const close = text.indexOf("}}", j);
    const end = close < 0 ? text.length : close;
    const body = text.slice(j, end);
    if (body.startsWith("#") || (body.startsWith("^") && !/^\^\s*~?$/.test(body))) {
      chained.push(0);
      depth++;
    } else if (body.startsWith("/")) {
      if (chained.length > 0) depth -= 1 + chained.pop()!;
    } else if (/^else\s+[^\s~]/.test(body) && chained.length > 0) {
      chained[chained.length - 1]!++;
      depth++;
    }
    if (depth > MAX_TEMPLATE_NESTING) return i;
    let parens = depth;
    for (let k = j; k < end; k++) {
      if (text[k] === "(" && ++parens > MAX_TEMPLATE_NESTING) return k;
      if (text[k] === ")") parens--;
    }
    i = end;
  }
  return undefined;
}
