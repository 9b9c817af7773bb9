// The abstract domain of conditions (src/compiler/abstract.ts): sets of values, regions, and
// their soundness against the runtime's own evaluator — whatever it says cannot hold never
// holds when runtime/evaluate.ts evaluates it, for every value of the names.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ALL,
  complement,
  type Domain,
  isEmpty,
  join,
  meet,
  type Namer,
  NONE,
  NUMBERS,
  oneOf,
  point,
  range,
  Space,
  STRINGS,
  stringsExcept,
  type Term,
  values,
  within,
} from "../../src/compiler/abstract.ts";
import type { Expr } from "../../src/compiler/ast.ts";
import { parseExpression } from "../../src/compiler/parse.ts";
import { evaluate, truthy } from "../../src/runtime/evaluate.ts";

function expr(text: string): Expr {
  const parsed = parseExpression(text, 0);
  if (!parsed.expr) throw new Error(`${text}: ${parsed.error}`);
  return parsed.expr;
}

describe("sets of values", () => {
  it("meet, join and complement of intervals", () => {
    const a = range(0, 1);
    const b = range(0.5, 2, false, true);
    expect(meet(a, b).numbers).toEqual([{ lo: 0.5, hi: 1, loIn: false, hiIn: true }]);
    expect(join(a, b).numbers).toEqual([{ lo: 0, hi: 2, loIn: true, hiIn: true }]);
    expect(complement(a).numbers).toEqual([
      { lo: Number.NEGATIVE_INFINITY, hi: 0, loIn: true, hiIn: false },
      { lo: 1, hi: Number.POSITIVE_INFINITY, loIn: false, hiIn: true },
    ]);
    expect(isEmpty(meet(range(0, 1, true, false), range(1, 2)))).toBe(true);
    expect(isEmpty(meet(range(0, 1), range(1, 2)))).toBe(false);
    // Touching intervals merge, whatever the order they come in.
    expect(join(range(1, 2), range(0, 1, true, false)).numbers).toEqual(range(0, 2).numbers);
  });

  it("whole numbers: an interval without one is empty", () => {
    expect(isEmpty(range(1, 2, false, false), true)).toBe(true);
    expect(isEmpty(range(1, 2, false, true), true)).toBe(false);
    expect(isEmpty(range(0.2, 0.8), true)).toBe(true);
    expect(isEmpty(range(0.2, Number.POSITIVE_INFINITY), true)).toBe(false);
    expect(isEmpty(range(1.5, 1.5), true)).toBe(true);
  });

  it("strings: finite sets and every string but a finite set", () => {
    const ab = oneOf(["a", "b"]);
    expect(meet(ab, stringsExcept(["a"])).strings).toEqual({ except: false, values: ["b"] });
    expect(join(ab, stringsExcept(["a", "c"])).strings).toEqual({ except: true, values: ["c"] });
    expect(isEmpty(meet(ab, complement(ab)))).toBe(true);
    expect(isEmpty(STRINGS)).toBe(false);
    expect(within(ab, STRINGS)).toBe(true);
    expect(within(STRINGS, ab)).toBe(false);
  });

  it("everything and nothing", () => {
    expect(isEmpty(NONE)).toBe(true);
    expect(isEmpty(complement(ALL))).toBe(true);
    expect(within(point(null), ALL)).toBe(true);
    expect(within(NUMBERS, complement(values({ missing: true })))).toBe(true);
  });

  // Laws of a Boolean algebra, on random sets built from points and intervals.
  const someValues = fc
    .array(
      fc.oneof(
        fc.constantFrom<number | string | boolean | null>(
          0,
          1,
          0.5,
          -1,
          "a",
          "b",
          "",
          true,
          false,
          null,
        ),
        fc.tuple(fc.integer({ min: -3, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.boolean()),
      ),
      { maxLength: 4 },
    )
    .map((parts) =>
      parts.reduce(
        (acc, p) =>
          join(
            acc,
            Array.isArray(p)
              ? range(p[0], p[0] + p[1], p[2], !p[2])
              : point(p as string | number | boolean | null),
          ),
        NONE,
      ),
    );
  const probes: unknown[] = [
    undefined,
    null,
    true,
    false,
    -2,
    -1,
    -0.5,
    0,
    0.5,
    1,
    1.5,
    2,
    3,
    "a",
    "b",
    "",
    "c",
  ];
  const has = (v: ReturnType<typeof values>, x: unknown): boolean =>
    !isEmpty(
      meet(
        v,
        x === undefined ? values({ missing: true }) : point(x as string | number | boolean | null),
      ),
    );

  it("meet, join and complement are intersection, union and complement", () => {
    fc.assert(
      fc.property(someValues, someValues, (a, b) => {
        for (const x of probes) {
          expect(has(meet(a, b), x)).toBe(has(a, x) && has(b, x));
          expect(has(join(a, b), x)).toBe(has(a, x) || has(b, x));
          expect(has(complement(a), x)).toBe(!has(a, x));
        }
      }),
      { numRuns: 300 },
    );
  });
});

// ---------------------------------------------------------------- soundness

/** Names of the property test: x and y (values), ok (a flag that holds when st is "good"). */
function namer(domains: Record<string, Domain | undefined>): Namer {
  return {
    term(path): Term {
      const name = path.segments.map((s) => ("name" in s ? s.name : s.index)).join(".");
      if (name === "ok")
        return {
          kind: "flag",
          variable: {
            key: "st",
            type: "string",
            domain: {
              values: join(oneOf(["good", "bad"]), values({ missing: true })),
              describe: "",
            },
          },
          when: oneOf(["good"]),
        };
      const domain = domains[name];
      return { kind: "value", variable: { key: name, type: "any", ...(domain && { domain }) } };
    },
  };
}

const pool: unknown[] = [
  undefined,
  null,
  true,
  false,
  -1,
  0,
  0.5,
  1,
  2,
  3,
  "a",
  "",
  [],
  Number.NaN,
];

const literal = fc.constantFrom("0", "1", "0.5", "2", "-1", '"a"', '""', "true", "false", "null");
const name = fc.constantFrom("x", "y");
const atom = fc.oneof(
  fc
    .tuple(name, fc.constantFrom("==", "!=", "<", "<=", ">", ">="), literal, fc.boolean())
    .map(([n, op, l, flip]) => (flip ? `${l} ${op} ${n}` : `${n} ${op} ${l}`)),
  fc
    .tuple(name, fc.constantFrom("0", "0.5", "1", "2"), fc.constantFrom("0", "0.5", "1", "2"))
    .map(([n, a, b]) => `${n} between ${a} and ${b}`),
  fc
    .tuple(name, fc.array(literal, { maxLength: 3 }))
    .map(([n, items]) => `${n} in [${items.join(", ")}]`),
  fc.constantFrom(
    "x",
    "y",
    "ok",
    "ok == true",
    "ok == false",
    "ok != true",
    "ok != false",
    "exists(x)",
    "len(y) < 1",
    "len(x) >= 2",
    "x == y",
    "x != y",
    "true",
    "false",
    "always",
  ),
);
const condition: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
  e: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    atom,
    tie("e").map((e) => `not (${e})`),
    fc.tuple(tie("e"), tie("e")).map(([a, b]) => `(${a}) and (${b})`),
    fc.tuple(tie("e"), tie("e")).map(([a, b]) => `(${a}) or (${b})`),
  ),
})).e;

