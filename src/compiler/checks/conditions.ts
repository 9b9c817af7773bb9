// Conditions, reasoned about (compiler/abstract.ts): a condition that can never be true
// (AEG211), a transition that earlier ones leave no case for (AEG204), and a comparison of
// a value with literals none of its declared values can equal (AEG407, as TypeScript's
// "no overlap"). Which transitions can never fire is shared with the bounds check: an exit
// of a cycle that can never fire is no exit (AEG302).

import {
  BOOLEANS,
  type CoarseType,
  type Domain,
  EVERYWHERE,
  join,
  type Namer,
  NOWHERE,
  NUMBERS,
  oneOf,
  type Region,
  range,
  Space,
  STRINGS,
  type Term,
  type Variable,
  values,
} from "../abstract.ts";
import type { Expr } from "../ast.ts";
import { type Finding, hintFor } from "../diagnostics.ts";
import { printExpr } from "../expression.ts";
import type { InputSpec, StateNode, TransitionEdge } from "../graph.ts";
import type { FieldType } from "../vocabulary.ts";
import type { Check, GraphFacts, Transition } from "./context.ts";
import { Resolver } from "./resolve.ts";
import { isUnconditional } from "./structure.ts";

type Report = Omit<Finding, "file"> & { file?: string };

export interface ConditionFacts {
  /** Transitions that can never fire, with why ("can never be true: …"). */
  dead: Map<TransitionEdge, string>;
  findings: Report[];
}

const cache = new WeakMap<GraphFacts, ConditionFacts>();

/** What the conditions of a workflow's states say, computed once per compile. */
export function conditionFacts(facts: GraphFacts): ConditionFacts {
  let result = cache.get(facts);
  if (!result) {
    result = analyse(facts);
    cache.set(facts, result);
  }
  return result;
}

export const checkConditions: Check = (ctx) => {
  for (const f of conditionFacts(ctx.facts).findings) ctx.report(f);
};

// ---------------------------------------------------------------- names

const MISSING = values({ missing: true });
const orMissing = (v: ReturnType<typeof values>, certain: boolean) =>
  certain ? v : join(v, MISSING);

function listed(list: readonly (string | number)[]): string {
  return list.map((v) => JSON.stringify(v)).join(", ");
}

const statuses = ["succeeded", "failed", "timed_out", "skipped"];
/** The status flags of every result, as the sets of statuses for which they hold (runtime/scope.ts). */
const flags: Record<string, ReturnType<typeof values>> = {
  success: oneOf(["succeeded", "skipped"]),
  failure: oneOf(["failed", "timed_out"]),
  timeout: oneOf(["timed_out"]),
  timed_out: oneOf(["timed_out"]),
  skipped: oneOf(["skipped"]),
};
/** A state's status: one of four when it has run, or missing when it may not have. */
const statusDomains = [true, false].map(
  (certain): Domain => ({
    values: orMissing(oneOf(statuses), certain),
    enumerated: true,
    members: statuses,
    describe: `is one of ${listed(statuses)}`,
    advice:
      "test `success` (succeeded or skipped), `failure` (failed or timed out), `timeout` or `skipped` instead",
  }),
);

const scoreDomain: Domain = {
  values: join(range(0, 1), MISSING),
  describe: "is from 0 to 1",
};
const countDomain: Domain = {
  values: join(range(0, Number.POSITIVE_INFINITY), MISSING),
  integer: true,
  describe: "is a whole number, never negative",
};
const lengthDomain: Domain = { ...countDomain, describe: "is never negative" };
const durationDomain: Domain = {
  values: join(range(0, Number.POSITIVE_INFINITY), MISSING),
  describe: "is never negative",
};
const processKinds = new Set<StateNode["kind"]>(["run", "container", "containers"]);
const scoredKinds = new Set<StateNode["kind"]>(["agent", "loop", "parallel"]);

/** The type the type checker gives a resolved path (checks/scopes.ts). */
function coarse(t: FieldType): CoarseType {
  return typeof t === "object" ? "any" : t;
}

