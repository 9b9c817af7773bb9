// Abstract interpretation of conditions. A condition is read as the set of values its names
// may have for it to hold: numbers as unions of intervals, strings as finite sets (or every
// string but a finite set), true, false, null, missing (a path with no value), and "other"
// (lists, objects, NaN) — each name's set is exact, and a whole condition is a union of
// "boxes", each giving every name it constrains a set. Names this module knows nothing about
// range over every value; comparisons it cannot read are atoms that are true or false.
//
// What it answers: can a condition hold (for the never-true check), and can it hold when
// others do not (for transitions that earlier ones shadow). Both are over-approximations:
// "it cannot hold" is only said when no value of the names makes it hold, as the runtime
// (runtime/evaluate.ts) evaluates it. Pure: the names' meaning comes from a Namer.
import type { Expr } from "./ast.ts";
import { precedence, printExpr } from "./expression.ts";

// ---------------------------------------------------------------- sets of values

/** An interval of numbers; -Infinity and Infinity stand for no bound. */
export interface Interval {
  readonly lo: number;
  readonly hi: number;
  readonly loIn: boolean;
  readonly hiIn: boolean;
}

/** Strings: exactly `values`, or (except) every string but `values`. Sorted, distinct. */
export interface Strings {
  readonly except: boolean;
  readonly values: readonly string[];
}

/** A set of values a name may have (after the runtime's `primitive()`). */
export interface Values {
  /** No value: the path leads nowhere (undefined). */
  readonly missing: boolean;
  readonly nul: boolean;
  readonly yes: boolean;
  readonly no: boolean;
  /** Disjoint, sorted, none empty. */
  readonly numbers: readonly Interval[];
  readonly strings: Strings;
  /** Lists, objects, NaN: values no comparison with a literal can match. */
  readonly other: boolean;
}

const NO_STRINGS: Strings = { except: false, values: [] };
const ALL_STRINGS: Strings = { except: true, values: [] };
const ALL_NUMBERS: readonly Interval[] = [
  { lo: Number.NEGATIVE_INFINITY, hi: Number.POSITIVE_INFINITY, loIn: true, hiIn: true },
];

export const NONE: Values = {
  missing: false,
  nul: false,
  yes: false,
  no: false,
  numbers: [],
  strings: NO_STRINGS,
  other: false,
};

export const ALL: Values = {
  missing: true,
  nul: true,
  yes: true,
  no: true,
  numbers: ALL_NUMBERS,
  strings: ALL_STRINGS,
  other: true,
};

export function values(parts: Partial<Values>): Values {
  return { ...NONE, ...parts };
}

/** Numbers from lo to hi (bounds included unless said otherwise). */
export function range(lo: number, hi: number, loIn = true, hiIn = true): Values {
  return values({ numbers: normalize([{ lo, hi, loIn, hiIn }]) });
}

export type Scalar = string | number | boolean | null;

/** The set of one literal value. */
export function point(value: Scalar): Values {
  if (value === null) return values({ nul: true });
  if (value === true) return values({ yes: true });
  if (value === false) return values({ no: true });
  if (typeof value === "number") return Number.isNaN(value) ? NONE : range(value, value);
  return values({ strings: { except: false, values: [value] } });
}

export function oneOf(list: readonly Scalar[]): Values {
  return list.reduce<Values>((acc, v) => join(acc, point(v)), NONE);
}

/** Every string but these. */
export function stringsExcept(list: readonly string[]): Values {
  return values({ strings: { except: true, values: [...new Set(list)].sort() } });
}

/** Every string. */
export const STRINGS: Values = values({ strings: ALL_STRINGS });
/** Every number. */
export const NUMBERS: Values = values({ numbers: ALL_NUMBERS });
export const BOOLEANS: Values = values({ yes: true, no: true });

function emptyInterval(i: Interval): boolean {
  return i.lo > i.hi || (i.lo === i.hi && !(i.loIn && i.hiIn));
}

/** Sorts and merges intervals that overlap or touch; drops empty ones. */
function normalize(list: readonly Interval[]): Interval[] {
  const sorted = list
    .filter((i) => !emptyInterval(i))
    .sort((a, b) => a.lo - b.lo || (a.loIn === b.loIn ? 0 : a.loIn ? -1 : 1));
  const out: Interval[] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    if (last && (i.lo < last.hi || (i.lo === last.hi && (last.hiIn || i.loIn)))) {
      if (i.hi > last.hi || (i.hi === last.hi && i.hiIn && !last.hiIn))
        out[out.length - 1] = { lo: last.lo, loIn: last.loIn, hi: i.hi, hiIn: i.hiIn };
    } else out.push(i);
  }
  return out;
}

