// Scopes and types: every name in a template or expression must exist where it is used,
// a state's result may be read only where that state has certainly run, helpers must
// exist, and expressions must be well-typed.
import type { Expr, Span } from "../ast.ts";
import { article, hintFor } from "../diagnostics.ts";
import { printExpr } from "../expression.ts";
import { explainRegexError } from "../regex-errors.ts";
import { analyzeTemplate } from "../templates.ts";
import { type FieldType, functions, helpers } from "../vocabulary.ts";
import type { Check, CheckContext } from "./context.ts";
import { type Place, Resolver } from "./resolve.ts";

type Type = "string" | "number" | "boolean" | "list" | "null" | "any";

function simple(t: FieldType): Type {
  return typeof t === "object" ? "any" : t;
}

export const checkScopes: Check = (ctx) => {
  const resolver = new Resolver(ctx.graph, ctx.facts);
  for (const use of ctx.facts.templateUses) {
    const analysis = analyzeTemplate(use.template);
    const file = use.template.span.file;
    if (analysis.error) {
      ctx.report({
        code: analysis.error.code ?? "AEG103",
        message: `template error: ${analysis.error.message}`,
        span: analysis.error.span,
        file,
      });
      continue;
    }
    for (const helper of analysis.helpers) {
      if (!Object.hasOwn(helpers, helper.name)) {
        ctx.report({
          code: "AEG405",
          message: `unknown helper '${helper.name}'`,
          span: helper.span,
          file,
          hint:
            hintFor(helper.name, Object.keys(helpers)) ??
            `the helpers are ${Object.keys(helpers).join(", ")} (grammar/README.md#templates)`,
        });
      }
    }
    const place: Place = {
      moment: use.moment,
      bareFields: false,
      ...(use.state && { state: use.state }),
      ...(use.role === "feedback" && use.edge && { edge: use.edge }),
    };
    for (const ref of analysis.references) {
      if (ref.relative || (ref.parts[0]?.startsWith("@") && ref.parts[0] !== "@root")) continue;
      const parts = ref.parts[0] === "@root" ? ref.parts.slice(1) : ref.parts;
      if (parts.length === 0 || parts[0] === "this") continue;
      // A container's output handler, and a judge of an agent state, read the output under
      // judgement as `output` (the runtime renders them with it).
      const readsOutput =
        use.role === "handler" ||
        (use.role === "judge" &&
          use.state !== undefined &&
          ctx.graph.hasNode(use.state) &&
          ctx.graph.getNodeAttributes(use.state).kind === "agent");
      const locals = readsOutput ? { output: "any" as const } : undefined;
      const r = resolver.resolve(parts, {
        ...place,
        guards: ref.guards,
        ...(ref.tests.length > 0 && { skipGuards: resolver.skips.guardedByTests(ref.tests) }),
        ...(locals && { locals }),
      });
      if ("code" in r)
        ctx.report({
          code: r.code,
          message: r.message,
          span: ref.span,
          file,
          ...(r.hint && { hint: r.hint }),
        });
    }
  }
  for (const use of ctx.facts.expressionUses) {
    const place: Place = { state: use.state, moment: use.moment, bareFields: use.role !== "over" };
    const file = ctx.facts.nodes[ctx.facts.indexOf.get(use.state)!]!.span.file;
    const checker = new ExpressionTypes(ctx, resolver, place, file);
    const type = checker.infer(use.expr);
    if (use.role !== "over" && type !== "boolean" && type !== "any") {
      ctx.report({
        code: "AEG407",
        message: `a condition must be true or false, but '${printExpr(use.expr)}' is ${article(type)}`,
        span: use.expr.span,
        file,
        hint:
          type === "number"
            ? "compare it, e.g. score >= 0.8"
            : 'compare it, e.g. output contains "LGTM"',
      });
    }
    if (use.role === "over" && type !== "list" && type !== "any") {
      ctx.report({
        code: "AEG407",
        message: `foreach needs a list, but '${printExpr(use.expr)}' is ${article(type)}`,
        span: use.expr.span,
        file,
      });
    }
  }
};

/**
 * What to write when text is compared with a number: the number unquoted (`score >= "0.8"`),
 * or the text converted (`number(input.count) > 3`); values are never converted silently.
 */
