// States with `errors skip` (AgentOS `errorMode: skip`): a failure of their action is
// recorded as `skipped` and the run goes on with their transitions — a skipped result
// counts as a success (runtime/scope.ts), so `on success` is taken. Such a state may end
// without output: reading its output, score, stdout … where it may have been skipped is
// AEG406, like reading a state that may not have run. Where it cannot have been skipped —
// after `on skipped -> …` took the skipped case, past a condition that is false for a
// skipped state (`not X.skipped`, `X.status == "succeeded"`, `X.output contains "ok"`, a
// test of what it produced) — it may be read.
import type { Expr } from "../ast.ts";
import type { TransitionEdge } from "../graph.ts";
import { resultFields } from "../vocabulary.ts";
import type { GraphFacts, Transition } from "./context.ts";

/** Fields every result has, a skipped one too: reading them is always fine. */
export const statusFields = new Set([
  "status",
  "success",
  "failure",
  "timeout",
  "timed_out",
  "skipped",
  "duration",
  "visits",
  "attempts",
  "error",
  "always",
]);

/** A value the checker cannot know. */
const UNKNOWN: unique symbol = Symbol("unknown");
type Value = unknown;

/** A field of a state that was skipped without output, as conditions and templates see it. */
function skippedField(field: string): Value {
  switch (field) {
    case "status":
      return "skipped";
    case "success":
    case "skipped":
    case "always":
      return true;
    case "failure":
    case "timeout":
    case "timed_out":
      return false;
    case "error":
    case "duration":
    case "visits":
    case "attempts":
      return UNKNOWN;
    default:
      // What the action produces (output, score, stdout …): absent.
      return undefined;
  }
}

/** `parts` of a skipped state's result (["output", "verdict"]): undefined past a missing field. */
export function skippedValue(parts: readonly string[]): Value {
  if (parts.length === 0) return UNKNOWN;
  const v = skippedField(parts[0]!);
  if (parts.length === 1 || v === UNKNOWN) return v;
  return v === undefined || v === null ? undefined : UNKNOWN;
}

/** Truthiness as the runtime's conditions and {{#if}} see it; UNKNOWN stays unknown. */
function truthy(v: Value): boolean | typeof UNKNOWN {
  if (v === UNKNOWN) return UNKNOWN;
  if (Array.isArray(v)) return v.length > 0;
  return !!v;
}

const known = (v: Value) => v !== UNKNOWN;

export class Skips {
  private readonly facts: GraphFacts;
  private readonly reached = new Map<string, Int32Array>();

  constructor(facts: GraphFacts) {
    this.facts = facts;
  }

  /** Whether a state's error mode is skip. */
  skippable(state: string): boolean {
    const i = this.facts.indexOf.get(state);
    return i !== undefined && this.facts.nodes[i]!.errorMode === "skip";
  }

  /**
   * What `e`, a condition of state `self` (its own fields bare), evaluates to when
   * `skipped` was skipped without output: true, false or UNKNOWN.
   */
  evaluate(e: Expr, skipped: string, self: string | undefined): Value {
    switch (e.kind) {
      case "literal":
        return e.value;
      case "list":
        return UNKNOWN;
      case "path": {
        const names = e.segments.map((s) => ("name" in s ? s.name : String(s.index)));
        const [head, ...rest] = names;
        if (head === undefined) return UNKNOWN;
        if (head === skipped) return skippedValue(rest);
        if (this.facts.indexOf.has(head)) return UNKNOWN;
        if (head === "always" && rest.length === 0) return true;
        if (self === skipped) {
          const node = this.facts.nodes[this.facts.indexOf.get(skipped)!]!;
          if (statusFields.has(head) || Object.hasOwn(resultFields(node), head))
            return skippedValue(names);
        }
        return UNKNOWN;
      }
      case "unary": {
        if (e.op !== "not") return UNKNOWN;
        const t = truthy(this.evaluate(e.operand, skipped, self));
        return t === UNKNOWN ? UNKNOWN : !t;
      }
      case "between": {
        const v = this.evaluate(e.operand, skipped, self);
        return known(v) && typeof v !== "number" ? false : UNKNOWN;
      }
      case "call": {
        const args = e.args.map((a) => this.evaluate(a, skipped, self));
        const [a] = args;
        if (e.callee.name === "exists" && (a === undefined || a === null)) return false;
        if (e.callee.name === "len" && (a === undefined || a === null)) return 0;
        return UNKNOWN;
      }
      case "binary":
        return this.binary(e, skipped, self);
    }
  }

  private binary(e: Expr & { kind: "binary" }, skipped: string, self: string | undefined): Value {
    const left = this.evaluate(e.left, skipped, self);
    if (e.op === "and" || e.op === "or") {
      const l = truthy(left);
      const decides = e.op !== "and";
      if (l === decides) return decides;
      const r = truthy(this.evaluate(e.right, skipped, self));
      if (r === decides) return decides;
      return l === UNKNOWN || r === UNKNOWN ? UNKNOWN : !decides;
    }
    const right = this.evaluate(e.right, skipped, self);
    const missing = (v: Value) => v === undefined || v === null;
    switch (e.op) {
      case "==":
      case "!=":
        if (!known(left) || !known(right)) return UNKNOWN;
        return (left === right) === (e.op === "==");
      case "<":
      case "<=":
      case ">":
      case ">=":
        // The runtime: comparisons with a missing value are false.
        if (missing(left) || missing(right)) return false;
        return UNKNOWN;
      case "contains":
        if (missing(left) || typeof left === "boolean") return false;
        return UNKNOWN;
      case "in":
        if (missing(right)) return false;
        return UNKNOWN;
      default:
        return UNKNOWN;
    }
  }