interface Config {
  title: string;
  domains: Record<string, Domain | undefined>;
  xs: unknown[];
  ys: unknown[];
}

const configs: Config[] = [
  { title: "names of any value", domains: {}, xs: pool, ys: pool },
  {
    // As a score (0 to 1, or missing) and a visit count (a whole number from 1).
    title: "names with domains",
    domains: {
      x: { values: join(range(0, 1), values({ missing: true })), describe: "is from 0 to 1" },
      y: { values: range(1, Number.POSITIVE_INFINITY), integer: true, describe: "is at least 1" },
    },
    xs: [undefined, 0, 0.5, 1],
    ys: [1, 2, 3],
  },
];

function scopes(c: Config): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const x of c.xs)
    for (const y of c.ys)
      for (const st of [undefined, "good", "bad"])
        out.push({ x, y, ...(st !== undefined && { ok: st === "good" }) });
  return out;
}

describe.each(configs)("soundness against the runtime's evaluator: $title", (c) => {
  const all = scopes(c);
  const holds = (e: Expr, scope: Record<string, unknown>) => truthy(evaluate(e, scope));

  it("a condition said never to hold never holds, and one said always to hold always does", () => {
    let never = 0;
    let always = 0;
    fc.assert(
      fc.property(condition, (text) => {
        const e = expr(text);
        const space = new Space(namer(c.domains));
        if (space.never(e)) never++;
        if (space.isEmpty(space.region(e, true))) always++;
        if (space.never(e))
          for (const s of all) expect(holds(e, s), `${text} at ${JSON.stringify(s)}`).toBe(false);
        if (space.isEmpty(space.region(e, true)))
          for (const s of all) expect(holds(e, s), `${text} at ${JSON.stringify(s)}`).toBe(true);
        // Explained whenever it never holds.
        expect(space.whyNever(e) !== undefined).toBe(space.never(e));
      }),
      { numRuns: 400 },
    );
    // Not vacuous: some of the generated conditions are found never, or always, to hold.
    expect(never).toBeGreaterThan(10);
    expect(always).toBeGreaterThan(10);
  });

  it("a transition said to be left no case by earlier ones never fires", () => {
    let dead = 0;
    fc.assert(
      fc.property(fc.array(condition, { minLength: 2, maxLength: 4 }), (texts) => {
        const es = texts.map(expr);
        const space = new Space(namer(c.domains));
        let remaining = space.region(expr("true"));
        es.forEach((e, k) => {
          if (space.isEmpty(space.and(remaining, space.region(e)))) {
            dead++;
            for (const s of all) {
              const fires = holds(e, s) && es.slice(0, k).every((earlier) => !holds(earlier, s));
              expect(fires, `${texts.join(" | ")} #${k} at ${JSON.stringify(s)}`).toBe(false);
            }
          }
          remaining = space.and(remaining, space.region(e, true));
        });
      }),
      { numRuns: 300 },
    );
    expect(dead).toBeGreaterThan(10);
  });
});