function intersectIntervals(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  for (const x of a) {
    for (const y of b) {
      const lo = Math.max(x.lo, y.lo);
      const hi = Math.min(x.hi, y.hi);
      const loIn = (x.lo !== lo || x.loIn) && (y.lo !== lo || y.loIn);
      const hiIn = (x.hi !== hi || x.hiIn) && (y.hi !== hi || y.hiIn);
      const i = { lo, hi, loIn, hiIn };
      if (!emptyInterval(i)) out.push(i);
    }
  }
  return normalize(out);
}

function complementIntervals(list: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  let lo = Number.NEGATIVE_INFINITY;
  let loIn = true;
  for (const i of list) {
    out.push({ lo, loIn, hi: i.lo, hiIn: !i.loIn });
    lo = i.hi;
    loIn = !i.hiIn;
  }
  out.push({ lo, loIn, hi: Number.POSITIVE_INFINITY, hiIn: true });
  return normalize(out);
}

function sortedUnion(a: readonly string[], b: readonly string[]): readonly string[] {
  if (b.length === 0) return a;
  if (a.length === 0) return b;
  return [...new Set([...a, ...b])].sort();
}

function meetStrings(a: Strings, b: Strings): Strings {
  if (!a.except && !b.except)
    return { except: false, values: a.values.filter((v) => b.values.includes(v)) };
  if (a.except && b.except) return { except: true, values: sortedUnion(a.values, b.values) };
  const [finite, cofinite] = a.except ? [b, a] : [a, b];
  return { except: false, values: finite.values.filter((v) => !cofinite.values.includes(v)) };
}

function joinStrings(a: Strings, b: Strings): Strings {
  if (!a.except && !b.except) return { except: false, values: sortedUnion(a.values, b.values) };
  if (a.except && b.except)
    return { except: true, values: a.values.filter((v) => b.values.includes(v)) };
  const [finite, cofinite] = a.except ? [b, a] : [a, b];
  return { except: true, values: cofinite.values.filter((v) => !finite.values.includes(v)) };
}

export function meet(a: Values, b: Values): Values {
  if (a === ALL || a === b) return b;
  if (b === ALL) return a;
  return {
    missing: a.missing && b.missing,
    nul: a.nul && b.nul,
    yes: a.yes && b.yes,
    no: a.no && b.no,
    numbers:
      a.numbers === ALL_NUMBERS
        ? b.numbers
        : b.numbers === ALL_NUMBERS
          ? a.numbers
          : intersectIntervals(a.numbers, b.numbers),
    strings: meetStrings(a.strings, b.strings),
    other: a.other && b.other,
  };
}

export function join(a: Values, b: Values): Values {
  if (a === ALL || b === ALL) return ALL;
  if (a === b) return a;
  return {
    missing: a.missing || b.missing,
    nul: a.nul || b.nul,
    yes: a.yes || b.yes,
    no: a.no || b.no,
    numbers: normalize([...a.numbers, ...b.numbers]),
    strings: joinStrings(a.strings, b.strings),
    other: a.other || b.other,
  };
}

/** Complements already taken, by set: conditions negate the same few sets again and again. */
const complements = new WeakMap<Values, Values>();

export function complement(a: Values): Values {
  if (a === ALL) return NONE;
  const known = complements.get(a);
  if (known) return known;
  const c: Values = {
    missing: !a.missing,
    nul: !a.nul,
    yes: !a.yes,
    no: !a.no,
    numbers: complementIntervals(a.numbers),
    strings: { except: !a.strings.except, values: a.strings.values },
    other: !a.other,
  };
  complements.set(a, c);
  complements.set(c, a);
  return c;
}

/** Whether an interval holds a whole number. */
function holdsInteger(i: Interval): boolean {
  if (!Number.isFinite(i.lo) || !Number.isFinite(i.hi)) return true;
  const lo = i.loIn || !Number.isInteger(i.lo) ? Math.ceil(i.lo) : i.lo + 1;
  const hi = i.hiIn || !Number.isInteger(i.hi) ? Math.floor(i.hi) : i.hi - 1;
  return lo <= hi;
}