function inputDomain(spec: InputSpec): Domain | undefined {
  const optional = !spec.required && spec.default === undefined;
  const or = optional ? ", or not given" : "";
  const t = spec.type;
  const v = (x: ReturnType<typeof values>) => orMissing(x, !optional);
  switch (t.type) {
    case "enum":
      if (t.values.length === 0) return undefined;
      return {
        values: v(oneOf(t.values)),
        enumerated: true,
        members: t.values,
        describe: `is one of ${listed(t.values)}${or}`,
      };
    case "integer":
      return { values: v(NUMBERS), integer: true, describe: `is a whole number${or}` };
    case "number":
      return { values: v(NUMBERS), describe: `is a number${or}` };
    case "boolean":
      return { values: v(BOOLEANS), describe: `is true or false${or}` };
    case "string":
      return { values: v(STRINGS), describe: `is text${or}` };
    default:
      return undefined;
  }
}

/** What the paths in the conditions of `state` mean (see checks/resolve.ts). */
class StateNamer implements Namer {
  private readonly facts: GraphFacts;
  private readonly resolver: Resolver;
  private readonly state: string;
  private readonly inputs: ReadonlyMap<string, InputSpec>;

  constructor(
    facts: GraphFacts,
    resolver: Resolver,
    state: string,
    inputs: ReadonlyMap<string, InputSpec>,
  ) {
    this.facts = facts;
    this.resolver = resolver;
    this.state = state;
    this.inputs = inputs;
  }

  term(path: Expr & { kind: "path" }): Term {
    const parts = path.segments.map((s) => ("index" in s ? String(s.index) : s.name));
    const head = parts[0] ?? "";
    // The common case, without resolving: the state's own status or a flag of it, named bare.
    if (
      parts.length === 1 &&
      (head === "status" || Object.hasOwn(flags, head)) &&
      !this.facts.indexOf.has(head)
    ) {
      return this.statusTerm(this.state, head, true)!;
    }
    // Guarded: whether the state has run is the scope check's question (AEG406), not this one's.
    const r = this.resolver.resolve(parts, {
      state: this.state,
      moment: "after",
      bareFields: true,
      guards: [head],
    });
    if ("code" in r) return value({ key: `p:${parts.join(".")}`, type: "any" });
    // One key for one value: `score`, `state_output.score` and `REVIEW.score` in REVIEW.
    const canonical =
      head === "state_output"
        ? [this.state, ...parts.slice(1)]
        : head === "state" && parts[1] === "visits" && parts.length === 2
          ? [this.state, "visits"]
          : r.state !== undefined && head !== r.state
            ? [r.state, ...parts]
            : parts;
    const key = `p:${canonical.join(".")}`;
    const type = coarse(r.type);
    const owner = this.facts.indexOf.get(canonical[0]!);
    if (owner !== undefined && canonical.length >= 2 && head !== "blackboard") {
      const term = this.resultTerm(canonical, owner, key, type);
      if (term) return term;
    }
    if (head === "input" && parts.length === 2) {
      const spec = this.inputs.get(parts[1]!);
      const domain = spec && inputDomain(spec);
      if (domain) return value({ key, type, domain });
    }
    if (parts.length >= 2 && parts[parts.length - 1] === "length" && type === "number")
      return value({ key, type, domain: lengthDomain });
    return value({ key, type });
  }

  /** `status`, or a flag of it (`success` …), of the result of `name`. */
  private statusTerm(name: string, field: string, certain: boolean): Term | undefined {
    const status: Variable = {
      key: `p:${name}.status`,
      type: "string",
      domain: statusDomains[certain ? 0 : 1]!,
    };
    if (field === "status") return { kind: "value", variable: status };
    const when = flags[field];
    return when ? { kind: "flag", variable: status, when } : undefined;
  }