function textNumberHint(e: Expr & { kind: "binary" }, left: Type, right: Type): string | undefined {
  if (!(left === "string" && right === "number") && !(left === "number" && right === "string"))
    return undefined;
  const text = left === "string" ? e.left : e.right;
  if (text.kind === "literal" && typeof text.value === "string") {
    const value = text.value.trim();
    if (value === "" || !Number.isFinite(Number(value))) return undefined;
    return `write the number without quotes: ${value}`;
  }
  // `==` on text that is not a number is a comparison of the wrong things, not a conversion.
  if (e.op === "==" || e.op === "!=") return undefined;
  const converted = `number(${printExpr(text)})`;
  const [l, r] =
    left === "string" ? [converted, printExpr(e.right)] : [printExpr(e.left), converted];
  return `convert the text to a number first: ${l} ${e.op} ${r}`;
}

class ExpressionTypes {
  private readonly ctx: CheckContext;
  private readonly resolver: Resolver;
  private place: Place;
  private readonly file: string;

  constructor(ctx: CheckContext, resolver: Resolver, place: Place, file: string) {
    this.ctx = ctx;
    this.resolver = resolver;
    this.place = place;
    this.file = file;
  }

  private mismatch(message: string, span: Span, hint?: string): Type {
    this.ctx.report({ code: "AEG407", message, span, file: this.file, ...(hint && { hint }) });
    return "any";
  }

  infer(e: Expr): Type {
    switch (e.kind) {
      case "literal":
        return e.value === null ? "null" : (typeof e.value as Type);
      case "list":
        for (const item of e.items) this.infer(item);
        return "list";
      case "path": {
        const parts = e.segments.map((s) => ("index" in s ? String(s.index) : s.name));
        const r = this.resolver.resolve(parts, this.place);
        if ("code" in r) {
          const segment = e.segments[Math.min(r.part, e.segments.length - 1)]!;
          const span = r.code === "AEG406" ? e.span : segment.span;
          this.ctx.report({
            code: r.code,
            message: r.message,
            span,
            file: this.file,
            ...(r.hint && { hint: r.hint }),
          });
          return "any";
        }
        return simple(r.type);
      }
      case "unary": {
        const t = this.infer(e.operand);
        if (e.op === "not") {
          if (t !== "boolean" && t !== "any")
            return this.mismatch(`'not' needs true or false, not ${article(t)}`, e.operand.span);
          return "boolean";
        }
        if (t !== "number" && t !== "any")
          return this.mismatch(`'-' needs a number, not ${article(t)}`, e.operand.span);
        return "number";
      }
      case "between": {
        for (const part of [e.operand, e.low, e.high]) {
          const t = this.infer(part);
          if (t !== "number" && t !== "any")
            this.mismatch(`'between' compares numbers, not ${article(t)}`, part.span);
        }
        return "boolean";
      }
      case "call": {
        const fn = functions[e.callee.name];
        const args = e.args.map((a) => this.infer(a));
        if (!fn) {
          this.ctx.report({
            code: "AEG401",
            message: `unknown function '${e.callee.name}'`,
            span: e.callee.span,
            file: this.file,
            hint:
              hintFor(e.callee.name, Object.keys(functions)) ??
              `the functions are ${Object.keys(functions).join(", ")} (grammar/README.md#expressions)`,
          });
          return "any";
        }
        if (args.length !== fn.arity) {
          const name = e.callee.name;
          this.ctx.report({
            code: "AEG407",
            message: `'${name}' takes ${fn.arity} argument${fn.arity === 1 ? "" : "s"}, not ${args.length}`,
            span: e.span,
            file: this.file,
            hint: `write ${name}(${["X", "Y", "Z"].slice(0, fn.arity).join(", ")}), e.g. ${functionExample(name, fn.arity)}`,
          });
        }
        return simple(fn.returns);
      }
      case "binary":
        return this.binary(e);
    }
  }

  /**
   * The right side of `and` / `or`, which is evaluated only when the left did not decide:
   * in `not X.skipped and X.output contains "ok"`, X has not been skipped.
   */
  private guarded(e: Expr & { kind: "binary" }): Type {
    const outer = this.place;
    const skips = this.resolver.skips.guardedBy(e.left, outer.state, e.op === "and");
    if (skips.length > 0)
      this.place = { ...outer, skipGuards: [...(outer.skipGuards ?? []), ...skips] };
    try {
      return this.infer(e.right);
    } finally {
      this.place = outer;
    }
  }