/** Whether no value is in the set (`integer`: its numbers must be whole). */
export function isEmpty(v: Values, integer = false): boolean {
  if (v.missing || v.nul || v.yes || v.no || v.other) return false;
  if (v.strings.except || v.strings.values.length > 0) return false;
  return integer ? !v.numbers.some(holdsInteger) : v.numbers.length === 0;
}

/** Whether every value of `a` is in `b`. */
export function within(a: Values, b: Values): boolean {
  return isEmpty(meet(a, complement(b)));
}

// ---------------------------------------------------------------- names

/** The values a name can have at all (its range), and how a message says so. */
export interface Domain {
  values: Values;
  /** Its numbers are whole. */
  integer?: boolean;
  /**
   * Finitely many values, declared as such (a literal union, an enumeration, a status): a
   * comparison with none of them is a type error (no overlap), not merely never true.
   */
  enumerated?: boolean;
  /** The values of an enumeration, as declared (for hints). */
  members?: readonly (string | number)[];
  /** What to write instead of a comparison with a value it never has. */
  advice?: string;
  /** Its range in words, after the name: "is from 0 to 1". */
  describe: string;
}

/** The type of a value as the type checker (checks/scopes.ts) sees it. */
export type CoarseType = "string" | "number" | "boolean" | "list" | "null" | "any";

export interface Variable {
  /** Identity: two paths with one key have one value (`score` and `REVIEW.score` in REVIEW). */
  key: string;
  /** Absent: any value. */
  domain?: Domain;
  type: CoarseType;
}

/**
 * What a path means: a value, or a flag that holds exactly when another variable has one of
 * `when` (`success` is `status` being "succeeded" or "skipped"). A flag is a boolean when
 * that variable has a value, and missing when it has none.
 */
export type Term =
  | { kind: "value"; variable: Variable }
  | { kind: "flag"; variable: Variable; when: Values };

export interface Namer {
  term(path: Expr & { kind: "path" }): Term;
}

/**
 * How comparisons that the type checker reports are read. "exact": as the runtime evaluates
 * them (what can fire). "reported": as unknown truth values, so that what a type error
 * already explains (`score == "high"`, a value no literal union holds) is not explained
 * twice as a condition that can never be true.
 */
export type Mode = "exact" | "reported";

// ---------------------------------------------------------------- regions

/** Sets of the names a box constrains; a name absent from it may have any value. */
export type Box = ReadonlyMap<string, Values>;
/** A union of boxes: no box is no value at all, one empty box is every value. */
export type Region = readonly Box[];

export const NOWHERE: Region = [];
export const EVERYWHERE: Region = [new Map()];

/** Beyond this many boxes a region is widened to one box that holds them all. */
const MAX_BOXES = 32;

/** One constraint of a condition on one name: the name's value is in `values`. */
interface Atom {
  key: string;
  values: Values;
}

const OPAQUE_DOMAIN: Domain = { values: BOOLEANS, describe: "is true or false" };
/** Values of a flag when its variable has a value (for `flag == false`). */
const PRESENT: Values = complement(values({ missing: true }));

function literalOf(e: Expr): Scalar | undefined {
  return e.kind === "literal" ? e.value : undefined;
}

function isLiteral(e: Expr): e is Expr & { kind: "literal" } {
  return e.kind === "literal";
}

/** The operator that holds when `op` does not, for messages (`<` for `>=`). */
const negatedOp: Record<string, string> = {
  "==": "!=",
  "!=": "==",
  "<": ">=",
  "<=": ">",
  ">": "<=",
  ">=": "<",
};

/** `a < b` read from b's side. */
const flippedOp: Record<string, string> = {
  "==": "==",
  "!=": "!=",
  "<": ">",
  "<=": ">=",
  ">": "<",
  ">=": "<=",
};

function typeOfLiteral(v: Scalar): CoarseType {
  return v === null ? "null" : (typeof v as CoarseType);
}

const known = (t: CoarseType) => t !== "any" && t !== "null";

/**
 * The conditions of one place (one state's transitions and `until`): their names share a
 * meaning there. Regions are computed over the names' domains.
 */
