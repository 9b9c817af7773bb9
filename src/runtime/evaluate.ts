// Evaluates the expression language (conditions, `until`, `foreach … in`) over a scope.
// The compiler has type-checked the expression; at run time a missing value is simply
// undefined, and comparisons with it are false.

import type { Expr } from "../compiler/ast.ts";
import { valueText } from "./value-text.ts";

export type Scope = Record<string, unknown>;

/** Truthiness of a condition; objects that stand for a flag (consensus) answer valueOf. */
export function truthy(value: unknown): boolean {
  if (
    value &&
    typeof value === "object" &&
    typeof (value as { valueOf: () => unknown }).valueOf === "function"
  ) {
    const v = (value as { valueOf: () => unknown }).valueOf();
    if (v !== value) return truthy(v);
  }
  if (Array.isArray(value)) return value.length > 0;
  return !!value;
}

function primitive(value: unknown): unknown {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    const v = (value as { valueOf: () => unknown }).valueOf?.();
    if (v !== undefined && v !== value) return v;
  }
  return value;
}

function lookup(scope: Scope, bare: Scope | undefined, segments: Expr & { kind: "path" }): unknown {
  const [first, ...rest] = segments.segments;
  if (!first || !("name" in first)) return undefined;
  let value: unknown = Object.hasOwn(scope, first.name) ? scope[first.name] : bare?.[first.name];
  if (first.name === "always" && value === undefined) return true;
  for (const s of rest) {
    if (value === null || value === undefined) return undefined;
    const key = "index" in s ? s.index : s.name;
    value = (value as Record<string | number, unknown>)[key];
  }
  return value;
}

/** A process's output is text with fields (scope.ts textObject): functions see its text. */
export function text(value: unknown): unknown {
  const v = primitive(value);
  return typeof v === "string" ? v : value;
}

/** Length of text or a list; number of keys of an object (for `len` in conditions and templates). */
export function lengthOf(value: unknown): number {
  const v = text(value);
  return typeof v === "string" || Array.isArray(v)
    ? v.length
    : v && typeof v === "object"
      ? Object.keys(v).length
      : 0;
}

function isObject(v: unknown): v is object {
  return typeof v === "object" && v !== null;
}

/** A value as text for the text functions: an object or a list as its JSON, as templates write it. */
const asText = (v: unknown): string => valueText(text(v));

const functions: Record<string, (...args: unknown[]) => unknown> = {
  len: lengthOf,
  lower: (v) => asText(v).toLowerCase(),
  upper: (v) => asText(v).toUpperCase(),
  trim: (v) => asText(v).trim(),
  number: (v) => Number(primitive(v)),
  string: asText,
  exists: (value) => {
    const v = text(value);
    return v !== undefined && v !== null && v !== "";
  },
  startswith: (a, b) => asText(a).startsWith(asText(b)),
  endswith: (a, b) => asText(a).endsWith(asText(b)),
};

/**
 * `scope` holds the run's names; `bare` the current state's own fields, which conditions
 * may name without the state's name (`score >= 0.8`).
 */
export function evaluate(e: Expr, scope: Scope, bare?: Scope): unknown {
  switch (e.kind) {
    case "literal":
      return e.value;
    case "path":
      return lookup(scope, bare, e);
    case "list":
      return e.items.map((i) => evaluate(i, scope, bare));
    case "call": {
      const fn = functions[e.callee.name];
      return fn ? fn(...e.args.map((a) => evaluate(a, scope, bare))) : undefined;
    }
    case "unary": {
      const v = evaluate(e.operand, scope, bare);
      return e.op === "not" ? !truthy(v) : -Number(primitive(v));
    }
    case "between": {
      const v = primitive(evaluate(e.operand, scope, bare));
      const low = primitive(evaluate(e.low, scope, bare));
      const high = primitive(evaluate(e.high, scope, bare));
      return (
        typeof v === "number" &&
        typeof low === "number" &&
        typeof high === "number" &&
        v >= low &&
        v <= high
      );
    }
    case "binary": {
      if (e.op === "and")
        return truthy(evaluate(e.left, scope, bare)) && truthy(evaluate(e.right, scope, bare));
      if (e.op === "or")
        return truthy(evaluate(e.left, scope, bare)) || truthy(evaluate(e.right, scope, bare));
      const left = primitive(evaluate(e.left, scope, bare));
      const right = primitive(evaluate(e.right, scope, bare));
      switch (e.op) {
        case "==":
          return left === right;
        case "!=":
          return left !== right;
        case "<":
        case "<=":
        case ">":
        case ">=": {
          if (left === undefined || left === null || right === undefined || right === null)
            return false;
          if (typeof left !== typeof right) return false;
          const l = left as number | string;
          const r = right as number | string;
          return e.op === "<" ? l < r : e.op === "<=" ? l <= r : e.op === ">" ? l > r : l >= r;
        }
        case "contains":
          if (Array.isArray(left)) return left.includes(right);
          // An object (an agent's JSON answer) is searched as its JSON text.
          return typeof left === "string" || typeof left === "number" || isObject(left)
            ? asText(left).includes(asText(right))
            : false;
        case "matches":
          try {
            return new RegExp(asText(right)).test(asText(left));
          } catch {
            return false;
          }
        case "in":
          if (Array.isArray(right)) return right.includes(left);
          return typeof right === "string" ? right.includes(String(left)) : false;
        case "+":
          return typeof left === "number" && typeof right === "number"
            ? left + right
            : `${left ?? ""}${right ?? ""}`;
        case "-":
          return Number(left) - Number(right);
        case "*":
          return Number(left) * Number(right);
        case "/":
          return Number(left) / Number(right);
      }
    }
  }
}