  /**
   * The transitions of state `from` that may be taken when `skipped` was skipped: in
   * order, those whose condition may hold, up to the first that certainly holds.
   */
  private mayTake(from: number, skipped: string): Transition[] {
    const self = this.facts.states[from]!;
    const out: Transition[] = [];
    for (const t of this.facts.transitions[from]!) {
      const a = t.attributes;
      const v =
        a.otherwise || !a.condition ? true : truthy(this.evaluate(a.condition, skipped, self));
      if (v === false) continue;
      out.push(t);
      if (v === true) break;
    }
    return out;
  }

  /** Whether `skipped`'s own transition `edge` may be taken when it was skipped. */
  edgeMayFire(skipped: string, edge: TransitionEdge): boolean {
    const i = this.facts.indexOf.get(skipped);
    if (i === undefined || !this.facts.reachable.has(skipped)) return false;
    return this.mayTake(i, skipped).some((t) => t.attributes === edge);
  }

  /**
   * For each state, the state before it on a shortest path from `skipped`'s skip: taken
   * when it was skipped, never entering it again (-2: not reached).
   */
  private reach(skipped: string): Int32Array {
    let parent = this.reached.get(skipped);
    if (parent) return parent;
    const facts = this.facts;
    parent = new Int32Array(facts.states.length).fill(-2);
    const first = facts.indexOf.get(skipped);
    if (first !== undefined && facts.reachable.has(skipped)) {
      const queue = [first];
      for (let head = 0; head < queue.length; head++) {
        const s = queue[head]!;
        for (const t of this.mayTake(s, skipped)) {
          const target = facts.indexOf.get(t.target)!;
          if (target === first || parent[target] !== -2) continue;
          parent[target] = s;
          queue.push(target);
        }
      }
    }
    this.reached.set(skipped, parent);
    return parent;
  }

  /** A path from the start through `skipped`, skipped there, to `reader`; or undefined. */
  path(skipped: string, reader: string): string[] | undefined {
    const parent = this.reach(skipped);
    const r = this.facts.indexOf.get(reader);
    if (r === undefined || parent[r] === -2) return undefined;
    const first = this.facts.indexOf.get(skipped)!;
    const after: string[] = [];
    for (let s = r; s !== first; s = parent[s]!) after.push(this.facts.states[s]!);
    const before = this.facts.pathAvoiding(skipped, skipped) ?? [skipped];
    return [...before, ...after.reverse()];
  }

  /** A path on which `skipped` is skipped and the run then ends well (at a success final). */
  finalPath(skipped: string): string[] | undefined {
    const parent = this.reach(skipped);
    let best: string[] | undefined;
    this.facts.states.forEach((s, i) => {
      if (parent[i] === -2 || this.facts.nodes[i]!.final !== "success") return;
      const path = this.path(skipped, s);
      if (path && (!best || path.length < best.length)) best = path;
    });
    return best;
  }

  /**
   * States whose skip the enclosing {{#if}} / {{#unless}} blocks rule out: a block taken
   * only when the state produced something (`{{#if X.output}}`) or was not skipped
   * (`{{#unless X.skipped}}`, the {{else}} of `{{#if X.skipped}}`).
   */
  guardedByTests(tests: readonly { parts: readonly string[]; truthy: boolean }[]): string[] {
    const out: string[] = [];
    for (const test of tests) {
      const [head, ...rest] = test.parts;
      if (head === undefined || !this.skippable(head)) continue;
      const t = truthy(skippedValue(rest));
      if (t !== UNKNOWN && t !== test.truthy) out.push(head);
    }
    return out;
  }

  /**
   * States whose skip makes `e` false (`not X.skipped`, `X.output contains "ok"`): in
   * `e and …`, what follows is read only when they were not skipped. With `whenTrue`
   * false, those whose skip makes it true (`X.skipped or …`).
   */
  guardedBy(e: Expr, self: string | undefined, whenTrue: boolean): string[] {
    const out: string[] = [];
    const candidates = new Set<string>();
    const visit = (x: Expr): void => {
      if (x.kind === "path") {
        const head = x.segments[0];
        if (head && "name" in head && this.skippable(head.name)) candidates.add(head.name);
      }
      for (const child of children(x)) visit(child);
    };
    visit(e);
    if (self !== undefined && this.skippable(self)) candidates.add(self);
    for (const s of candidates) {
      const v = truthy(this.evaluate(e, s, self));
      if (v !== UNKNOWN && v !== whenTrue) out.push(s);
    }
    return out;
  }
}

function children(e: Expr): Expr[] {
  switch (e.kind) {
    case "unary":
      return [e.operand];
    case "binary":
      return [e.left, e.right];
    case "between":
      return [e.operand, e.low, e.high];
    case "call":
      return e.args;
    case "list":
      return e.items;
    default:
      return [];
  }
}