export class Space {
  private readonly namer: Namer;
  private readonly domains = new Map<string, Domain>();
  private readonly terms = new Map<Expr, Term>();

  constructor(namer: Namer) {
    this.namer = namer;
  }

  // -------------------------------------------------------------- region algebra

  private domainOf(key: string): Domain | undefined {
    return this.domains.get(key);
  }

  /** Whether a box holds no value: some name's set leaves nothing of its domain. */
  private emptyBox(box: Box): boolean {
    for (const [key, v] of box) {
      const d = this.domainOf(key);
      if (isEmpty(d ? meet(v, d.values) : v, d?.integer)) return true;
    }
    return false;
  }

  isEmpty(region: Region): boolean {
    return region.every((box) => this.emptyBox(box));
  }

  and(a: Region, b: Region): Region {
    if (a.length === 0 || b.length === 0) return NOWHERE;
    if (a.length === 1 && a[0]!.size === 0) return b;
    if (b.length === 1 && b[0]!.size === 0) return a;
    const out: Box[] = [];
    for (const x of a) {
      for (const y of b) {
        const [small, large] = x.size <= y.size ? [x, y] : [y, x];
        const box = new Map(large);
        for (const [key, v] of small) {
          const w = box.get(key);
          box.set(key, w ? meet(v, w) : v);
        }
        if (!this.emptyBox(box)) out.push(box);
      }
    }
    return out.length > MAX_BOXES ? [hull(out)] : out;
  }

  or(a: Region, b: Region): Region {
    if (a.length === 0) return b;
    if (b.length === 0) return a;
    if (a.some((box) => box.size === 0) || b.some((box) => box.size === 0)) return EVERYWHERE;
    const out = [...a, ...b];
    return out.length > MAX_BOXES ? [hull(out)] : out;
  }

  // -------------------------------------------------------------- conditions

  /** Where `e` holds (negated: where it does not), as the runtime evaluates it. */
  region(e: Expr, negated = false, mode: Mode = "exact"): Region {
    switch (e.kind) {
      case "unary":
        if (e.op === "not") return this.region(e.operand, !negated, mode);
        break;
      case "binary":
        if (e.op === "and" || e.op === "or") {
          const left = this.region(e.left, negated, mode);
          const right = this.region(e.right, negated, mode);
          // not (a and b) = not a or not b: the runtime's and/or are on truth values.
          return (e.op === "and") !== negated ? this.and(left, right) : this.or(left, right);
        }
        break;
      case "literal":
        if (typeof e.value === "boolean") return e.value !== negated ? EVERYWHERE : NOWHERE;
        break;
      case "path":
        if (isAlways(e)) return negated ? NOWHERE : EVERYWHERE;
        break;
    }
    const atom = this.atom(e, mode);
    const set = negated ? complement(atom.values) : atom.values;
    return [new Map([[atom.key, set]])];
  }

  /** Whether the condition can never hold. */
  never(e: Expr, mode: Mode = "exact"): boolean {
    return this.isEmpty(this.region(e, false, mode));
  }

  private termOf(path: Expr & { kind: "path" }): Term {
    let t = this.terms.get(path);
    if (!t) {
      t = this.namer.term(path);
      this.terms.set(path, t);
      if (t.variable.domain && !this.domains.has(t.variable.key))
        this.domains.set(t.variable.key, t.variable.domain);
    }
    return t;
  }

  /** A derived value: len(x), lower(x) …, or a path. */
  private subject(e: Expr): Term | undefined {
    if (e.kind === "path") return this.termOf(e);
    if (e.kind === "call" && e.args.length === 1) {
      const arg = e.args[0]!;
      const inner = arg.kind === "path" ? this.termOf(arg) : undefined;
      const argKey = inner?.kind === "value" ? inner.variable.key : `(${printExpr(arg)})`;
      const key = `${e.callee.name}(${argKey})`;
      let domain: Domain | undefined;
      let type: CoarseType;
      switch (e.callee.name) {
        case "len":
          domain = {
            values: range(0, Number.POSITIVE_INFINITY),
            integer: true,
            describe: "is never negative",
          };
          type = "number";
          break;
        case "number":
          domain = {
            values: values({ numbers: ALL_NUMBERS, other: true }),
            describe: "is a number",
          };
          type = "number";
          break;
        case "lower":
        case "upper":
        case "trim":
        case "string":
          domain = { values: STRINGS, describe: "is text" };
          type = "string";
          break;
        default:
          return undefined;
      }
      if (!this.domains.has(key)) this.domains.set(key, domain);
      return { kind: "value", variable: { key, domain, type } };
    }
    return undefined;
  }