  /** A field of a state's result, as the runtime fills it in (runtime/scope.ts). */
  private resultTerm(
    canonical: string[],
    owner: number,
    key: string,
    type: CoarseType,
  ): Term | undefined {
    const name = canonical[0]!;
    const node = this.facts.nodes[owner]!;
    const field = canonical[1]!;
    // Fields of a state that has run are there; of one that may not have run, maybe not.
    const certain = name === this.state || this.facts.mustHaveRun(this.state, name);
    if (canonical.length === 2) {
      const status = this.statusTerm(name, field, certain);
      if (status) return status;
      if (field === "visits")
        return value({
          key,
          type,
          domain: {
            values: orMissing(range(1, Number.POSITIVE_INFINITY), certain),
            integer: true,
            describe: "is at least 1",
          },
        });
      if ((field === "score" || field === "confidence") && scoredKinds.has(node.kind))
        return value({ key, type, domain: scoreDomain });
      if (field === "exit_code" && processKinds.has(node.kind))
        return value({
          key,
          type,
          domain: {
            values: join(NUMBERS, values({ missing: true, nul: true })),
            integer: true,
            describe: "is a whole number",
          },
        });
      if (field === "duration") return value({ key, type, domain: durationDomain });
      const counts: Partial<Record<StateNode["kind"], string[]>> = {
        foreach: ["count", "failed"],
        parallel: ["approvals"],
        containers: ["succeeded", "failed"],
      };
      if (counts[node.kind]?.includes(field)) return value({ key, type, domain: countDomain });
    }
    if (
      canonical.length === 3 &&
      field === "consensus" &&
      ["score", "confidence", "agreement"].includes(canonical[2]!)
    )
      return value({ key, type, domain: scoreDomain });
    if (
      canonical.length === 3 &&
      field === "output" &&
      canonical[2] === "exit_code" &&
      processKinds.has(node.kind)
    )
      return value({
        key: `p:${name}.exit_code`,
        type,
        domain: {
          values: join(NUMBERS, values({ missing: true, nul: true })),
          integer: true,
          describe: "is a whole number",
        },
      });
    return undefined;
  }
}

function value(variable: Variable): Term {
  return { kind: "value", variable };
}

// ---------------------------------------------------------------- the analysis

function isFalse(e: Expr): boolean {
  return e.kind === "literal" && e.value === false;
}

function quote(e: Expr): string {
  return `\`${printExpr(e)}\``;
}

function labels(list: readonly Transition[]): string {
  const shown = list.slice(0, 4).map((t) => `\`${t.attributes.label}\``);
  return `${shown.join(", ")}${list.length > 4 ? " …" : ""}`;
}