  private binary(e: Expr & { kind: "binary" }): Type {
    const left = this.infer(e.left);
    const right = e.op === "and" || e.op === "or" ? this.guarded(e) : this.infer(e.right);
    const known = (t: Type) => t !== "any" && t !== "null";
    switch (e.op) {
      case "and":
      case "or":
        for (const [t, side] of [
          [left, e.left],
          [right, e.right],
        ] as const) {
          if (t !== "boolean" && t !== "any")
            this.mismatch(
              `'${e.op}' needs true or false on both sides, not ${article(t)}`,
              side.span,
            );
        }
        return "boolean";
      case "==":
      case "!=":
        if (known(left) && known(right) && left !== right) {
          this.mismatch(
            `comparing ${article(left)} with ${article(right)} is always ${e.op === "==" ? "false" : "true"}`,
            e.span,
            textNumberHint(e, left, right),
          );
        }
        return "boolean";
      case "<":
      case "<=":
      case ">":
      case ">=":
        if (
          (known(left) && left !== "number" && left !== "string") ||
          (known(right) && right !== "number" && right !== "string") ||
          (known(left) && known(right) && left !== right)
        ) {
          this.mismatch(
            `'${e.op}' compares two numbers or two strings, not ${article(left)} and ${article(right)}`,
            e.span,
            textNumberHint(e, left, right),
          );
        }
        return "boolean";
      case "contains":
        if (known(left) && left !== "string" && left !== "list")
          this.mismatch(
            `'contains' needs text or a list on its left, not ${article(left)}`,
            e.left.span,
          );
        if (left === "string" && known(right) && right !== "string")
          this.mismatch(`text can only contain text, not ${article(right)}`, e.right.span);
        return "boolean";
      case "matches":
        if (known(left) && left !== "string")
          this.mismatch(`'matches' needs text on its left, not ${article(left)}`, e.left.span);
        if (e.right.kind === "literal" && typeof e.right.value === "string") {
          try {
            new RegExp(e.right.value);
          } catch (error) {
            const pattern = e.right.value;
            const problem = explainRegexError(pattern, error as Error);
            // At the character at fault when the string has no escapes (its text in the file
            // is the pattern, between its quotes); else at the string.
            const literal = e.right.span;
            const plain = literal.end - literal.start === pattern.length + 2;
            const at = literal.start + 1 + (problem.index ?? 0);
            this.ctx.report({
              code: "AEG109",
              message: `invalid regular expression: ${problem.message}`,
              span: plain && problem.index !== undefined ? { start: at, end: at + 1 } : literal,
              file: this.file,
              ...(problem.hint && { hint: problem.hint }),
            });
          }
        } else if (known(right) && right !== "string")
          this.mismatch(`'matches' needs a pattern string, not ${article(right)}`, e.right.span);
        return "boolean";
      case "in":
        if (known(right) && right !== "list" && right !== "string")
          this.mismatch(
            `'in' needs a list or text on its right, not ${article(right)}`,
            e.right.span,
          );
        return "boolean";
      case "+":
        if (left === "string" && (right === "string" || right === "any")) return "string";
        if (right === "string" && left === "any") return "string";
        if (known(left) && known(right) && !(left === "number" && right === "number")) {
          return this.mismatch(
            `'+' adds two numbers or joins two strings, not ${article(left)} and ${article(right)}`,
            e.span,
          );
        }
        return left === "number" || right === "number" ? "number" : "any";
      default:
        for (const [t, side] of [
          [left, e.left],
          [right, e.right],
        ] as const) {
          if (known(t) && t !== "number")
            this.mismatch(`'${e.op}' needs numbers, not ${article(t)}`, side.span);
        }
        return "number";
    }
  }
}

/** A call of function `name` as a condition writes it. */
function functionExample(name: string, arity: number): string {
  const examples: Record<string, string> = {
    startswith: 'startswith(output, "ok")',
    endswith: 'endswith(output, "done")',
    exists: "exists(REVIEW.output)",
  };
  return examples[name] ?? (arity === 1 ? `${name}(REVIEW.output)` : `${name}(REVIEW.output, "x")`);
}