  private opaque(e: Expr): Atom {
    const key = `?${printExpr(e)}`;
    if (!this.domains.has(key)) this.domains.set(key, OPAQUE_DOMAIN);
    return { key, values: values({ yes: true }) };
  }

  /**
   * A comparison that the type checker reports: different types (checks/scopes.ts), or a
   * value of a declared finite set compared with values outside it (no overlap).
   */
  typeError(e: Expr): boolean {
    const c = this.comparison(e);
    if (!c) return false;
    if (c.op === "between") {
      return [c.subject.type, ...c.literals.map(typeOfLiteral)].some(
        (t) => known(t) && t !== "number",
      );
    }
    const t = c.subject.type;
    if (c.op === "in") return this.noOverlap(c.subject, c.literals);
    const l = typeOfLiteral(c.literals[0]!);
    if (c.op === "==" || c.op === "!=") {
      if (known(t) && known(l) && t !== l) return true;
      return this.noOverlap(c.subject, c.literals);
    }
    return (
      (known(t) && t !== "number" && t !== "string") ||
      (known(l) && l !== "number" && l !== "string") ||
      (known(t) && known(l) && t !== l)
    );
  }

  /** A variable of a declared finite set that holds none of `literals`. */
  noOverlap(v: Variable, literals: readonly Scalar[]): boolean {
    const d = v.domain;
    if (!d?.enumerated || literals.some((l) => l === null)) return false;
    return isEmpty(meet(oneOf(literals), d.values), d.integer);
  }

  /**
   * A comparison of a value with literals, read from the value's side: `x OP literal`,
   * `x between a and b`, `x in [a, b]`. Flags are not values: undefined for them.
   */
  comparison(
    e: Expr,
  ): { subject: Variable; subjectExpr: Expr; op: string; literals: Scalar[] } | undefined {
    if (e.kind === "between") {
      const low = literalOf(e.low);
      const high = literalOf(e.high);
      const s = this.subject(e.operand);
      if (s?.kind !== "value" || typeof low !== "number" || typeof high !== "number")
        return undefined;
      return { subject: s.variable, subjectExpr: e.operand, op: "between", literals: [low, high] };
    }
    if (e.kind !== "binary") return undefined;
    if (e.op === "in") {
      if (e.right.kind !== "list" || !e.right.items.every(isLiteral)) return undefined;
      const s = this.subject(e.left);
      if (s?.kind !== "value") return undefined;
      return {
        subject: s.variable,
        subjectExpr: e.left,
        op: "in",
        literals: e.right.items.map((i) => (i as Expr & { kind: "literal" }).value),
      };
    }
    if (!(e.op in flippedOp)) return undefined;
    const [subjectExpr, literal, op] =
      isLiteral(e.right) && !isLiteral(e.left)
        ? [e.left, e.right, e.op]
        : isLiteral(e.left) && !isLiteral(e.right)
          ? [e.right, e.left, flippedOp[e.op]!]
          : [undefined, undefined, e.op];
    if (!subjectExpr || !literal) return undefined;
    const s = this.subject(subjectExpr);
    if (s?.kind !== "value") return undefined;
    return { subject: s.variable, subjectExpr, op, literals: [literal.value] };
  }