function analyse(facts: GraphFacts): ConditionFacts {
  const graph = facts.graph;
  const resolver = new Resolver(graph, facts);
  const inputs = new Map(graph.getAttribute("inputs").map((i) => [i.name, i]));
  const dead = new Map<TransitionEdge, string>();
  const findings: Report[] = [];
  facts.states.forEach((state, i) => {
    const node = facts.nodes[i]!;
    const transitions = facts.transitions[i]!;
    const until = node.loop?.until;
    if (transitions.length === 0 && !until) return;
    const space = new Space(new StateNamer(facts, resolver, state, inputs));
    const file = node.span.file;
    const conditions: Expr[] = [];

    // Where no earlier transition fires; what each one took.
    let remaining: Region = EVERYWHERE;
    let unconditional: Transition | undefined;
    const earlier: { t: Transition; region: Region }[] = [];
    for (const t of transitions) {
      const a = t.attributes;
      const condition = a.otherwise ? undefined : a.condition;
      if (condition) conditions.push(condition);
      const own: Region = condition ? space.region(condition) : EVERYWHERE;
      const never = condition !== undefined && space.isEmpty(own);
      if (never && !isFalse(condition)) {
        const why = space.whyNever(condition) ?? "it is never true";
        dead.set(a, `can never be true: ${why}`);
        // A comparison that is a type error (no overlap) explains it already.
        const reported = space.whyNever(condition, "reported");
        if (reported !== undefined)
          findings.push({
            code: "AEG211",
            message: `${quote(condition)} can never be true: ${reported}`,
            span: condition.span,
            file,
            hint: "the transition can never fire: correct the condition, or remove the transition",
          });
      } else if (space.isEmpty(remaining)) {
        const first = unconditional;
        const before = earlier.filter((e) => !dead.has(e.t.attributes)).map((e) => e.t);
        const reason = first
          ? `the one before it ('${first.attributes.label}') always matches`
          : `the transitions before it (${labels(before)}) together always match`;
        dead.set(a, `can never fire: ${reason}`);
        findings.push({
          code: "AEG204",
          message: `this transition can never fire: ${reason}`,
          span: a.span,
          file,
          related: first
            ? [{ file, span: first.attributes.span, message: "always matches" }]
            : before.slice(0, 8).map((b) => ({
                file,
                span: b.attributes.span,
                message: "one of the transitions that together always match",
              })),
          hint: first
            ? "move it above the unconditional transition, or remove it"
            : "remove it, or narrow the conditions before it so that some case is left for it",
        });
      } else if (condition && !never && space.isEmpty(space.and(remaining, own))) {
        const takers = earlier
          .filter((e) => !dead.has(e.t.attributes) && !space.isEmpty(space.and(e.region, own)))
          .map((e) => e.t);
        const reason = `whenever ${quote(condition)} holds, an earlier transition is taken (${labels(takers)})`;
        dead.set(a, `can never fire: ${reason}`);
        findings.push({
          code: "AEG204",
          severity: "warning",
          message: `this transition can never fire: ${reason}`,
          span: a.span,
          file,
          related: takers.slice(0, 8).map((b) => ({
            file,
            span: b.attributes.span,
            message: "taken first",
          })),
          hint: "move it above the transitions that take its cases, or remove it",
        });
      } else if (never) {
        // `on false`: written to never fire (or a condition a YAML front end could not read).
        dead.set(a, "can never be true: it is `false`");
      }
      if (isUnconditional(a)) unconditional ??= t;
      earlier.push({ t, region: own });
      if (!space.isEmpty(remaining))
        remaining =
          condition === undefined || isUnconditional(a)
            ? NOWHERE
            : space.and(remaining, space.region(condition, true));
    }

    if (until && !isFalse(until)) {
      conditions.push(until);
      const reported = space.never(until) ? space.whyNever(until, "reported") : undefined;
      const max = node.loop?.max;
      if (reported !== undefined)
        findings.push({
          code: "AEG211",
          message: `${quote(until)} can never be true: ${reported}; the loop always runs ${max === undefined ? "until its cap" : `all its ${max} attempts`}`,
          span: until.span,
          file,
          hint: "correct the condition, or lower the loop's `max` if it is meant to run a fixed number of times",
        });
    }

    // Comparisons with literals that none of a declared set of values equals.
    for (const c of conditions) noOverlap(space, c, file, findings);
  });
  return { dead, findings };
}

/** AEG407 for `x == "v"`, `x != "v"`, `x in [...]` where x's declared values hold none of them. */
function noOverlap(space: Space, e: Expr, file: string, findings: Report[]): void {
  const visit = (x: Expr): void => {
    switch (x.kind) {
      case "unary":
        visit(x.operand);
        return;
      case "between":
        visit(x.operand);
        visit(x.low);
        visit(x.high);
        return;
      case "call":
        x.args.forEach(visit);
        return;
      case "list":
        x.items.forEach(visit);
        return;
      case "binary": {
        visit(x.left);
        visit(x.right);
        if (x.op !== "==" && x.op !== "!=" && x.op !== "in") return;
        const c = space.comparison(x);
        if (!c?.subject.domain || !space.noOverlap(c.subject, c.literals)) return;
        // Values of different types: the type check's finding (checks/scopes.ts).
        const literalType = c.literals[0] === null ? "null" : typeof c.literals[0];
        if (x.op !== "in" && c.subject.type !== "any" && literalType !== c.subject.type) return;
        const name = printExpr(c.subjectExpr);
        const always = x.op === "!=" ? "true" : "false";
        const allowed = c.subject.domain.members ?? [];
        const first = c.literals.find((l) => typeof l === "string") as string | undefined;
        const words = allowed.filter((a): a is string => typeof a === "string");
        const suggestion = first === undefined ? undefined : hintFor(first, words);
        findings.push({
          code: "AEG407",
          message: `${quote(x)} is always ${always}: ${name} ${c.subject.domain.describe}`,
          span: x.span,
          file,
          hint:
            suggestion ?? c.subject.domain.advice ?? `compare it with one of ${listed(allowed)}`,
        });
        return;
      }
      default:
        return;
    }
  };
  visit(e);
}