describe("what it finds", () => {
  const space = () =>
    new Space(
      namer({
        x: { values: join(range(0, 1), values({ missing: true })), describe: "is from 0 to 1" },
      }),
    );

  it.each([
    ["x >= 0.85 and x < 0.6", "x cannot be both >= 0.85 and < 0.6"],
    ["x > 1", "x is from 0 to 1"],
    ["x between 0.9 and 0.1", "its lower bound 0.9 is above its upper bound 0.1"],
    ["y == 1 and y != 1", "y cannot be both == 1 and != 1"],
    ["ok and not ok", "`ok` and `not ok` cannot both be true"],
    ["y in []", "the list is empty"],
  ])("`%s`: %s", (text, why) => {
    expect(space().whyNever(expr(text))).toBe(why);
  });

  it.each(["x >= 0.5 or x < 0.5", "x == 1", "y < 0", "ok or not ok", "not (x > 1)"])(
    "`%s` can hold",
    (text) => {
      expect(space().never(expr(text))).toBe(false);
    },
  );

  it("widens a region of too many boxes, still over-approximating", () => {
    const s = space();
    // 2^8 ways for eight independent alternatives: widened to one box, still not empty.
    const text = Array.from({ length: 8 }, (_, i) => `(a${i} == 1 or b${i} == 1)`).join(" and ");
    const r = s.region(expr(text));
    expect(r.length).toBeLessThanOrEqual(32);
    expect(s.isEmpty(r)).toBe(false);
    // A contradiction on one name survives the widening.
    expect(s.never(expr(`${text} and x > 1`))).toBe(true);
  });
});