  /** One constraint: which values of which name make `e` true. */
  private atom(e: Expr, mode: Mode): Atom {
    // A flag (`success`), as a condition or compared with true / false.
    const flag = this.flagAtom(e);
    if (flag) return flag;
    if (mode === "reported" && this.typeError(e)) return this.opaque(e);
    const c = this.comparison(e);
    if (c) {
      const key = c.subject.key;
      const [first, second] = c.literals;
      switch (c.op) {
        case "between":
          return { key, values: range(first as number, second as number) };
        case "in":
          return { key, values: oneOf(c.literals) };
        case "==":
          return { key, values: point(first!) };
        case "!=":
          return { key, values: complement(point(first!)) };
        default:
          if (typeof first !== "number") return this.opaque(e);
          return {
            key,
            values:
              c.op === "<"
                ? range(Number.NEGATIVE_INFINITY, first, true, false)
                : c.op === "<="
                  ? range(Number.NEGATIVE_INFINITY, first)
                  : c.op === ">"
                    ? range(first, Number.POSITIVE_INFINITY, false, true)
                    : range(first, Number.POSITIVE_INFINITY),
          };
      }
    }
    // A path as a condition: true when its value is; exact for true/false values.
    if (e.kind === "path") {
      const t = this.termOf(e);
      const d = t.variable.domain;
      if (d && within(d.values, values({ missing: true, nul: true, yes: true, no: true })))
        return { key: t.variable.key, values: values({ yes: true }) };
    }
    // exists(x): x has a value other than null and "".
    if (e.kind === "call" && e.callee.name === "exists" && e.args.length === 1) {
      const arg = e.args[0]!;
      const t = arg.kind === "path" ? this.termOf(arg) : undefined;
      if (t?.kind === "value")
        return {
          key: t.variable.key,
          values: complement(
            values({ missing: true, nul: true, strings: { except: false, values: [""] } }),
          ),
        };
    }
    // `a == b` and `a != b` of two non-literals: one truth value, seen from both sides.
    if (e.kind === "binary" && (e.op === "==" || e.op === "!=")) {
      const base = this.opaque({ ...e, op: "==" });
      return e.op === "==" ? base : { key: base.key, values: values({ no: true }) };
    }
    return this.opaque(e);
  }

  private flagAtom(e: Expr): Atom | undefined {
    if (e.kind === "path") {
      const t = this.termOf(e);
      return t.kind === "flag" ? { key: t.variable.key, values: t.when } : undefined;
    }
    if (e.kind !== "binary" || (e.op !== "==" && e.op !== "!=")) return undefined;
    const [path, literal] = isLiteral(e.right)
      ? [e.left, e.right.value]
      : [e.right, literalOf(e.left)];
    if (path.kind !== "path" || typeof literal !== "boolean") return undefined;
    const t = this.termOf(path);
    if (t.kind !== "flag") return undefined;
    // `flag == true`: the variable is in `when`. `flag == false`: it has a value outside
    // `when` (a missing variable leaves the flag missing, neither true nor false).
    const equal = literal ? t.when : meet(complement(t.when), PRESENT);
    return { key: t.variable.key, values: e.op === "==" ? equal : complement(equal) };
  }

  // -------------------------------------------------------------- explanations

  /**
   * Why a condition can never hold, in words ("score cannot be both >= 0.85 and < 0.6");
   * undefined when it can.
   */
  whyNever(e: Expr, mode: Mode = "exact", negated = false): string | undefined {
    if (!this.isEmpty(this.region(e, negated, mode))) return undefined;
    // Alternatives: none of them can hold.
    const options = alternatives(e, negated);
    if (options.length > 1) {
      return options
        .map((o) => {
          const why = this.whyNever(o.expr, mode, o.negated) ?? "it is never true";
          return `\`${printNegated(o.expr, o.negated)}\`: ${why}`;
        })
        .join("; ");
    }
    const parts = conjuncts(e, negated);
    for (const p of parts) {
      if (!this.isEmpty(this.region(p.expr, p.negated, mode))) continue;
      if (parts.length > 1 || alternatives(p.expr, p.negated).length > 1)
        return this.whyNever(p.expr, mode, p.negated);
      return this.whyAtom(p, mode);
    }
    if (parts.length <= 12) {
      for (let i = 0; i < parts.length; i++) {
        for (let j = i + 1; j < parts.length; j++) {
          const a = parts[i]!;
          const b = parts[j]!;
          const both = this.and(
            this.region(a.expr, a.negated, mode),
            this.region(b.expr, b.negated, mode),
          );
          if (this.isEmpty(both)) return this.whyPair(a, b, mode);
        }
      }
    }
    const listed = parts.slice(0, 4).map((p) => `\`${printNegated(p.expr, p.negated)}\``);
    return `${listed.join(", ")}${parts.length > 4 ? " …" : ""} cannot all be true`;
  }

  /** Why one comparison can never hold: its range, or bounds the wrong way round. */
  private whyAtom(p: Part, mode: Mode): string {
    const d = this.describe(p, mode);
    if (d) {
      const e = p.expr;
      if (!p.negated && e.kind === "between")
        if (isEmpty(d.values))
          return `its lower bound ${printExpr(e.low)} is above its upper bound ${printExpr(e.high)}`;
      if (!p.negated && e.kind === "binary" && e.op === "in" && isEmpty(d.values))
        return "the list is empty";
      if (d.domain) return `${d.name} ${d.domain.describe}`;
    }
    return "it is never true";
  }

