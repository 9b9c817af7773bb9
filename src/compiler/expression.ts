// Helpers over the expression AST: printing (for labels and messages) and walking.
import type { Expr, PathSegment } from "./ast.ts";

/** Binding strength of the binary operators (higher binds tighter). */
export const precedence: Record<string, number> = {
  or: 1,
  and: 2,
  "==": 4,
  "!=": 4,
  "<": 4,
  "<=": 4,
  ">": 4,
  ">=": 4,
  contains: 4,
  matches: 4,
  in: 4,
  "+": 5,
  "-": 5,
  "*": 6,
  "/": 6,
};

export function pathText(segments: readonly PathSegment[]): string {
  const only = segments.length === 1 ? segments[0]! : undefined;
  if (only && !("index" in only)) return only.name; // the common case, without allocating
  return segments
    .map((s, i) => ("index" in s ? `[${s.index}]` : i === 0 ? s.name : `.${s.name}`))
    .join("");
}

export function printExpr(e: Expr, parent = 0): string {
  switch (e.kind) {
    case "literal":
      if (typeof e.value === "string") return JSON.stringify(e.value);
      if (e.duration && typeof e.value === "number") return formatDuration(e.value);
      return Object.is(e.value, -0) ? "-0" : String(e.value);
    case "path":
      return pathText(e.segments);
    case "unary": {
      // The operand once: printing it twice per level took 2^depth (`not not … not x`).
      if (e.op === "not") return wrap(`not ${printExpr(e.operand, 3)}`, 3, parent);
      // `-(1)`, not `-1`: the parser reads `-1` as the number -1, not as "minus 1".
      const inner =
        e.operand.kind === "literal" && typeof e.operand.value === "number"
          ? `(${printExpr(e.operand)})`
          : printExpr(e.operand, 7);
      return `-${inner}`;
    }
    case "binary": {
      const p = precedence[e.op]!;
      return wrap(`${printExpr(e.left, p)} ${e.op} ${printExpr(e.right, p + 1)}`, p, parent);
    }
    case "between":
      return wrap(
        `${printExpr(e.operand, 5)} between ${printExpr(e.low, 5)} and ${printExpr(e.high, 5)}`,
        4,
        parent,
      );
    case "call":
      return `${e.callee.name}(${e.args.map((a) => printExpr(a)).join(", ")})`;
    case "list":
      return `[${e.items.map((a) => printExpr(a)).join(", ")}]`;
  }
}

function wrap(text: string, own: number, parent: number): string {
  return own < parent ? `(${text})` : text;
}

/** `5400000` → `1h30m`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0s";
  const units: [string, number][] = [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1000],
    ["ms", 1],
  ];
  let rest = ms;
  let out = "";
  for (const [unit, size] of units) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}

/** Every path (variable reference) inside an expression. */
export function pathsIn(e: Expr): (Expr & { kind: "path" })[] {
  const out: (Expr & { kind: "path" })[] = [];
  const visit = (x: Expr): void => {
    switch (x.kind) {
      case "path":
        out.push(x);
        break;
      case "unary":
        visit(x.operand);
        break;
      case "binary":
        visit(x.left);
        visit(x.right);
        break;
      case "between":
        visit(x.operand);
        visit(x.low);
        visit(x.high);
        break;
      case "call":
      case "list":
        (x.kind === "call" ? x.args : x.items).forEach(visit);
        break;
      case "literal":
        break;
    }
  };
  visit(e);
  return out;
}