  private whyPair(a: Part, b: Part, mode: Mode): string {
    const da = this.describe(a, mode);
    const db = this.describe(b, mode);
    if (da && db && da.key === db.key) {
      // Whole numbers: `> 1 and < 2` holds for 1.5, only not for a whole number.
      const range =
        da.domain && !isEmpty(meet(da.values, db.values))
          ? `: ${da.name} ${da.domain.describe}`
          : "";
      return `${da.name} cannot be both ${da.text} and ${db.text}${range}`;
    }
    return `\`${printNegated(a.expr, a.negated)}\` and \`${printNegated(b.expr, b.negated)}\` cannot both be true`;
  }

  /** A comparison in words, from its value's side: ">= 0.85", "not between 1 and 2". */
  private describe(
    p: Part,
    mode: Mode,
  ): { key: string; name: string; text: string; values: Values; domain?: Domain } | undefined {
    const e = p.expr;
    if (mode === "reported" && this.typeError(e)) return undefined;
    const c = this.comparison(e);
    if (!c) return undefined;
    const not = p.negated ? "not " : "";
    let text: string;
    if (e.kind === "between") text = `${not}between ${printExpr(e.low)} and ${printExpr(e.high)}`;
    else if (e.kind === "binary" && e.op === "in") text = `${not}in ${printExpr(e.right)}`;
    else if (e.kind === "binary") {
      const literal = isLiteral(e.right) ? e.right : e.left;
      text = `${p.negated ? negatedOp[c.op] : c.op} ${printExpr(literal)}`;
    } else return undefined;
    const atom = this.atom(e, mode);
    return {
      key: c.subject.key,
      name: printExpr(c.subjectExpr),
      text,
      values: p.negated ? complement(atom.values) : atom.values,
      ...(c.subject.domain && { domain: c.subject.domain }),
    };
  }
}

interface Part {
  expr: Expr;
  negated: boolean;
}

function isAlways(e: Expr & { kind: "path" }): boolean {
  const only = e.segments.length === 1 ? e.segments[0] : undefined;
  return !!only && "name" in only && only.name === "always";
}

function isJunction(e: Expr, op: "and" | "or"): e is Expr & { kind: "binary" } {
  return e.kind === "binary" && e.op === op;
}

/** The parts that must all hold: `a and b`, `not (a or b)`, through `not`. */
function conjuncts(e: Expr, negated: boolean): Part[] {
  if (e.kind === "unary" && e.op === "not") return conjuncts(e.operand, !negated);
  if (isJunction(e, negated ? "or" : "and"))
    return [...conjuncts(e.left, negated), ...conjuncts(e.right, negated)];
  return [{ expr: e, negated }];
}

/** The parts of which one must hold: `a or b`, `not (a and b)`. */
function alternatives(e: Expr, negated: boolean): Part[] {
  if (e.kind === "unary" && e.op === "not") return alternatives(e.operand, !negated);
  if (isJunction(e, negated ? "and" : "or"))
    return [...alternatives(e.left, negated), ...alternatives(e.right, negated)];
  return [{ expr: e, negated }];
}

/** `e`, or `not e`, as source text. */
export function printNegated(e: Expr, negated: boolean): string {
  if (!negated) return printExpr(e);
  if (e.kind === "binary" && e.op in negatedOp && precedence[e.op] === 4)
    return printExpr({ ...e, op: negatedOp[e.op] as typeof e.op });
  return printExpr({ kind: "unary", op: "not", operand: e, span: e.span });
}

/** One box holding every box of a region: each name's sets joined, names not in all dropped. */
function hull(boxes: readonly Box[]): Box {
  const first = boxes[0]!;
  const out = new Map<string, Values>();
  for (const [key, v] of first) {
    let acc = v;
    let everywhere = true;
    for (let i = 1; i < boxes.length && everywhere; i++) {
      const w = boxes[i]!.get(key);
      if (w === undefined) everywhere = false;
      else acc = join(acc, w);
    }
    if (everywhere) out.set(key, acc);
  }
  return out;
}
